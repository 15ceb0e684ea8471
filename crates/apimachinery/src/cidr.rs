//! IPv4 CIDR ranges: the service range the API server allocates ClusterIPs from and the cluster
//! range node pod CIDRs are carved out of.

use std::net::Ipv4Addr;

#[derive(Debug, Clone, Copy)]
pub struct Ipv4Cidr {
    pub network: u32,
    pub prefix: u8,
}

impl Ipv4Cidr {
    pub fn parse(s: &str) -> Result<Ipv4Cidr, String> {
        let (ip, len) = s
            .split_once('/')
            .ok_or_else(|| format!("invalid CIDR {s:?}: expected a.b.c.d/n"))?;
        let ip: Ipv4Addr = ip
            .parse()
            .map_err(|_| format!("invalid CIDR {s:?}: bad address"))?;
        let prefix: u8 = len
            .parse()
            .ok()
            .filter(|p| *p <= 30)
            .ok_or_else(|| format!("invalid CIDR {s:?}: prefix must be 0..30"))?;
        let mask = if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix)
        };
        Ok(Ipv4Cidr {
            network: u32::from(ip) & mask,
            prefix,
        })
    }

    pub fn size(&self) -> u32 {
        1u32 << (32 - self.prefix)
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let mask = if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - self.prefix)
        };
        u32::from(ip) & mask == self.network
    }

    /// The n-th address (n=1 is the first usable).
    pub fn nth(&self, n: u32) -> Ipv4Addr {
        Ipv4Addr::from(self.network + n)
    }
}

impl std::fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.network), self.prefix)
    }
}

/// Numbered /`node_prefix` subnets of a cluster range, as the node IPAM controller hands them out.
#[derive(Debug, Clone)]
pub struct SubnetPlan {
    pub cluster: Ipv4Cidr,
    pub node_prefix: u8,
}

impl SubnetPlan {
    pub fn new(cluster: Ipv4Cidr, node_prefix: u8) -> Result<SubnetPlan, String> {
        if node_prefix < cluster.prefix || node_prefix > 30 {
            return Err(format!(
                "a /{node_prefix} per node does not fit in the cluster range {cluster}"
            ));
        }
        Ok(SubnetPlan {
            cluster,
            node_prefix,
        })
    }

    /// How many node subnets the range holds.
    pub fn count(&self) -> u32 {
        1u32 << (self.node_prefix - self.cluster.prefix)
    }

    pub fn subnet(&self, index: u32) -> Ipv4Cidr {
        Ipv4Cidr {
            network: self.cluster.network + (index << (32 - self.node_prefix)),
            prefix: self.node_prefix,
        }
    }

    /// The index of a subnet of this plan given as text, if it is one.
    pub fn index_of(&self, cidr: &str) -> Option<u32> {
        let c = Ipv4Cidr::parse(cidr).ok()?;
        (c.prefix == self.node_prefix && self.cluster.contains(Ipv4Addr::from(c.network)))
            .then(|| (c.network - self.cluster.network) >> (32 - self.node_prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_subnets_are_numbered_within_the_cluster_range() {
        let plan = SubnetPlan::new(Ipv4Cidr::parse("10.42.0.0/16").unwrap(), 24).unwrap();
        assert_eq!(plan.count(), 256);
        assert_eq!(plan.subnet(0).to_string(), "10.42.0.0/24");
        assert_eq!(plan.subnet(255).to_string(), "10.42.255.0/24");
        assert_eq!(plan.index_of("10.42.7.0/24"), Some(7));
        assert_eq!(plan.index_of("10.128.7.0/24"), None);
        assert_eq!(plan.index_of("10.42.7.0/25"), None);
        assert!(SubnetPlan::new(Ipv4Cidr::parse("10.42.0.0/16").unwrap(), 8).is_err());
    }
}

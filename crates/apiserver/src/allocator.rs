//! Service ClusterIPs and NodePorts. Each allocation is an object created with create-if-absent in
//! the store — an `IPAddress` (networking.k8s.io/v1, as upstream 1.33 allocates) per cluster IP,
//! and an internal marker per node port — so allocations are atomic across API servers sharing
//! etcd, survive restarts, and can never be handed out twice.

use std::net::Ipv4Addr;

pub use capstan_apimachinery::cidr::Ipv4Cidr;

use bytes::Bytes;
use capstan_store::{DynStore, StoreError};
use parking_lot::Mutex;
use serde_json::json;

pub const IPADDRESS_PREFIX: &str = "/registry/networking.k8s.io/ipaddresses/";
pub const NODEPORT_PREFIX: &str = "/registry/capstan/nodeports/";
pub const NODEPORT_RANGE: (u16, u16) = (30000, 32767);

/// Who holds an allocation (the Service).
#[derive(Clone, Debug)]
pub struct Owner {
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

pub struct ServiceAllocators {
    store: DynStore,
    pub service_cidr: Ipv4Cidr,
    next_ip: Mutex<u32>,
    next_port: Mutex<u16>,
}

#[derive(Debug)]
pub enum AllocError {
    /// The requested address or port is taken.
    Taken,
    OutOfRange,
    Full,
    Store(StoreError),
}

impl ServiceAllocators {
    pub fn new(store: DynStore, service_cidr: Ipv4Cidr) -> ServiceAllocators {
        ServiceAllocators {
            store,
            service_cidr,
            // The first address is the `kubernetes` Service's; allocate others after it.
            next_ip: Mutex::new(2),
            next_port: Mutex::new(NODEPORT_RANGE.0),
        }
    }

    /// The `kubernetes` Service's address.
    pub fn api_service_ip(&self) -> Ipv4Addr {
        self.service_cidr.nth(1)
    }

    fn ip_object(ip: Ipv4Addr, owner: &Owner) -> Bytes {
        Bytes::from(
            json!({
                "apiVersion": "networking.k8s.io/v1",
                "kind": "IPAddress",
                "metadata": {
                    "name": ip.to_string(),
                    "uid": uuid::Uuid::new_v4().to_string(),
                    "creationTimestamp": crate::object::now_rfc3339(),
                    "labels": {
                        "ipaddress.kubernetes.io/ip-family": "IPv4",
                        "ipaddress.kubernetes.io/managed-by": "ipallocator.k8s.io",
                    },
                },
                "spec": {"parentRef": {"group": "", "resource": "services",
                                        "namespace": owner.namespace, "name": owner.name}},
            })
            .to_string(),
        )
    }

    /// Claims a specific address for a service.
    pub async fn claim_ip(&self, ip: Ipv4Addr, owner: &Owner) -> Result<(), AllocError> {
        let n = u32::from(ip).wrapping_sub(self.service_cidr.network);
        if !self.service_cidr.contains(ip) || n == 0 || n >= self.service_cidr.size() - 1 {
            return Err(AllocError::OutOfRange);
        }
        match self
            .store
            .create(
                &format!("{IPADDRESS_PREFIX}{ip}"),
                Self::ip_object(ip, owner),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(StoreError::AlreadyExists { .. }) => Err(AllocError::Taken),
            Err(e) => Err(AllocError::Store(e)),
        }
    }

    /// Allocates a free address.
    pub async fn allocate_ip(&self, owner: &Owner) -> Result<Ipv4Addr, AllocError> {
        let usable = self.service_cidr.size().saturating_sub(2);
        for _ in 0..usable {
            let n = {
                let mut next = self.next_ip.lock();
                let n = *next;
                *next = if n + 1 > usable { 1 } else { n + 1 };
                n
            };
            let ip = self.service_cidr.nth(n);
            match self.claim_ip(ip, owner).await {
                Ok(()) => return Ok(ip),
                Err(AllocError::Taken) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(AllocError::Full)
    }

    pub async fn release_ip(&self, ip: &str) {
        let _ = self
            .store
            .delete(&format!("{IPADDRESS_PREFIX}{ip}"), None)
            .await;
    }

    pub async fn claim_port(&self, port: u16, owner: &Owner) -> Result<(), AllocError> {
        if !(NODEPORT_RANGE.0..=NODEPORT_RANGE.1).contains(&port) {
            return Err(AllocError::OutOfRange);
        }
        let value = json!({"namespace": owner.namespace, "name": owner.name, "uid": owner.uid});
        match self
            .store
            .create(
                &format!("{NODEPORT_PREFIX}{port}"),
                Bytes::from(value.to_string()),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(StoreError::AlreadyExists { .. }) => Err(AllocError::Taken),
            Err(e) => Err(AllocError::Store(e)),
        }
    }

    pub async fn allocate_port(&self, owner: &Owner) -> Result<u16, AllocError> {
        let span = NODEPORT_RANGE.1 - NODEPORT_RANGE.0 + 1;
        for _ in 0..span {
            let port = {
                let mut next = self.next_port.lock();
                let p = *next;
                *next = if p >= NODEPORT_RANGE.1 {
                    NODEPORT_RANGE.0
                } else {
                    p + 1
                };
                p
            };
            match self.claim_port(port, owner).await {
                Ok(()) => return Ok(port),
                Err(AllocError::Taken) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(AllocError::Full)
    }

    pub async fn release_port(&self, port: u16) {
        let _ = self
            .store
            .delete(&format!("{NODEPORT_PREFIX}{port}"), None)
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_math() {
        let c = Ipv4Cidr::parse("10.43.0.0/16").unwrap();
        assert_eq!(c.nth(1), Ipv4Addr::new(10, 43, 0, 1));
        assert!(c.contains(Ipv4Addr::new(10, 43, 255, 1)));
        assert!(!c.contains(Ipv4Addr::new(10, 44, 0, 1)));
        assert_eq!(c.size(), 65536);
        assert!(Ipv4Cidr::parse("10.43.0.0").is_err());
        assert_eq!(
            Ipv4Cidr::parse("10.43.7.9/16").unwrap().to_string(),
            "10.43.0.0/16"
        );
    }
}

//! Upstream's node tree: live nodes listed zone by zone, interleaved, so
//! that scanning a prefix of the list visits every zone evenly.

use crate::nodeinfo::NodeInfo;

const ZONE_LABELS: [&str; 2] = [
    "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/zone",
];
const REGION_LABELS: [&str; 2] = [
    "topology.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/region",
];

/// Upstream `GetZoneKey`: region and zone joined, or empty.
pub fn zone_key(node: &NodeInfo) -> String {
    let first = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| node.label(k))
            .unwrap_or("")
            .to_string()
    };
    let region = first(&REGION_LABELS);
    let zone = first(&ZONE_LABELS);
    if region.is_empty() && zone.is_empty() {
        return String::new();
    }
    format!("{region}:\x00:{zone}")
}

/// The interleaved list, rebuilt lazily after membership changes.
#[derive(Debug, Default)]
pub struct NodeOrder {
    /// Zones in order of first appearance, with their slots in insertion order.
    zones: Vec<(String, Vec<usize>)>,
    list: Vec<usize>,
    dirty: bool,
}

impl NodeOrder {
    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    pub fn list(&self) -> &[usize] {
        &self.list
    }

    /// Re-reads zone membership from the nodes, keeping each zone's
    /// existing order and appending new nodes and zones at the end.
    pub fn refresh(&mut self, nodes: &[NodeInfo]) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        let mut placed = vec![None::<String>; nodes.len()];
        for (slot, n) in nodes.iter().enumerate() {
            if n.node.is_some() {
                placed[slot] = Some(zone_key(n));
            }
        }
        // Keep surviving members in place.
        let mut seen = vec![false; nodes.len()];
        for (zone, members) in &mut self.zones {
            members.retain(|s| {
                let keep =
                    placed.get(*s).and_then(|z| z.as_deref()) == Some(zone.as_str()) && !seen[*s];
                if keep {
                    seen[*s] = true;
                }
                keep
            });
        }
        for (slot, zone) in placed.iter().enumerate() {
            let Some(zone) = zone else { continue };
            if seen[slot] {
                continue;
            }
            match self.zones.iter_mut().find(|(z, _)| z == zone) {
                Some((_, members)) => members.push(slot),
                None => self.zones.push((zone.clone(), vec![slot])),
            }
        }
        self.zones.retain(|(_, m)| !m.is_empty());
        self.list.clear();
        let longest = self.zones.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
        for i in 0..longest {
            for (_, members) in &self.zones {
                if let Some(s) = members.get(i) {
                    self.list.push(*s);
                }
            }
        }
    }
}

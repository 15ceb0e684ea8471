//! ImageLocality: favours nodes that already have the pod's images,
//! weighted by how widely each image is spread.

use crate::framework::Ctx;
use crate::nodeinfo::NodeInfo;
use crate::plugins::MAX_NODE_SCORE;

const MB: i64 = 1024 * 1024;
const MIN_THRESHOLD: i64 = 23 * MB;
const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

/// Per image of the pod: the fraction of nodes that have it.
pub fn pre_score(ctx: &Ctx<'_>) -> Vec<f64> {
    let total = ctx.cache.num_nodes().max(1) as f64;
    ctx.pod
        .images
        .iter()
        .map(|i| f64::from(ctx.cache.image_num_nodes(i)) / total)
        .collect()
}

pub fn score(ctx: &Ctx<'_>, spread: &[f64], node: &NodeInfo) -> i64 {
    let mut sum = 0i64;
    for (image, spread) in ctx.pod.images.iter().zip(spread) {
        if let Some(size) = node.images.get(image) {
            sum += (*size as f64 * spread) as i64;
        }
    }
    let max_threshold = MAX_CONTAINER_THRESHOLD * ctx.pod.num_containers as i64;
    let clamped = sum.clamp(MIN_THRESHOLD, max_threshold.max(MIN_THRESHOLD));
    if max_threshold <= MIN_THRESHOLD {
        return 0;
    }
    MAX_NODE_SCORE * (clamped - MIN_THRESHOLD) / (max_threshold - MIN_THRESHOLD)
}

#[cfg(test)]
#[path = "image_locality_tests.rs"]
mod tests;

use crate::plugins::PluginName;
use crate::synth::{NodeBuilder, PodBuilder};
use crate::testutil::{Env, profile_with};

const MB: i64 = 1024 * 1024;

#[test]
fn nodes_with_large_spread_images_score_higher() {
    let nodes = vec![
        NodeBuilder::new("n1")
            .image(&["gcr.io/40:latest"], 40 * MB)
            .image(&["gcr.io/300:latest"], 300 * MB)
            .build(),
        NodeBuilder::new("n2")
            .image(&["gcr.io/250:latest"], 250 * MB)
            .build(),
        NodeBuilder::new("n3").build(),
    ];
    let mut e =
        Env::new(nodes, vec![]).with_profile(profile_with(&[], Some(PluginName::ImageLocality)));
    let scores = e.scores(PodBuilder::new("d", "p").image("gcr.io/250").build());
    // 250MB on 1 of 3 nodes: 250/3 MB ≈ 83.3MB scaled between 23MB and 1000MB → 6.
    assert_eq!(
        scores,
        vec![("n1".into(), 0), ("n2".into(), 6), ("n3".into(), 0)]
    );
    let scores = e.scores(PodBuilder::new("d", "p").image("gcr.io/40").build());
    // 40MB/3 is below the 23MB threshold.
    assert_eq!(
        scores,
        vec![("n1".into(), 0), ("n2".into(), 0), ("n3".into(), 0)]
    );
}

use super::*;

#[test]
fn default_profile_matches_upstream() {
    let c = SchedulerConfig::default();
    let p = &c.profiles[0];
    assert_eq!(p.scheduler_name, "default-scheduler");
    assert_eq!(p.queue_sort, vec![PluginName::PrioritySort]);
    assert_eq!(p.pre_enqueue, vec![PluginName::SchedulingGates]);
    assert_eq!(
        p.filter,
        vec![
            PluginName::NodeUnschedulable,
            PluginName::NodeName,
            PluginName::TaintToleration,
            PluginName::NodeAffinity,
            PluginName::NodePorts,
            PluginName::NodeResourcesFit,
            PluginName::VolumeRestrictions,
            PluginName::NodeVolumeLimits,
            PluginName::VolumeBinding,
            PluginName::VolumeZone,
            PluginName::PodTopologySpread,
            PluginName::InterPodAffinity,
        ]
    );
    assert_eq!(
        p.score,
        vec![
            (PluginName::TaintToleration, 3),
            (PluginName::NodeAffinity, 2),
            (PluginName::NodeResourcesFit, 1),
            (PluginName::PodTopologySpread, 2),
            (PluginName::InterPodAffinity, 2),
            (PluginName::NodeResourcesBalancedAllocation, 1),
            (PluginName::ImageLocality, 1),
        ]
    );
    assert_eq!(p.post_filter, vec![PluginName::DefaultPreemption]);
    assert_eq!(p.bind, vec![PluginName::DefaultBinder]);
    assert_eq!(p.reserve, vec![PluginName::VolumeBinding]);
}

#[test]
fn parses_yaml_profiles_and_args() {
    let yaml = r#"
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
percentageOfNodesToScore: 40
podInitialBackoffSeconds: 2
profiles:
- schedulerName: default-scheduler
- schedulerName: bin-packer
  percentageOfNodesToScore: 20
  plugins:
    score:
      disabled:
      - name: NodeResourcesBalancedAllocation
      - name: ImageLocality
      enabled:
      - name: NodeResourcesFit
        weight: 5
    preFilter:
      disabled:
      - name: "*"
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
        resources:
        - name: cpu
          weight: 2
        - name: memory
  - name: PodTopologySpread
    args:
      defaultingType: List
      defaultConstraints:
      - maxSkew: 1
        topologyKey: topology.kubernetes.io/zone
        whenUnsatisfiable: ScheduleAnyway
  - name: InterPodAffinity
    args:
      hardPodAffinityWeight: 7
"#;
    let c = parse_config(yaml).unwrap();
    assert_eq!(c.percentage_of_nodes_to_score, 40);
    assert_eq!(c.queue.initial_backoff, Duration::from_secs(2));
    assert_eq!(c.profiles.len(), 2);
    let p = &c.profiles[1];
    assert_eq!(p.percentage_of_nodes_to_score, Some(20));
    assert!(p.pre_filter.is_empty());
    assert!(p.filter.contains(&PluginName::NodeResourcesFit));
    assert_eq!(
        p.score
            .iter()
            .find(|(n, _)| *n == PluginName::NodeResourcesFit),
        Some(&(PluginName::NodeResourcesFit, 5))
    );
    // The explicitly configured plugin keeps its place first, then the MultiPoint ones.
    assert_eq!(p.score[0].0, PluginName::NodeResourcesFit);
    assert!(!p.score.iter().any(|(n, _)| *n == PluginName::ImageLocality));
    assert_eq!(p.args.fit.strategy.kind, StrategyType::MostAllocated);
    assert_eq!(
        p.args.fit.strategy.resources,
        vec![("cpu".to_string(), 2), ("memory".to_string(), 1)]
    );
    assert_eq!(p.args.spread.defaulting_type, DefaultingType::List);
    assert_eq!(p.args.spread.default_constraints.len(), 1);
    assert_eq!(p.args.interpod.hard_pod_affinity_weight, 7);
}

#[test]
fn multipoint_disable_all_and_json() {
    let json = r#"{"apiVersion":"kubescheduler.config.k8s.io/v1","kind":"KubeSchedulerConfiguration",
      "profiles":[{"schedulerName":"minimal","plugins":{"multiPoint":{"disabled":[{"name":"*"}],
      "enabled":[{"name":"PrioritySort"},{"name":"NodeResourcesFit","weight":3},{"name":"DefaultBinder"}]}}}]}"#;
    let c = parse_config(json).unwrap();
    let p = &c.profiles[0];
    assert_eq!(p.filter, vec![PluginName::NodeResourcesFit]);
    assert_eq!(p.score, vec![(PluginName::NodeResourcesFit, 3)]);
    assert!(p.post_filter.is_empty());
}

#[test]
fn requested_to_capacity_ratio_shape_is_scaled() {
    let yaml = r#"
profiles:
- pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: RequestedToCapacityRatio
        requestedToCapacityRatio:
          shape:
          - utilization: 0
            score: 0
          - utilization: 100
            score: 10
"#;
    let c = parse_config(yaml).unwrap();
    assert_eq!(
        c.profiles[0].args.fit.strategy.shape,
        vec![(0, 0), (100, 100)]
    );
}

#[test]
fn invalid_configs_are_rejected() {
    assert!(parse_config("apiVersion: kubescheduler.config.k8s.io/v1beta3\n").is_err());
    assert_eq!(
        parse_config("profiles:\n- plugins:\n    filter:\n      enabled:\n      - name: Nope\n")
            .unwrap_err()
            .0,
        "plugin \"Nope\" does not exist"
    );
    assert!(parse_config("percentageOfNodesToScore: 101\n").is_err());
    assert!(parse_config("profiles:\n- schedulerName: a\n- schedulerName: a\n").is_err());
    let no_shape = "profiles:\n- pluginConfig:\n  - name: NodeResourcesFit\n    args:\n      scoringStrategy:\n        type: RequestedToCapacityRatio\n";
    assert!(parse_config(no_shape).is_err());
    let bad = "profiles:\n- plugins:\n    queueSort:\n      disabled:\n      - name: '*'\n";
    assert!(
        parse_config(bad)
            .unwrap_err()
            .0
            .contains("one queue sort plugin required")
    );
}

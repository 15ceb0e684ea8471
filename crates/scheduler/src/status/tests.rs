use super::*;

fn node(name: &str) -> Arc<str> {
    Arc::from(name)
}

#[test]
fn fit_error_counts_and_sorts_reasons() {
    let mut d = Diagnosis::default();
    for i in 0..3 {
        d.node_to_status.explicit.push((
            node(&format!("a{i}")),
            Status::unschedulable("Insufficient memory"),
        ));
        d.node_to_status.explicit.push((
            node(&format!("b{i}")),
            Status::unresolvable("node(s) had untolerated taint {key: value}"),
        ));
    }
    d.post_filter_msg = "preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.".into();
    let e = FitError {
        num_all_nodes: 6,
        diagnosis: d,
    };
    assert_eq!(
        e.message(),
        "0/6 nodes are available: 3 Insufficient memory, 3 node(s) had untolerated taint {key: value}. preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling."
    );
}

#[test]
fn a_status_with_several_reasons_counts_each() {
    let mut d = Diagnosis::default();
    d.node_to_status.explicit.push((
        node("n"),
        Status::with_reasons(
            Code::Unschedulable,
            vec!["Insufficient cpu".into(), "Insufficient memory".into()],
        ),
    ));
    let e = FitError {
        num_all_nodes: 1,
        diagnosis: d,
    };
    assert_eq!(
        e.message(),
        "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory."
    );
}

#[test]
fn prefilter_message_replaces_the_histogram() {
    let d = Diagnosis {
        pre_filter_msg: "pod has unbound immediate PersistentVolumeClaims".into(),
        node_to_status: NodeToStatus {
            explicit: Vec::new(),
            absent: Status::unresolvable("pod has unbound immediate PersistentVolumeClaims"),
        },
        ..Default::default()
    };
    let e = FitError {
        num_all_nodes: 2,
        diagnosis: d,
    };
    assert_eq!(
        e.message(),
        "0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims."
    );
}

#[test]
fn absent_nodes_count_with_the_absent_status() {
    let mut d = Diagnosis::default();
    d.node_to_status.absent =
        Status::unresolvable("node(s) didn't satisfy plugin(s) [NodeAffinity]");
    d.node_to_status
        .explicit
        .push((node("n1"), Status::unschedulable("Too many pods")));
    let e = FitError {
        num_all_nodes: 3,
        diagnosis: d,
    };
    assert_eq!(
        e.message(),
        "0/3 nodes are available: 1 Too many pods, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]."
    );
    assert_eq!(
        e.diagnosis.node_to_status.get("zz").code,
        Code::UnschedulableAndUnresolvable
    );
}

#[test]
fn histogram_sorts_as_strings() {
    let mut m = NodeToStatus::default();
    for i in 0..10 {
        m.explicit
            .push((node(&format!("a{i}")), Status::unschedulable("b")));
    }
    for i in 0..3 {
        m.explicit
            .push((node(&format!("c{i}")), Status::unschedulable("a")));
    }
    assert_eq!(m.histogram(13), "10 b, 3 a");
}

#[test]
fn truncates_long_messages() {
    let long = "x".repeat(2000);
    let t = truncate_message(&long);
    assert_eq!(t.len(), NOTE_LENGTH_LIMIT);
    assert!(t.ends_with(" ..."));
    assert_eq!(truncate_message("short"), "short");
}

#[test]
fn rejected_codes() {
    assert!(Status::unschedulable("x").is_rejected());
    assert!(Status::unresolvable("x").is_rejected());
    assert!(!Status::error("x").is_rejected());
    assert_eq!(
        Status::with_reasons(Code::Unschedulable, vec!["a".into(), "b".into()]).message(),
        "a, b"
    );
}

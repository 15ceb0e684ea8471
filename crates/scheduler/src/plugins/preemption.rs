//! DefaultPreemption (PostFilter): find nodes where evicting lower-priority
//! pods lets the pod fit, keep as many of them as possible (PDB-protected
//! ones first), and pick the node with the least damage.

use std::sync::Arc;

use capstan_apimachinery::labels::selector_from_label_selector;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;

use crate::framework::{
    Ctx, CycleState, Nominator, run_filter_with_nominated, update_state_with_pod,
};
use crate::nodeinfo::NodeInfo;
use crate::podinfo::PodInfo;
use crate::rng::Rng;
use crate::status::{Code, Diagnosis, FitError, NodeToStatus, Status};

pub const NO_VICTIMS: &str = "No preemption victims found for incoming pod";
pub const NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
pub const NOT_ELIGIBLE_NEVER: &str = "not eligible due to preemptionPolicy=Never.";
pub const NOT_ELIGIBLE_TERMINATING: &str =
    "not eligible due to a terminating pod on the nominated node.";

/// `DefaultPreemptionArgs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreemptionArgs {
    pub min_candidate_nodes_percentage: i32,
    pub min_candidate_nodes_absolute: i32,
}

impl Default for PreemptionArgs {
    fn default() -> Self {
        PreemptionArgs {
            min_candidate_nodes_percentage: 10,
            min_candidate_nodes_absolute: 100,
        }
    }
}

/// The chosen node and what to evict there.
#[derive(Clone, Debug)]
pub struct Preemption {
    pub node: String,
    /// Victims, most important first.
    pub victims: Vec<Arc<PodInfo>>,
    /// Lower-priority pods nominated to the node, whose nomination must be cleared.
    pub clear_nominations: Vec<Arc<PodInfo>>,
}

/// PostFilter outcome: `Ok` with the nomination, or the message to append
/// to the fit error (already prefixed with `preemption: `).
pub type PostFilterResult = Result<Preemption, String>;

fn terminating_by_preemption(p: &PodInfo) -> bool {
    p.terminating
        && p.pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| {
                cs.iter().any(|c| {
                    c.type_ == "DisruptionTarget"
                        && c.status == "True"
                        && c.reason.as_deref() == Some("PreemptionByScheduler")
                })
            })
}

/// Upstream `PodEligibleToPreemptOthers`.
fn eligible(ctx: &Ctx<'_>, statuses: &NodeToStatus) -> Result<(), &'static str> {
    let pod = ctx.pod;
    if pod.preemption_never {
        return Err(NOT_ELIGIBLE_NEVER);
    }
    if let Some(nominated) = &pod.nominated_node {
        if statuses.get(nominated).code == Code::UnschedulableAndUnresolvable {
            return Ok(());
        }
        if let Some(node) = ctx.cache.node_by_name(nominated)
            && node
                .pods
                .iter()
                .any(|p| p.priority < pod.priority && terminating_by_preemption(p))
        {
            return Err(NOT_ELIGIBLE_TERMINATING);
        }
    }
    Ok(())
}

/// Start time in nanoseconds; a pod not started yet counts as starting now,
/// i.e. after every pod that has started.
fn start_time_nanos(p: &PodInfo) -> i128 {
    p.start_time
        .as_ref()
        .map(|t| t.0.as_nanosecond())
        .unwrap_or(i128::MAX)
}

/// Upstream `MoreImportantPod`: higher priority, then earlier start.
fn more_important(a: &PodInfo, b: &PodInfo) -> std::cmp::Ordering {
    b.priority
        .cmp(&a.priority)
        .then_with(|| start_time_nanos(a).cmp(&start_time_nanos(b)))
}

/// Splits victims into those whose eviction would violate a PDB and the rest.
fn split_by_pdb<'p>(
    victims: &[&'p Arc<PodInfo>],
    pdbs: &[&PodDisruptionBudget],
) -> (Vec<&'p Arc<PodInfo>>, Vec<&'p Arc<PodInfo>>) {
    let mut allowed: Vec<i32> = pdbs
        .iter()
        .map(|p| {
            p.status
                .as_ref()
                .map(|s| s.disruptions_allowed)
                .unwrap_or(0)
        })
        .collect();
    let mut violating = Vec::new();
    let mut ok = Vec::new();
    for v in victims {
        let mut violated = false;
        if !v.labels.is_empty() {
            for (i, pdb) in pdbs.iter().enumerate() {
                if pdb.metadata.namespace.as_deref() != Some(v.namespace.as_str()) {
                    continue;
                }
                let spec_selector = pdb.spec.as_ref().and_then(|s| s.selector.as_ref());
                let Ok(selector) = selector_from_label_selector(spec_selector) else {
                    continue;
                };
                if selector.is_empty() || !selector.matches(&v.labels) {
                    continue;
                }
                let disrupted = pdb
                    .status
                    .as_ref()
                    .and_then(|s| s.disrupted_pods.as_ref())
                    .is_some_and(|d| d.contains_key(&v.name));
                if disrupted {
                    continue;
                }
                allowed[i] -= 1;
                if allowed[i] < 0 {
                    violated = true;
                }
            }
        }
        if violated {
            violating.push(*v);
        } else {
            ok.push(*v);
        }
    }
    (violating, ok)
}

struct Candidate {
    node: String,
    victims: Vec<Arc<PodInfo>>,
    pdb_violations: i64,
}

/// Upstream `SelectVictimsOnNode`.
fn select_victims(
    ctx: &Ctx<'_>,
    state: &CycleState<'_>,
    node: &NodeInfo,
    nominator: &Nominator,
    pdbs: &[&PodDisruptionBudget],
) -> Result<(Vec<Arc<PodInfo>>, i64), Status> {
    let mut node = node.clone();
    let mut state = state.clone();
    let mut potential: Vec<&Arc<PodInfo>> = Vec::new();
    let originals = node.pods.clone();
    for p in &originals {
        if p.priority < ctx.pod.priority {
            potential.push(p);
        }
    }
    for p in &potential {
        node.remove_pod(&p.id);
        update_state_with_pod(ctx, &mut state, p, &node, -1);
    }
    if potential.is_empty() {
        return Err(Status::unresolvable(NO_VICTIMS));
    }
    run_filter_with_nominated(ctx, &state, &node, nominator)?;
    potential.sort_by(|a, b| more_important(a, b));
    let (violating, non_violating) = split_by_pdb(&potential, pdbs);
    let mut victims = Vec::new();
    let mut violations = 0i64;
    let mut reprieve =
        |p: &Arc<PodInfo>, node: &mut NodeInfo, state: &mut CycleState<'_>| -> bool {
            node.add_pod(Arc::clone(p));
            update_state_with_pod(ctx, state, p, node, 1);
            let fits = run_filter_with_nominated(ctx, state, node, nominator).is_ok();
            if !fits {
                node.remove_pod(&p.id);
                update_state_with_pod(ctx, state, p, node, -1);
                victims.push(Arc::clone(p));
            }
            fits
        };
    for p in &violating {
        if !reprieve(p, &mut node, &mut state) {
            violations += 1;
        }
    }
    for p in &non_violating {
        reprieve(p, &mut node, &mut state);
    }
    if !violating.is_empty() && !non_violating.is_empty() {
        victims.sort_by(|a, b| more_important(a, b));
    }
    Ok((victims, violations))
}

fn num_candidates(args: &super::preemption::PreemptionArgs, num_nodes: usize) -> usize {
    let mut n = num_nodes * args.min_candidate_nodes_percentage.max(0) as usize / 100;
    if n < args.min_candidate_nodes_absolute.max(0) as usize {
        n = args.min_candidate_nodes_absolute.max(0) as usize;
    }
    n.min(num_nodes)
}

/// Upstream `pickOneNodeForPreemption` with its tie-breaks.
fn pick_one(candidates: &[Candidate]) -> Option<usize> {
    let earliest_start = |c: &Candidate| -> i128 {
        let top = c.victims.first().map(|v| v.priority);
        c.victims
            .iter()
            .filter(|v| Some(v.priority) == top)
            .map(|v| start_time_nanos(v))
            .min()
            .unwrap_or(i128::MIN)
    };
    let scorers: [&dyn Fn(&Candidate) -> i128; 5] = [
        &|c| -i128::from(c.pdb_violations),
        &|c| -i128::from(c.victims.first().map(|v| v.priority).unwrap_or(0)),
        &|c| {
            -c.victims
                .iter()
                .map(|v| i128::from(v.priority) + i128::from(i32::MAX) + 1)
                .sum::<i128>()
        },
        &|c| -(c.victims.len() as i128),
        &earliest_start,
    ];
    let mut remaining: Vec<usize> = (0..candidates.len()).collect();
    for f in scorers {
        let best = remaining.iter().map(|i| f(&candidates[*i])).max()?;
        remaining.retain(|i| f(&candidates[*i]) == best);
        if remaining.len() == 1 {
            break;
        }
    }
    remaining.first().copied()
}

/// Runs DefaultPreemption for a pod that fits nowhere.
pub fn post_filter(
    ctx: &Ctx<'_>,
    state: &CycleState<'_>,
    statuses: &NodeToStatus,
    nominator: &Nominator,
    rng: &mut Rng,
) -> PostFilterResult {
    if let Err(msg) = eligible(ctx, statuses) {
        return Err(format!("preemption: {msg}"));
    }
    let cache = ctx.cache;
    let all = cache.node_order();
    let potential: Vec<usize> = all
        .iter()
        .copied()
        .filter(|s| statuses.get(&cache.node(*s).name).code == Code::Unschedulable)
        .collect();
    let mut node_statuses = NodeToStatus::default();
    let mut candidates: Vec<Candidate> = Vec::new();
    if !potential.is_empty() {
        let pdbs: Vec<&PodDisruptionBudget> =
            cache.objects.pdbs.values().map(|p| p.as_ref()).collect();
        let offset = rng.below(potential.len());
        let wanted = num_candidates(&ctx.profile.args.preemption, potential.len());
        let mut non_violating = 0usize;
        for i in 0..potential.len() {
            let node = cache.node(potential[(offset + i) % potential.len()]);
            match select_victims(ctx, state, node, nominator, &pdbs) {
                Ok((victims, violations)) if !victims.is_empty() => {
                    if violations == 0 {
                        non_violating += 1;
                    }
                    candidates.push(Candidate {
                        node: node.name.to_string(),
                        victims,
                        pdb_violations: violations,
                    });
                    if non_violating > 0 && candidates.len() >= wanted {
                        break;
                    }
                }
                Ok(_) => node_statuses.explicit.push((
                    Arc::clone(&node.name),
                    Status::error(format!(
                        "expected at least one victim pod on node \"{}\"",
                        node.name
                    )),
                )),
                Err(s) => node_statuses.explicit.push((Arc::clone(&node.name), s)),
            }
        }
    }
    if candidates.is_empty() {
        node_statuses.absent = Status::unresolvable(NOT_HELPFUL);
        let fit = FitError {
            num_all_nodes: all.len(),
            diagnosis: Diagnosis {
                node_to_status: node_statuses,
                ..Default::default()
            },
        };
        return Err(format!("preemption: {}", fit.message()));
    }
    // Candidates without PDB violations come first, as upstream lists them.
    candidates.sort_by_key(|c| c.pdb_violations > 0);
    let Some(best) = pick_one(&candidates) else {
        return Err("preemption: no candidate node for preemption".to_string());
    };
    let chosen = candidates.swap_remove(best);
    let clear_nominations = nominator
        .pods_on(&chosen.node)
        .iter()
        .filter(|p| p.priority < ctx.pod.priority && p.id != ctx.pod.id)
        .cloned()
        .collect();
    Ok(Preemption {
        node: chosen.node,
        victims: chosen.victims,
        clear_nominations,
    })
}

#[cfg(test)]
#[path = "preemption_tests.rs"]
mod tests;

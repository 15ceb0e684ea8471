//! What to do with an object once each of its owner references has been checked against the
//! API server.

use super::model::{FOREGROUND_FINALIZER, ORPHAN_FINALIZER, OwnerRef, Uid};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefState {
    /// The owner exists and is not waiting for its dependents.
    Solid,
    /// The owner does not exist (or has another uid).
    Dangling,
    /// The owner is being deleted in the foreground.
    WaitingForDependentsDeletion,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    Orphan,
    Foreground,
    Background,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// An owner still holds on to it.
    Keep,
    /// Other owners remain; drop the references to the gone and the waiting ones.
    RemoveOwnerReferences(Vec<Uid>),
    /// An owner waits for it and it has dependents of its own: delete it in the foreground,
    /// first clearing blockOwnerDeletion if a dependent deletes in the foreground too (cycle).
    DeleteForeground {
        unblock_first: bool,
    },
    Delete(Policy),
}

/// The upstream rules: any solid owner keeps the object; an object whose owners wait on it and
/// which has dependents goes in the foreground; otherwise it is garbage, deleted honouring a
/// propagation finalizer it already carries.
pub fn decide(
    refs: &[(OwnerRef, RefState)],
    has_dependents: bool,
    dependent_deletes_in_foreground: bool,
    finalizers: &[String],
) -> Decision {
    let uids_in = |state: RefState| -> Vec<Uid> {
        refs.iter()
            .filter(|(_, s)| *s == state)
            .map(|(r, _)| r.uid.clone())
            .collect()
    };
    let solid = uids_in(RefState::Solid);
    let dangling = uids_in(RefState::Dangling);
    let waiting = uids_in(RefState::WaitingForDependentsDeletion);
    if refs.is_empty() {
        return Decision::Keep;
    }
    if !solid.is_empty() {
        if dangling.is_empty() && waiting.is_empty() {
            return Decision::Keep;
        }
        return Decision::RemoveOwnerReferences(dangling.into_iter().chain(waiting).collect());
    }
    if !waiting.is_empty() && has_dependents {
        return Decision::DeleteForeground {
            unblock_first: dependent_deletes_in_foreground,
        };
    }
    let has = |f: &str| finalizers.iter().any(|x| x == f);
    let policy = if has(ORPHAN_FINALIZER) {
        Policy::Orphan
    } else if has(FOREGROUND_FINALIZER) {
        Policy::Foreground
    } else {
        Policy::Background
    };
    Decision::Delete(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(uid: &str) -> OwnerRef {
        OwnerRef {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            name: uid.into(),
            uid: uid.into(),
            block_owner_deletion: false,
        }
    }

    use RefState::*;

    #[test]
    fn no_owners_means_nothing_to_collect() {
        assert_eq!(decide(&[], false, false, &[]), Decision::Keep);
    }

    #[test]
    fn a_solid_owner_keeps_the_object() {
        assert_eq!(
            decide(&[(r("a"), Solid)], false, false, &[]),
            Decision::Keep
        );
    }

    #[test]
    fn dangling_references_beside_a_solid_one_are_removed() {
        let refs = [
            (r("a"), Solid),
            (r("b"), Dangling),
            (r("c"), WaitingForDependentsDeletion),
        ];
        assert_eq!(
            decide(&refs, true, false, &[]),
            Decision::RemoveOwnerReferences(vec!["b".into(), "c".into()])
        );
    }

    #[test]
    fn all_owners_gone_deletes_in_the_background() {
        let refs = [(r("a"), Dangling), (r("b"), Dangling)];
        assert_eq!(
            decide(&refs, true, false, &[]),
            Decision::Delete(Policy::Background)
        );
    }

    #[test]
    fn existing_propagation_finalizers_are_honoured() {
        let refs = [(r("a"), Dangling)];
        assert_eq!(
            decide(&refs, false, false, &["orphan".into()]),
            Decision::Delete(Policy::Orphan)
        );
        assert_eq!(
            decide(&refs, false, false, &["foregroundDeletion".into()]),
            Decision::Delete(Policy::Foreground)
        );
    }

    #[test]
    fn waiting_owner_with_grandchildren_goes_foreground() {
        let refs = [(r("a"), WaitingForDependentsDeletion)];
        assert_eq!(
            decide(&refs, true, false, &[]),
            Decision::DeleteForeground {
                unblock_first: false
            }
        );
        assert_eq!(
            decide(&refs, true, true, &[]),
            Decision::DeleteForeground {
                unblock_first: true
            }
        );
        // Without dependents of its own it is simply deleted.
        assert_eq!(
            decide(&refs, false, false, &[]),
            Decision::Delete(Policy::Background)
        );
    }
}

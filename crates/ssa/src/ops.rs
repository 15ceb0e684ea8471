//! The two operations the API server runs on every write, composed as
//! kube-apiserver's field manager composes its layers: version check,
//! client-side-apply upgrade (`kubectl`), tracking objects that had no
//! managed fields, capping updaters at 10, naming managers, timestamps,
//! stripping metadata fields nobody owns, and the structured merge.

use serde_json::{Map, Value};

use crate::error::{SsaError, conflicts_from};
use crate::last_applied::{allowed_conflicts_from_last_applied, set_last_applied};
use crate::managed::{ManagedFields, ManagerKey, Managers, Operation, Owned};
use crate::schema::Schema;
use crate::set::FieldSet;
use crate::typed::validate;
use crate::updater::{Updater, UpdaterError};

/// Managers beyond this many updaters are folded into `ancient-changes`.
pub const MAX_UPDATE_MANAGERS: usize = 10;

/// The manager kubectl's server-side apply uses by default; its applies
/// upgrade client-side-apply ownership and keep the last-applied annotation.
const KUBECTL: &str = "kubectl";

/// Who writes: the field manager (`fieldManager` parameter or user agent),
/// the operation, the group/version written to and the subresource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manager {
    pub name: String,
    /// Informational: [`update`] records `Update`, [`apply`] records `Apply`.
    pub operation: Operation,
    /// `apps/v1`, `v1`…
    pub api_version: String,
    /// `status`, `scale`… or empty for the main resource.
    pub subresource: String,
}

impl Manager {
    pub fn new(name: &str, operation: Operation, api_version: &str, subresource: &str) -> Manager {
        Manager {
            name: name.to_string(),
            operation,
            api_version: api_version.to_string(),
            subresource: subresource.to_string(),
        }
    }

    fn key(&self, operation: Operation) -> ManagerKey {
        let name = if self.name.is_empty() {
            "unknown"
        } else {
            &self.name
        };
        ManagerKey::new(name, operation, &self.api_version, &self.subresource)
    }
}

/// What every operation needs besides the objects.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub schema: &'a Schema,
    /// The request's time, RFC 3339 in UTC whole seconds (`2024-05-06T07:08:09Z`).
    pub now: &'a str,
    /// Fields nobody comes to own (upstream's reset fields): `status` when
    /// writing the main resource of a kind with a status subresource, `spec`
    /// (and whatever the strategy resets) when writing `status`.
    pub ignored: Option<&'a FieldSet>,
    /// The kind written to; an applied object must name it (and the
    /// manager's apiVersion).
    pub kind: &'a str,
}

/// The fields stripped from every manager: identity and server-set metadata.
fn strip_set() -> &'static FieldSet {
    static STRIPPED: std::sync::OnceLock<FieldSet> = std::sync::OnceLock::new();
    STRIPPED.get_or_init(|| {
        FieldSet::from_field_paths(&[
            &["apiVersion"],
            &["kind"],
            &["metadata"],
            &["metadata", "name"],
            &["metadata", "namespace"],
            &["metadata", "creationTimestamp"],
            &["metadata", "selfLink"],
            &["metadata", "uid"],
            &["metadata", "clusterName"],
            &["metadata", "generation"],
            &["metadata", "managedFields"],
            &["metadata", "resourceVersion"],
        ])
    })
}

/// Records a create, update or non-apply patch by `manager`: it comes to own
/// the fields it changed, taking them from other managers; removed fields are
/// owned by nobody. `live` is `None` for a create; `new` is the object to be
/// stored (defaulted, before the strategy resets status and the like); pick
/// `managed` with [`ManagedFields::for_update`].
///
/// Upstream never fails the write for this: on `Err` it stores the object
/// without managedFields.
pub fn update(
    live: Option<&Value>,
    new: &Value,
    managed: &ManagedFields,
    manager: &Manager,
    ctx: &Context<'_>,
) -> Result<ManagedFields, SsaError> {
    // Existing objects without managed fields are not tracked by updates.
    if managed.is_empty() && live.is_some_and(has_uid) {
        return Ok(managed.clone());
    }
    let mut managers = Managers::from_fields(managed);
    let live = live.unwrap_or_else(|| ctx.schema.zero_object());
    record_update(
        ctx,
        live,
        new,
        &mut managers,
        &manager.key(Operation::Update),
        &manager.api_version,
    )?;
    cap_update_managers(&mut managers);
    Ok(managers.into_fields())
}

/// Server-side apply (`PATCH` with `application/apply-patch+yaml`): merges
/// `applied` into `live` (`None` creates), owning what `applied` sets; fails
/// on fields other managers own unless `force`; removes fields the manager
/// applied before, no longer applies and nobody else owns. Returns the new
/// object (with `metadata.managedFields` set; the live object when nothing
/// changed) and its managed fields. Default the object afterwards, as
/// upstream does.
pub fn apply(
    live: Option<&Value>,
    applied: &Value,
    managed: &ManagedFields,
    manager: &Manager,
    force: bool,
    ctx: &Context<'_>,
) -> Result<(Value, ManagedFields), SsaError> {
    check_object_type(applied, manager, ctx.kind)?;
    let mut result = match apply_inner(live, applied, managed, manager, force, ctx) {
        Err(ApplyFailure::Conflicts(conflicts)) if manager.name == KUBECTL => {
            retry_with_last_applied(live, applied, managed, manager, ctx, conflicts)?
        }
        Err(failure) => return Err(failure.into()),
        Ok(result) => result,
    };
    if manager.name == KUBECTL {
        set_last_applied(&mut result.0, applied);
    }
    result.1.write_to(&mut result.0);
    Ok(result)
}

/// kubectl's first server-side apply over a client-side-applied object may
/// take the fields its last-applied annotation lists and the live object
/// still has.
fn retry_with_last_applied(
    live: Option<&Value>,
    applied: &Value,
    managed: &ManagedFields,
    manager: &Manager,
    ctx: &Context<'_>,
    conflicts: Vec<(ManagerKey, FieldSet)>,
) -> Result<(Value, ManagedFields), SsaError> {
    let Some(allowed) = live.and_then(|l| allowed_conflicts_from_last_applied(l, manager, ctx))
    else {
        return Err(SsaError::Conflicts(conflicts_from(conflicts)));
    };
    let remaining: Vec<(ManagerKey, FieldSet)> = conflicts
        .into_iter()
        .map(|(key, set)| (key, set.difference(&allowed)))
        .filter(|(_, set)| !set.is_empty())
        .collect();
    if !remaining.is_empty() {
        return Err(SsaError::Conflicts(conflicts_from(remaining)));
    }
    apply_inner(live, applied, managed, manager, true, ctx).map_err(SsaError::from)
}

enum ApplyFailure {
    Conflicts(Vec<(ManagerKey, FieldSet)>),
    Error(SsaError),
}

impl From<ApplyFailure> for SsaError {
    fn from(failure: ApplyFailure) -> SsaError {
        match failure {
            ApplyFailure::Conflicts(sets) => SsaError::Conflicts(conflicts_from(sets)),
            ApplyFailure::Error(error) => error,
        }
    }
}

impl From<SsaError> for ApplyFailure {
    fn from(error: SsaError) -> ApplyFailure {
        ApplyFailure::Error(error)
    }
}

fn apply_inner(
    live: Option<&Value>,
    applied: &Value,
    managed: &ManagedFields,
    manager: &Manager,
    force: bool,
    ctx: &Context<'_>,
) -> Result<(Value, ManagedFields), ApplyFailure> {
    let empty = Value::Object(Map::new());
    let live = live.unwrap_or(&empty);
    let mut managers = Managers::from_fields(managed);
    if managers.is_empty() {
        // Whatever the object already has belongs to "before-first-apply".
        let key = ManagerKey::new(
            "before-first-apply",
            Operation::Update,
            &manager.api_version,
            &manager.subresource,
        );
        let zero = ctx.schema.zero_object();
        record_update(ctx, zero, live, &mut managers, &key, &manager.api_version).map_err(|e| {
            SsaError::Internal(format!(
                "failed to create manager for existing fields: {}",
                e.message()
            ))
        })?;
        cap_update_managers(&mut managers);
    }
    let key = manager.key(Operation::Apply);
    if applied
        .get("metadata")
        .and_then(|m| m.get("managedFields"))
        .is_some_and(|f| !f.is_null())
    {
        return Err(SsaError::BadRequest("metadata.managedFields must be nil".into()).into());
    }
    let types = &ctx.schema.types;
    let errors = validate(types, applied, ctx.schema.root, false);
    if !errors.is_empty() {
        return Err(SsaError::Internal(format!(
            "failed to create typed patch object ({}): {errors}",
            object_gvknn(applied)
        ))
        .into());
    }
    let errors = validate(types, live, ctx.schema.root, true);
    if !errors.is_empty() {
        return Err(SsaError::Internal(format!(
            "failed to create typed live object ({}): {errors}",
            object_gvknn(live)
        ))
        .into());
    }
    let updater = Updater {
        schema: ctx.schema,
        ignored: ctx.ignored,
    };
    let outcome = updater
        .apply(
            live,
            applied,
            &manager.api_version,
            &mut managers.sets,
            &key,
            force,
        )
        .map_err(|e| match e {
            UpdaterError::Conflicts(sets) => ApplyFailure::Conflicts(sets),
            UpdaterError::Failed(message) => ApplyFailure::Error(SsaError::Internal(message)),
        })?;
    strip(&mut managers, &key);
    let object = match outcome {
        Some(object) => {
            managers.times.insert(key, now_of(ctx));
            object
        }
        None => live.clone(),
    };
    Ok((object, managers.into_fields()))
}

/// upstream's version check: the applied object must be of the endpoint's kind.
fn check_object_type(applied: &Value, manager: &Manager, kind: &str) -> Result<(), SsaError> {
    let api_version = applied
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let applied_kind = applied.get("kind").and_then(Value::as_str).unwrap_or("");
    if api_version == manager.api_version && applied_kind == kind {
        return Ok(());
    }
    Err(SsaError::BadRequest(format!(
        "invalid object type: {}",
        gvk_string(api_version, applied_kind)
    )))
}

/// `apps/v1, Kind=Deployment` (`/v1, Kind=Pod` for the core group).
fn gvk_string(api_version: &str, kind: &str) -> String {
    let (group, version) = match api_version.split_once('/') {
        Some((group, version)) if !version.contains('/') => (group, version),
        Some(_) => ("", ""),
        None => ("", api_version),
    };
    format!("{group}/{version}, Kind={kind}")
}

/// `namespace/name; group/version, Kind=Kind`, as upstream names objects in errors.
fn object_gvknn(object: &Value) -> String {
    let meta = object.get("metadata");
    let field = |name: &str| {
        meta.and_then(|m| m.get(name))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    format!(
        "{}/{}; {}",
        field("namespace"),
        field("name"),
        gvk_string(api_version, kind)
    )
}

/// The request time as entries carry it (UTC, whole seconds).
fn now_of(ctx: &Context<'_>) -> String {
    crate::time::normalize_rfc3339(ctx.now).unwrap_or_else(|| ctx.now.to_string())
}

fn has_uid(object: &Value) -> bool {
    object
        .get("metadata")
        .and_then(|m| m.get("uid"))
        .and_then(Value::as_str)
        .is_some_and(|uid| !uid.is_empty())
}

/// Drops the stripped metadata fields from `key`'s set, and the set when empty.
fn strip(managers: &mut Managers, key: &ManagerKey) {
    if let Some(owned) = managers.sets.get_mut(key) {
        owned.set = std::mem::take(&mut owned.set).into_difference(strip_set());
        if owned.set.is_empty() {
            managers.sets.remove(key);
        }
    }
}

/// One update by `key`: the changed fields join its previous ones and its
/// time becomes `now`; nothing is recorded when nothing changed.
fn record_update(
    ctx: &Context<'_>,
    live: &Value,
    new: &Value,
    managers: &mut Managers,
    key: &ManagerKey,
    api_version: &str,
) -> Result<(), SsaError> {
    let types = &ctx.schema.types;
    let errors = validate(types, new, ctx.schema.root, true);
    if !errors.is_empty() {
        return Err(SsaError::Internal(format!(
            "failed to convert new object ({}) to smd typed: {errors}",
            object_gvknn(new)
        )));
    }
    // Upstream also validates the live object here; it was validated as the
    // new object of the write that stored it, so only a changed schema could
    // fail, and then the comparison reports what matters.
    let updater = Updater {
        schema: ctx.schema,
        ignored: ctx.ignored,
    };
    let changed = updater
        .update(live, new, &mut managers.sets)
        .map_err(|e| {
            let message = match e {
                UpdaterError::Failed(message) => message,
                UpdaterError::Conflicts(_) => "unexpected conflicts".into(),
            };
            SsaError::Internal(format!(
                "failed to update ManagedFields ({}): {message}",
                object_gvknn(new)
            ))
        })?
        .into_difference(strip_set());
    if changed.is_empty() {
        return Ok(());
    }
    let set = match managers.sets.remove(key) {
        Some(previous) => changed.into_union(previous.set),
        None => changed,
    };
    managers.sets.insert(
        key.clone(),
        Owned {
            set,
            api_version: api_version.to_string(),
            applied: false,
        },
    );
    managers.times.insert(key.clone(), now_of(ctx));
    Ok(())
}

/// Folds the oldest updaters into one `ancient-changes` entry per apiVersion
/// while there are more than [`MAX_UPDATE_MANAGERS`].
fn cap_update_managers(managers: &mut Managers) {
    let mut updaters: Vec<ManagerKey> = managers
        .sets
        .iter()
        .filter(|(_, owned)| !owned.applied)
        .map(|(key, _)| key.clone())
        .collect();
    if updaters.len() <= MAX_UPDATE_MANAGERS {
        return;
    }
    let seconds = |key: &ManagerKey| crate::managed::seconds(&managers.times.get(key).cloned());
    updaters.sort_by_cached_key(|key| (seconds(key), key.identifier()));
    let mut first_of_version: Vec<(String, ManagerKey)> = Vec::new();
    let mut length = updaters.len();
    for key in updaters {
        if length <= MAX_UPDATE_MANAGERS {
            break;
        }
        let Some(owned) = managers.sets.get(&key).cloned() else {
            continue;
        };
        let time = managers.times.get(&key).cloned();
        let bucket = ManagerKey::new("ancient-changes", Operation::Update, &owned.api_version, "");
        let first = first_of_version
            .iter()
            .find(|(version, _)| *version == owned.api_version)
            .map(|(_, first)| first.clone());
        let Some(first) = first else {
            first_of_version.push((owned.api_version.clone(), key));
            continue;
        };
        if !managers.sets.contains_key(&bucket)
            && let Some(moved) = managers.sets.remove(&first)
        {
            managers.sets.insert(bucket.clone(), moved);
        }
        let merged = match managers.sets.remove(&bucket) {
            Some(existing) => owned.set.into_union(existing.set),
            None => owned.set,
        };
        managers.sets.insert(
            bucket.clone(),
            Owned {
                set: merged,
                api_version: owned.api_version.clone(),
                applied: owned.applied,
            },
        );
        managers.sets.remove(&key);
        length -= 1;
        match time {
            Some(time) => managers.times.insert(bucket, time),
            None => managers.times.remove(&bucket),
        };
    }
}

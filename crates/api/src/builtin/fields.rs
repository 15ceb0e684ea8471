//! Field-selector support per type (upstream's `ToSelectableFields` / field label conversions), as
//! rules that add nothing else. A type's full strategy takes over its list when it is written.

use crate::strategy::{SelectableField as F, TypedStrategy};

macro_rules! fields_only {
    ($name:ident, $fields:expr) => {
        pub struct $name;
        impl<T> TypedStrategy<T> for $name {
            fn selectable_fields(&self) -> &'static [F] {
                const FIELDS: &[F] = $fields;
                FIELDS
            }
        }
    };
}

pub const EVENTS_V1_FIELDS: &[F] = &[
    F::string("regarding.kind", "/regarding/kind"),
    F::string("regarding.namespace", "/regarding/namespace"),
    F::string("regarding.name", "/regarding/name"),
    F::string("regarding.uid", "/regarding/uid"),
    F::string("regarding.apiVersion", "/regarding/apiVersion"),
    F::string("regarding.resourceVersion", "/regarding/resourceVersion"),
    F::string("regarding.fieldPath", "/regarding/fieldPath"),
    F::string("reason", "/reason"),
    F::string("reportingController", "/reportingController"),
    F::string("type", "/type"),
];

fields_only!(EventsV1Fields, EVENTS_V1_FIELDS);
fields_only!(
    ReplicaSetFields,
    &[F::string("status.replicas", "/status/replicas")]
);
fields_only!(
    JobFields,
    &[F::string("status.successful", "/status/succeeded")]
);

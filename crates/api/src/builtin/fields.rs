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

pub const POD_FIELDS: &[F] = &[
    F::string("spec.nodeName", "/spec/nodeName"),
    F::string("spec.restartPolicy", "/spec/restartPolicy"),
    F::string("spec.schedulerName", "/spec/schedulerName"),
    F::string("spec.serviceAccountName", "/spec/serviceAccountName"),
    F::boolean("spec.hostNetwork", "/spec/hostNetwork"),
    F::string("status.phase", "/status/phase"),
    F::string("status.podIP", "/status/podIP"),
    F::string("status.nominatedNodeName", "/status/nominatedNodeName"),
];

pub const EVENT_FIELDS: &[F] = &[
    F::string("involvedObject.kind", "/involvedObject/kind"),
    F::string("involvedObject.namespace", "/involvedObject/namespace"),
    F::string("involvedObject.name", "/involvedObject/name"),
    F::string("involvedObject.uid", "/involvedObject/uid"),
    F::string("involvedObject.apiVersion", "/involvedObject/apiVersion"),
    F::string(
        "involvedObject.resourceVersion",
        "/involvedObject/resourceVersion",
    ),
    F::string("involvedObject.fieldPath", "/involvedObject/fieldPath"),
    F::string("reason", "/reason"),
    F::string("reportingComponent", "/reportingComponent"),
    F::string("source", "/source/component"),
    F::string("type", "/type"),
];

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

fields_only!(EventFields, EVENT_FIELDS);
fields_only!(EventsV1Fields, EVENTS_V1_FIELDS);
fields_only!(
    NamespaceFields,
    &[F::string("status.phase", "/status/phase")]
);
fields_only!(
    NodeFields,
    &[F::boolean("spec.unschedulable", "/spec/unschedulable")]
);
fields_only!(SecretFields, &[F::string("type", "/type")]);
fields_only!(
    ReplicaSetFields,
    &[F::string("status.replicas", "/status/replicas")]
);
fields_only!(
    ReplicationControllerFields,
    &[F::string("status.replicas", "/status/replicas")]
);
fields_only!(
    JobFields,
    &[F::string("status.successful", "/status/succeeded")]
);
fields_only!(PvcFields, &[]);
fields_only!(PvFields, &[]);

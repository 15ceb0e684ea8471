#!/usr/bin/env python3
"""Generate crates/protobuf/src/generated.rs: the protobuf-to-JSON schema table.

Inputs (source trees, not committed here), all at tag v0.33.9 (Kubernetes 1.33):
  --api             checkout of github.com/kubernetes/api
  --apimachinery    checkout of github.com/kubernetes/apimachinery
  --apiextensions   checkout of github.com/kubernetes/apiextensions-apiserver

For each package in PACKAGES the script reads two things:
  * generated.proto: message names, field numbers, wire types, repeated/map shapes
    and the message type of every nested field;
  * the Go type definitions (*.go): the JSON name of each field (its `json` tag, which
    is not always the proto name: `$ref`, `x-kubernetes-*`), `omitempty`, whether the
    Go field is nil-able (pointer, slice, map, []byte) and whether it is an embedded
    struct flattened into its parent (`json:",inline"`).
Go fields are matched to proto fields by the number in their `protobuf:"..."` tag.

Usage (from crates/protobuf; any way of getting the three trees at the tag works):
  for r in api apimachinery apiextensions-apiserver; do
    git clone --quiet --depth 1 --branch v0.33.9 https://github.com/kubernetes/$r /tmp/k8s-src/$r
  done
  python3 tools/gen_schema.py --api /tmp/k8s-src/api \
      --apimachinery /tmp/k8s-src/apimachinery \
      --apiextensions /tmp/k8s-src/apiextensions-apiserver --out src/generated.rs
  python3 tools/check_json_names.py ~/.cargo/registry/src/*/k8s-openapi-0.29.0/src/v1_33

To cover another group version, add its directory to PACKAGES and regenerate.
"""

import argparse
import os
import re
import sys

# (source tree key, directory inside it). The API group comes from `+groupName=` in
# doc.go, or the parent directory name when doc.go has none (apps, batch, ...).
PACKAGES = [
    ("apimachinery", "pkg/apis/meta/v1"),
    ("apimachinery", "pkg/runtime"),
    ("apimachinery", "pkg/api/resource"),
    ("apimachinery", "pkg/util/intstr"),
    ("api", "core/v1"),
    ("api", "apps/v1"),
    ("api", "batch/v1"),
    ("api", "autoscaling/v1"),
    ("api", "autoscaling/v2"),
    ("api", "coordination/v1"),
    ("api", "discovery/v1"),
    ("api", "events/v1"),
    ("api", "networking/v1"),
    ("api", "node/v1"),
    ("api", "policy/v1"),
    ("api", "rbac/v1"),
    ("api", "scheduling/v1"),
    ("api", "storage/v1"),
    ("api", "certificates/v1"),
    ("api", "authentication/v1"),
    ("api", "authentication/v1beta1"),
    ("api", "authentication/v1alpha1"),
    ("api", "authorization/v1"),
    ("api", "admissionregistration/v1"),
    ("api", "flowcontrol/v1"),
    ("apiextensions", "pkg/apis/apiextensions/v1"),
]

META = "k8s.io.apimachinery.pkg.apis.meta.v1."
APIEXT = "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1."

# Messages whose JSON form is not an object of their fields (custom MarshalJSON upstream).
SPECIAL = {
    META + "Time": "Time",
    META + "MicroTime": "MicroTime",
    META + "Duration": "Duration",
    META + "FieldsV1": "RawJson",
    "k8s.io.apimachinery.pkg.runtime.RawExtension": "RawJson",
    "k8s.io.apimachinery.pkg.api.resource.Quantity": "Quantity",
    "k8s.io.apimachinery.pkg.api.resource.QuantityValue": "Quantity",
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": "IntOrString",
    APIEXT + "JSON": "RawJson",
    APIEXT + "JSONSchemaPropsOrBool": "SchemaOrBool",
    APIEXT + "JSONSchemaPropsOrArray": "SchemaOrArray",
    APIEXT + "JSONSchemaPropsOrStringArray": "SchemaOrStringArray",
}

# The scalar types Kubernetes' protos use; the generator stops on any other.
SCALARS = {
    "int32": "Int32", "int64": "Int64", "bool": "Bool", "string": "String",
    "bytes": "Bytes", "double": "Double",
}

PROTO_FIELD = re.compile(r"^\s*(optional|repeated)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;")
PROTO_MAP = re.compile(r"^\s*map<\s*(\w+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)\s*;")
GO_STRUCT = re.compile(r"^type\s+(\w+)\s+struct\s*\{\s*$")
GO_NAMED_NILABLE = re.compile(r"^type\s+(\w+)\s+(\[\]|map\[)")
GO_META_ALIAS = re.compile(r"^type\s+(\w+)\s+metav1\.(\w+)\s*$")
GO_TAG = re.compile(r'(\w+):"([^"]*)"')

# Filled by build(): full names of the named-slice wrapper messages, and the names of
# Go named slice/map types of every package (for package-qualified field types).
ITEMS_LISTS = set()
ALL_NILABLE_TYPES = set()


def fail(msg):
    sys.stderr.write("gen_schema: " + msg + "\n")
    sys.exit(1)


def parse_proto(path):
    """Returns (package, {message name: [field dicts]}) for a generated.proto."""
    package = None
    messages = {}
    current = None
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            line = raw.split("//", 1)[0].rstrip()
            if not line.strip():
                continue
            m = re.match(r"^package\s+([\w.]+);", line)
            if m:
                package = m.group(1)
                continue
            m = re.match(r"^message\s+(\w+)\s*\{", line)
            if m:
                current = []
                messages[m.group(1)] = current
                continue
            if line.startswith("}"):
                current = None
                continue
            if current is None:
                continue
            m = PROTO_MAP.match(line)
            if m:
                current.append({"label": "map", "key": m.group(1), "type": m.group(2),
                                "name": m.group(3), "number": int(m.group(4))})
                continue
            m = PROTO_FIELD.match(line)
            if m:
                current.append({"label": m.group(1), "type": m.group(2),
                                "name": m.group(3), "number": int(m.group(4))})
                continue
            fail("unparsed proto line in %s: %r" % (path, line))
    if package is None:
        fail("no package in " + path)
    return package, messages


def parse_go_package(directory):
    """Returns ({struct: {proto number: go field}}, {named slice/map types}, {slice type: item},
    {type defined as a metav1 struct: that struct})."""
    structs = {}
    meta_aliases = {}
    nilable_types = set()
    slice_types = {}
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".go") or name.endswith("_test.go"):
            continue
        if name.startswith("zz_generated") or name in ("generated.pb.go",):
            continue
        with open(os.path.join(directory, name), encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        i = 0
        while i < len(lines):
            line = lines[i]
            m = GO_NAMED_NILABLE.match(line)
            if m:
                nilable_types.add(m.group(1))
                sm = re.match(r"^type\s+(\w+)\s+\[\]([\w.*]+)", line)
                if sm:
                    slice_types[sm.group(1)] = sm.group(2)
            m = GO_META_ALIAS.match(line)
            if m:
                meta_aliases[m.group(1)] = m.group(2)
            m = GO_STRUCT.match(line)
            if not m:
                i += 1
                continue
            fields = {}
            structs[m.group(1)] = fields
            depth = 1
            i += 1
            while i < len(lines) and depth > 0:
                body = lines[i].strip()
                i += 1
                if body.startswith("//") or not body:
                    continue
                depth += body.count("{") - body.count("}")
                if depth != 1 or "`" not in body:
                    continue
                decl, tag = body.split("`", 1)
                tags = dict(GO_TAG.findall(tag))
                if "protobuf" not in tags or tags["protobuf"] == "-":
                    continue
                parts = decl.split()
                embedded = len(parts) == 1
                go_type = parts[-1]
                go_name = go_type.split(".")[-1].lstrip("*") if embedded else parts[0]
                json_tag = tags.get("json", "").split(",")
                proto_tag = tags["protobuf"].split(",")
                fields[int(proto_tag[1])] = {
                    "go_name": go_name,
                    "go_type": go_type,
                    "embedded": embedded,
                    "json": json_tag[0],
                    "omitempty": "omitempty" in json_tag[1:],
                }
    return structs, nilable_types, slice_types, meta_aliases


def group_of(directory):
    doc = os.path.join(directory, "doc.go")
    if os.path.exists(doc):
        with open(doc, encoding="utf-8") as fh:
            m = re.search(r"^// \+groupName=(\S*)", fh.read(), re.M)
            if m:
                return m.group(1)
    return os.path.basename(os.path.dirname(directory))


def static_name(full):
    """k8s.io.api.core.v1.PodSpec -> API_CORE_V1_POD_SPEC."""
    pkg, _, msg = full.rpartition(".")
    pkg = pkg[len("k8s.io."):] if pkg.startswith("k8s.io.") else pkg
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", msg)
    return (pkg.replace(".", "_") + "_" + snake).upper()


def resolve(type_name, package, known):
    if type_name in SCALARS:
        return None
    if type_name in ("float", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64",
                     "sfixed32", "sfixed64"):
        fail("scalar type %s is not supported by the decoder" % type_name)
    type_name = type_name.lstrip(".")
    full = type_name if "." in type_name else package + "." + type_name
    if full not in known:
        fail("unknown message type %s (from package %s)" % (full, package))
    return full


def is_go_nilable(go_type, nilable_types):
    if go_type.startswith(("*", "[]", "map[")):
        return True
    if "." in go_type:
        return go_type.split(".")[-1] in ALL_NILABLE_TYPES
    return go_type in nilable_types


def build(args):
    roots = {"api": args.api, "apimachinery": args.apimachinery,
             "apiextensions": args.apiextensions}
    packages = []
    for root, sub in PACKAGES:
        directory = os.path.join(roots[root], sub)
        package, messages = parse_proto(os.path.join(directory, "generated.proto"))
        structs, nilable, slices, aliases = parse_go_package(directory)
        if aliases:
            meta_structs = packages[0][5]  # meta/v1 is parsed first
            for alias, target in aliases.items():
                structs[alias] = meta_structs[target]
        packages.append((root, sub, directory, package, messages, structs, nilable, slices))
        ALL_NILABLE_TYPES.update(nilable)

    known = {pkg + "." + name for (_, _, _, pkg, msgs, _, _, _) in packages for name in msgs}
    # Messages standing for a Go named slice type (`type Verbs []string`) encode as
    # {repeated items = 1} on the wire and as a plain JSON array.
    items_lists = ITEMS_LISTS
    for (_, _, _, pkg, msgs, structs, _, slices) in packages:
        for name, fields in msgs.items():
            if name in slices and name not in structs and [f["name"] for f in fields] == ["items"]:
                items_lists.add(pkg + "." + name)

    out = []
    group_versions = []
    for (root, sub, directory, package, messages, structs, nilable, _) in packages:
        version = os.path.basename(directory)
        if re.match(r"^v\d+((alpha|beta)\d+)?$", version):
            group_versions.append((group_of(directory), version, package))
        for name in sorted(messages):
            full = package + "." + name
            special = SPECIAL.get(full, "ItemsList" if full in items_lists else "None")
            go_fields = structs.get(name)
            if go_fields is None and special == "None" and messages[name]:
                fail("no Go struct for message " + full)
            rows = []
            for field in sorted(messages[name], key=lambda f: f["number"]):
                row = field_row(full, field, package, known, go_fields, nilable, special)
                if row is not None:
                    rows.append(row)
            out.append((full, special, rows))
    return out, group_versions


def field_row(full, field, package, known, go_fields, nilable, special):
    nested = resolve(field["type"], package, known)
    ty = "Msg(&%s)" % static_name(nested) if nested else "Scalar(%s)" % SCALARS[field["type"]]
    if field["label"] == "map":
        if field["key"] not in SCALARS:
            fail("map key of %s.%s is not a scalar" % (full, field["name"]))
        shape = "Map(%s)" % SCALARS[field["key"]]
    elif field["label"] == "repeated":
        shape = "Repeated"
    else:
        shape = "Single"
    if special != "None":
        # Special messages are rendered by hand from their raw fields.
        return (field["number"], field["name"], ty, shape, "Always")
    go = (go_fields or {}).get(field["number"])
    if go is None:
        fail("no Go field for %s field %d" % (full, field["number"]))
    if go["json"] == "-":
        return None  # not part of the JSON form (runtime.Unknown.raw)
    if go["embedded"] and go["json"] == "":
        if shape != "Single" or not nested or go["go_type"].startswith("*"):
            fail("unsupported inline field %s.%s" % (full, field["name"]))
        return (field["number"], "", ty, "Inline", "Always")
    json_name = go["json"] or go["go_name"]
    nilable_field = field["label"] != "optional" or is_go_nilable(go["go_type"], nilable) \
        or field["type"] == "bytes"
    if nested in ITEMS_LISTS and not nilable_field:
        fail("%s.%s holds a named slice but its Go type %s was not recognised as one"
             % (full, field["name"], go["go_type"]))
    if nilable_field:
        presence = "Optional" if go["omitempty"] else "Nullable"
    elif nested:
        # Go never omits a struct value, whatever its tag says.
        presence = "Always"
    else:
        presence = "OmitZero" if go["omitempty"] else "Always"
    return (field["number"], json_name, ty, shape, presence)


HEADER = """// @generated by crates/protobuf/tools/gen_schema.py from the generated.proto files and
// Go type definitions of kubernetes/api, kubernetes/apimachinery and
// kubernetes/apiextensions-apiserver at tag v0.33.9. Do not edit by hand.

use crate::schema::FieldType::{Message as Msg, Scalar};
use crate::schema::Presence::{Always, Nullable, OmitZero, Optional};
use crate::schema::Scalar::*;
use crate::schema::Shape::{Inline, Map, Repeated, Single};
use crate::schema::{Message, Special, field};
"""


def render(messages, group_versions):
    lines = [HEADER]
    for full, special, rows in messages:
        lines.append("")
        lines.append("pub(crate) static %s: Message = Message {" % static_name(full))
        lines.append('    name: "%s",' % full)
        lines.append("    special: Special::%s," % special)
        if not rows:
            lines.append("    fields: &[],")
        else:
            lines.append("    fields: &[")
            for number, json_name, ty, shape, presence in rows:
                lines.append('        field(%d, "%s", %s, %s, %s),'
                             % (number, json_name, ty, shape, presence))
            lines.append("    ],")
        lines.append("};")
    lines.append("")
    lines.append("/// Every message, sorted by full proto name.")
    lines.append("pub(crate) static MESSAGES: &[&Message] = &[")
    for full, _, _ in sorted(messages, key=lambda m: m[0]):
        lines.append("    &%s," % static_name(full))
    lines.append("];")
    lines.append("")
    lines.append("/// (API group, version, proto package), sorted by group then version.")
    lines.append("pub(crate) static GROUP_VERSIONS: &[(&str, &str, &str)] = &[")
    for group, version, package in sorted(group_versions):
        lines.append('    ("%s", "%s", "%s"),' % (group, version, package))
    lines.append("];")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--api", required=True)
    parser.add_argument("--apimachinery", required=True)
    parser.add_argument("--apiextensions", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    messages, group_versions = build(args)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(render(messages, group_versions))
    fields = sum(len(rows) for _, _, rows in messages)
    print("wrote %s: %d messages, %d fields" % (args.out, len(messages), fields))


if __name__ == "__main__":
    main()

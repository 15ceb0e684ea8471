#!/usr/bin/env python3
"""Regenerates src/builtin/tables.rs from the upstream Go API types.

Usage: gen_builtin_tables.py API_REPO APIMACHINERY_REPO APIEXTENSIONS_REPO TAG K8S_OPENAPI_SRC > tables.rs

The three repositories are git clones of kubernetes/api, kubernetes/apimachinery
and kubernetes/apiextensions-apiserver; TAG is e.g. v0.33.0. K8S_OPENAPI_SRC is
k8s-openapi's src/v1_XX directory: only definitions it knows are emitted.
Reads struct tags (patchStrategy, patchMergeKey) and the +listType, +listMapKey,
+mapType and +structType markers; fields of `json:",inline"` structs are listed
under the embedding type, as OpenAPI flattens them.
"""
import glob
import json
import re
import subprocess
import sys

GROUPS = ("core/v1 apps/v1 batch/v1 autoscaling/v1 autoscaling/v2 coordination/v1 discovery/v1 "
          "events/v1 networking/v1 node/v1 policy/v1 rbac/v1 scheduling/v1 storage/v1").split()
META = "io.k8s.apimachinery.pkg.apis.meta.v1"
APIEXT = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1"


def git_files(repo, tag, folder):
    names = subprocess.check_output(["git", "-C", repo, "ls-tree", "--name-only", tag, folder + "/"]).decode().split()
    return [n for n in names if n.endswith(".go") and "generated" not in n and not n.endswith("_test.go")]


def git_show(repo, tag, path):
    return subprocess.check_output(["git", "-C", repo, "show", f"{tag}:{path}"]).decode()


def parse_structs(source, prefix, structs):
    comments, current = [], None
    for line in source.split("\n"):
        text = line.strip()
        if current is None:
            match = re.match(r"^type (\w+) struct \{", line)
            if match:
                current = {"markers": [c for c in comments if c.startswith("+")], "fields": []}
                structs[(prefix, match.group(1))] = current
                comments = []
            elif text.startswith("//"):
                comments.append(text[2:].strip())
            else:
                comments = []
            continue
        if line.startswith("}"):
            current, comments = None, []
        elif text.startswith("//"):
            comments.append(text[2:].strip())
        elif not text:
            comments = []
        else:
            named = re.match(r"^(\w+)\s+([^`]+?)\s*`([^`]*)`", text)
            embedded = re.match(r"^([\w.*]+)\s*`([^`]*)`", text)
            if named:
                go_type, tag = named.group(2), named.group(3)
            elif embedded:
                go_type, tag = embedded.group(1), embedded.group(2)
            else:
                comments = []
                continue
            tags = dict(re.findall(r'(\w+):"([^"]*)"', tag))
            json_tag = tags.get("json", "")
            current["fields"].append({
                "type": go_type, "json": json_tag.split(",")[0], "inline": ",inline" in json_tag,
                "tags": tags, "markers": [c for c in comments if c.startswith("+")],
            })
            comments = []


def flattened_fields(structs, prefix, name):
    struct = structs.get((prefix, name))
    if struct is None:
        return None
    fields = []
    for field in struct["fields"]:
        if field["inline"]:
            go_type = field["type"].lstrip("*")
            package, _, type_name = go_type.rpartition(".")
            inner_prefix = {"": prefix, "metav1": META}.get(package)
            inner = flattened_fields(structs, inner_prefix, type_name) if inner_prefix else None
            fields.extend(inner or [])
        elif field["json"] and field["json"] != "-":
            fields.append(field)
    return fields


def marker_values(markers, name):
    return [m.split("=", 1)[1] for m in markers if m.startswith(f"+{name}=")]


def main():
    api, machinery, apiext, tag, k8s_openapi = sys.argv[1:6]
    known = set()
    for path in glob.glob(k8s_openapi + "/**/*.rs", recursive=True):
        known.update(re.findall(r'^        "(io\.k8s[^"]+)"\.into\(\)', open(path).read(), re.M))
    structs = {}
    for group in GROUPS:
        for path in git_files(api, tag, group):
            parse_structs(git_show(api, tag, path), "io.k8s.api." + group.replace("/", "."), structs)
    for path in git_files(machinery, tag, "pkg/apis/meta/v1"):
        parse_structs(git_show(machinery, tag, path), META, structs)
    for path in ("pkg/apis/apiextensions/v1/types.go", "pkg/apis/apiextensions/v1/types_jsonschema.go"):
        parse_structs(git_show(apiext, tag, path), APIEXT, structs)

    patch, lists, maps, struct_maps = [], [], [], []
    for (prefix, name), struct in sorted(structs.items()):
        definition = f"{prefix}.{name}"
        if definition not in known:
            continue
        for value in marker_values(struct["markers"], "structType"):
            struct_maps.append((definition, value))
        for field in flattened_fields(structs, prefix, name):
            tags, markers = field["tags"], field["markers"]
            if "patchStrategy" in tags or "patchMergeKey" in tags:
                patch.append((definition, field["json"], tags.get("patchStrategy", ""), tags.get("patchMergeKey")))
            list_type = marker_values(markers, "listType")
            if list_type:
                lists.append((definition, field["json"], list_type[0], marker_values(markers, "listMapKey")))
            map_type = marker_values(markers, "mapType")
            if map_type:
                maps.append((definition, field["json"], map_type[0]))
    print(render(sorted(patch), sorted(lists), sorted(maps), sorted(struct_maps), tag))


def render(patch, lists, maps, struct_maps, tag):
    q = json.dumps
    out = [HEADER.replace("TAG", tag)]
    out += ["/// Every field carrying `x-kubernetes-patch-strategy` (and merge key).", "#[rustfmt::skip]",
            "pub static PATCH_METADATA: &[FieldPatchMeta] = &["]
    out += [f"    patch({q(d)}, {q(f)}, {q(s)}, {'Some(' + q(k) + ')' if k else 'None'})," for d, f, s, k in patch]
    out += ["];", "", "/// Every field carrying `x-kubernetes-list-type` (and list map keys).", "#[rustfmt::skip]",
            "pub static LIST_METADATA: &[FieldListMeta] = &["]
    out += [f"    list({q(d)}, {q(f)}, {q(t)}, &[{', '.join(q(k) for k in ks)}])," for d, f, t, ks in lists]
    out += ["];", "", "/// Map fields carrying `x-kubernetes-map-type`.", "#[rustfmt::skip]",
            "pub static MAP_METADATA: &[FieldMapMeta] = &["]
    out += [f"    FieldMapMeta {{ definition: {q(d)}, field: {q(f)}, map_type: {q(t)} }}," for d, f, t in maps]
    out += ["];", "", "/// Definitions carrying `x-kubernetes-map-type` themselves (`+structType`).", "#[rustfmt::skip]",
            "pub static STRUCT_MAP_METADATA: &[TypeMapMeta] = &["]
    out += [f"    TypeMapMeta {{ definition: {q(d)}, map_type: {q(t)} }}," for d, t in struct_maps]
    out += ["];"]
    return "\n".join(out)


HEADER = '''//! Patch and list/map metadata of the built-in types served at v1.33, as declared
//! by the upstream Go types (struct tags `patchStrategy`/`patchMergeKey` and the
//! `+listType`, `+listMapKey`, `+mapType`, `+structType` markers). Fields of
//! inlined structs are listed under the definition that embeds them.
//!
//! Generated by `tools/gen_builtin_tables.py` from kubernetes/api,
//! kubernetes/apimachinery and kubernetes/apiextensions-apiserver at TAG;
//! regenerate rather than edit.

use super::{FieldListMeta, FieldMapMeta, FieldPatchMeta, TypeMapMeta};

const fn patch(
    definition: &'static str,
    field: &'static str,
    strategy: &'static str,
    merge_key: Option<&'static str>,
) -> FieldPatchMeta {
    FieldPatchMeta { definition, field, strategy, merge_key }
}

const fn list(
    definition: &'static str,
    field: &'static str,
    list_type: &'static str,
    map_keys: &'static [&'static str],
) -> FieldListMeta {
    FieldListMeta { definition, field, list_type, map_keys }
}
'''

if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Regenerates src/schema/builtin_tables.rs from the upstream Go API types.

Usage: gen_builtin_zero.py API_REPO APIMACHINERY_REPO APIEXTENSIONS_REPO TAG > builtin_tables.rs

The repositories are git clones of kubernetes/api, kubernetes/apimachinery and
kubernetes/apiextensions-apiserver; TAG is e.g. v0.33.0.

Emits two tables:
* the JSON of the zero value of every top-level type (a struct embedding
  TypeMeta), as Go's reflection-based conversion renders it: value structs are
  always present, other fields only without `omitempty`. kube-apiserver
  compares a created object against this "empty" object, so it decides which
  maps a creating manager gets a "." entry for.
* literal `+default=` markers, which upstream's schemas carry as `default`
  and structured-merge-diff uses for missing list-map keys.
"""
import json
import re
import subprocess
import sys

API_GROUPS = ("admissionregistration/v1 apps/v1 authentication/v1 authorization/v1 autoscaling/v1 "
              "autoscaling/v2 batch/v1 certificates/v1 coordination/v1 core/v1 discovery/v1 events/v1 "
              "flowcontrol/v1 networking/v1 node/v1 policy/v1 rbac/v1 scheduling/v1 storage/v1").split()
META_PATH = "k8s.io/apimachinery/pkg/apis/meta/v1"
META = "io.k8s.apimachinery.pkg.apis.meta.v1"
APIEXT_PATH = "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
APIEXT = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1"

# Types whose zero value marshals through custom code.
SPECIAL_ZERO = {
    (META, "Time"): None,
    (META, "MicroTime"): None,
    (META, "Duration"): "0s",
    ("resource", "Quantity"): "0",
    ("intstr", "IntOrString"): 0,
    ("runtime", "RawExtension"): None,
    (APIEXT, "JSON"): None,
}
EXTERNAL = {
    "k8s.io/apimachinery/pkg/api/resource": "resource",
    "k8s.io/apimachinery/pkg/util/intstr": "intstr",
    "k8s.io/apimachinery/pkg/runtime": "runtime",
    "k8s.io/apimachinery/pkg/types": "types",
}
SCALARS = {"string": "", "bool": False}
for width in ("", "8", "16", "32", "64"):
    SCALARS["int" + width] = 0
    SCALARS["uint" + width] = 0
SCALARS.update({"float32": 0, "float64": 0, "byte": 0, "rune": 0})


def git_files(repo, tag, folder):
    names = subprocess.check_output(["git", "-C", repo, "ls-tree", "--name-only", tag, folder + "/"]).decode().split()
    return [n for n in names if n.endswith(".go") and "generated" not in n and not n.endswith("_test.go")]


def git_show(repo, tag, path):
    return subprocess.check_output(["git", "-C", repo, "show", f"{tag}:{path}"]).decode()


def prefix_of(import_path):
    if import_path.startswith("k8s.io/api/"):
        return "io.k8s.api." + import_path[len("k8s.io/api/"):].replace("/", ".")
    if import_path == META_PATH:
        return META
    if import_path == APIEXT_PATH:
        return APIEXT
    return EXTERNAL.get(import_path)


def parse_imports(source):
    aliases = {}
    block = re.search(r"^import \((.*?)^\)", source, re.S | re.M)
    lines = block.group(1).split("\n") if block else re.findall(r"^import (.*)$", source, re.M)
    for line in lines:
        match = re.match(r'\s*(\w+)?\s*"([^"]+)"', line)
        if match:
            alias = match.group(1) or match.group(2).rsplit("/", 1)[-1]
            aliases[alias] = prefix_of(match.group(2))
    return aliases


def parse_file(source, prefix, structs, named):
    aliases = parse_imports(source)
    current, comments = None, []
    for line in source.split("\n"):
        text = line.strip()
        if current is None:
            struct = re.match(r"^type (\w+) struct \{", line)
            other = re.match(r"^type (\w+) (\S.*)$", line)
            if struct:
                current = []
                structs[(prefix, struct.group(1))] = {"fields": current, "aliases": aliases}
            elif other and not other.group(2).startswith(("interface", "struct", "=")):
                named[(prefix, other.group(1))] = (other.group(2).split("//")[0].strip(), aliases)
            comments = comments + [text[2:].strip()] if text.startswith("//") else []
            continue
        if line.startswith("}"):
            current, comments = None, []
        elif text.startswith("//"):
            comments.append(text[2:].strip())
        elif not text:
            comments = []
        else:
            named_field = re.match(r"^(\w+)\s+([^`]+?)\s*`([^`]*)`", text)
            embedded = re.match(r"^([\w.*]+)\s*`([^`]*)`", text)
            if named_field:
                go_type, tag = named_field.group(2), named_field.group(3)
            elif embedded:
                go_type, tag = embedded.group(1), embedded.group(2)
            else:
                comments = []
                continue
            tags = dict(re.findall(r'(\w+):"([^"]*)"', tag))
            json_tag = tags.get("json", "")
            defaults = [c.split("=", 1)[1] for c in comments if c.startswith("+default=")]
            current.append({
                "type": go_type, "json": json_tag.split(",")[0], "inline": ",inline" in json_tag,
                "omitempty": ",omitempty" in json_tag, "default": defaults[0] if defaults else None,
            })
            comments = []


def resolve(go_type, prefix, aliases):
    """(kind, key): kind is pointer/slice/map/scalar/struct/special/unknown."""
    if go_type.startswith("*"):
        return "pointer", None
    if go_type.startswith("[]"):
        return "slice", None
    if go_type.startswith("map["):
        return "map", None
    if go_type in SCALARS:
        return "scalar", SCALARS[go_type]
    if go_type.startswith("interface"):
        return "pointer", None
    package, _, name = go_type.rpartition(".")
    target = aliases.get(package) if package else prefix
    return "named", (target, name)


class Zero:
    def __init__(self, structs, named):
        self.structs, self.named = structs, named

    def of_named(self, key):
        if key in SPECIAL_ZERO:
            return SPECIAL_ZERO[key]
        if key[0] == "types":
            return ""
        if key in self.structs:
            return self.of_struct(key)
        if key in self.named:
            go_type, aliases = self.named[key]
            kind, inner = resolve(go_type, key[0], aliases)
            if kind == "scalar":
                return inner
            if kind == "named":
                return self.of_named(inner)
            return None
        raise KeyError(f"unknown type {key}")

    def is_struct(self, key):
        return key in SPECIAL_ZERO or key in self.structs

    def of_struct(self, key):
        struct = self.structs[key]
        out = {}
        for field in struct["fields"]:
            kind, inner = resolve(field["type"], key[0], struct["aliases"])
            if field["inline"]:
                out.update(self.of_struct(inner))
                continue
            name = field["json"]
            if name == "-" or not name:
                continue
            if kind == "named" and self.is_struct(inner):
                out[name] = self.of_named(inner)
            elif field["omitempty"]:
                continue
            elif kind == "named":
                out[name] = self.of_named(inner)
            elif kind == "scalar":
                out[name] = inner
            else:
                out[name] = None
        return out


def is_top_level(struct, aliases):
    for field in struct["fields"]:
        if field["inline"] and field["type"].endswith("TypeMeta"):
            return True
    return False


def literal_default(text):
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, (str, int, float, bool)) else None


def main():
    api, machinery, apiext, tag = sys.argv[1:5]
    structs, named = {}, {}
    for group in API_GROUPS:
        for path in git_files(api, tag, group):
            parse_file(git_show(api, tag, path), "io.k8s.api." + group.replace("/", "."), structs, named)
    for path in git_files(machinery, tag, "pkg/apis/meta/v1"):
        parse_file(git_show(machinery, tag, path), META, structs, named)
    for path in ("pkg/apis/apiextensions/v1/types.go", "pkg/apis/apiextensions/v1/types_jsonschema.go"):
        parse_file(git_show(apiext, tag, path), APIEXT, structs, named)

    zero = Zero(structs, named)
    objects, defaults = [], []
    for key, struct in sorted(structs.items()):
        if key[0] == META or not is_top_level(struct, struct["aliases"]):
            continue
        objects.append((f"{key[0]}.{key[1]}", json.dumps(zero.of_struct(key), separators=(",", ":"), sort_keys=True)))
    for key, struct in sorted(structs.items()):
        for field in struct["fields"]:
            value = literal_default(field["default"]) if field["default"] else None
            if value is not None and field["json"]:
                defaults.append((f"{key[0]}.{key[1]}", field["json"], json.dumps(value)))
    print(render(objects, defaults, tag))


def render(objects, defaults, tag):
    q = json.dumps
    out = [HEADER.replace("TAG", tag), "/// Definition name and the JSON of its zero value.", "#[rustfmt::skip]",
           "pub(crate) static ZERO_OBJECTS: &[(&str, &str)] = &["]
    out += [f"    ({q(d)}, r#\"{z}\"#)," for d, z in objects]
    out += ["];", "", "/// Definition name, field and its literal `+default=` value as JSON.", "#[rustfmt::skip]",
            "pub(crate) static FIELD_DEFAULTS: &[(&str, &str, &str)] = &["]
    out += [f"    ({q(d)}, {q(f)}, {q(v)})," for d, f, v in defaults]
    out += ["];"]
    return "\n".join(out)


HEADER = '''//! Facts about the built-in Go types that their OpenAPI schemas do not carry.
//!
//! Generated by `tools/gen_builtin_zero.py` from kubernetes/api,
//! kubernetes/apimachinery and kubernetes/apiextensions-apiserver at TAG;
//! regenerate rather than edit.
'''

if __name__ == "__main__":
    main()

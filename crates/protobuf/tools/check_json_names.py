#!/usr/bin/env python3
"""Cross-check the JSON field names in src/generated.rs against k8s-openapi.

k8s-openapi (crate version 0.29, module v1_33) is generated independently from the
upstream OpenAPI document; every type's deserializer lists its JSON property names as
`"name" => Field::Key_...`. For each plain message of the table that has a matching
k8s-openapi file, the set of JSON names (embedded structs flattened) must be equal.
Types absent from OpenAPI (lists, options, autoscaling/v1 metrics...) are skipped.

Usage:
  python3 tools/check_json_names.py ~/.cargo/registry/src/*/k8s-openapi-0.29.0/src/v1_33
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "..", "src", "generated.rs")

MESSAGE = re.compile(
    r'static (\w+): Message = Message \{\n    name: "([^"]+)",\n'
    r"    special: Special::(\w+),\n    fields: &\[(.*?)\],?\n\};",
    re.S,
)
FIELD = re.compile(
    r'field\(\d+, "([^"]*)", (?:Msg\(&(\w+)\)|Scalar\(\w+\)), (\w+)(?:\(\w+\))?, \w+\)'
)
# k8s-openapi has a few properties the Go struct does not (WatchEvent's bookmark view).
KNOWN_DIFFERENCES = {"k8s.io.apimachinery.pkg.apis.meta.v1.WatchEvent"}


def load_table():
    with open(TABLE, encoding="utf-8") as fh:
        text = fh.read()
    return {m.group(1): (m.group(2), m.group(3), FIELD.findall(m.group(4)))
            for m in MESSAGE.finditer(text)}


def json_names(table, static):
    names = set()
    for json_name, nested, shape in table[static][2]:
        if shape == "Inline":
            names |= json_names(table, nested)
        else:
            names.add(json_name)
    return names


def openapi_file(root, full):
    package, _, name = full.rpartition(".")
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()
    if package.startswith("k8s.io.api."):
        directory = os.path.join(root, "api", *package[len("k8s.io.api."):].split("."))
    elif package == "k8s.io.apimachinery.pkg.apis.meta.v1":
        directory = os.path.join(root, "apimachinery", "pkg", "apis", "meta", "v1")
    elif package.startswith("k8s.io.apiextensions_apiserver."):
        directory = os.path.join(root, "apiextensions_apiserver", "pkg", "apis",
                                 "apiextensions", "v1")
    else:
        return None
    path = os.path.join(directory, snake + ".rs")
    return path if os.path.exists(path) else None


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = sys.argv[1]
    table = load_table()
    checked = 0
    mismatches = 0
    for static, (full, special, _) in sorted(table.items()):
        path = openapi_file(root, full)
        if special != "None" or path is None or full in KNOWN_DIFFERENCES:
            continue
        with open(path, encoding="utf-8") as fh:
            theirs = set(re.findall(r'"([^"]+)" => Field::Key_', fh.read()))
        ours = json_names(table, static)
        # TypeMeta is not a proto field; k8s-openapi lists it for top-level kinds.
        theirs -= {"apiVersion", "kind"} - ours
        checked += 1
        if ours != theirs:
            mismatches += 1
            print("%s: only in table %s, only in k8s-openapi %s"
                  % (full, sorted(ours - theirs), sorted(theirs - ours)))
    print("checked %d messages, %d mismatches" % (checked, mismatches))
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()

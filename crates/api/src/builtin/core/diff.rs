//! A readable rendering of what an update changed, for the messages upstream ends with a
//! `cmp.Diff` of Go structs. The Go rendering cannot be reproduced; this one keeps its shape
//! (a header naming the type, `-`/`+` lines for changed fields) with JSON field paths.

use serde::Serialize;
use serde_json::Value;

/// `- path: old` / `+ path: new` lines for every leaf that differs.
pub fn render<T: Serialize>(type_name: &str, old: &T, new: &T) -> String {
    let old = serde_json::to_value(old).unwrap_or(Value::Null);
    let new = serde_json::to_value(new).unwrap_or(Value::Null);
    let mut lines = Vec::new();
    walk("", &old, &new, &mut lines);
    let mut out = format!("  {type_name}{{\n");
    if !lines.is_empty() {
        out.push_str("  \t... // unchanged fields omitted\n");
    }
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    out.push_str("  }\n");
    out
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn walk(path: &str, old: &Value, new: &Value, lines: &mut Vec<String>) {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let keys: std::collections::BTreeSet<&String> = o.keys().chain(n.keys()).collect();
            for k in keys {
                let (a, b) = (
                    o.get(k).unwrap_or(&Value::Null),
                    n.get(k).unwrap_or(&Value::Null),
                );
                walk(&join(path, k), a, b, lines);
            }
        }
        (Value::Array(o), Value::Array(n)) if o.len() == n.len() => {
            for (i, (a, b)) in o.iter().zip(n).enumerate() {
                walk(&format!("{path}[{i}]"), a, b, lines);
            }
        }
        (a, b) if a != b => {
            if !a.is_null() {
                lines.push(format!("- \t{path}: {a}"));
            }
            if !b.is_null() {
                lines.push(format!("+ \t{path}: {b}"));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changed_leaves() {
        let d = render(
            "core.PodSpec",
            &json!({"a": {"b": 1}, "c": [1, 2]}),
            &json!({"a": {"b": 2}, "c": [1, 2]}),
        );
        assert!(d.starts_with("  core.PodSpec{\n"));
        assert!(d.contains("- \ta.b: 1\n+ \ta.b: 2\n"));
        assert!(!d.contains("c["));
    }
}

//! Field paths into a schema as CEL rules' `fieldPath` and CRD
//! `selectableFields` write them (`.spec.x`, `.spec.m['key.with.dots']`),
//! resolved like upstream's `ValidFieldPath`.

use capstan_apimachinery::Path;

use crate::schema::Schema;

/// Splits a path into `.`, `[`, `]` and the names between them; a token
/// starting with `'` runs to the next unescaped `'`.
fn tokens(path: &str) -> Vec<String> {
    let chars: Vec<char> = path.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\'' {
            let mut j = i + 1;
            while j < chars.len() && !(chars[j] == '\'' && chars[j - 1] != '\\') {
                j += 1;
            }
            let end = (j + 1).min(chars.len());
            out.push(chars[i..end].iter().collect());
            i = end;
            continue;
        }
        if matches!(chars[i], '.' | '[' | ']') {
            out.push(chars[i].to_string());
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && !matches!(chars[j], '.' | '[' | ']') {
            j += 1;
        }
        out.push(chars[i..j].iter().collect());
        i = j;
    }
    out
}

fn unescape_single_quoted(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(d) = chars.next() else {
            out.push('\\');
            break;
        };
        out.push(match d {
            'a' => '\u{07}',
            'b' => '\u{08}',
            'f' => '\u{0C}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\u{0B}',
            '\'' => '\'',
            '\\' => '\\',
            other => return Err(format!("invalid escape char \\{other}")),
        });
    }
    Ok(out)
}

/// Resolves `json_path` against `schema`: the field path it names (for error
/// paths) and the schema found there. Errors carry upstream's wording.
pub fn valid_field_path<'a>(
    json_path: &str,
    schema: &'a Schema,
    allow_array_notation: bool,
) -> Result<(Path, &'a Schema), String> {
    let toks = tokens(json_path);
    let mut path = Path::nil();
    let mut current = schema;
    let mut i = 0;
    let step = |name: &str, current: &mut &'a Schema, path: &mut Path| -> Result<(), String> {
        if !current.properties.is_empty() {
            *path = path.child(name);
            *current = current
                .properties
                .get(name)
                .ok_or("does not refer to a valid field")?;
        } else if let Some(ap) = &current.additional_properties {
            *path = path.key(name);
            *current = ap.schema().ok_or("does not refer to a valid field")?;
        } else {
            return Err("does not refer to a valid field".to_string());
        }
        Ok(())
    };
    while i < toks.len() {
        match toks[i].as_str() {
            "[" => {
                if !allow_array_notation {
                    return Err("array notation is not allowed".to_string());
                }
                let tok = toks.get(i + 1).ok_or("unexpected end of JSON path")?;
                if tok.len() < 2 || !tok.starts_with('\'') || !tok.ends_with('\'') {
                    return Err(format!("expected single quoted string but got {tok}"));
                }
                let name = unescape_single_quoted(&tok[1..tok.len() - 1])
                    .map_err(|e| format!("invalid string literal: {e}"))?;
                step(&name, &mut current, &mut path)?;
                let close = toks.get(i + 2).ok_or("unexpected end of JSON path")?;
                if close != "]" {
                    return Err(format!("expected ] but got {close}"));
                }
                i += 3;
            }
            "." => {
                let tok = toks.get(i + 1).ok_or("unexpected end of JSON path")?;
                step(tok, &mut current, &mut path)?;
                i += 2;
            }
            other => return Err(format!("expected [ or . but got: {other}")),
        }
    }
    Ok((path, current))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parse_schema;
    use serde_json::json;

    fn schema() -> Schema {
        parse_schema(
            &json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
                "a": {"type": "string"},
                "m": {"type": "object", "additionalProperties": {"type": "integer"}},
            }}}}),
        )
        .unwrap()
    }

    #[test]
    fn resolves_paths() {
        let s = schema();
        let (p, found) = valid_field_path(".spec.a", &s, true).unwrap();
        assert_eq!(p.to_string(), "spec.a");
        assert_eq!(found.type_, "string");
        let (p, found) = valid_field_path(".spec.m['x.y']", &s, true).unwrap();
        assert_eq!(p.to_string(), "spec.m[x.y]");
        assert_eq!(found.type_, "integer");
        let (p, _) = valid_field_path("['spec'].a", &s, true).unwrap();
        assert_eq!(p.to_string(), "spec.a");
    }

    #[test]
    fn reports_upstream_errors() {
        let s = schema();
        let err = |p: &str, arrays: bool| valid_field_path(p, &s, arrays).unwrap_err();
        assert_eq!(err(".spec.b", true), "does not refer to a valid field");
        assert_eq!(err(".spec.a.x", true), "does not refer to a valid field");
        assert_eq!(err("spec", true), "expected [ or . but got: spec");
        assert_eq!(
            err(".spec[0]", true),
            "expected single quoted string but got 0"
        );
        assert_eq!(err(".spec['a'", true), "unexpected end of JSON path");
        assert_eq!(err(".spec['a']", false), "array notation is not allowed");
        assert_eq!(err(".", true), "unexpected end of JSON path");
    }
}

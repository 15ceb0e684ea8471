//! Server-side field validation (`?fieldValidation=Strict|Warn|Ignore`): fields the type's schema
//! does not know, and fields given twice, are errors (Strict), warnings (Warn, the default) or
//! silently dropped (Ignore). Unknown fields never reach the store either way: the strategies'
//! typed round trip drops them.

use capstan_apimachinery::ApiError;
use serde_json::{Map, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Strict,
    Warn,
    Ignore,
}

impl Mode {
    pub fn parse(v: Option<&str>) -> Result<Mode, ApiError> {
        match v {
            None | Some("") | Some("Warn") => Ok(Mode::Warn),
            Some("Strict") => Ok(Mode::Strict),
            Some("Ignore") => Ok(Mode::Ignore),
            Some(other) => Err(ApiError::bad_request(&format!(
                "fieldValidation: Unsupported value: {other:?}: supported values: \"Ignore\", \"Strict\", \"Warn\""
            ))),
        }
    }
}

/// Problems found in one object: unknown fields (by path) and duplicated fields.
#[derive(Default, Debug)]
pub struct Findings {
    pub messages: Vec<String>,
}

impl Findings {
    /// Applies the mode: an error for Strict (with `prefix` as upstream words the decode failure),
    /// otherwise the warnings to send (none for Ignore).
    pub fn resolve(self, mode: Mode, prefix: Option<&str>) -> Result<Vec<String>, ApiError> {
        if self.messages.is_empty() || mode == Mode::Ignore {
            return Ok(Vec::new());
        }
        if mode == Mode::Strict {
            let joined = self.messages.join(", ");
            let message = match prefix {
                Some(p) => format!("{p}: strict decoding error: {joined}"),
                None => format!("strict decoding error: {joined}"),
            };
            return Err(ApiError::bad_request(&message));
        }
        Ok(self.messages)
    }
}

/// Unknown fields of `obj` against the schema `root` in `defs` (OpenAPI v3 form).
pub fn unknown_fields(obj: &Value, defs: &Map<String, Value>, root: &str, findings: &mut Findings) {
    if let Some(schema) = defs.get(root) {
        let mut path = Vec::new();
        walk(obj, schema, defs, &mut path, findings);
    }
}

/// One step of a field path; paths are only rendered when something is reported.
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn render(path: &[Seg<'_>]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// Follows `$ref` and single `allOf` wrappers to the schema that describes the value.
fn resolve<'a>(mut schema: &'a Value, defs: &'a Map<String, Value>) -> &'a Value {
    for _ in 0..16 {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let name = r.rsplit('/').next().unwrap_or(r);
            match defs.get(name) {
                Some(s) => {
                    schema = s;
                    continue;
                }
                None => return schema,
            }
        }
        if schema.get("properties").is_none()
            && let Some(first) = schema
                .get("allOf")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
        {
            schema = first;
            continue;
        }
        break;
    }
    schema
}

fn walk<'a>(
    v: &'a Value,
    schema: &Value,
    defs: &Map<String, Value>,
    path: &mut Vec<Seg<'a>>,
    f: &mut Findings,
) {
    if path.len() > 64 {
        return;
    }
    let schema = resolve(schema, defs);
    if schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) {
        return;
    }
    match v {
        Value::Object(m) => {
            let props = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties").filter(|a| a.is_object());
            if props.is_none() && additional.is_none() {
                // A schema that says nothing about fields (free-form JSON, RawExtension, …).
                return;
            }
            for (k, child) in m {
                path.push(Seg::Key(k));
                match (props.and_then(|p| p.get(k)), additional) {
                    (Some(s), _) => walk(child, s, defs, path, f),
                    (None, Some(a)) => walk(child, a, defs, path, f),
                    (None, None) => f
                        .messages
                        .push(format!("unknown field \"{}\"", render(path))),
                }
                path.pop();
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    path.push(Seg::Index(i));
                    walk(item, item_schema, defs, path, f);
                    path.pop();
                }
            }
        }
        _ => {}
    }
}

/// Fields given more than once in one JSON object of the raw body (serde keeps only the last).
pub fn duplicate_fields(body: &[u8], f: &mut Findings) {
    let mut scanner = Scanner { b: body, i: 0 };
    let mut path = Vec::new();
    scanner.value(&mut path, f);
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn ws(&mut self) {
        while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    /// Skips a string; returns its raw contents (between the quotes).
    fn string(&mut self) -> Option<&'a [u8]> {
        let start = self.i + 1;
        self.i += 1;
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return Some(&self.b[start..self.i - 1]);
                }
                _ => self.i += 1,
            }
        }
        None
    }

    fn value(&mut self, path: &mut Vec<Seg<'a>>, f: &mut Findings) -> Option<()> {
        if path.len() > 128 {
            return None;
        }
        self.ws();
        match *self.b.get(self.i)? {
            b'{' => {
                self.i += 1;
                let mut seen: Vec<&[u8]> = Vec::new();
                loop {
                    self.ws();
                    match *self.b.get(self.i)? {
                        b'}' => {
                            self.i += 1;
                            return Some(());
                        }
                        b',' => {
                            self.i += 1;
                            continue;
                        }
                        b'"' => {}
                        _ => return None,
                    }
                    let raw = self.string()?;
                    let key = std::str::from_utf8(raw).unwrap_or("");
                    path.push(Seg::Key(key));
                    if seen.contains(&raw) {
                        f.messages
                            .push(format!("duplicate field \"{}\"", render(path)));
                    } else {
                        seen.push(raw);
                    }
                    self.ws();
                    if self.b.get(self.i) != Some(&b':') {
                        return None;
                    }
                    self.i += 1;
                    self.value(path, f)?;
                    path.pop();
                }
            }
            b'[' => {
                self.i += 1;
                let mut n = 0;
                loop {
                    self.ws();
                    match *self.b.get(self.i)? {
                        b']' => {
                            self.i += 1;
                            return Some(());
                        }
                        b',' => {
                            self.i += 1;
                            continue;
                        }
                        _ => {
                            path.push(Seg::Index(n));
                            self.value(path, f)?;
                            path.pop();
                            n += 1;
                        }
                    }
                }
            }
            b'"' => self.string().map(|_| ()),
            _ => {
                while self.i < self.b.len() && !matches!(self.b[self.i], b',' | b'}' | b']') {
                    self.i += 1;
                }
                Some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defs() -> Map<String, Value> {
        let d = json!({
            "D": {"properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                                  "metadata": {"$ref": "#/components/schemas/M"},
                                  "spec": {"allOf": [{"$ref": "#/components/schemas/S"}]}}},
            "M": {"properties": {"name": {"type": "string"},
                                  "labels": {"type": "object", "additionalProperties": {"type": "string"}}}},
            "S": {"properties": {"replicas": {"type": "integer"},
                                  "items": {"type": "array", "items": {"$ref": "#/components/schemas/C"}},
                                  "raw": {"description": "anything"}}},
            "C": {"properties": {"name": {"type": "string"}}},
        });
        d.as_object().unwrap().clone()
    }

    #[test]
    fn unknown_fields_are_named_by_path() {
        let obj = json!({"apiVersion": "v1", "kind": "D", "metadata": {"name": "x", "labels": {"a": "b"}, "nmae": "y"},
                         "spec": {"replicas": 1, "replicasx": 2, "items": [{"name": "a"}, {"nam": "b"}], "raw": {"any": 1}}});
        let mut f = Findings::default();
        unknown_fields(&obj, &defs(), "D", &mut f);
        assert_eq!(
            f.messages,
            vec![
                "unknown field \"metadata.nmae\"",
                "unknown field \"spec.items[1].nam\"",
                "unknown field \"spec.replicasx\"",
            ]
        );
        let err = f
            .resolve(
                Mode::Strict,
                Some("D in version \"v1\" cannot be handled as a D"),
            )
            .unwrap_err();
        assert!(err.message.starts_with(
            "D in version \"v1\" cannot be handled as a D: strict decoding error: unknown field"
        ));
    }

    #[test]
    fn duplicates_in_raw_json() {
        let mut f = Findings::default();
        duplicate_fields(
            br#"{"spec": {"replicas": 1, "replicas": 2, "x": [{"a": 1, "a": 2}]}, "kind": "D"}"#,
            &mut f,
        );
        assert_eq!(
            f.messages,
            vec![
                "duplicate field \"spec.replicas\"",
                "duplicate field \"spec.x[0].a\""
            ]
        );
        assert_eq!(
            Findings::default().resolve(Mode::Strict, None).unwrap(),
            Vec::<String>::new()
        );
    }
}

//! Evaluation of parsed JSONPath nodes over decoded JSON, with missing keys
//! allowed (as CRD columns and selectable fields use it) and client-go's
//! error texts.

use std::cmp::Ordering;

use serde_json::Value;

use super::parser::{Node, Param};

pub(super) fn find_results(nodes: &[Node], data: &Value) -> Result<Vec<Vec<Value>>, String> {
    let mut full = Vec::new();
    for node in nodes {
        if contains_range(node) {
            return Err("range/end are not supported in this context".to_string());
        }
        full.push(walk(vec![data.clone()], node)?);
    }
    Ok(full)
}

fn contains_range(node: &Node) -> bool {
    match node {
        Node::List(nodes) => nodes.iter().any(contains_range),
        Node::Identifier(name) => name == "range" || name == "end",
        _ => false,
    }
}

fn walk(input: Vec<Value>, node: &Node) -> Result<Vec<Value>, String> {
    match node {
        Node::List(nodes) => eval_list(input, nodes),
        Node::Text(text) => Ok(vec![Value::String(text.clone())]),
        Node::Field(name) => Ok(eval_field(&input, name)),
        Node::Array(params) => eval_array(&input, params),
        Node::Filter { left, right, op } => eval_filter(&input, left, right, op),
        Node::Int(i) => Ok(input.iter().map(|_| Value::from(*i)).collect()),
        Node::Float(f) => Ok(input
            .iter()
            .map(|_| {
                serde_json::Number::from_f64(*f)
                    .map(Value::Number)
                    .unwrap_or(Value::Null)
            })
            .collect()),
        Node::Bool(b) => Ok(input.iter().map(|_| Value::Bool(*b)).collect()),
        Node::Wildcard => Ok(eval_wildcard(&input)),
        Node::Recursive => Ok(eval_recursive(&input)),
        Node::Union(lists) => {
            let mut out = Vec::new();
            for list in lists {
                out.extend(eval_list(input.clone(), list)?);
            }
            Ok(out)
        }
        Node::Identifier(name) => Err(format!("unrecognized identifier {name}")),
    }
}

fn eval_list(input: Vec<Value>, nodes: &[Node]) -> Result<Vec<Value>, String> {
    let mut current = input;
    for node in nodes {
        current = walk(current, node)?;
    }
    Ok(current)
}

fn eval_field(input: &[Value], name: &str) -> Vec<Value> {
    input
        .iter()
        .filter_map(|v| v.as_object().and_then(|m| m.get(name)).cloned())
        .collect()
}

fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "map[string]interface {}",
        Value::Array(_) => "[]interface {}",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::Null => "<nil>",
    }
}

fn eval_array(input: &[Value], params: &[Param; 3]) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for value in input {
        if value.is_null() {
            continue;
        }
        let Value::Array(items) = value else {
            return Err(format!("{} is not array or slice", go_type(value)));
        };
        let len = items.len() as i64;
        let mut p = *params;
        if !p[0].known {
            p[0].value = 0;
        }
        if p[0].value < 0 {
            p[0].value += len;
        }
        if !p[1].known {
            p[1].value = len;
        }
        if p[1].value < 0 || (p[1].value == 0 && p[1].derived) {
            p[1].value += len;
        }
        if p[1].value == p[0].value {
            return Ok(out);
        }
        if p[0].value >= len || p[0].value < 0 {
            return Err(format!(
                "array index out of bounds: index {}, length {len}",
                p[0].value
            ));
        }
        if p[1].value > len || p[1].value < 0 {
            return Err(format!(
                "array index out of bounds: index {}, length {len}",
                p[1].value - 1
            ));
        }
        if p[0].value > p[1].value {
            return Err(format!(
                "starting index {} is greater than ending index {}",
                p[0].value, p[1].value
            ));
        }
        let step = if p[2].known {
            if p[2].value <= 0 {
                return Err("step must be > 0".to_string());
            }
            p[2].value as usize
        } else {
            1
        };
        let slice = &items[p[0].value as usize..p[1].value as usize];
        out.extend(slice.iter().step_by(step).cloned());
    }
    Ok(out)
}

fn eval_wildcard(input: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for value in input {
        match value {
            Value::Object(map) => out.extend(map.values().cloned()),
            Value::Array(items) => out.extend(items.iter().cloned()),
            Value::String(s) => out.extend(s.bytes().map(Value::from)),
            _ => {}
        }
    }
    out
}

fn children(value: &Value) -> Vec<Value> {
    match value {
        Value::Object(map) => map.values().cloned().collect(),
        Value::Array(items) => items.clone(),
        Value::String(s) => s.bytes().map(Value::from).collect(),
        _ => Vec::new(),
    }
}

fn eval_recursive(input: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for value in input {
        if value.is_null() {
            continue;
        }
        let kids = children(value);
        if !kids.is_empty() {
            out.push(value.clone());
            out.extend(eval_recursive(&kids));
        }
    }
    out
}

fn eval_filter(
    input: &[Value],
    left: &[Node],
    right: &[Node],
    op: &str,
) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for value in input {
        let Value::Array(items) = value else {
            return Err(format!(
                "{} is not array or slice and cannot be filtered",
                go_print(value)
            ));
        };
        for item in items {
            let lefts = eval_list(vec![item.clone()], left);
            if op == "exists" {
                if lefts.as_ref().is_ok_and(|l| !l.is_empty()) {
                    out.push(item.clone());
                }
                continue;
            }
            let lefts = lefts?;
            let l = match lefts.as_slice() {
                [] => continue,
                [one] => one,
                _ => return Err("can only compare one element at a time".to_string()),
            };
            let rights = eval_list(vec![item.clone()], right)?;
            let r = match rights.as_slice() {
                [] => continue,
                [one] => one,
                _ => return Err("can only compare one element at a time".to_string()),
            };
            let pass = match op {
                "<" => compare(l, r)? == Ordering::Less,
                ">" => compare(l, r)? == Ordering::Greater,
                "<=" => compare(l, r)? != Ordering::Greater,
                ">=" => compare(l, r)? != Ordering::Less,
                "==" => equal(l, r)?,
                "!=" => !equal(l, r)?,
                other => return Err(format!("unrecognized filter operator {other}")),
            };
            if pass {
                out.push(item.clone());
            }
        }
    }
    Ok(out)
}

fn go_print(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".to_string(),
        other => crate::gofmt::sprint(other),
    }
}

/// Go template comparison kinds: ints and floats do not mix.
enum Basic<'a> {
    Int(i64),
    Float(f64),
    Str(&'a str),
    Bool(bool),
}

fn basic(v: &Value) -> Result<Basic<'_>, String> {
    match v {
        Value::Number(n) => Ok(match n.as_i64() {
            Some(i) => Basic::Int(i),
            None => Basic::Float(n.as_f64().unwrap_or(0.0)),
        }),
        Value::String(s) => Ok(Basic::Str(s)),
        Value::Bool(b) => Ok(Basic::Bool(*b)),
        _ => Err("invalid type for comparison".to_string()),
    }
}

fn equal(l: &Value, r: &Value) -> Result<bool, String> {
    match (basic(l)?, basic(r)?) {
        (Basic::Int(a), Basic::Int(b)) => Ok(a == b),
        (Basic::Float(a), Basic::Float(b)) => Ok(a == b),
        (Basic::Str(a), Basic::Str(b)) => Ok(a == b),
        (Basic::Bool(a), Basic::Bool(b)) => Ok(a == b),
        _ => Err("incompatible types for comparison".to_string()),
    }
}

fn compare(l: &Value, r: &Value) -> Result<Ordering, String> {
    match (basic(l)?, basic(r)?) {
        (Basic::Int(a), Basic::Int(b)) => Ok(a.cmp(&b)),
        (Basic::Float(a), Basic::Float(b)) => a
            .partial_cmp(&b)
            .ok_or_else(|| "invalid type for comparison".to_string()),
        (Basic::Str(a), Basic::Str(b)) => Ok(a.cmp(b)),
        (Basic::Bool(_), Basic::Bool(_)) => Err("invalid type for comparison".to_string()),
        _ => Err("incompatible types for comparison".to_string()),
    }
}

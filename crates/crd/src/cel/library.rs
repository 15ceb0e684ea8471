//! Kubernetes' CEL extension functions that CRD rules commonly use, on top
//! of the CEL standard library and the strings extension: the lists
//! library (`isSorted`, `sum`, `min`, `max`, `indexOf`, `lastIndexOf`), the
//! regex library (`find`, `findAll`) and the sets extension.

use std::cmp::Ordering;
use std::sync::Arc;

use cel::common::types::{DYN_TYPE, INT_TYPE, LIST_TYPE, STRING_TYPE};
use cel::common::value::{CowVal, Val};
use cel::{DeclarationError, Env, ExecutionError, Value};

use crate::regex_cache;

/// Function names this library adds (checked by the compiler).
pub(super) const FUNCTIONS: &[&str] = &[
    "isSorted",
    "sum",
    "min",
    "max",
    "indexOf",
    "lastIndexOf",
    "find",
    "findAll",
    "sets.contains",
    "sets.equivalent",
    "sets.intersects",
];

type ValueFn = fn(&[Value]) -> Result<Value, ExecutionError>;

fn to_values(args: &[CowVal<'_, '_>]) -> Result<Vec<Value>, ExecutionError> {
    args.iter().map(|a| Value::try_from(a.as_ref())).collect()
}

fn from_value<'b, 'v>(v: Value) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let boxed: Box<dyn Val> = v.try_into()?;
    Ok(CowVal::Owned(boxed))
}

macro_rules! wrap {
    ($name:ident, $inner:path) => {
        fn $name<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
            let f: ValueFn = $inner;
            from_value(f(&to_values(&args)?)?)
        }
    };
}

wrap!(is_sorted_fn, is_sorted);
wrap!(sum_fn, sum);
wrap!(min_fn, min);
wrap!(max_fn, max);
wrap!(index_of_fn, index_of);
wrap!(last_index_of_fn, last_index_of);
wrap!(find_fn, find);
wrap!(find_all_fn, find_all);
wrap!(find_all_n_fn, find_all_n);
wrap!(sets_contains_fn, sets_contains);
wrap!(sets_equivalent_fn, sets_equivalent);
wrap!(sets_intersects_fn, sets_intersects);

/// Registers the library on `env`.
pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_member_overload(
        "isSorted",
        "k8s_list_is_sorted",
        LIST_TYPE,
        vec![],
        is_sorted_fn,
    )?;
    env.add_member_overload("sum", "k8s_list_sum", LIST_TYPE, vec![], sum_fn)?;
    env.add_member_overload("min", "k8s_list_min", LIST_TYPE, vec![], min_fn)?;
    env.add_member_overload("max", "k8s_list_max", LIST_TYPE, vec![], max_fn)?;
    env.add_member_overload(
        "indexOf",
        "k8s_list_index_of",
        LIST_TYPE,
        vec![DYN_TYPE],
        index_of_fn,
    )?;
    env.add_member_overload(
        "lastIndexOf",
        "k8s_list_last_index_of",
        LIST_TYPE,
        vec![DYN_TYPE],
        last_index_of_fn,
    )?;
    env.add_member_overload(
        "find",
        "k8s_string_find",
        STRING_TYPE,
        vec![STRING_TYPE],
        find_fn,
    )?;
    env.add_member_overload(
        "findAll",
        "k8s_string_find_all",
        STRING_TYPE,
        vec![STRING_TYPE],
        find_all_fn,
    )?;
    env.add_member_overload(
        "findAll",
        "k8s_string_find_all_n",
        STRING_TYPE,
        vec![STRING_TYPE, INT_TYPE],
        find_all_n_fn,
    )?;
    env.add_overload(
        "sets.contains",
        "k8s_sets_contains",
        vec![LIST_TYPE, LIST_TYPE],
        sets_contains_fn,
    )?;
    env.add_overload(
        "sets.equivalent",
        "k8s_sets_equivalent",
        vec![LIST_TYPE, LIST_TYPE],
        sets_equivalent_fn,
    )?;
    env.add_overload(
        "sets.intersects",
        "k8s_sets_intersects",
        vec![LIST_TYPE, LIST_TYPE],
        sets_intersects_fn,
    )?;
    Ok(())
}

fn fail(function: &str, message: &str) -> ExecutionError {
    ExecutionError::function_error(function, message)
}

fn list<'a>(function: &str, v: &'a Value) -> Result<&'a [Value], ExecutionError> {
    match v {
        Value::List(items) => Ok(items.as_slice()),
        _ => Err(fail(function, "receiver must be a list")),
    }
}

fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::UInt(x), Value::UInt(y)) => Some(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Bytes(x), Value::Bytes(y)) => Some(x.cmp(y)),
        (Value::Duration(x), Value::Duration(y)) => Some(x.cmp(y)),
        (Value::Timestamp(x), Value::Timestamp(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn is_sorted(args: &[Value]) -> Result<Value, ExecutionError> {
    let items = list("isSorted", &args[0])?;
    for pair in items.windows(2) {
        match compare(&pair[0], &pair[1]) {
            Some(Ordering::Greater) => return Ok(Value::Bool(false)),
            Some(_) => {}
            None => return Err(fail("isSorted", "list elements must be comparable")),
        }
    }
    Ok(Value::Bool(true))
}

fn sum(args: &[Value]) -> Result<Value, ExecutionError> {
    let items = list("sum", &args[0])?;
    let Some(first) = items.first() else {
        return Ok(Value::Int(0));
    };
    let mut total = first.clone();
    for item in &items[1..] {
        total = match (&total, item) {
            (Value::Int(a), Value::Int(b)) => Value::Int(
                a.checked_add(*b)
                    .ok_or_else(|| fail("sum", "integer overflow"))?,
            ),
            (Value::UInt(a), Value::UInt(b)) => Value::UInt(
                a.checked_add(*b)
                    .ok_or_else(|| fail("sum", "integer overflow"))?,
            ),
            (Value::Float(a), Value::Float(b)) => Value::Float(a + b),
            (Value::Duration(a), Value::Duration(b)) => Value::Duration(*a + *b),
            _ => return Err(fail("sum", "list elements must be summable")),
        };
    }
    Ok(total)
}

fn extreme(function: &str, args: &[Value], want: Ordering) -> Result<Value, ExecutionError> {
    let items = list(function, &args[0])?;
    let Some(first) = items.first() else {
        return Err(fail(function, &format!("{function} called on empty list")));
    };
    let mut best = first;
    for item in &items[1..] {
        match compare(item, best) {
            Some(o) if o == want => best = item,
            Some(_) => {}
            None => return Err(fail(function, "list elements must be comparable")),
        }
    }
    Ok(best.clone())
}

fn min(args: &[Value]) -> Result<Value, ExecutionError> {
    extreme("min", args, Ordering::Less)
}

fn max(args: &[Value]) -> Result<Value, ExecutionError> {
    extreme("max", args, Ordering::Greater)
}

fn index_of(args: &[Value]) -> Result<Value, ExecutionError> {
    let items = list("indexOf", &args[0])?;
    Ok(Value::Int(
        items
            .iter()
            .position(|v| *v == args[1])
            .map_or(-1, |i| i as i64),
    ))
}

fn last_index_of(args: &[Value]) -> Result<Value, ExecutionError> {
    let items = list("lastIndexOf", &args[0])?;
    Ok(Value::Int(
        items
            .iter()
            .rposition(|v| *v == args[1])
            .map_or(-1, |i| i as i64),
    ))
}

fn strings<'a>(function: &str, args: &'a [Value]) -> Result<(&'a str, &'a str), ExecutionError> {
    match (&args[0], &args[1]) {
        (Value::String(s), Value::String(p)) => Ok((s.as_str(), p.as_str())),
        _ => Err(fail(function, "arguments must be strings")),
    }
}

fn find(args: &[Value]) -> Result<Value, ExecutionError> {
    let (s, pattern) = strings("find", args)?;
    let re = regex_cache::compile(pattern).map_err(|e| fail("find", &e))?;
    Ok(Value::String(Arc::new(
        re.find(s)
            .map(|m| m.as_str().to_string())
            .unwrap_or_default(),
    )))
}

fn find_all_limited(args: &[Value], limit: Option<i64>) -> Result<Value, ExecutionError> {
    let (s, pattern) = strings("findAll", args)?;
    let re = regex_cache::compile(pattern).map_err(|e| fail("findAll", &e))?;
    let limit = match limit {
        Some(n) if n >= 0 => n as usize,
        _ => usize::MAX,
    };
    let found: Vec<Value> = re
        .find_iter(s)
        .take(limit)
        .map(|m| Value::String(Arc::new(m.as_str().to_string())))
        .collect();
    Ok(Value::List(Arc::new(found)))
}

fn find_all(args: &[Value]) -> Result<Value, ExecutionError> {
    find_all_limited(args, None)
}

fn find_all_n(args: &[Value]) -> Result<Value, ExecutionError> {
    match &args[2] {
        Value::Int(n) => find_all_limited(args, Some(*n)),
        _ => Err(fail("findAll", "limit must be an int")),
    }
}

fn two_lists<'a>(
    function: &str,
    args: &'a [Value],
) -> Result<(&'a [Value], &'a [Value]), ExecutionError> {
    Ok((list(function, &args[0])?, list(function, &args[1])?))
}

fn sets_contains(args: &[Value]) -> Result<Value, ExecutionError> {
    let (a, b) = two_lists("sets.contains", args)?;
    Ok(Value::Bool(b.iter().all(|x| a.contains(x))))
}

fn sets_equivalent(args: &[Value]) -> Result<Value, ExecutionError> {
    let (a, b) = two_lists("sets.equivalent", args)?;
    Ok(Value::Bool(
        b.iter().all(|x| a.contains(x)) && a.iter().all(|x| b.contains(x)),
    ))
}

fn sets_intersects(args: &[Value]) -> Result<Value, ExecutionError> {
    let (a, b) = two_lists("sets.intersects", args)?;
    Ok(Value::Bool(b.iter().any(|x| a.contains(x))))
}

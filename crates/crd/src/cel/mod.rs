//! `x-kubernetes-validations`: CEL rules compiled once per CRD version and
//! evaluated against custom objects, with upstream's messages and paths.
//!
//! Evaluation uses the `cel` crate. Its interpreter has no type checker, so
//! [`check`] checks rules against the schema first; a rule this crate could
//! not evaluate faithfully is refused at compile time instead of ignored.

mod check;
mod convert;
mod library;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use capstan_apimachinery::{BadValue, FieldError, Path};
use cel::{Context, Env, ExecutionError, Program, Value as Cel};
use serde_json::Value;

use crate::fieldpath::valid_field_path;
use crate::schema::{Schema, ValidationRule};
use crate::structural::map_is_correlatable;
use crate::validate::openapi::correlate_list_item;
use check::{Checker, Ty, schema_type};

/// Why a rule was refused.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RuleError {
    Invalid(String),
}

/// The outcome of compiling one rule.
pub(crate) struct RuleCompilation {
    pub error: Option<RuleError>,
    pub message_expression_error: Option<String>,
    pub uses_old_self: bool,
    program: Option<Arc<Program>>,
    message_program: Option<Arc<Program>>,
    normalized_field_path: String,
}

fn env() -> Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Env::stdlib();
        // Registration only fails on duplicate names, which these are not.
        let _ = env.add_extension(cel::extensions::strings);
        let _ = library::register(&mut env);
        env.set_error_on_duplicate_map_keys(false);
        Arc::new(env)
    })
    .clone()
}

fn compile_expression<'a>(
    source: &str,
    self_type: &Ty<'a>,
    with_old_self: bool,
) -> Result<(Program, Ty<'a>, bool), String> {
    let program = env().compile(source).map_err(|errs| {
        let parts: Vec<String> = errs
            .errors
            .iter()
            .map(|e| {
                let offset = line_col_to_offset(source, e.pos.0, e.pos.1);
                check::located(source, offset, &e.msg)
            })
            .collect();
        parts.join("\n")
    })?;
    let old = with_old_self.then(|| self_type.clone());
    let mut checker = Checker::new(self_type.clone(), old);
    let ty = checker
        .check(program.expression())
        .map_err(|e| check::describe(program.source_info(), source, &e))?;
    let uses_old_self = checker.uses_old_self;
    Ok((program, ty, uses_old_self))
}

fn line_col_to_offset(source: &str, line: isize, col: isize) -> usize {
    let mut offset = 0;
    for (i, l) in source.split_inclusive('\n').enumerate() {
        if i as isize + 1 == line {
            let chars: usize = l
                .chars()
                .take((col.max(1) - 1) as usize)
                .map(char::len_utf8)
                .sum();
            return offset + chars;
        }
        offset += l.len();
    }
    offset
}

fn compile_rule(rule: &ValidationRule, node: &Schema, is_resource_root: bool) -> RuleCompilation {
    let mut result = RuleCompilation {
        error: None,
        message_expression_error: None,
        uses_old_self: false,
        program: None,
        message_program: None,
        normalized_field_path: String::new(),
    };
    if rule.rule.trim().is_empty() {
        return result;
    }
    let self_type = schema_type(node, is_resource_root);
    match compile_expression(&rule.rule, &self_type, true) {
        Err(issues) => {
            result.error = Some(RuleError::Invalid(format!("compilation failed: {issues}")));
            return result;
        }
        Ok((_, ty, _)) if !matches!(ty, Ty::Bool | Ty::Dyn) => {
            result.error = Some(RuleError::Invalid(
                "cel expression must evaluate to a bool".into(),
            ));
            return result;
        }
        Ok((program, _, uses_old_self)) => {
            result.uses_old_self = uses_old_self;
            result.program = Some(Arc::new(program));
        }
    }
    if !rule.message_expression.is_empty() {
        match compile_expression(&rule.message_expression, &self_type, true) {
            Err(issues) => {
                result.message_expression_error =
                    Some(format!("messageExpression compilation failed: {issues}"));
                return result;
            }
            Ok((_, ty, _)) if !matches!(ty, Ty::Str | Ty::Dyn) => {
                result.message_expression_error =
                    Some("messageExpression must evaluate to a string".into());
                return result;
            }
            Ok((program, _, _)) => result.message_program = Some(Arc::new(program)),
        }
    }
    if !rule.field_path.is_empty()
        && let Ok((path, _)) = valid_field_path(&rule.field_path, node, true)
    {
        result.normalized_field_path = path.to_string();
    }
    result
}

/// Compiles the rules declared on one schema node.
pub(crate) fn compile_node_rules(node: &Schema, is_resource_root: bool) -> Vec<RuleCompilation> {
    node.validations
        .iter()
        .map(|r| compile_rule(r, node, is_resource_root))
        .collect()
}

/// The compiled rules of a schema, arranged like the schema; build once per
/// CRD version and share (it is `Send + Sync`).
pub struct CelValidator {
    root: Option<Node>,
}

struct Node {
    /// The node's schema, which types the values rules see.
    schema: Schema,
    rules: Vec<(ValidationRule, RuleCompilation)>,
    items: Option<Box<Node>>,
    properties: BTreeMap<String, Node>,
    additional_properties: Option<Box<Node>>,
    all_of: Vec<Node>,
    /// Whether old values of object fields correlate with new ones.
    map_correlatable: bool,
}

fn has_rules(s: &Schema) -> bool {
    !s.validations.is_empty()
        || s.items_schema().is_some_and(has_rules)
        || s.additional_properties_schema().is_some_and(has_rules)
        || s.properties.values().any(has_rules)
        || s.all_of.iter().any(has_rules)
}

fn build(validation: &Schema, node: &Schema, is_resource_root: bool) -> Option<Node> {
    if !has_rules(validation) {
        return None;
    }
    let rules: Vec<(ValidationRule, RuleCompilation)> = validation
        .validations
        .iter()
        .map(|r| (r.clone(), compile_rule(r, node, is_resource_root)))
        .collect();
    let items = match (validation.items_schema(), node.items_schema()) {
        (Some(v), Some(n)) => build(v, n, n.embedded_resource).map(Box::new),
        _ => None,
    };
    let properties = validation
        .properties
        .iter()
        .filter_map(|(k, v)| {
            let n = node.properties.get(k)?;
            build(v, n, n.embedded_resource).map(|built| (k.clone(), built))
        })
        .collect();
    let additional_properties = match (
        validation.additional_properties_schema(),
        node.additional_properties_schema(),
    ) {
        (Some(v), Some(n)) => build(v, n, n.embedded_resource).map(Box::new),
        _ => None,
    };
    let all_of = validation
        .all_of
        .iter()
        .filter_map(|a| build(a, node, is_resource_root))
        .collect();
    Some(Node {
        schema: node.clone(),
        rules,
        items,
        properties,
        additional_properties,
        all_of,
        map_correlatable: map_is_correlatable(node.map_type.as_deref()),
    })
}

/// Compiles all rules of a CRD version's schema. Rules that fail to compile
/// are kept and reported as `rule compile error` when evaluated, as
/// upstream does for stored CRDs; use [`compile_rules`] to refuse them.
impl CelValidator {
    pub fn new(schema: &Schema) -> CelValidator {
        CelValidator {
            root: build(schema, schema, true),
        }
    }

    pub(crate) fn for_node(schema: &Schema, is_resource_root: bool) -> CelValidator {
        CelValidator {
            root: build(schema, schema, is_resource_root),
        }
    }

    /// Whether the schema has any rules at all.
    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// Evaluates the rules against a custom object; `old` on updates, which
    /// enables transition rules (those using `oldSelf`) and ratchets errors
    /// of unchanged values.
    pub fn validate(&self, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
        self.validate_at(&Path::nil(), obj, old)
    }

    pub(crate) fn validate_at(
        &self,
        path: &Path,
        obj: &Value,
        old: Option<&Value>,
    ) -> Vec<FieldError> {
        let mut errs = Vec::new();
        if let Some(root) = &self.root {
            root.validate(path, obj, old, old.is_some(), &mut errs);
        }
        errs
    }
}

/// Compiles a schema's rules, refusing the CRD (with upstream's errors at
/// `path`, the openAPIV3Schema path) when any rule cannot be compiled.
pub fn compile_rules(schema: &Schema, path: &Path) -> Result<CelValidator, Vec<FieldError>> {
    let errs = crate::structural::check_parsed(schema, path);
    if errs.is_empty() {
        Ok(CelValidator::new(schema))
    } else {
        Err(errs)
    }
}

impl Node {
    fn validate(
        &self,
        path: &Path,
        obj: &Value,
        old: Option<&Value>,
        ratchet: bool,
        errs: &mut Vec<FieldError>,
    ) {
        if obj.is_null() {
            return;
        }
        let old = old.filter(|o| !o.is_null());
        // Errors of non-transition rules on a value equal to its old value
        // are ratcheted away.
        let unchanged = ratchet && old == Some(obj);
        self.evaluate_rules(path, obj, old, unchanged, errs);
        for a in &self.all_of {
            a.validate(path, obj, old, ratchet, errs);
        }
        match obj {
            Value::Array(items) => {
                if let Some(item_node) = &self.items {
                    let olds = old.and_then(Value::as_array);
                    for (i, item) in items.iter().enumerate() {
                        let old_item =
                            olds.and_then(|o| correlate_list_item(&self.schema, o, item));
                        item_node.validate(
                            &path.index(i),
                            item,
                            old_item,
                            ratchet && old_item.is_some(),
                            errs,
                        );
                    }
                }
            }
            Value::Object(map) => {
                let old_map = old
                    .and_then(Value::as_object)
                    .filter(|_| self.map_correlatable);
                if let Some(ap) = &self.additional_properties {
                    for (k, v) in map {
                        let old_v = old_map.and_then(|m| m.get(k));
                        ap.validate(&path.key(k), v, old_v, ratchet && old_v.is_some(), errs);
                    }
                }
                for (k, v) in map {
                    if let Some(sub) = self.properties.get(k) {
                        let old_v = old_map.and_then(|m| m.get(k));
                        sub.validate(&path.child(k), v, old_v, ratchet && old_v.is_some(), errs);
                    }
                }
            }
            _ => {}
        }
    }

    fn evaluate_rules(
        &self,
        path: &Path,
        obj: &Value,
        old: Option<&Value>,
        unchanged: bool,
        errs: &mut Vec<FieldError>,
    ) {
        if self.rules.is_empty() {
            return;
        }
        let type_value = || BadValue::String(self.schema.type_.clone());
        let self_value = convert::to_cel(obj, Some(&self.schema));
        let old_value = old.map(|o| convert::to_cel(o, Some(&self.schema)));
        for (rule, compiled) in &self.rules {
            if let Some(e) = &compiled.error {
                let RuleError::Invalid(detail) = e;
                errs.push(FieldError::invalid(
                    path,
                    type_value(),
                    &format!("rule compile error: {detail}"),
                ));
                continue;
            }
            let Some(program) = &compiled.program else {
                continue;
            };
            let optional_old_self = rule.optional_old_self == Some(true);
            if compiled.uses_old_self && old_value.is_none() && !optional_old_self {
                continue;
            }
            let mut ctx = Context::with_env(env());
            ctx.add_variable_from_value("self", self_value.clone());
            match (&old_value, optional_old_self) {
                (Some(o), false) => ctx.add_variable_from_value("oldSelf", o.clone()),
                (Some(o), true) => ctx.add_variable_from_value(
                    "oldSelf",
                    Cel::Opaque(Arc::new(cel::objects::OptionalValue::of(o.clone()))),
                ),
                (None, true) => ctx.add_variable_from_value(
                    "oldSelf",
                    Cel::Opaque(Arc::new(cel::objects::OptionalValue::none())),
                ),
                (None, false) => {}
            }
            match program.execute(&ctx) {
                Err(e) => errs.push(FieldError::invalid(
                    path,
                    type_value(),
                    &runtime_error(&e, rule),
                )),
                Ok(Cel::Bool(true)) => {}
                Ok(_) => {
                    if unchanged && !compiled.uses_old_self {
                        continue;
                    }
                    let field_path = if compiled.normalized_field_path.is_empty() {
                        path.clone()
                    } else {
                        path.child(&compiled.normalized_field_path)
                    };
                    let message = match &compiled.message_program {
                        Some(mp) => match message_expression(mp, &ctx) {
                            Ok(m) => m,
                            Err(_) => rule_message_or_default(rule),
                        },
                        None => rule_message_or_default(rule),
                    };
                    errs.push(error_for_reason(
                        &field_path,
                        type_value(),
                        &message,
                        rule.reason.as_deref(),
                    ));
                }
            }
        }
    }
}

fn message_expression(program: &Program, ctx: &Context<'_, '_>) -> Result<String, String> {
    match program.execute(ctx) {
        Ok(Cel::String(s)) => {
            let trimmed = s.trim();
            if trimmed.len() > 5 * 1024 {
                Err("messageExpression beyond allowable length".into())
            } else if trimmed.contains('\n') {
                Err("messageExpression should not contain line breaks".into())
            } else if trimmed.is_empty() {
                Err("messageExpression should evaluate to a non-empty string".into())
            } else {
                Ok(trimmed.to_string())
            }
        }
        Ok(_) => Err("messageExpression failed to convert to string".into()),
        Err(e) => Err(format!("messageExpression evaluation failed due to: {e}")),
    }
}

fn rule_error_string(rule: &ValidationRule) -> String {
    if rule.message.is_empty() {
        rule.rule.trim().to_string()
    } else {
        rule.message.trim().to_string()
    }
}

fn rule_message_or_default(rule: &ValidationRule) -> String {
    if rule.message.is_empty() {
        format!("failed rule: {}", rule_error_string(rule))
    } else {
        rule.message.trim().to_string()
    }
}

fn error_for_reason(
    path: &Path,
    value: BadValue,
    detail: &str,
    reason: Option<&str>,
) -> FieldError {
    match reason {
        Some("FieldValueForbidden") => FieldError::forbidden(path, detail),
        Some("FieldValueRequired") => FieldError::required(path, detail),
        Some("FieldValueDuplicate") => FieldError::duplicate(path, value),
        _ => FieldError::invalid(path, value, detail),
    }
}

/// Upstream's wording of an evaluation error, from cel-go's error texts.
fn runtime_error(e: &ExecutionError, rule: &ValidationRule) -> String {
    let rule_text = rule_error_string(rule);
    let text = match e {
        ExecutionError::NoSuchOverload(_)
        | ExecutionError::UnsupportedBinaryOperator(..)
        | ExecutionError::ValuesNotComparable(..) => {
            return format!(
                "'no such overload': call arguments did not match a supported operator, function or macro signature for rule: {rule_text}"
            );
        }
        ExecutionError::NoSuchKey(k) => format!("no such key: {k}"),
        ExecutionError::DivisionByZero(_) => "division by zero".to_string(),
        ExecutionError::RemainderByZero(_) => "modulus by zero".to_string(),
        ExecutionError::Overflow(..) => "integer overflow".to_string(),
        ExecutionError::IndexOutOfBounds(i) => format!("index out of bounds: {}", cel_text(i)),
        ExecutionError::FunctionError { message, .. } => message.clone(),
        other => other.to_string(),
    };
    format!("{text} evaluating rule: {rule_text}")
}

fn cel_text(v: &Cel) -> String {
    match v {
        Cel::Int(i) => i.to_string(),
        Cel::UInt(u) => u.to_string(),
        Cel::String(s) => s.to_string(),
        other => format!("{other:?}"),
    }
}

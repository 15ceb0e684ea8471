//! A static check of CEL rules against the schema, standing in for cel-go's
//! type checker: undeclared identifiers and functions, fields the schema
//! does not declare, operators applied to mismatched known types, and the
//! result type. Anything this crate could not evaluate is refused here.

use cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue, SourceInfo, operators};

use super::library;
use crate::schema::Schema;

/// What the checker knows of an expression's type.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Ty<'a> {
    /// A schema object with declared fields (`true`: a resource, which also
    /// has apiVersion, kind and metadata).
    Object(&'a Schema, bool),
    /// A resource's metadata: name and generateName.
    Meta,
    Dyn,
    Bool,
    Int,
    Uint,
    Double,
    Str,
    Bytes,
    Null,
    Timestamp,
    Duration,
    Type,
    List(Box<Ty<'a>>),
    Map(Box<Ty<'a>>),
}

impl Ty<'_> {
    fn name(&self) -> String {
        match self {
            Ty::Object(..) | Ty::Meta => "object".into(),
            Ty::Dyn => "dyn".into(),
            Ty::Bool => "bool".into(),
            Ty::Int => "int".into(),
            Ty::Uint => "uint".into(),
            Ty::Double => "double".into(),
            Ty::Str => "string".into(),
            Ty::Bytes => "bytes".into(),
            Ty::Null => "null_type".into(),
            Ty::Timestamp => "google.protobuf.Timestamp".into(),
            Ty::Duration => "google.protobuf.Duration".into(),
            Ty::Type => "type".into(),
            Ty::List(e) => format!("list({})", e.name()),
            Ty::Map(v) => format!("map(string, {})", v.name()),
        }
    }

    fn is_scalar(&self) -> bool {
        matches!(
            self,
            Ty::Bool | Ty::Int | Ty::Uint | Ty::Double | Ty::Str | Ty::Bytes
        )
    }

    fn is_numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Uint | Ty::Double)
    }
}

/// The CEL type of values described by `s`.
pub(super) fn schema_type(s: &Schema, is_resource: bool) -> Ty<'_> {
    if s.int_or_string {
        return Ty::Dyn;
    }
    match s.type_.as_str() {
        "object" => {
            if !s.properties.is_empty() || is_resource || s.embedded_resource {
                Ty::Object(s, is_resource || s.embedded_resource)
            } else if let Some(ap) = s.additional_properties_schema() {
                Ty::Map(Box::new(schema_type(ap, ap.embedded_resource)))
            } else {
                Ty::Dyn
            }
        }
        "array" => match s.items_schema() {
            Some(items) => Ty::List(Box::new(schema_type(items, items.embedded_resource))),
            None => Ty::List(Box::new(Ty::Dyn)),
        },
        "string" => match s.format.as_str() {
            "byte" => Ty::Bytes,
            "duration" => Ty::Duration,
            "date" | "date-time" => Ty::Timestamp,
            _ => Ty::Str,
        },
        "integer" => Ty::Int,
        "number" => Ty::Double,
        "boolean" => Ty::Bool,
        _ => Ty::Dyn,
    }
}

/// CEL's escaping of property names that are not identifiers
/// (`__dash__`, `__dot__`, …); `None` when a name cannot be accessed.
pub(crate) fn escape(name: &str) -> Option<String> {
    const RESERVED: &[&str] = &[
        "true",
        "false",
        "null",
        "in",
        "as",
        "break",
        "const",
        "continue",
        "else",
        "for",
        "function",
        "if",
        "import",
        "let",
        "loop",
        "package",
        "namespace",
        "return",
        "var",
        "void",
        "while",
    ];
    if RESERVED.contains(&name) {
        return Some(format!("__{name}__"));
    }
    let mut chars = name.chars();
    let first = chars.next()?;
    if !(first.is_ascii_alphabetic() || first == '_') {
        return None;
    }
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("__") {
            out.push_str("__underscores__");
            rest = r;
            continue;
        }
        let c = rest.chars().next()?;
        match c {
            '.' => out.push_str("__dot__"),
            '-' => out.push_str("__dash__"),
            '/' => out.push_str("__slash__"),
            c if c.is_ascii_alphanumeric() || c == '_' => out.push(c),
            _ => return None,
        }
        rest = &rest[c.len_utf8()..];
    }
    Some(out)
}

/// The declared property a (possibly escaped) field name refers to.
pub(super) fn property<'a>(s: &'a Schema, field: &str) -> Option<(&'a str, &'a Schema)> {
    s.properties
        .iter()
        .find(|(name, _)| escape(name).as_deref() == Some(field))
        .map(|(name, schema)| (name.as_str(), schema))
}

/// Names of functions (and operators) the evaluator implements.
const STANDARD_FUNCTIONS: &[&str] = &[
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "int",
    "uint",
    "double",
    "string",
    "bytes",
    "bool",
    "dyn",
    "type",
    "timestamp",
    "duration",
    "getFullYear",
    "getMonth",
    "getDayOfYear",
    "getDayOfMonth",
    "getDate",
    "getDayOfWeek",
    "getHours",
    "getMinutes",
    "getSeconds",
    "getMilliseconds",
    "charAt",
    "lowerAscii",
    "upperAscii",
    "replace",
    "split",
    "substring",
    "trim",
    "join",
    "format",
    "strings.quote",
    "reverse",
    "optional.of",
    "optional.none",
    "optional.ofNonZeroValue",
    "hasValue",
    "value",
    "orValue",
    "or",
];

fn is_operator(name: &str) -> bool {
    name.starts_with('_')
        || name.starts_with('@')
        || name == operators::LOGICAL_NOT
        || name == operators::NEGATE
}

/// Identifiers that name types (`type(x) == string`).
const TYPE_NAMES: &[&str] = &[
    "int",
    "uint",
    "double",
    "bool",
    "string",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
    "dyn",
    "google.protobuf.Timestamp",
    "google.protobuf.Duration",
];

#[derive(Debug)]
pub(super) struct CheckError {
    pub id: u64,
    pub message: String,
}

pub(super) struct Checker<'a> {
    scope: Vec<(String, Ty<'a>)>,
    pub uses_old_self: bool,
}

impl<'a> Checker<'a> {
    pub(super) fn new(self_type: Ty<'a>, old_self: Option<Ty<'a>>) -> Self {
        let mut scope = vec![("self".to_string(), self_type)];
        if let Some(old) = old_self {
            scope.push(("oldSelf".to_string(), old));
        }
        Checker {
            scope,
            uses_old_self: false,
        }
    }

    fn lookup(&self, name: &str) -> Option<Ty<'a>> {
        self.scope
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
    }

    pub(super) fn check(&mut self, e: &IdedExpr) -> Result<Ty<'a>, CheckError> {
        let err = |message: String| CheckError { id: e.id, message };
        match &e.expr {
            Expr::Unspecified => Ok(Ty::Dyn),
            Expr::Literal(lit) => Ok(match lit {
                LiteralValue::Boolean(_) => Ty::Bool,
                LiteralValue::Int(_) => Ty::Int,
                LiteralValue::UInt(_) => Ty::Uint,
                LiteralValue::Double(_) => Ty::Double,
                LiteralValue::String(_) => Ty::Str,
                LiteralValue::Bytes(_) => Ty::Bytes,
                LiteralValue::Null => Ty::Null,
            }),
            Expr::Ident(name) => {
                if name == "oldSelf" {
                    self.uses_old_self = true;
                }
                match self.lookup(name) {
                    Some(t) => Ok(t),
                    None if TYPE_NAMES.contains(&name.as_str()) => Ok(Ty::Type),
                    None => Err(err(format!(
                        "undeclared reference to '{name}' (in container '')"
                    ))),
                }
            }
            Expr::Select(sel) => {
                let operand = self.check(&sel.operand)?;
                let field = select_field(&operand, &sel.field).map_err(err)?;
                Ok(if sel.test { Ty::Bool } else { field })
            }
            Expr::List(list) => {
                let mut elem = None;
                for item in &list.elements {
                    let t = self.check(item)?;
                    elem.get_or_insert(t);
                }
                Ok(Ty::List(Box::new(elem.unwrap_or(Ty::Dyn))))
            }
            Expr::Map(map) => {
                let mut value = None;
                for entry in &map.entries {
                    if let EntryExpr::MapEntry(m) = &entry.expr {
                        self.check(&m.key)?;
                        let t = self.check(&m.value)?;
                        value.get_or_insert(t);
                    }
                }
                Ok(Ty::Map(Box::new(value.unwrap_or(Ty::Dyn))))
            }
            Expr::Struct(s) => Err(err(format!(
                "undeclared reference to '{}' (in container '')",
                s.type_name
            ))),
            Expr::Comprehension(c) => {
                let range = self.check(&c.iter_range)?;
                let (first, second) = match &range {
                    Ty::List(elem) => (
                        if c.iter_var2.is_some() {
                            Ty::Int
                        } else {
                            (**elem).clone()
                        },
                        (**elem).clone(),
                    ),
                    Ty::Map(v) => (Ty::Str, (**v).clone()),
                    Ty::Object(..) | Ty::Meta => (Ty::Str, Ty::Dyn),
                    _ => (Ty::Dyn, Ty::Dyn),
                };
                let accu = self.check(&c.accu_init)?;
                let depth = self.scope.len();
                self.scope.push((c.iter_var.clone(), first));
                if let Some(v2) = &c.iter_var2 {
                    self.scope.push((v2.clone(), second));
                }
                self.scope.push((c.accu_var.clone(), accu));
                let outcome = (|| {
                    self.check(&c.loop_cond)?;
                    let step = self.check(&c.loop_step)?;
                    // The accumulator takes the step's type (e.g. a list of mapped values).
                    if let Some(last) = self.scope.last_mut() {
                        last.1 = step;
                    }
                    self.check(&c.result)
                })();
                self.scope.truncate(depth);
                outcome
            }
            Expr::Call(call) => self.check_call(e, call),
        }
    }

    fn check_call(
        &mut self,
        e: &IdedExpr,
        call: &cel::common::ast::CallExpr,
    ) -> Result<Ty<'a>, CheckError> {
        let err = |message: String| CheckError { id: e.id, message };
        let name = call.func_name.as_str();
        // `ns.fn(args)` parses as a member call on an identifier.
        let mut qualified = None;
        if let Some(target) = &call.target
            && let Expr::Ident(ns) = &target.expr
            && self.lookup(ns).is_none()
        {
            let full = format!("{ns}.{name}");
            if STANDARD_FUNCTIONS.contains(&full.as_str())
                || library::FUNCTIONS.contains(&full.as_str())
            {
                qualified = Some(full);
            }
        }
        let target = match (&call.target, &qualified) {
            (Some(t), None) => Some(self.check(t)?),
            _ => None,
        };
        let mut args = Vec::with_capacity(call.args.len());
        for a in &call.args {
            args.push(self.check(a)?);
        }
        let fname = qualified.as_deref().unwrap_or(name);
        if !is_operator(fname)
            && !STANDARD_FUNCTIONS.contains(&fname)
            && !library::FUNCTIONS.contains(&fname)
        {
            return Err(err(format!(
                "undeclared reference to '{fname}' (in container '')"
            )));
        }
        // Operators have fixed arities; pad so malformed calls cannot panic.
        if is_operator(fname) {
            while args.len() < 3 {
                args.push(Ty::Dyn);
            }
        }
        let mismatch = |types: &[&Ty<'_>]| {
            let names: Vec<String> = types.iter().map(|t| t.name()).collect();
            err(format!(
                "found no matching overload for '{fname}' applied to '({})'",
                names.join(", ")
            ))
        };
        match fname {
            operators::LOGICAL_AND | operators::LOGICAL_OR => {
                if args.iter().any(|a| a.is_scalar() && *a != Ty::Bool) {
                    return Err(mismatch(&[&args[0], &args[1]]));
                }
                Ok(Ty::Bool)
            }
            operators::LOGICAL_NOT => {
                if args[0].is_scalar() && args[0] != Ty::Bool {
                    return Err(mismatch(&[&args[0]]));
                }
                Ok(Ty::Bool)
            }
            operators::EQUALS | operators::NOT_EQUALS => {
                if args[0].is_scalar() && args[1].is_scalar() && args[0] != args[1] {
                    return Err(mismatch(&[&args[0], &args[1]]));
                }
                Ok(Ty::Bool)
            }
            operators::LESS
            | operators::LESS_EQUALS
            | operators::GREATER
            | operators::GREATER_EQUALS => {
                let cross_numeric = args[0].is_numeric() && args[1].is_numeric();
                if args[0].is_scalar()
                    && args[1].is_scalar()
                    && args[0] != args[1]
                    && !cross_numeric
                {
                    return Err(mismatch(&[&args[0], &args[1]]));
                }
                Ok(Ty::Bool)
            }
            operators::ADD
            | operators::SUBSTRACT
            | operators::MULTIPLY
            | operators::DIVIDE
            | operators::MODULO => {
                let (a, b) = (&args[0], &args[1]);
                if (a.is_scalar() && b.is_scalar() && a != b) || *a == Ty::Bool || *b == Ty::Bool {
                    return Err(mismatch(&[a, b]));
                }
                Ok(match (a, b) {
                    (Ty::Dyn, other) | (other, Ty::Dyn) => other.clone(),
                    (Ty::Timestamp, Ty::Timestamp) => Ty::Duration,
                    (Ty::Timestamp, _) | (_, Ty::Timestamp) => Ty::Timestamp,
                    (a, _) => a.clone(),
                })
            }
            operators::NEGATE => Ok(args[0].clone()),
            operators::INDEX | operators::OPT_INDEX => Ok(match &args[0] {
                Ty::List(elem) => (**elem).clone(),
                Ty::Map(v) => (**v).clone(),
                _ => Ty::Dyn,
            }),
            operators::CONDITIONAL => Ok(if args[1] == Ty::Null {
                args[2].clone()
            } else {
                args[1].clone()
            }),
            operators::IN => Ok(Ty::Bool),
            operators::NOT_STRICTLY_FALSE => Ok(Ty::Bool),
            _ if is_operator(fname) => Ok(Ty::Dyn),
            "size" | "indexOf" | "lastIndexOf" | "int" => Ok(Ty::Int),
            "getFullYear" | "getMonth" | "getDayOfYear" | "getDayOfMonth" | "getDate"
            | "getDayOfWeek" | "getHours" | "getMinutes" | "getSeconds" | "getMilliseconds" => {
                Ok(Ty::Int)
            }
            "contains" | "startsWith" | "endsWith" | "matches" | "isSorted" | "bool"
            | "hasValue" | "sets.contains" | "sets.equivalent" | "sets.intersects" => Ok(Ty::Bool),
            "uint" => Ok(Ty::Uint),
            "double" => Ok(Ty::Double),
            "string" | "charAt" | "lowerAscii" | "upperAscii" | "replace" | "substring"
            | "trim" | "join" | "format" | "strings.quote" | "find" => Ok(Ty::Str),
            "reverse" => Ok(target.unwrap_or(Ty::Dyn)),
            "bytes" => Ok(Ty::Bytes),
            "timestamp" => Ok(Ty::Timestamp),
            "duration" => Ok(Ty::Duration),
            "type" => Ok(Ty::Type),
            "split" | "findAll" => Ok(Ty::List(Box::new(Ty::Str))),
            "sum" | "min" | "max" => Ok(match target {
                Some(Ty::List(elem)) => *elem,
                _ => Ty::Dyn,
            }),
            _ => Ok(Ty::Dyn),
        }
    }
}

fn select_field<'a>(operand: &Ty<'a>, field: &str) -> Result<Ty<'a>, String> {
    match operand {
        Ty::Object(s, is_resource) => {
            if let Some((_, prop)) = property(s, field) {
                return Ok(schema_type(prop, prop.embedded_resource));
            }
            if *is_resource {
                match field {
                    "apiVersion" | "kind" => return Ok(Ty::Str),
                    "metadata" => return Ok(Ty::Meta),
                    _ => {}
                }
            }
            Err(format!("undefined field '{field}'"))
        }
        Ty::Meta => match field {
            "name" | "generateName" => Ok(Ty::Str),
            _ => Err(format!("undefined field '{field}'")),
        },
        Ty::Map(v) => Ok((**v).clone()),
        Ty::Dyn => Ok(Ty::Dyn),
        other => Err(format!(
            "type '{}' does not support field selection",
            other.name()
        )),
    }
}

/// cel-go's rendering of a checker error: location, message, the source
/// line and a caret.
pub(super) fn describe(info: &SourceInfo, source: &str, e: &CheckError) -> String {
    let offset = info
        .offset_for(e.id)
        .map(|(start, _)| start as usize)
        .unwrap_or(0);
    located(source, offset, &e.message)
}

pub(super) fn located(source: &str, offset: usize, message: &str) -> String {
    let mut line_no = 1;
    let mut line_start = 0;
    for (i, c) in source.char_indices() {
        if i >= offset {
            break;
        }
        if c == '\n' {
            line_no += 1;
            line_start = i + 1;
        }
    }
    let column = source[line_start..offset.min(source.len())].chars().count();
    let line = source[line_start..].lines().next().unwrap_or("");
    format!(
        "ERROR: <input>:{line_no}:{}: {message}\n | {line}\n | {}^",
        column + 1,
        ".".repeat(column)
    )
}

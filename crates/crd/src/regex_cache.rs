//! Compiled regular expressions for schema `pattern`s, cached because the
//! same few patterns are matched on every request.
//!
//! Schemas use Go's RE2 dialect. Rust's `regex` is RE2-like too, but its
//! Perl classes (`\d`, `\w`, `\s`, `\b`) are Unicode-aware where Go's are
//! ASCII-only, so those are rewritten to their ASCII forms before compiling.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use regex::Regex;

const CACHE_LIMIT: usize = 2048;

type Cache = Mutex<HashMap<String, Result<Arc<Regex>, String>>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Compiles a Go-syntax pattern, or returns Go-style error text
/// (`error parsing regexp: ...`).
pub fn compile(pattern: &str) -> Result<Arc<Regex>, String> {
    if let Ok(guard) = cache().lock()
        && let Some(hit) = guard.get(pattern)
    {
        return hit.clone();
    }
    let compiled = Regex::new(&translate(pattern))
        .map(Arc::new)
        .map_err(|e| describe_error(pattern, &e));
    if let Ok(mut guard) = cache().lock() {
        if guard.len() >= CACHE_LIMIT {
            guard.clear();
        }
        guard.insert(pattern.to_string(), compiled.clone());
    }
    compiled
}

fn describe_error(pattern: &str, e: &regex::Error) -> String {
    let detail = match e {
        regex::Error::Syntax(text) => text
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("error: "))
            .unwrap_or("invalid syntax")
            .to_string(),
        regex::Error::CompiledTooBig(_) => "expression too large".to_string(),
        _ => "invalid syntax".to_string(),
    };
    format!("error parsing regexp: {detail}: `{pattern}`")
}

/// Rewrites Perl character classes to their ASCII (Go) meaning.
fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    let mut class_depth = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let inside = class_depth > 0;
                match (next, inside) {
                    ('d', false) => out.push_str("[0-9]"),
                    ('d', true) => out.push_str("0-9"),
                    ('D', _) => out.push_str("[^0-9]"),
                    ('w', false) => out.push_str("[0-9A-Za-z_]"),
                    ('w', true) => out.push_str("0-9A-Za-z_"),
                    ('W', _) => out.push_str("[^0-9A-Za-z_]"),
                    ('s', false) => out.push_str("[\\t\\n\\f\\r ]"),
                    ('s', true) => out.push_str("\\t\\n\\f\\r "),
                    ('S', _) => out.push_str("[^\\t\\n\\f\\r ]"),
                    ('b', false) => out.push_str("(?-u:\\b)"),
                    ('B', false) => out.push_str("(?-u:\\B)"),
                    (other, _) => {
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
            '[' => {
                class_depth += 1;
                out.push('[');
                // A leading `]` (or `^]`) is a literal inside the class.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perl_classes_are_ascii_like_go() {
        let re = compile(r"^\d+$").unwrap();
        assert!(re.is_match("123"));
        assert!(!re.is_match("١٢٣"));
        let re = compile(r"^[\w-]+$").unwrap();
        assert!(re.is_match("a_b-1"));
        assert!(!re.is_match("é"));
        let re = compile(r"^\p{L}+$").unwrap();
        assert!(re.is_match("é"));
        assert!(compile(r"\bfoo\b").unwrap().is_match("a foo b"));
    }

    #[test]
    fn invalid_patterns_report_go_prefix() {
        let e = compile("(").unwrap_err();
        assert!(e.starts_with("error parsing regexp: "), "{e}");
        assert!(e.ends_with("`(`"), "{e}");
    }
}

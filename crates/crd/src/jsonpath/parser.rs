//! The parser of Kubernetes' JSONPath templates (client-go `util/jsonpath`):
//! `{.a.b[0]}`, `{.items[*].name}`, `{.c[?(@.type=="Ready")].status}`,
//! `{..name}`, unions `[0,1]` and slices `[1:3:2]`.

/// One `[start:end:step]` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Param {
    pub value: i64,
    pub known: bool,
    pub derived: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    List(Vec<Node>),
    Text(String),
    Field(String),
    Array([Param; 3]),
    Filter {
        left: Vec<Node>,
        right: Vec<Node>,
        op: String,
    },
    Int(i64),
    Float(f64),
    Bool(bool),
    Wildcard,
    Recursive,
    Union(Vec<Vec<Node>>),
    Identifier(String),
}

struct Parser<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    width: usize,
}

const EOF: Option<char> = None;

fn is_terminator(r: Option<char>) -> bool {
    match r {
        None => true,
        Some(c) => matches!(
            c,
            ' ' | '\t' | '\r' | '\n' | '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}'
        ),
    }
}

fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

/// Parses a whole template into its top-level nodes (text and actions).
pub(crate) fn parse(text: &str) -> Result<Vec<Node>, String> {
    let mut p = Parser {
        input: text,
        pos: 0,
        start: 0,
        width: 0,
    };
    let mut root = Vec::new();
    p.parse_text(&mut root)?;
    Ok(root)
}

/// Parses `text` as the inside of a single action, as a nested parser does.
fn parse_action(text: &str) -> Result<Vec<Node>, String> {
    let nodes = parse(&format!("{{{text}}}"))?;
    match nodes.into_iter().next() {
        Some(Node::List(inner)) => Ok(inner),
        _ => Ok(Vec::new()),
    }
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.input[self.pos..]
    }

    fn next(&mut self) -> Option<char> {
        match self.rest().chars().next() {
            None => {
                self.width = 0;
                EOF
            }
            Some(c) => {
                self.width = c.len_utf8();
                self.pos += self.width;
                Some(c)
            }
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.rest().chars().next()
    }

    fn backup(&mut self) {
        self.pos -= self.width;
    }

    fn consume_text(&mut self) -> String {
        let value = self.input[self.start..self.pos].to_string();
        self.start = self.pos;
        value
    }

    fn parse_text(&mut self, root: &mut Vec<Node>) -> Result<(), String> {
        loop {
            if self.rest().starts_with('{') {
                if self.pos > self.start {
                    let text = self.consume_text();
                    root.push(Node::Text(text));
                }
                return self.parse_left_delim(root);
            }
            if self.next().is_none() {
                break;
            }
        }
        if self.pos > self.start {
            let text = self.consume_text();
            root.push(Node::Text(text));
        }
        Ok(())
    }

    fn parse_left_delim(&mut self, root: &mut Vec<Node>) -> Result<(), String> {
        self.pos += 1;
        self.consume_text();
        let mut cur = Vec::new();
        let result = self.parse_inside_action(&mut cur, root);
        // The action's list is appended even when parsing stops early.
        if !matches!(result, Ok(true)) {
            root.push(Node::List(cur));
        }
        result.map(|_| ())
    }

    /// Returns Ok(true) when the action was closed (and pushed) already.
    fn parse_inside_action(
        &mut self,
        cur: &mut Vec<Node>,
        root: &mut Vec<Node>,
    ) -> Result<bool, String> {
        loop {
            if self.rest().starts_with('}') {
                self.pos += 1;
                self.consume_text();
                root.push(Node::List(std::mem::take(cur)));
                self.parse_text(root)?;
                return Ok(true);
            }
            if self.rest().starts_with("[?(") {
                self.parse_filter(cur)?;
                continue;
            }
            if self.rest().starts_with("..") {
                self.parse_recursive(cur)?;
                continue;
            }
            match self.next() {
                None | Some('\r') | Some('\n') => return Err("unclosed action".to_string()),
                Some(' ') => {
                    self.consume_text();
                }
                Some('@') | Some('$') => {
                    self.consume_text();
                }
                Some('[') => self.parse_array(cur)?,
                Some(q @ ('"' | '\'')) => self.parse_quote(cur, q)?,
                Some('.') => self.parse_field(cur)?,
                Some(c) if c == '+' || c == '-' || c.is_ascii_digit() || c.is_numeric() => {
                    self.backup();
                    self.parse_number(cur)?;
                }
                Some(c) if is_alphanumeric(c) => {
                    self.backup();
                    self.parse_identifier(cur)?;
                }
                Some(c) => {
                    return Err(format!(
                        "unrecognized character in action: U+{:04X} '{c}'",
                        c as u32
                    ));
                }
            }
        }
    }

    fn parse_identifier(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        loop {
            let r = self.next();
            if is_terminator(r) {
                if r.is_some() {
                    self.backup();
                }
                break;
            }
        }
        let value = self.consume_text();
        match value.as_str() {
            "true" => cur.push(Node::Bool(true)),
            "false" => cur.push(Node::Bool(false)),
            _ => cur.push(Node::Identifier(value)),
        }
        Ok(())
    }

    fn parse_recursive(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        if matches!(cur.last(), Some(Node::Recursive)) {
            return Err("invalid multiple recursive descent".to_string());
        }
        self.pos += 2;
        self.consume_text();
        cur.push(Node::Recursive);
        if self.peek().is_some_and(is_alphanumeric) {
            return self.parse_field(cur);
        }
        Ok(())
    }

    fn parse_number(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        if matches!(self.peek(), Some('+' | '-')) {
            self.next();
        }
        loop {
            match self.next() {
                Some(c) if c == '.' || c.is_ascii_digit() => {}
                Some(_) => {
                    self.backup();
                    break;
                }
                None => break,
            }
        }
        let value = self.consume_text();
        if let Ok(i) = value.parse::<i64>() {
            cur.push(Node::Int(i));
            return Ok(());
        }
        match value.parse::<f64>() {
            Ok(f) => {
                cur.push(Node::Float(f));
                Ok(())
            }
            Err(_) => Err(format!("cannot parse number {value}")),
        }
    }

    fn parse_array(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated array".to_string()),
                Some(']') => break,
                Some(_) => {}
            }
        }
        let text = self.consume_text();
        let mut text = text[1..text.len() - 1].to_string();
        if text == "*" {
            text = ":".to_string();
        }
        let parts: Vec<&str> = text.split(',').collect();
        if parts.len() > 1 {
            let mut union = Vec::new();
            for part in parts {
                union.push(parse_action(&format!("[{}]", part.trim_matches(' ')))?);
            }
            cur.push(Node::Union(union));
            return Ok(());
        }
        if text.len() >= 2
            && text.starts_with('\'')
            && text.ends_with('\'')
            && !text[1..text.len() - 1].contains('\'')
        {
            let inner = parse_action(&format!(".{}", &text[1..text.len() - 1]))?;
            cur.extend(inner);
            return Ok(());
        }
        let params = parse_slice(&text).ok_or_else(|| format!("invalid array index {text}"))?;
        cur.push(Node::Array(params));
        Ok(())
    }

    fn parse_filter(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        self.pos += 3;
        self.consume_text();
        let mut begin = false;
        let mut end = false;
        let mut pair = '\0';
        loop {
            let r = self.next();
            match r {
                None | Some('\n') => return Err("unterminated filter".to_string()),
                Some(q @ ('"' | '\'')) => {
                    if !begin {
                        begin = true;
                        pair = q;
                        continue;
                    }
                    let prev = self.input[..self.pos - 1].chars().next_back();
                    if prev != Some('\\') && q == pair {
                        end = true;
                    }
                }
                Some(')') => {
                    if begin == end {
                        break;
                    }
                }
                Some(_) => {}
            }
        }
        if self.next() != Some(']') {
            return Err("unclosed array expect ]".to_string());
        }
        let text = self.consume_text();
        let text = &text[..text.len() - 2];
        match split_filter(text) {
            None => cur.push(Node::Filter {
                left: parse_action(text)?,
                right: Vec::new(),
                op: "exists".to_string(),
            }),
            Some((left, op, right)) => cur.push(Node::Filter {
                left: parse_action(left)?,
                right: parse_action(right)?,
                op: op.to_string(),
            }),
        }
        Ok(())
    }

    fn parse_quote(&mut self, cur: &mut Vec<Node>, end: char) -> Result<(), String> {
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated quoted string".to_string()),
                Some(c) if c == end => {
                    let prev = self.input[..self.pos - 1].chars().next_back();
                    if prev != Some('\\') {
                        break;
                    }
                }
                Some(_) => {}
            }
        }
        let value = self.consume_text();
        let unquoted = unquote(&value).map_err(|e| format!("unquote string {value} error {e}"))?;
        cur.push(Node::Text(unquoted));
        Ok(())
    }

    fn parse_field(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        self.consume_text();
        loop {
            let r = self.next();
            if r == Some('\\') {
                self.next();
            } else if is_terminator(r) {
                if r.is_some() {
                    self.backup();
                }
                break;
            }
        }
        let value = self.consume_text();
        if value == "*" {
            cur.push(Node::Wildcard);
        } else {
            cur.push(Node::Field(value.replace('\\', "")));
        }
        Ok(())
    }
}

/// `^([^!<>=]+)([!<>=]+)(.+?)$`
fn split_filter(text: &str) -> Option<(&str, &str, &str)> {
    let op_start = text.find(['!', '<', '>', '='])?;
    if op_start == 0 {
        return None;
    }
    let op_len = text[op_start..]
        .find(|c| !matches!(c, '!' | '<' | '>' | '='))
        .unwrap_or(text.len() - op_start);
    let right = &text[op_start + op_len..];
    if right.is_empty() {
        return None;
    }
    Some((&text[..op_start], &text[op_start..op_start + op_len], right))
}

/// `^(-?[\d]*)(:-?[\d]*)?(:-?[\d]*)?$` into three parameters.
fn parse_slice(text: &str) -> Option<[Param; 3]> {
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() > 3 {
        return None;
    }
    let valid = |s: &str| {
        let digits = s.strip_prefix('-').unwrap_or(s);
        digits.chars().all(|c| c.is_ascii_digit())
    };
    if !parts.iter().all(|p| valid(p)) {
        return None;
    }
    let mut params = [Param::default(); 3];
    for i in 0..3 {
        match parts.get(i) {
            Some(s) if !s.is_empty() && *s != "-" => {
                params[i] = Param {
                    value: s.parse().ok()?,
                    known: true,
                    derived: false,
                };
            }
            Some(s) if *s == "-" => return None,
            Some(_) if i > 0 => {}
            Some(_) | None => {
                if i == 1 && parts.len() == 1 {
                    params[1] = Param {
                        value: params[0].value + 1,
                        known: true,
                        derived: true,
                    };
                }
            }
        }
    }
    Some(params)
}

/// client-go's `UnquoteExtend`: Go string unquoting for '…' and "…".
fn unquote(s: &str) -> Result<String, String> {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 2 || chars[0] != chars[chars.len() - 1] || !matches!(chars[0], '"' | '\'') {
        return Err("invalid syntax".to_string());
    }
    let quote = chars[0];
    let body = &chars[1..chars.len() - 1];
    let mut out = String::new();
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        if c == quote {
            return Err("invalid syntax".to_string());
        }
        if c != '\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let esc = *body.get(i + 1).ok_or("invalid syntax")?;
        i += 2;
        let simple = match esc {
            'a' => Some('\u{07}'),
            'b' => Some('\u{08}'),
            'f' => Some('\u{0C}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\u{0B}'),
            '\\' => Some('\\'),
            '\'' | '"' if esc == quote => Some(esc),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            continue;
        }
        let hex_len = match esc {
            'x' => 2,
            'u' => 4,
            'U' => 8,
            _ => return Err("invalid syntax".to_string()),
        };
        let digits: String = body
            .get(i..i + hex_len)
            .ok_or("invalid syntax")?
            .iter()
            .collect();
        let code = u32::from_str_radix(&digits, 16).map_err(|_| "invalid syntax")?;
        out.push(char::from_u32(code).ok_or("invalid syntax")?);
        i += hex_len;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(text: &str) -> Vec<Node> {
        match parse(text).unwrap().into_iter().next() {
            Some(Node::List(nodes)) => nodes,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn parses_fields_arrays_and_filters() {
        assert_eq!(
            action("{.spec.replicas}"),
            vec![Node::Field("spec".into()), Node::Field("replicas".into())]
        );
        assert_eq!(
            action("{.items[*].name}"),
            vec![
                Node::Field("items".into()),
                Node::Array([Param::default(), Param::default(), Param::default()]),
                Node::Field("name".into()),
            ]
        );
        let Node::Filter { left, right, op } = &action(r#"{.c[?(@.type=="Ready")].status}"#)[1]
        else {
            panic!("not a filter");
        };
        assert_eq!(left, &vec![Node::Field("type".into())]);
        assert_eq!(right, &vec![Node::Text("Ready".into())]);
        assert_eq!(op, "==");
        // A quoted key is re-parsed as a field path, so dots still split…
        assert_eq!(
            action("{.a['b.c']}"),
            vec![
                Node::Field("a".into()),
                Node::Field("b".into()),
                Node::Field("c".into())
            ]
        );
        // …unless escaped.
        assert_eq!(
            action(r"{.a['b\.c']}"),
            vec![Node::Field("a".into()), Node::Field("b.c".into())]
        );
        assert_eq!(action(r"{.a\.b}"), vec![Node::Field("a.b".into())]);
    }

    #[test]
    fn reports_upstream_parse_errors() {
        assert_eq!(parse("{.a").unwrap_err(), "unclosed action");
        assert_eq!(parse("{.a[0}").unwrap_err(), "unterminated array");
        assert_eq!(parse("{.a[x]}").unwrap_err(), "invalid array index x");
        assert_eq!(
            parse("{#}").unwrap_err(),
            "unrecognized character in action: U+0023 '#'"
        );
        assert_eq!(
            parse("{.a[?(@.b=='x']}").unwrap_err(),
            "unterminated filter"
        );
        assert_eq!(
            parse("{....a}").unwrap_err(),
            "invalid multiple recursive descent"
        );
    }
}

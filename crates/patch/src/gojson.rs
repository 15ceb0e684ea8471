//! Decoding patch bodies with the error texts Go's `encoding/json` produces.
//!
//! kube-apiserver returns these texts verbatim in 400 responses, so a malformed
//! body must be described the same way. Only the syntax check is emulated; the
//! actual parsing is serde_json's.

use serde_json::Value;

/// Parses `data`, reporting syntax errors as Go's `json.Unmarshal` words them.
pub(crate) fn parse(data: &[u8]) -> Result<Value, String> {
    if let Some(message) = syntax_error(data) {
        return Err(message);
    }
    serde_json::from_slice(data).map_err(|err| err.to_string())
}

/// `json: cannot unmarshal <kind> into Go value of type <go_type>`.
pub(crate) fn unmarshal_type_error(value: &Value, go_type: &str) -> String {
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    format!("json: cannot unmarshal {kind} into Go value of type {go_type}")
}

/// What the scanner expects next; names the context in Go's message.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Value,
    /// First key of an object: a string or `}`.
    KeyOrEnd,
    Key,
    Colon,
    /// After an object member: `,` or `}`.
    MemberEnd,
    /// First element of an array: a value or `]`.
    ValueOrEnd,
    /// After an array element: `,` or `]`.
    ElementEnd,
    Nothing,
}

/// Returns Go's message for the first syntax error in `data`, if any.
pub(crate) fn syntax_error(data: &[u8]) -> Option<String> {
    let mut scanner = Scanner { data, pos: 0 };
    scanner.run().err()
}

struct Scanner<'a> {
    data: &'a [u8],
    pos: usize,
}

const UNEXPECTED_END: &str = "unexpected end of JSON input";

fn invalid(c: u8, context: &str) -> String {
    format!("invalid character {} {context}", quote_char(c))
}

/// Go's `quoteChar`: the byte as a rune inside single quotes, escaped like `strconv.Quote`.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".to_string(),
        b'"' => "'\"'".to_string(),
        b'\\' => "'\\\\'".to_string(),
        0x07 => "'\\a'".to_string(),
        0x08 => "'\\b'".to_string(),
        0x0c => "'\\f'".to_string(),
        b'\n' => "'\\n'".to_string(),
        b'\r' => "'\\r'".to_string(),
        b'\t' => "'\\t'".to_string(),
        0x0b => "'\\v'".to_string(),
        c if c < 0x20 || c == 0x7f => format!("'\\x{c:02x}'"),
        c if (0x80..=0xa0).contains(&c) || c == 0xad => format!("'\\u{c:04x}'"),
        c => format!("'{}'", char::from(c)),
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn next_non_space(&mut self) -> Option<u8> {
        while let Some(c) = self.peek() {
            if !is_space(c) {
                return Some(c);
            }
            self.pos += 1;
        }
        None
    }

    fn run(&mut self) -> Result<(), String> {
        // Containers still open; `true` for objects.
        let mut stack: Vec<bool> = Vec::new();
        let mut expect = Expect::Value;
        loop {
            let Some(c) = self.next_non_space() else {
                return if expect == Expect::Nothing {
                    Ok(())
                } else {
                    Err(UNEXPECTED_END.to_string())
                };
            };
            match expect {
                Expect::Value | Expect::ValueOrEnd => {
                    if expect == Expect::ValueOrEnd && c == b']' {
                        self.pos += 1;
                        stack.pop();
                        expect = after_value(&stack);
                        continue;
                    }
                    match c {
                        b'{' => {
                            self.pos += 1;
                            stack.push(true);
                            expect = Expect::KeyOrEnd;
                        }
                        b'[' => {
                            self.pos += 1;
                            stack.push(false);
                            expect = Expect::ValueOrEnd;
                        }
                        _ => {
                            self.scalar(c)?;
                            expect = after_value(&stack);
                        }
                    }
                }
                Expect::KeyOrEnd | Expect::Key => {
                    if expect == Expect::KeyOrEnd && c == b'}' {
                        self.pos += 1;
                        stack.pop();
                        expect = after_value(&stack);
                    } else if c == b'"' {
                        self.string()?;
                        expect = Expect::Colon;
                    } else {
                        return Err(invalid(c, "looking for beginning of object key string"));
                    }
                }
                Expect::Colon => {
                    if c != b':' {
                        return Err(invalid(c, "after object key"));
                    }
                    self.pos += 1;
                    expect = Expect::Value;
                }
                Expect::MemberEnd | Expect::ElementEnd => {
                    let (close, context) = if expect == Expect::MemberEnd {
                        (b'}', "after object key:value pair")
                    } else {
                        (b']', "after array element")
                    };
                    self.pos += 1;
                    if c == b',' {
                        expect = if expect == Expect::MemberEnd {
                            Expect::Key
                        } else {
                            Expect::Value
                        };
                    } else if c == close {
                        stack.pop();
                        expect = after_value(&stack);
                    } else {
                        return Err(invalid(c, context));
                    }
                }
                Expect::Nothing => return Err(invalid(c, "after top-level value")),
            }
        }
    }

    fn scalar(&mut self, c: u8) -> Result<(), String> {
        match c {
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => self.number(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => Err(invalid(c, "looking for beginning of value")),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), String> {
        let name = String::from_utf8_lossy(word);
        for &expected in word {
            match self.peek() {
                None => return Err(UNEXPECTED_END.to_string()),
                Some(c) if c == expected => self.pos += 1,
                Some(c) => {
                    let context = format!("in literal {name} (expecting {})", quote_char(expected));
                    return Err(invalid(c, &context));
                }
            }
        }
        Ok(())
    }

    fn string(&mut self) -> Result<(), String> {
        self.pos += 1; // opening quote
        loop {
            let Some(c) = self.peek() else {
                return Err(UNEXPECTED_END.to_string());
            };
            self.pos += 1;
            match c {
                b'"' => return Ok(()),
                b'\\' => self.escape()?,
                c if c < 0x20 => return Err(invalid(c, "in string literal")),
                _ => {}
            }
        }
    }

    fn escape(&mut self) -> Result<(), String> {
        let Some(c) = self.peek() else {
            return Err(UNEXPECTED_END.to_string());
        };
        self.pos += 1;
        match c {
            b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => Ok(()),
            b'u' => {
                for _ in 0..4 {
                    match self.peek() {
                        None => return Err(UNEXPECTED_END.to_string()),
                        Some(h) if h.is_ascii_hexdigit() => self.pos += 1,
                        Some(h) => {
                            return Err(invalid(h, "in \\u hexadecimal character escape"));
                        }
                    }
                }
                Ok(())
            }
            c => Err(invalid(c, "in string escape code")),
        }
    }

    fn number(&mut self) -> Result<(), String> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
            match self.peek() {
                None => return Err(UNEXPECTED_END.to_string()),
                Some(b'0'..=b'9') => {}
                Some(c) => return Err(invalid(c, "in numeric literal")),
            }
        }
        // A leading zero ends the integer part; "01" fails later as a stray '1'.
        if self.peek() == Some(b'0') {
            self.pos += 1;
        } else {
            self.digits();
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.required_digit("after decimal point in numeric literal")?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.required_digit("in exponent of numeric literal")?;
        }
        Ok(())
    }

    fn required_digit(&mut self, context: &str) -> Result<(), String> {
        match self.peek() {
            None => Err(UNEXPECTED_END.to_string()),
            Some(b'0'..=b'9') => {
                self.digits();
                Ok(())
            }
            Some(c) => Err(invalid(c, context)),
        }
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }
}

fn after_value(stack: &[bool]) -> Expect {
    match stack.last() {
        None => Expect::Nothing,
        Some(true) => Expect::MemberEnd,
        Some(false) => Expect::ElementEnd,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(input: &str) -> String {
        syntax_error(input.as_bytes()).unwrap_or_default()
    }

    #[test]
    fn valid_documents_pass() {
        for doc in [
            "{}",
            " [1, -2.5e+3, \"a\\u00e9\\n\", true, false, null, {\"k\": []}] ",
            "0",
            "\"x\"",
        ] {
            assert_eq!(syntax_error(doc.as_bytes()), None, "{doc}");
        }
        assert_eq!(parse(b"{\"a\":1}"), Ok(json!({"a": 1})));
    }

    #[test]
    fn messages_match_go() {
        assert_eq!(err(""), "unexpected end of JSON input");
        assert_eq!(err("{\"a\":"), "unexpected end of JSON input");
        assert_eq!(
            err("<x>"),
            "invalid character '<' looking for beginning of value"
        );
        assert_eq!(
            err("{a:1}"),
            "invalid character 'a' looking for beginning of object key string"
        );
        assert_eq!(err("{\"a\" 1}"), "invalid character '1' after object key");
        assert_eq!(
            err("{\"a\":1 \"b\"}"),
            "invalid character '\"' after object key:value pair"
        );
        assert_eq!(err("[1 2]"), "invalid character '2' after array element");
        assert_eq!(err("{} x"), "invalid character 'x' after top-level value");
        assert_eq!(err("01"), "invalid character '1' after top-level value");
        assert_eq!(
            err("tru "),
            "invalid character ' ' in literal true (expecting 'e')"
        );
        assert_eq!(err("-x"), "invalid character 'x' in numeric literal");
        assert_eq!(
            err("1.x"),
            "invalid character 'x' after decimal point in numeric literal"
        );
        assert_eq!(
            err("1ex"),
            "invalid character 'x' in exponent of numeric literal"
        );
        assert_eq!(
            err("\"\\q\""),
            "invalid character 'q' in string escape code"
        );
        assert_eq!(
            err("\"\\u12x4\""),
            "invalid character 'x' in \\u hexadecimal character escape"
        );
        assert_eq!(err("\"a\nb\""), "invalid character '\\n' in string literal");
        assert_eq!(
            err("[1,]"),
            "invalid character ']' looking for beginning of value"
        );
        assert_eq!(
            err("{\"a\":1,}"),
            "invalid character '}' looking for beginning of object key string"
        );
    }

    #[test]
    fn type_errors_name_the_json_kind() {
        assert_eq!(
            unmarshal_type_error(&json!([]), "map[string]interface {}"),
            "json: cannot unmarshal array into Go value of type map[string]interface {}"
        );
        assert_eq!(
            unmarshal_type_error(&json!(1), "jsonpatch.Patch"),
            "json: cannot unmarshal number into Go value of type jsonpatch.Patch"
        );
    }
}

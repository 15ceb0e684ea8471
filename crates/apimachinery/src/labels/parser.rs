//! Lexer and recursive-descent parser for the label selector string form.
//! The grammar, token rules and error texts follow upstream's parser.

use std::collections::BTreeSet;

use super::{BINARY_OPERATORS, Operator, Requirement, SelectorError, validate_label_key};
use crate::field_errors::{Path, aggregate_message};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Error,
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

fn keyword(s: &[u8]) -> Option<Token> {
    Some(match s {
        b")" => Token::ClosedPar,
        b"," => Token::Comma,
        b"!" => Token::DoesNotExist,
        b"==" => Token::DoubleEquals,
        b"=" => Token::Equals,
        b">" => Token::GreaterThan,
        b"in" => Token::In,
        b"<" => Token::LessThan,
        b"!=" => Token::NotEquals,
        b"notin" => Token::NotIn,
        b"(" => Token::OpenPar,
        _ => return None,
    })
}

fn is_whitespace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special(c: u8) -> bool {
    matches!(c, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Splits the input into (token, literal) pairs ending with EndOfString.
fn scan(input: &str) -> Vec<(Token, String)> {
    let s = input.as_bytes();
    let mut pos = 0;
    let mut items = Vec::new();
    loop {
        while pos < s.len() && is_whitespace(s[pos]) {
            pos += 1;
        }
        if pos >= s.len() || s[pos] == 0 {
            items.push((Token::EndOfString, String::new()));
            return items;
        }
        if is_special(s[pos]) {
            // Longest run of special characters that still forms a token.
            let start = pos;
            let mut last: Option<(Token, usize)> = None;
            while pos < s.len() && s[pos] != 0 && is_special(s[pos]) {
                pos += 1;
                match keyword(&s[start..pos]) {
                    Some(tok) => last = Some((tok, pos)),
                    None if last.is_some() => {
                        pos -= 1;
                        break;
                    }
                    None => {}
                }
            }
            let end_of_run = pos;
            if pos < s.len() && s[pos] == 0 {
                pos += 1;
            }
            match last {
                Some((tok, end)) => items.push((tok, text(&s[start..end]))),
                None => items.push((
                    Token::Error,
                    format!(
                        "error expected: keyword found '{}'",
                        text(&s[start..end_of_run])
                    ),
                )),
            }
        } else {
            let start = pos;
            while pos < s.len() && s[pos] != 0 && !is_special(s[pos]) && !is_whitespace(s[pos]) {
                pos += 1;
            }
            let lit = &s[start..pos];
            if pos < s.len() && s[pos] == 0 {
                // Upstream's reader treats NUL as a terminator it consumes.
                pos += 1;
            }
            items.push((keyword(lit).unwrap_or(Token::Identifier), text(lit)));
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    Values,
}

struct Parser<'a> {
    items: Vec<(Token, String)>,
    position: usize,
    path: &'a Path,
}

impl Parser<'_> {
    fn item(&self, context: Context, at: usize) -> (Token, String) {
        let (tok, lit) = self
            .items
            .get(at)
            .cloned()
            .unwrap_or((Token::EndOfString, String::new()));
        // In value position the keywords `in`/`notin` are plain identifiers.
        let tok = match (context, tok) {
            (Context::Values, Token::In | Token::NotIn) => Token::Identifier,
            (_, t) => t,
        };
        (tok, lit)
    }

    fn lookahead(&self, context: Context) -> (Token, String) {
        self.item(context, self.position)
    }

    fn consume(&mut self, context: Context) -> (Token, String) {
        let item = self.item(context, self.position);
        self.position += 1;
        item
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, SelectorError> {
        let mut requirements = Vec::new();
        loop {
            let (tok, lit) = self.lookahead(Context::Values);
            match tok {
                Token::Identifier | Token::DoesNotExist => {
                    let r = self.parse_requirement().map_err(|e| {
                        SelectorError::Parse(format!("unable to parse requirement: {e}"))
                    })?;
                    requirements.push(r);
                    let (t, l) = self.consume(Context::Values);
                    match t {
                        Token::EndOfString => return Ok(requirements),
                        Token::Comma => {
                            let (t2, l2) = self.lookahead(Context::Values);
                            if t2 != Token::Identifier && t2 != Token::DoesNotExist {
                                return Err(SelectorError::Parse(format!(
                                    "found '{l2}', expected: identifier after ','"
                                )));
                            }
                        }
                        _ => {
                            return Err(SelectorError::Parse(format!(
                                "found '{l}', expected: ',' or 'end of string'"
                            )));
                        }
                    }
                }
                Token::EndOfString => return Ok(requirements),
                _ => {
                    return Err(SelectorError::Parse(format!(
                        "found '{lit}', expected: !, identifier, or 'end of string'"
                    )));
                }
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, String> {
        let (key, inferred) = self.parse_key_and_infer_operator()?;
        if let Some(op) = inferred {
            return Requirement::new(&key, op, Vec::new(), self.path).map_err(|e| e.to_string());
        }
        let op = self.parse_operator()?;
        let values = match op {
            Operator::In | Operator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        Requirement::new(&key, op, values.into_iter().collect(), self.path)
            .map_err(|e| e.to_string())
    }

    /// Reads `[!]key`; infers Exists/DoesNotExist when no operator follows.
    fn parse_key_and_infer_operator(&mut self) -> Result<(String, Option<Operator>), String> {
        let (mut tok, mut lit) = self.consume(Context::Values);
        let negated = tok == Token::DoesNotExist;
        if negated {
            (tok, lit) = self.consume(Context::Values);
        }
        if tok != Token::Identifier {
            return Err(format!("found '{lit}', expected: identifier"));
        }
        if let Some(e) = validate_label_key(&lit, self.path) {
            return Err(aggregate_message(&[e]).unwrap_or_default());
        }
        let (next, _) = self.lookahead(Context::Values);
        let op = if negated {
            Some(Operator::DoesNotExist)
        } else if next == Token::EndOfString || next == Token::Comma {
            Some(Operator::Exists)
        } else {
            None
        };
        Ok((lit, op))
    }

    fn parse_operator(&mut self) -> Result<Operator, String> {
        let (tok, lit) = self.consume(Context::KeyAndOperator);
        Ok(match tok {
            Token::In => Operator::In,
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::NotIn => Operator::NotIn,
            Token::NotEquals => Operator::NotEquals,
            _ => {
                return Err(format!(
                    "found '{lit}', expected: {}",
                    BINARY_OPERATORS.join(", ")
                ));
            }
        })
    }

    /// Parses `(a,b,...)`; values come back sorted and de-duplicated.
    fn parse_values(&mut self) -> Result<BTreeSet<String>, String> {
        let (tok, lit) = self.consume(Context::Values);
        if tok != Token::OpenPar {
            return Err(format!("found '{lit}' expected: '('"));
        }
        let (tok, lit) = self.lookahead(Context::Values);
        match tok {
            Token::Identifier | Token::Comma => {
                let set = self.parse_identifiers_list()?;
                let (closing, _) = self.consume(Context::Values);
                if closing != Token::ClosedPar {
                    return Err(format!("found '{lit}', expected: ')'"));
                }
                Ok(set)
            }
            Token::ClosedPar => {
                self.consume(Context::Values);
                Ok(BTreeSet::from([String::new()]))
            }
            _ => Err(format!("found '{lit}', expected: ',', ')' or identifier")),
        }
    }

    /// Comma-separated, possibly empty identifiers (`(,a,,b,)`).
    fn parse_identifiers_list(&mut self) -> Result<BTreeSet<String>, String> {
        let mut set = BTreeSet::new();
        loop {
            let (tok, lit) = self.consume(Context::Values);
            match tok {
                Token::Identifier => {
                    set.insert(lit);
                    let (tok2, lit2) = self.lookahead(Context::Values);
                    match tok2 {
                        Token::Comma => continue,
                        Token::ClosedPar => return Ok(set),
                        _ => return Err(format!("found '{lit2}', expected: ',' or ')'")),
                    }
                }
                Token::Comma => {
                    if set.is_empty() {
                        set.insert(String::new());
                    }
                    let (tok2, _) = self.lookahead(Context::Values);
                    if tok2 == Token::ClosedPar {
                        set.insert(String::new());
                        return Ok(set);
                    }
                    if tok2 == Token::Comma {
                        self.consume(Context::Values);
                        set.insert(String::new());
                    }
                }
                _ => return Err(format!("found '{lit}', expected: ',', or identifier")),
            }
        }
    }

    /// The single value after `=`, `==`, `!=`, `>` or `<` (may be empty).
    fn parse_exact_value(&mut self) -> Result<BTreeSet<String>, String> {
        let (tok, _) = self.lookahead(Context::Values);
        if tok == Token::EndOfString || tok == Token::Comma {
            return Ok(BTreeSet::from([String::new()]));
        }
        let (tok, lit) = self.consume(Context::Values);
        if tok == Token::Identifier {
            Ok(BTreeSet::from([lit]))
        } else {
            Err(format!("found '{lit}', expected: identifier"))
        }
    }
}

/// Parses a selector string into requirements (unsorted).
pub(super) fn parse(input: &str, path: &Path) -> Result<Vec<Requirement>, SelectorError> {
    let mut parser = Parser {
        items: scan(input),
        position: 0,
        path,
    };
    parser.parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(s: &str) -> Vec<Token> {
        scan(s).into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn lexer_single_tokens() {
        use Token::*;
        let cases = [
            ("", EndOfString),
            (",", Comma),
            ("notin", NotIn),
            ("in", In),
            ("=", Equals),
            ("==", DoubleEquals),
            (">", GreaterThan),
            ("<", LessThan),
            ("!", DoesNotExist),
            ("!=", NotEquals),
            ("(", OpenPar),
            (")", ClosedPar),
            ("~", Identifier),
            ("||", Identifier),
        ];
        for (s, t) in cases {
            let items = scan(s);
            assert_eq!(items[0].0, t, "{s}");
            assert_eq!(items[0].1, s, "{s}");
        }
    }

    #[test]
    fn lexer_sequences() {
        use Token::*;
        assert_eq!(
            tokens("key in ( value )"),
            [Identifier, In, OpenPar, Identifier, ClosedPar, EndOfString]
        );
        assert_eq!(
            tokens("key notin ( value1, value2 )"),
            [
                Identifier,
                NotIn,
                OpenPar,
                Identifier,
                Comma,
                Identifier,
                ClosedPar,
                EndOfString
            ]
        );
        assert_eq!(tokens("!key"), [DoesNotExist, Identifier, EndOfString]);
        assert_eq!(
            tokens("x in (),y"),
            [
                Identifier,
                In,
                OpenPar,
                ClosedPar,
                Comma,
                Identifier,
                EndOfString
            ]
        );
        assert_eq!(
            tokens("== != (), = notin"),
            [
                DoubleEquals,
                NotEquals,
                OpenPar,
                ClosedPar,
                Comma,
                Equals,
                NotIn,
                EndOfString
            ]
        );
        assert_eq!(
            tokens("key>2"),
            [Identifier, GreaterThan, Identifier, EndOfString]
        );
        assert_eq!(
            tokens("key<1"),
            [Identifier, LessThan, Identifier, EndOfString]
        );
        assert_eq!(
            tokens("a=!b"),
            [Identifier, Equals, DoesNotExist, Identifier, EndOfString]
        );
    }

    #[test]
    fn parse_operator_errors() {
        let expect = |s: &str| {
            let mut p = Parser {
                items: scan(s),
                position: 0,
                path: &Path::nil(),
            };
            p.parse_operator().err()
        };
        for ok in ["in", "=", "==", ">", "<", "notin", "!="] {
            assert_eq!(expect(ok), None);
        }
        assert_eq!(
            expect("!").unwrap(),
            "found '!', expected: in, notin, =, ==, !=, gt, lt"
        );
        assert_eq!(
            expect("exists").unwrap(),
            "found 'exists', expected: in, notin, =, ==, !=, gt, lt"
        );
        assert_eq!(
            expect("(").unwrap(),
            "found '(', expected: in, notin, =, ==, !=, gt, lt"
        );
    }
}

//! Tokens of the equation language (Python's expression syntax, as Brian2 uses it), each with
//! its byte range in the text it came from. `#` starts a comment that runs to the line's end.

use super::error::{EquationError, Loc, Sources};

/// One token.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// A number literal (its value, parsed as f64).
    Num(f64),
    /// A name (also the words `and`, `or`, `not`).
    Ident(String),
    /// An operator or punctuation.
    Sym(&'static str),
    /// End of a line.
    Newline,
    /// End of the text.
    End,
}

/// A token and where it is.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    /// The token.
    pub tok: Tok,
    /// Its byte range.
    pub loc: Loc,
}

/// Longest symbols first, so that `**` wins over `*`.
const SYMBOLS: [&str; 23] = [
    "**", "<=", ">=", "==", "!=", "+=", "-=", "*=", "/=", "+", "-", "*", "/", "^", "(", ")", ",", "<", ">",
    "=", ":", ";", "!",
];

/// Splits source `src` of `sources` into tokens, ending with [`Tok::End`].
pub(crate) fn tokenize(sources: &Sources, src: u16) -> Result<Vec<Token>, EquationError> {
    let text = sources.text(src);
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let loc = |start: usize, end: usize| Loc {
        src,
        start: start as u32,
        end: end as u32,
    };
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'#' {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if c == b'\n' {
            out.push(Token {
                tok: Tok::Newline,
                loc: loc(i, i + 1),
            });
            i += 1;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            let end = number_end(bytes, i);
            let literal = &text[i..end];
            let value: f64 = literal
                .parse()
                .map_err(|_| sources.error(loc(i, end), format!("`{literal}` is not a number")))?;
            out.push(Token {
                tok: Tok::Num(value),
                loc: loc(i, end),
            });
            i = end;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let end = i + bytes[i..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count();
            out.push(Token {
                tok: Tok::Ident(text[i..end].to_string()),
                loc: loc(i, end),
            });
            i = end;
        } else if let Some(sym) = SYMBOLS.iter().find(|s| text[i..].starts_with(**s)) {
            out.push(Token {
                tok: Tok::Sym(sym),
                loc: loc(i, i + sym.len()),
            });
            i += sym.len();
        } else {
            let ch = text[i..].chars().next().unwrap_or('?');
            let end = i + ch.len_utf8();
            let hint = if matches!(ch, '\u{b5}' | '\u{3bc}') {
                " (write `u` for micro: `us`, `uS`)"
            } else {
                ""
            };
            return Err(sources.error(loc(i, end), format!("unexpected character `{ch}`{hint}")));
        }
    }
    out.push(Token {
        tok: Tok::End,
        loc: loc(bytes.len(), bytes.len()),
    });
    Ok(out)
}

/// End of the number literal starting at `start`: digits, an optional fraction and an
/// optional exponent (`1`, `0.04`, `.5`, `5.`, `1e-3`).
fn number_end(bytes: &[u8], start: usize) -> usize {
    let digits = |from: usize| from + bytes[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    let mut i = digits(start);
    if bytes.get(i) == Some(&b'.') {
        i = digits(i + 1);
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if bytes.get(j).is_some_and(u8::is_ascii_digit) {
            i = digits(j);
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_names_and_operators_are_split_with_their_positions() {
        let mut s = Sources::new("m");
        let id = s.add("t", "dv/dt = -v**2 / 1.5e-1 # comment\nx >= .5");
        let toks: Vec<Tok> = tokenize(&s, id).unwrap().into_iter().map(|t| t.tok).collect();
        assert_eq!(
            toks,
            vec![
                Tok::Ident("dv".into()),
                Tok::Sym("/"),
                Tok::Ident("dt".into()),
                Tok::Sym("="),
                Tok::Sym("-"),
                Tok::Ident("v".into()),
                Tok::Sym("**"),
                Tok::Num(2.0),
                Tok::Sym("/"),
                Tok::Num(0.15),
                Tok::Newline,
                Tok::Ident("x".into()),
                Tok::Sym(">="),
                Tok::Num(0.5),
                Tok::End,
            ]
        );
    }

    #[test]
    fn an_unknown_character_is_an_error_at_its_column() {
        let mut s = Sources::new("m");
        let id = s.add("threshold", "v > $x");
        let e = tokenize(&s, id).unwrap_err();
        assert_eq!(e.line_column(), Some((1, 5)));
    }
}

//! Recursive-descent parser for equations, conditions, statements and quantity strings, with
//! Python's precedence (as Brian2): `or` < `and` < `not` < comparisons < `+ -` < `* /` <
//! unary minus < `**` (or `^`, right-associative).

use super::ast::{AssignOp, BinOp, CmpOp, EquationLine, Expr, ExprKind, LineKind, LogicOp, Statement};
use super::error::{EquationError, Loc, Sources};
use super::lexer::{Tok, Token, tokenize};

struct Parser<'a> {
    toks: Vec<Token>,
    pos: usize,
    sources: &'a Sources,
    /// Nesting depth of the expression being parsed (bounded, so that a pathological
    /// input is an error rather than a stack overflow).
    depth: usize,
}

/// Deepest nesting of parentheses, unary operators and powers accepted.
const MAX_DEPTH: usize = 200;

type Parsed<T> = Result<T, EquationError>;

impl<'a> Parser<'a> {
    fn new(sources: &'a Sources, src: u16) -> Parsed<Self> {
        Ok(Self {
            toks: tokenize(sources, src)?,
            pos: 0,
            sources,
            depth: 0,
        })
    }

    fn peek(&self) -> &Tok {
        &self.toks[self.pos].tok
    }

    fn loc(&self) -> Loc {
        self.toks[self.pos].loc
    }

    fn prev_loc(&self) -> Loc {
        self.toks[self.pos.saturating_sub(1)].loc
    }

    fn bump(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn at_sym(&self, sym: &str) -> bool {
        matches!(self.peek(), Tok::Sym(s) if *s == sym)
    }

    fn at_word(&self, word: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s) if s == word)
    }

    fn eat_sym(&mut self, sym: &str) -> bool {
        let hit = self.at_sym(sym);
        if hit {
            self.bump();
        }
        hit
    }

    fn expect_sym(&mut self, sym: &str, what: &str) -> Parsed<Loc> {
        if self.at_sym(sym) {
            Ok(self.bump().loc)
        } else {
            Err(self.unexpected(&format!("expected `{sym}` {what}")))
        }
    }

    fn unexpected(&self, expected: &str) -> EquationError {
        let found = match self.peek() {
            Tok::Num(_) => "a number".to_string(),
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Sym(s) => format!("`{s}`"),
            Tok::Newline => "the end of the line".to_string(),
            Tok::End => "the end of the text".to_string(),
        };
        self.sources
            .error(self.loc(), format!("{expected}, found {found}"))
    }

    fn at_line_end(&self) -> bool {
        matches!(self.peek(), Tok::Newline | Tok::End)
    }

    fn skip_newlines(&mut self) {
        while matches!(self.peek(), Tok::Newline) || self.at_sym(";") {
            self.bump();
        }
    }

    /// Runs `f` one nesting level deeper.
    fn nested(&mut self, f: impl FnOnce(&mut Self) -> Parsed<Expr>) -> Parsed<Expr> {
        if self.depth >= MAX_DEPTH {
            return Err(self.sources.error(
                self.loc(),
                format!("expression nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        self.depth += 1;
        let e = f(self);
        self.depth -= 1;
        e
    }

    fn expr(&mut self) -> Parsed<Expr> {
        self.nested(Self::or_expr)
    }

    fn or_expr(&mut self) -> Parsed<Expr> {
        let mut left = self.and_expr()?;
        while self.at_word("or") {
            self.bump();
            let right = self.and_expr()?;
            left = logic(LogicOp::Or, left, right);
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Parsed<Expr> {
        let mut left = self.not_expr()?;
        while self.at_word("and") {
            self.bump();
            let right = self.not_expr()?;
            left = logic(LogicOp::And, left, right);
        }
        Ok(left)
    }

    fn not_expr(&mut self) -> Parsed<Expr> {
        if self.at_word("not") || self.at_sym("!") {
            let start = self.bump().loc;
            let inner = self.nested(Self::not_expr)?;
            let loc = start.to(inner.loc);
            return Ok(Expr {
                kind: ExprKind::Not(Box::new(inner)),
                loc,
            });
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Parsed<Expr> {
        let left = self.sum()?;
        let op = match self.peek() {
            Tok::Sym("<") => CmpOp::Lt,
            Tok::Sym("<=") => CmpOp::Le,
            Tok::Sym(">") => CmpOp::Gt,
            Tok::Sym(">=") => CmpOp::Ge,
            Tok::Sym("==") => CmpOp::Eq,
            Tok::Sym("!=") => CmpOp::Ne,
            _ => return Ok(left),
        };
        self.bump();
        let right = self.sum()?;
        if matches!(self.peek(), Tok::Sym("<" | "<=" | ">" | ">=" | "==" | "!=")) {
            return Err(self.sources.error(
                self.loc(),
                "chained comparisons are not supported: write `a < b and b < c`",
            ));
        }
        let loc = left.loc.to(right.loc);
        Ok(Expr {
            kind: ExprKind::Compare(op, Box::new(left), Box::new(right)),
            loc,
        })
    }

    fn sum(&mut self) -> Parsed<Expr> {
        let mut left = self.term()?;
        loop {
            let op = match self.peek() {
                Tok::Sym("+") => BinOp::Add,
                Tok::Sym("-") => BinOp::Sub,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.term()?;
            left = binary(op, left, right);
        }
    }

    fn term(&mut self) -> Parsed<Expr> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Tok::Sym("*") => BinOp::Mul,
                Tok::Sym("/") => BinOp::Div,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.unary()?;
            left = binary(op, left, right);
        }
    }

    fn unary(&mut self) -> Parsed<Expr> {
        if self.at_sym("-") || self.at_sym("+") {
            let minus = self.at_sym("-");
            let start = self.bump().loc;
            let inner = self.nested(Self::unary)?;
            if !minus {
                return Ok(inner);
            }
            let loc = start.to(inner.loc);
            return Ok(Expr {
                kind: ExprKind::Neg(Box::new(inner)),
                loc,
            });
        }
        self.power()
    }

    fn power(&mut self) -> Parsed<Expr> {
        let base = self.atom()?;
        if self.at_sym("**") || self.at_sym("^") {
            self.bump();
            let exponent = self.nested(Self::unary)?;
            return Ok(binary(BinOp::Pow, base, exponent));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Parsed<Expr> {
        let token = self.toks[self.pos].clone();
        match token.tok {
            Tok::Num(value) => {
                self.bump();
                let number = Expr {
                    kind: ExprKind::Num(value),
                    loc: token.loc,
                };
                // `10 ms`: a number directly followed by a name (never valid Python) is a
                // quantity, binding like one atom.
                match self.peek().clone() {
                    Tok::Ident(unit)
                        if !matches!(unit.as_str(), "and" | "or" | "not")
                            && !matches!(self.toks[self.pos + 1].tok, Tok::Sym("(")) =>
                    {
                        let loc = self.bump().loc;
                        let unit = Expr {
                            kind: ExprKind::Name(unit),
                            loc,
                        };
                        Ok(binary(BinOp::Mul, number, unit))
                    }
                    _ => Ok(number),
                }
            }
            Tok::Ident(name) if !matches!(name.as_str(), "and" | "or" | "not") => {
                self.bump();
                if self.at_sym("(") {
                    return self.call(name, token.loc);
                }
                Ok(Expr {
                    kind: ExprKind::Name(name),
                    loc: token.loc,
                })
            }
            Tok::Sym("(") => {
                self.bump();
                let inner = self.expr()?;
                let close = self.expect_sym(")", "to close the parenthesis")?;
                Ok(Expr {
                    kind: inner.kind,
                    loc: token.loc.to(close),
                })
            }
            _ => Err(self.unexpected("expected a number, a name or `(`")),
        }
    }

    fn call(&mut self, name: String, name_loc: Loc) -> Parsed<Expr> {
        self.expect_sym("(", "after the function name")?;
        let mut args = Vec::new();
        if !self.at_sym(")") {
            loop {
                args.push(self.expr()?);
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        let close = self.expect_sym(")", "to close the argument list")?;
        Ok(Expr {
            kind: ExprKind::Call { name, name_loc, args },
            loc: name_loc.to(close),
        })
    }

    fn ident(&mut self, what: &str) -> Parsed<(String, Loc)> {
        match self.peek().clone() {
            Tok::Ident(name) => Ok((name, self.bump().loc)),
            _ => Err(self.unexpected(&format!("expected {what}"))),
        }
    }

    fn statement(&mut self) -> Parsed<Statement> {
        let (target, target_loc) = self.ident("a variable to assign")?;
        let op = match self.peek() {
            Tok::Sym("=") => AssignOp::Set,
            Tok::Sym("+=") => AssignOp::Add,
            Tok::Sym("-=") => AssignOp::Sub,
            Tok::Sym("*=") => AssignOp::Mul,
            Tok::Sym("/=") => AssignOp::Div,
            _ => return Err(self.unexpected("expected `=`, `+=`, `-=`, `*=` or `/=`")),
        };
        self.bump();
        let value = self.expr()?;
        Ok(Statement {
            target,
            target_loc,
            op,
            value,
        })
    }

    /// A unit after the colon: names, numbers, `* / **` and parentheses, but no calls, so
    /// that `mV (unless refractory)` ends the unit before the flags.
    fn unit_expr(&mut self) -> Parsed<Expr> {
        let mut left = self.unit_factor()?;
        loop {
            let op = match self.peek() {
                Tok::Sym("*") => BinOp::Mul,
                Tok::Sym("/") => BinOp::Div,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.unit_factor()?;
            left = binary(op, left, right);
        }
    }

    fn unit_factor(&mut self) -> Parsed<Expr> {
        let token = self.toks[self.pos].clone();
        let base = match token.tok {
            Tok::Num(v) => {
                self.bump();
                Expr {
                    kind: ExprKind::Num(v),
                    loc: token.loc,
                }
            }
            Tok::Ident(name) => {
                self.bump();
                Expr {
                    kind: ExprKind::Name(name),
                    loc: token.loc,
                }
            }
            Tok::Sym("(") => {
                self.bump();
                let inner = self.nested(Self::unit_expr)?;
                let close = self.expect_sym(")", "to close the parenthesis")?;
                Expr {
                    kind: inner.kind,
                    loc: token.loc.to(close),
                }
            }
            _ => return Err(self.unexpected("expected a unit such as `mV` or `1`")),
        };
        if self.at_sym("**") || self.at_sym("^") {
            self.bump();
            let exponent = self.nested(Self::unary)?;
            return Ok(binary(BinOp::Pow, base, exponent));
        }
        Ok(base)
    }

    fn equation_line(&mut self) -> Parsed<EquationLine> {
        let start = self.loc();
        let (first, first_loc) = self.ident("a variable name or `dx/dt`")?;
        let derivative = first.len() > 1
            && first.starts_with('d')
            && self.at_sym("/")
            && matches!(&self.toks[self.pos + 1].tok, Tok::Ident(t) if t == "dt");
        let (name, name_loc, kind) = if derivative {
            self.bump();
            self.bump();
            self.expect_sym("=", "after `/dt`")?;
            let name_loc = Loc {
                start: first_loc.start + 1,
                ..first_loc
            };
            (
                first[1..].to_string(),
                name_loc,
                LineKind::Differential(self.expr()?),
            )
        } else if self.eat_sym("=") {
            (first, first_loc, LineKind::Subexpression(self.expr()?))
        } else {
            (first, first_loc, LineKind::Declared)
        };
        self.expect_sym(":", "before the unit (write `: 1` for a dimensionless variable)")?;
        let unit = self.unit_expr()?;
        let mut flags = Vec::new();
        if self.eat_sym("(") {
            loop {
                let (word, mut loc) = self.ident("a flag such as `unless refractory`")?;
                let mut flag = word;
                while let Tok::Ident(more) = self.peek().clone() {
                    loc = loc.to(self.bump().loc);
                    flag = format!("{flag} {more}");
                }
                flags.push((flag, loc));
                if !self.eat_sym(",") {
                    break;
                }
            }
            self.expect_sym(")", "to close the flags")?;
        }
        if !self.at_line_end() {
            return Err(self.unexpected("expected the end of the equation"));
        }
        Ok(EquationLine {
            name,
            name_loc,
            kind,
            unit,
            flags,
            loc: start.to(self.prev_loc()),
        })
    }
}

fn binary(op: BinOp, left: Expr, right: Expr) -> Expr {
    let loc = left.loc.to(right.loc);
    Expr {
        kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
        loc,
    }
}

fn logic(op: LogicOp, left: Expr, right: Expr) -> Expr {
    let loc = left.loc.to(right.loc);
    Expr {
        kind: ExprKind::Logic(op, Box::new(left), Box::new(right)),
        loc,
    }
}

/// Parses source `src` as one expression.
pub(crate) fn parse_expression(sources: &Sources, src: u16) -> Parsed<Expr> {
    let mut p = Parser::new(sources, src)?;
    p.skip_newlines();
    if matches!(p.peek(), Tok::End) {
        return Err(p.unexpected("expected an expression"));
    }
    let e = p.expr()?;
    p.skip_newlines();
    if !matches!(p.peek(), Tok::End) {
        return Err(p.unexpected("expected the end of the expression"));
    }
    Ok(e)
}

/// Parses a quantity string such as `"10 ms"`, `"-65 mV"`, `"0.04 / mV"` or `"2*nS"` (the
/// expression grammar, where a number directly followed by a unit multiplies it).
pub(crate) fn parse_quantity(sources: &Sources, src: u16) -> Parsed<Expr> {
    parse_expression(sources, src)
}

/// Parses statements separated by newlines or `;` (a reset or an update block).
pub(crate) fn parse_statements(sources: &Sources, src: u16) -> Parsed<Vec<Statement>> {
    let mut p = Parser::new(sources, src)?;
    let mut out = Vec::new();
    p.skip_newlines();
    while !matches!(p.peek(), Tok::End) {
        out.push(p.statement()?);
        if !(p.at_line_end() || p.at_sym(";")) {
            return Err(p.unexpected("expected `;` or a new line after the statement"));
        }
        p.skip_newlines();
    }
    Ok(out)
}

/// Parses equation lines (one per line; blank lines and comments are skipped).
pub(crate) fn parse_equations(sources: &Sources, src: u16) -> Parsed<Vec<EquationLine>> {
    let mut p = Parser::new(sources, src)?;
    let mut out = Vec::new();
    p.skip_newlines();
    while !matches!(p.peek(), Tok::End) {
        out.push(p.equation_line()?);
        p.skip_newlines();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(text: &str) -> (Sources, u16) {
        let mut s = Sources::new("m");
        let id = s.add("f", text);
        (s, id)
    }

    fn show(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Num(v) => format!("{v}"),
            ExprKind::Name(n) => n.clone(),
            ExprKind::Neg(a) => format!("(-{})", show(a)),
            ExprKind::Not(a) => format!("(not {})", show(a)),
            ExprKind::Binary(op, a, b) => {
                let sym = match op {
                    BinOp::Add => "+",
                    BinOp::Sub => "-",
                    BinOp::Mul => "*",
                    BinOp::Div => "/",
                    BinOp::Pow => "**",
                };
                format!("({} {sym} {})", show(a), show(b))
            }
            ExprKind::Compare(op, a, b) => format!("({} {} {})", show(a), op.symbol(), show(b)),
            ExprKind::Logic(op, a, b) => format!("({} {:?} {})", show(a), op, show(b)),
            ExprKind::Call { name, args, .. } => {
                format!("{name}({})", args.iter().map(show).collect::<Vec<_>>().join(", "))
            }
        }
    }

    #[test]
    fn precedence_follows_python() {
        let (s, id) = sources("-x**2 + a*b/c - d > 0 and not y < 1 or z == 2");
        let e = parse_expression(&s, id).unwrap();
        assert_eq!(
            show(&e),
            "((((((-(x ** 2)) + ((a * b) / c)) - d) > 0) And (not (y < 1))) Or (z == 2))"
        );
        let (s, id) = sources("2^3^2");
        assert_eq!(show(&parse_expression(&s, id).unwrap()), "(2 ** (3 ** 2))");
    }

    #[test]
    fn equation_lines_parse_derivatives_subexpressions_declarations_and_flags() {
        let text = "dv/dt = (I - v)/tau : mV (unless refractory)\nI = g*(E - v) : pA\nw : 1\n";
        let (s, id) = sources(text);
        let lines = parse_equations(&s, id).unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].name, "v");
        assert!(matches!(lines[0].kind, LineKind::Differential(_)));
        assert_eq!(lines[0].flags[0].0, "unless refractory");
        assert!(matches!(lines[1].kind, LineKind::Subexpression(_)));
        assert!(matches!(lines[2].kind, LineKind::Declared));
        assert_eq!(show(&lines[2].unit), "1");
    }

    #[test]
    fn quantities_multiply_a_number_by_the_unit_that_follows() {
        for (text, want) in [
            ("10 ms", "(10 * ms)"),
            ("-65 mV", "(-(65 * mV))"),
            ("0.04 / mV", "(0.04 / mV)"),
            ("2*nS", "(2 * nS)"),
            ("20 nS / cm2", "((20 * nS) / cm2)"),
            ("3", "3"),
        ] {
            let (s, id) = sources(text);
            assert_eq!(show(&parse_quantity(&s, id).unwrap()), want, "{text}");
        }
    }

    #[test]
    fn statements_are_separated_by_semicolons_or_lines() {
        let (s, id) = sources("v = v_reset; w += b\nx *= 2");
        let st = parse_statements(&s, id).unwrap();
        assert_eq!(st.len(), 3);
        assert_eq!(st[1].op, AssignOp::Add);
        let (s, id) = sources("v = 1 w = 2");
        assert!(parse_statements(&s, id).is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let powers = "2**".repeat(100_000) + "2";
        for text in [
            "(".repeat(100_000),
            "-".repeat(100_000) + "1",
            "not ".repeat(100_000) + "x",
            powers,
        ] {
            let (s, id) = sources(&text);
            let e = parse_expression(&s, id).unwrap_err();
            assert!(e.message.contains("nested more than"), "{}", e.message);
        }
    }
}

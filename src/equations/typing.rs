//! Resolves the names of parsed expressions and checks their units, producing [`Term`]s. A
//! mismatch names the term and both units; a literal `0` fits any unit.

use std::collections::HashMap;

use super::ast::{BinOp, Expr, ExprKind, LogicOp};
use super::error::{EquationError, Loc, Sources};
use super::names::{FUNCTIONS, is_noise};
use super::term::{Arith, Func, Term, TermKind};
use super::units::{self, Dim, UnitContext};

/// What a defined name refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Symbol {
    State(usize),
    Param(usize),
    Sub(usize),
}

/// The names a model defines, with their dimensions, and its subexpressions.
#[derive(Default)]
pub(crate) struct Scope {
    pub symbols: HashMap<String, Symbol>,
    pub state_dims: Vec<Dim>,
    pub param_dims: Vec<Dim>,
    /// Parsed subexpressions: (name, expression, declared dimension).
    pub subs: Vec<(String, Expr, Dim)>,
}

/// The type of an expression: a number of some dimension, or a condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    Num(Dim),
    Bool,
}

type Typed<T> = Result<T, EquationError>;

/// Types expressions of one model; numbers the `rand()`/`randn()` call sites and the noise
/// symbols across all of them.
pub(crate) struct Typer<'a> {
    pub sources: &'a Sources,
    pub scope: &'a Scope,
    pub context: UnitContext,
    /// Checked subexpressions (filled on first use).
    pub subs: Vec<Option<Term>>,
    visiting: Vec<usize>,
    /// Call sites of `rand()`/`randn()` so far.
    pub rand_sites: u32,
    /// Noise symbols met so far (`xi`, `xi_e`, ...).
    pub noises: Vec<String>,
}

impl<'a> Typer<'a> {
    /// A typer over `scope`.
    pub fn new(sources: &'a Sources, scope: &'a Scope, context: UnitContext) -> Self {
        Self {
            sources,
            scope,
            context,
            subs: vec![None; scope.subs.len()],
            visiting: Vec::new(),
            rand_sites: 0,
            noises: Vec::new(),
        }
    }

    fn snippet(&self, loc: Loc) -> &str {
        self.sources.snippet(loc)
    }

    /// A numeric expression and its dimension.
    pub fn number(&mut self, e: &Expr) -> Typed<(Term, Dim)> {
        match self.expr(e)? {
            (t, Ty::Num(d)) => Ok((t, d)),
            (_, Ty::Bool) => Err(self.sources.error(
                e.loc,
                format!(
                    "`{}` is a condition, not a number; write int({}) for 1 or 0",
                    self.snippet(e.loc),
                    self.snippet(e.loc)
                ),
            )),
        }
    }

    /// A condition.
    pub fn condition(&mut self, e: &Expr, what: &str) -> Typed<Term> {
        match self.expr(e)? {
            (t, Ty::Bool) => Ok(t),
            (_, Ty::Num(d)) => Err(self.sources.error(
                e.loc,
                format!(
                    "{what} must be a condition such as `v > v_th`, but `{}` is a number (unit {d})",
                    self.snippet(e.loc)
                ),
            )),
        }
    }

    /// Any expression.
    pub fn expr(&mut self, e: &Expr) -> Typed<(Term, Ty)> {
        let loc = e.loc;
        let term = |kind| Term::new(kind, loc);
        Ok(match &e.kind {
            ExprKind::Num(v) => {
                if !v.is_finite() {
                    return Err(self
                        .sources
                        .error(loc, format!("`{}` is not a finite number", self.snippet(loc))));
                }
                (term(TermKind::Num(*v)), Ty::Num(Dim::ONE))
            }
            ExprKind::Name(name) => self.name(name, loc)?,
            ExprKind::Neg(a) => {
                let (a, d) = self.number(a)?;
                (term(TermKind::Neg(Box::new(a))), Ty::Num(d))
            }
            ExprKind::Not(a) => {
                let a = self.condition(a, "the operand of `not`")?;
                (term(TermKind::Not(Box::new(a))), Ty::Bool)
            }
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, loc)?,
            ExprKind::Compare(op, a, b) => {
                let (ta, da) = self.number(a)?;
                let (tb, db) = self.number(b)?;
                self.same_dims(e, (&ta, da, a.loc), (&tb, db, b.loc))?;
                (term(TermKind::Cmp(*op, Box::new(ta), Box::new(tb))), Ty::Bool)
            }
            ExprKind::Logic(op, a, b) => {
                let word = if *op == LogicOp::And { "and" } else { "or" };
                let ta = self.condition(a, &format!("the operand of `{word}`"))?;
                let tb = self.condition(b, &format!("the operand of `{word}`"))?;
                let kind = match op {
                    LogicOp::And => TermKind::And(Box::new(ta), Box::new(tb)),
                    LogicOp::Or => TermKind::Or(Box::new(ta), Box::new(tb)),
                };
                (term(kind), Ty::Bool)
            }
            ExprKind::Call { name, name_loc, args } => self.call(name, *name_loc, args, loc)?,
        })
    }

    /// Both sides must have one dimension, except that a literal 0 fits any.
    fn same_dims(&self, whole: &Expr, a: (&Term, Dim, Loc), b: (&Term, Dim, Loc)) -> Typed<Dim> {
        let zero = |t: &Term| t.literal_value() == Some(0.0);
        if a.1 == b.1 || zero(b.0) {
            return Ok(a.1);
        }
        if zero(a.0) {
            return Ok(b.1);
        }
        Err(self.sources.error(
            whole.loc,
            format!(
                "unit mismatch in `{}`: `{}` has unit {}, `{}` has unit {}",
                self.snippet(whole.loc),
                self.snippet(a.2),
                a.1,
                self.snippet(b.2),
                b.1
            ),
        ))
    }

    fn binary(&mut self, op: BinOp, a: &Expr, b: &Expr, loc: Loc) -> Typed<(Term, Ty)> {
        let (ta, da) = self.number(a)?;
        if op == BinOp::Pow {
            return self.power(ta, da, b, loc);
        }
        let (tb, db) = self.number(b)?;
        let whole = Expr {
            kind: ExprKind::Num(0.0),
            loc,
        };
        let (arith, dim) = match op {
            BinOp::Add => (
                Arith::Add,
                self.same_dims(&whole, (&ta, da, a.loc), (&tb, db, b.loc))?,
            ),
            BinOp::Sub => (
                Arith::Sub,
                self.same_dims(&whole, (&ta, da, a.loc), (&tb, db, b.loc))?,
            ),
            BinOp::Mul => (Arith::Mul, da.mul(db)),
            BinOp::Div => (Arith::Div, da.div(db)),
            BinOp::Pow => unreachable!("handled above"),
        };
        Ok((
            Term::new(TermKind::Bin(arith, Box::new(ta), Box::new(tb)), loc),
            Ty::Num(dim),
        ))
    }

    /// `x ** y`: integer literal exponents expand into products; a base with a unit needs
    /// a literal exponent that keeps the unit's exponents multiples of one half.
    fn power(&mut self, base: Term, dim: Dim, exponent: &Expr, loc: Loc) -> Typed<(Term, Ty)> {
        let (te, de) = self.number(exponent)?;
        if !de.is_one() {
            return Err(self.sources.error(
                exponent.loc,
                format!(
                    "the exponent `{}` must be dimensionless, not {de}",
                    self.snippet(exponent.loc)
                ),
            ));
        }
        let literal = te.literal_value();
        if let Some(n) = literal.filter(|n| n.fract() == 0.0 && n.abs() <= 64.0) {
            return Ok((
                Term::new(TermKind::PowInt(Box::new(base), n as i32), loc),
                Ty::Num(dim.pow_halves(2 * n as i32).unwrap_or(dim)),
            ));
        }
        if let Some(n) = literal.filter(|n| (2.0 * n).fract() == 0.0 && n.abs() <= 64.0) {
            let halves = (2.0 * n) as i32;
            let Some(out) = dim.pow_halves(halves) else {
                return Err(self.unit_power_error(dim, loc));
            };
            let root = Term::new(TermKind::Func(Func::Sqrt, vec![base]), loc);
            return Ok((
                Term::new(TermKind::PowInt(Box::new(root), halves), loc),
                Ty::Num(out),
            ));
        }
        if !dim.is_one() {
            return Err(self.unit_power_error(dim, loc));
        }
        Ok((
            Term::new(TermKind::Pow(Box::new(base), Box::new(te)), loc),
            Ty::Num(Dim::ONE),
        ))
    }

    fn unit_power_error(&self, dim: Dim, loc: Loc) -> EquationError {
        self.sources.error(
            loc,
            format!(
                "`{}` raises a quantity with unit {dim} to a power that is not a whole or half number",
                self.snippet(loc)
            ),
        )
    }

    fn name(&mut self, name: &str, loc: Loc) -> Typed<(Term, Ty)> {
        let term = |kind| Term::new(kind, loc);
        if let Some(sym) = self.scope.symbols.get(name) {
            return Ok(match *sym {
                Symbol::State(i) => (term(TermKind::State(i)), Ty::Num(self.scope.state_dims[i])),
                Symbol::Param(i) => (term(TermKind::Param(i)), Ty::Num(self.scope.param_dims[i])),
                Symbol::Sub(i) => {
                    self.subexpression(i, loc)?;
                    (term(TermKind::Sub(i)), Ty::Num(self.scope.subs[i].2))
                }
            });
        }
        let quantity_only = self.context == UnitContext::Quantity;
        Ok(match name {
            "pi" => (term(TermKind::Num(std::f64::consts::PI)), Ty::Num(Dim::ONE)),
            "e" => (term(TermKind::Num(std::f64::consts::E)), Ty::Num(Dim::ONE)),
            "dt" if !quantity_only => (term(TermKind::Dt), Ty::Num(Dim::TIME)),
            "t" if !quantity_only => (term(TermKind::Time), Ty::Num(Dim::TIME)),
            "not_refractory" if !quantity_only => (term(TermKind::NotRefractory), Ty::Bool),
            n if is_noise(n) && !quantity_only => {
                let k = match self.noises.iter().position(|x| x == n) {
                    Some(k) => k,
                    None => {
                        self.noises.push(n.to_string());
                        self.noises.len() - 1
                    }
                };
                let dim = Dim::ONE
                    .div(Dim::TIME)
                    .pow_halves(1)
                    .expect("half powers of time exist");
                (term(TermKind::Xi(k)), Ty::Num(dim))
            }
            _ => match units::lookup(name, self.context) {
                Some(u) => (term(TermKind::Pow10(u.exp10)), Ty::Num(u.dim)),
                None => return Err(self.undefined(name, loc)),
            },
        })
    }

    fn undefined(&self, name: &str, loc: Loc) -> EquationError {
        let hint = if self.context == UnitContext::Quantity {
            " (a value is a number with a unit, such as \"10 ms\" or \"0.04 / mV\")".to_string()
        } else if units::lookup(name, UnitContext::Quantity).is_some() {
            format!(
                " (`{name}` is a unit only in quantity strings: in equations write its long name, e.g. `second`, `volt`)"
            )
        } else if FUNCTIONS.iter().any(|(f, _)| *f == name) {
            format!(" (`{name}` is a function: call it as {name}(...))")
        } else {
            String::new()
        };
        self.sources.error(loc, format!("undefined name `{name}`{hint}"))
    }

    fn subexpression(&mut self, i: usize, loc: Loc) -> Typed<()> {
        if self.subs[i].is_some() {
            return Ok(());
        }
        if self.visiting.contains(&i) {
            return Err(self.sources.error(
                loc,
                format!(
                    "subexpression `{}` is defined in terms of itself",
                    self.scope.subs[i].0
                ),
            ));
        }
        self.visiting.push(i);
        let (name, expr, declared) = &self.scope.subs[i];
        let (t, d) = self.number(expr)?;
        self.visiting.pop();
        if d != *declared {
            return Err(self.sources.error(
                expr.loc,
                format!(
                    "`{name}` is declared with unit {declared} but `{}` has unit {d}",
                    self.snippet(expr.loc)
                ),
            ));
        }
        self.subs[i] = Some(t);
        Ok(())
    }
}

impl Typer<'_> {
    fn call(&mut self, name: &str, name_loc: Loc, args: &[Expr], loc: Loc) -> Typed<(Term, Ty)> {
        let Some(&(_, arity)) = FUNCTIONS.iter().find(|(f, _)| *f == name) else {
            let known: Vec<&str> = FUNCTIONS.iter().map(|(f, _)| *f).collect();
            return Err(self.sources.error(
                name_loc,
                format!("unknown function `{name}` (known: {})", known.join(", ")),
            ));
        };
        if args.len() != arity {
            return Err(self.sources.error(
                loc,
                format!("`{name}` takes {arity} argument(s), {} given", args.len()),
            ));
        }
        let term = |kind| Term::new(kind, loc);
        let num = |t| (t, Ty::Num(Dim::ONE));
        Ok(match name {
            "rand" | "randn" => {
                let site = self.rand_sites;
                self.rand_sites += 1;
                num(term(if name == "rand" {
                    TermKind::Rand(site)
                } else {
                    TermKind::Randn(site)
                }))
            }
            "int" => num(term(TermKind::BoolToNum(Box::new(
                self.condition(&args[0], "the argument of int()")?,
            )))),
            "heaviside" | "sign" => {
                let (x, _) = self.number(&args[0])?;
                let zero = Term::new(TermKind::Num(0.0), loc);
                let step = |op| {
                    term(TermKind::BoolToNum(Box::new(term(TermKind::Cmp(
                        op,
                        Box::new(x.clone()),
                        Box::new(zero.clone()),
                    )))))
                };
                use super::ast::CmpOp;
                if name == "heaviside" {
                    num(step(CmpOp::Gt))
                } else {
                    num(term(TermKind::Bin(
                        Arith::Sub,
                        Box::new(step(CmpOp::Gt)),
                        Box::new(step(CmpOp::Lt)),
                    )))
                }
            }
            "pow" => {
                let (base, dim) = self.number(&args[0])?;
                self.power(base, dim, &args[1], loc)?
            }
            "min" | "max" | "clip" => self.extremum(name, args, loc)?,
            "sqrt" => {
                let (x, d) = self.number(&args[0])?;
                let Some(out) = d.pow_halves(1) else {
                    return Err(self.unit_power_error(d, loc));
                };
                (term(TermKind::Func(Func::Sqrt, vec![x])), Ty::Num(out))
            }
            "abs" | "floor" | "ceil" => {
                let (x, d) = self.number(&args[0])?;
                let f = match name {
                    "abs" => Func::Abs,
                    "floor" => Func::Floor,
                    _ => Func::Ceil,
                };
                (term(TermKind::Func(f, vec![x])), Ty::Num(d))
            }
            _ => self.transcendental(name, &args[0], loc)?,
        })
    }

    /// `exp`, `log`, `log10` and the trigonometric and hyperbolic functions: dimensionless.
    fn transcendental(&mut self, name: &str, arg: &Expr, loc: Loc) -> Typed<(Term, Ty)> {
        let (x, d) = self.number(arg)?;
        if !d.is_one() {
            return Err(self.sources.error(
                arg.loc,
                format!(
                    "{name}() needs a dimensionless argument, but `{}` has unit {d}",
                    self.snippet(arg.loc)
                ),
            ));
        }
        let f = match name {
            "exp" => Func::Exp,
            "log" | "log10" => Func::Log,
            "sin" => Func::Sin,
            "cos" => Func::Cos,
            "tan" => Func::Tan,
            "tanh" => Func::Tanh,
            "sinh" => Func::Sinh,
            _ => Func::Cosh,
        };
        let call = Term::new(TermKind::Func(f, vec![x]), loc);
        let out = if name == "log10" {
            let factor = Term::new(TermKind::Num(std::f64::consts::LOG10_E), loc);
            Term::new(TermKind::Bin(Arith::Mul, Box::new(call), Box::new(factor)), loc)
        } else {
            call
        };
        Ok((out, Ty::Num(Dim::ONE)))
    }

    /// `min(a, b)`, `max(a, b)`, `clip(x, low, high)` = `min(max(x, low), high)` (numpy's).
    fn extremum(&mut self, name: &str, args: &[Expr], loc: Loc) -> Typed<(Term, Ty)> {
        let mut typed = Vec::new();
        for a in args {
            typed.push(self.number(a)?);
        }
        let whole = Expr {
            kind: ExprKind::Num(0.0),
            loc,
        };
        let mut dim = typed[0].1;
        for (k, (t, d)) in typed.iter().enumerate().skip(1) {
            dim = self.same_dims(&whole, (&typed[0].0, dim, args[0].loc), (t, *d, args[k].loc))?;
        }
        let term = |kind| Term::new(kind, loc);
        let mut terms = typed.into_iter().map(|(t, _)| t);
        let first = terms.next().expect("arity checked");
        let second = terms.next().expect("arity checked");
        let out = match name {
            "min" => term(TermKind::Func(Func::Min, vec![first, second])),
            "max" => term(TermKind::Func(Func::Max, vec![first, second])),
            _ => {
                let high = terms.next().expect("arity checked");
                let lower = term(TermKind::Func(Func::Max, vec![first, second]));
                term(TermKind::Func(Func::Min, vec![lower, high]))
            }
        };
        Ok((out, Ty::Num(dim)))
    }
}

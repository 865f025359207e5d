//! Symbolic linear decomposition: `expr = coef * y + rest` for a variable `y` (a state
//! variable, or a shifted one `x - s` as the exact method uses), with `coef` and `rest` free
//! of `y`. Exponential Euler and the exact method build on it; a term that is not linear
//! is returned so that the error can point at it.

use super::term::{Arith, Term, TermKind};

/// `coef * y + rest`; `None` stands for zero.
#[derive(Clone, Debug, Default)]
pub(crate) struct Linear {
    pub coef: Option<Term>,
    pub rest: Option<Term>,
}

/// How the variable appears: `matches` says whether a term *is* the variable (with the
/// sign it enters with), `contains` whether a term contains it anywhere.
pub(crate) struct Variable<'a> {
    pub matches: &'a dyn Fn(&Term) -> Option<f64>,
    pub contains: &'a dyn Fn(&Term) -> bool,
}

fn num(v: f64, like: &Term) -> Term {
    Term::new(TermKind::Num(v), like.loc)
}

fn bin(op: Arith, a: Term, b: Term) -> Term {
    let loc = a.loc.to(b.loc);
    Term::new(TermKind::Bin(op, Box::new(a), Box::new(b)), loc)
}

fn neg(a: Term) -> Term {
    match a.kind {
        TermKind::Neg(inner) => *inner,
        TermKind::Num(v) => num(-v, &a),
        _ => {
            let loc = a.loc;
            Term::new(TermKind::Neg(Box::new(a)), loc)
        }
    }
}

/// `a + b` or `a - b` with zeros dropped.
fn combine(op: Arith, a: Option<Term>, b: Option<Term>) -> Option<Term> {
    match (a, b) {
        (None, None) => None,
        (Some(a), None) => Some(a),
        (None, Some(b)) => Some(if op == Arith::Sub { neg(b) } else { b }),
        (Some(a), Some(b)) => Some(bin(op, a, b)),
    }
}

/// `a * factor` (or `a / factor`), with a factor of one dropped.
fn times(a: Option<Term>, op: Arith, factor: &Term, left: bool) -> Option<Term> {
    let a = a?;
    if factor.literal_value() == Some(1.0) {
        return Some(a);
    }
    if a.literal_value() == Some(1.0) && op == Arith::Mul {
        return Some(factor.clone());
    }
    Some(if left {
        bin(op, factor.clone(), a)
    } else {
        bin(op, a, factor.clone())
    })
}

/// Decomposes `t` (subexpressions expanded through `subs`). On failure returns the smallest
/// term in which the variable enters non-linearly.
pub(crate) fn decompose(t: &Term, var: &Variable, subs: &[Term]) -> Result<Linear, Term> {
    if let Some(sign) = (var.matches)(t) {
        return Ok(Linear {
            coef: Some(num(sign, t)),
            rest: None,
        });
    }
    if !(var.contains)(t) {
        return Ok(Linear {
            coef: None,
            rest: Some(t.clone()),
        });
    }
    match &t.kind {
        TermKind::Sub(i) => decompose(&subs[*i], var, subs),
        TermKind::Neg(a) => {
            let l = decompose(a, var, subs)?;
            Ok(Linear {
                coef: l.coef.map(neg),
                rest: l.rest.map(neg),
            })
        }
        TermKind::Bin(op @ (Arith::Add | Arith::Sub), a, b) => {
            let (la, lb) = (decompose(a, var, subs)?, decompose(b, var, subs)?);
            Ok(Linear {
                coef: combine(*op, la.coef, lb.coef),
                rest: combine(*op, la.rest, lb.rest),
            })
        }
        TermKind::Bin(Arith::Mul, a, b) if !(var.contains)(a) => {
            let l = decompose(b, var, subs)?;
            Ok(Linear {
                coef: times(l.coef, Arith::Mul, a, true),
                rest: times(l.rest, Arith::Mul, a, true),
            })
        }
        TermKind::Bin(Arith::Mul | Arith::Div, a, b) if !(var.contains)(b) => {
            let op = if matches!(t.kind, TermKind::Bin(Arith::Mul, ..)) {
                Arith::Mul
            } else {
                Arith::Div
            };
            let l = decompose(a, var, subs)?;
            Ok(Linear {
                coef: times(l.coef, op, b, false),
                rest: times(l.rest, op, b, false),
            })
        }
        TermKind::PowInt(a, 1) => decompose(a, var, subs),
        _ => Err(t.clone()),
    }
}

/// Whether `t` contains state variable `i` (through subexpressions too).
pub(crate) fn contains_state(t: &Term, i: usize, subs: &[Term]) -> bool {
    t.any(subs, &|k| matches!(k, TermKind::State(j) if *j == i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::equations::error::Loc;

    fn t(kind: TermKind) -> Term {
        Term::new(kind, Loc::default())
    }

    #[test]
    fn a_leaky_equation_splits_into_coefficient_and_rest() {
        // (-(v - e) + i) / tau
        let v = t(TermKind::State(0));
        let e = t(TermKind::Param(0));
        let i = t(TermKind::State(1));
        let tau = t(TermKind::Param(1));
        let leak = t(TermKind::Neg(Box::new(bin(Arith::Sub, v, e))));
        let rhs = bin(Arith::Div, bin(Arith::Add, leak, i), tau);
        let var = Variable {
            matches: &|x: &Term| matches!(x.kind, TermKind::State(0)).then_some(1.0),
            contains: &|x: &Term| contains_state(x, 0, &[]),
        };
        let l = decompose(&rhs, &var, &[]).unwrap();
        assert_eq!(l.coef.unwrap().eval_host(&[0.0, 4.0]), Some(-0.25));
        assert!(l.rest.is_some());
        let square = bin(Arith::Mul, t(TermKind::State(0)), t(TermKind::State(0)));
        assert!(decompose(&square, &var, &[]).is_err());
    }
}

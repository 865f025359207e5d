//! The `exact` method: a group of equations linear in the group's variables with constant
//! (host-known) coefficients, `x' = A x + b`, advanced by the propagator `exp(A dt)`
//! computed on the host in f64, as the built-in LIF does.
//!
//! A variable that appears only as `(x - s)` (or `(s - x)`) with one shift `s` free of state
//! variables, like `v - v_rest`, is integrated in the shifted form `y = x - s`. Each
//! variable's update is then the left-to-right sum `P_x0 y_0 + P_x1 y_1 + ... + G_k u_k +
//! K + s`: propagated (shifted) variables in declaration order, runtime inputs `u_k` (such
//! as an injected current) with their gains, the host-known inhomogeneous part, the shift.
//! For the current-based LIF this is the built-in update, operation for operation.

use super::emit::{Emitter, Env};
use super::error::EquationError;
use super::ir::{ExactEntry, Host, HostId, NodeId};
use super::linear::{Variable, contains_state, decompose};
use super::methods::{Method, rhs};
use super::term::{Arith, Term, TermKind};

/// What the host needs to compute a group's constants.
#[derive(Clone, Debug)]
pub(crate) struct ExactGroup {
    /// `a[i][j]`: coefficient of variable `j` in the equation of variable `i`.
    pub a: Vec<Vec<Option<HostId>>>,
    /// `inputs[k][i]`: coefficient of runtime input `k` in the equation of variable `i`.
    pub inputs: Vec<Vec<Option<HostId>>>,
    /// Host-known inhomogeneous term of each equation.
    pub constant: Vec<Option<HostId>>,
}

type Result<T> = std::result::Result<T, EquationError>;

/// A group's equations as `x' = A y + rest`, `y` the (shifted) variables.
struct LinearSystem {
    /// Shift of each variable, if it only appears as `x - s`.
    shifts: Vec<Option<Term>>,
    /// `a[i][j]`: coefficient of `y_j` in the equation of variable `i`.
    a: Vec<Vec<Option<Term>>>,
    /// What remains of each equation: free of the group's variables.
    rests: Vec<Option<Term>>,
}

fn exact_error(e: &Emitter, at: &Term, why: &str) -> EquationError {
    e.checked.sources.error(
        at.loc,
        format!("method {} does not apply: {why}", Method::Exact.name()),
    )
}

/// The first subterm satisfying `pred`, looking through subexpressions.
fn find<'t>(t: &'t Term, subs: &'t [Term], pred: &dyn Fn(&Term) -> bool) -> Option<&'t Term> {
    if pred(t) {
        return Some(t);
    }
    if let TermKind::Sub(i) = t.kind {
        return find(&subs[i], subs, pred);
    }
    t.children().into_iter().find_map(|c| find(c, subs, pred))
}

/// Every way state variable `j` occurs: `Some(s)` inside `(x_j - s)` or `(s - x_j)` with `s`
/// free of state variables, `None` bare.
fn occurrences(t: &Term, j: usize, subs: &[Term], out: &mut Vec<Option<Term>>) {
    let free = |s: &Term| !s.any(subs, &|k| matches!(k, TermKind::State(_) | TermKind::Time));
    match &t.kind {
        TermKind::Bin(Arith::Sub, a, b) if matches!(a.kind, TermKind::State(x) if x == j) && free(b) => {
            out.push(Some((**b).clone()))
        }
        TermKind::Bin(Arith::Sub, a, b) if matches!(b.kind, TermKind::State(x) if x == j) && free(a) => {
            out.push(Some((**a).clone()))
        }
        TermKind::State(x) if *x == j => out.push(None),
        TermKind::Sub(i) => occurrences(&subs[*i], j, subs, out),
        _ => t.for_each_child(|c| occurrences(c, j, subs, out)),
    }
}

/// The shift of variable `j` if every occurrence in the group's equations has the same one.
fn shift_of(rhss: &[Term], j: usize, subs: &[Term]) -> Option<Term> {
    let mut occ = Vec::new();
    for t in rhss {
        occurrences(t, j, subs, &mut occ);
    }
    let first = occ.first()?.clone()?;
    occ.iter().all(|o| o.as_ref() == Some(&first)).then_some(first)
}

impl Emitter<'_> {
    /// Splits a host-free-of-state term into runtime leaves with host coefficients and a
    /// host remainder: `sum_k c_k * u_k + r`.
    fn affine(&self, t: &Term, out: &mut Vec<(Term, Term)>) -> Option<Term> {
        let scaled =
            |e: &Self, inner: &Term, factor: &Term, op: Arith, left: bool, out: &mut Vec<(Term, Term)>| {
                let mut part = Vec::new();
                let rest = e.affine(inner, &mut part);
                let apply = |x: Term| {
                    let loc = x.loc;
                    let (a, b) = if left {
                        (factor.clone(), x)
                    } else {
                        (x, factor.clone())
                    };
                    Term::new(TermKind::Bin(op, Box::new(a), Box::new(b)), loc)
                };
                out.extend(part.into_iter().map(|(leaf, c)| (leaf, apply(c))));
                rest.map(apply)
            };
        if self.is_host(t) {
            return Some(t.clone());
        }
        match &t.kind {
            TermKind::Sub(i) => self.affine(&self.subs[*i].clone(), out),
            TermKind::Neg(a) => {
                let one = Term::new(TermKind::Num(-1.0), t.loc);
                scaled(self, a, &one, Arith::Mul, true, out)
            }
            TermKind::Bin(op @ (Arith::Add | Arith::Sub), a, b) => {
                let ra = self.affine(a, out);
                let mut part = Vec::new();
                let rb = self.affine(b, &mut part);
                let sign = |x: Term| {
                    if *op == Arith::Sub {
                        let loc = x.loc;
                        Term::new(TermKind::Neg(Box::new(x)), loc)
                    } else {
                        x
                    }
                };
                out.extend(part.into_iter().map(|(l, c)| (l, sign(c))));
                match (ra, rb.map(sign)) {
                    (Some(x), Some(y)) => {
                        let loc = x.loc.to(y.loc);
                        Some(Term::new(
                            TermKind::Bin(Arith::Add, Box::new(x), Box::new(y)),
                            loc,
                        ))
                    }
                    (x, y) => x.or(y),
                }
            }
            TermKind::Bin(Arith::Mul, a, b) if self.is_host(a) => scaled(self, b, a, Arith::Mul, true, out),
            TermKind::Bin(Arith::Mul, a, b) if self.is_host(b) => scaled(self, a, b, Arith::Mul, false, out),
            TermKind::Bin(Arith::Div, a, b) if self.is_host(b) => scaled(self, a, b, Arith::Div, false, out),
            _ => {
                out.push((t.clone(), Term::new(TermKind::Num(1.0), t.loc)));
                None
            }
        }
    }

    /// Checks that a group's equations are linear with constant coefficients.
    fn exact_system(&self, vars: &[usize]) -> Result<LinearSystem> {
        let subs = self.subs.clone();
        let rhss: Vec<Term> = vars.iter().map(|&i| rhs(self.checked, i).clone()).collect();
        for t in &rhss {
            let varying = |k: &Term| {
                matches!(
                    k.kind,
                    TermKind::Time
                        | TermKind::Xi(_)
                        | TermKind::Rand(_)
                        | TermKind::Randn(_)
                        | TermKind::NotRefractory
                )
            };
            if let Some(bad) = find(t, &subs, &varying) {
                let why = format!(
                    "`{}` changes within the step; exact needs constant coefficients and inputs",
                    self.checked.sources.snippet(bad.loc)
                );
                return Err(exact_error(self, bad, &why));
            }
            let outside = |k: &Term| matches!(k.kind, TermKind::State(j) if !vars.contains(&j));
            if let Some(bad) = find(t, &subs, &outside) {
                let why = format!(
                    "`{}` is a state variable integrated by another method; exact integrates a closed linear system",
                    self.checked.sources.snippet(bad.loc)
                );
                return Err(exact_error(self, bad, &why));
            }
        }
        let shifts: Vec<Option<Term>> = vars.iter().map(|&j| shift_of(&rhss, j, &subs)).collect();
        let mut a = vec![vec![None; vars.len()]; vars.len()];
        let mut rests = Vec::new();
        for (row, t) in rhss.iter().enumerate() {
            let mut rest = Some(t.clone());
            for (col, &j) in vars.iter().enumerate() {
                let Some(current) = rest.take() else { break };
                let shift = shifts[col].clone();
                let matches = |x: &Term| match (&x.kind, &shift) {
                    (TermKind::State(s), None) if *s == j => Some(1.0),
                    (TermKind::Bin(Arith::Sub, p, q), Some(s))
                        if matches!(p.kind, TermKind::State(v) if v == j) && **q == *s =>
                    {
                        Some(1.0)
                    }
                    (TermKind::Bin(Arith::Sub, p, q), Some(s))
                        if matches!(q.kind, TermKind::State(v) if v == j) && **p == *s =>
                    {
                        Some(-1.0)
                    }
                    _ => None,
                };
                let contains = |x: &Term| contains_state(x, j, &subs);
                let var = Variable {
                    matches: &matches,
                    contains: &contains,
                };
                let split = decompose(&current, &var, &subs).map_err(|bad| {
                    let why = format!(
                        "the system is not linear: `{}`",
                        self.checked.sources.snippet(bad.loc)
                    );
                    exact_error(self, &bad, &why)
                })?;
                if let Some(coef) = &split.coef {
                    let varying_leaf = |k: &Term| {
                        !self.is_host(k) && matches!(k.kind, TermKind::State(_) | TermKind::Param(_))
                    };
                    if let Some(bad) = find(coef, &subs, &varying_leaf) {
                        let why = format!(
                            "the coefficient `{}` of {} is not constant (`{}` is a state variable or varies per neuron)",
                            self.checked.sources.snippet(coef.loc),
                            self.checked.states[j].name,
                            self.checked.sources.snippet(bad.loc)
                        );
                        return Err(exact_error(self, coef, &why));
                    }
                }
                a[row][col] = split.coef;
                rest = split.rest;
            }
            rests.push(rest);
        }
        Ok(LinearSystem { shifts, a, rests })
    }

    /// The exact update of the group `vars` from `env`.
    pub(crate) fn exact(&mut self, vars: &[usize], env: &Env) -> Result<Vec<NodeId>> {
        let LinearSystem {
            shifts,
            a: a_terms,
            rests,
        } = self.exact_system(vars)?;
        let n = vars.len();
        let mut leaves: Vec<Term> = Vec::new();
        let mut input_terms: Vec<Vec<Option<Term>>> = Vec::new();
        let mut constant_terms = Vec::new();
        for (i, rest) in rests.iter().enumerate() {
            let mut parts = Vec::new();
            let host_rest = rest.as_ref().and_then(|r| self.affine(r, &mut parts));
            for (leaf, coef) in parts {
                let k = match leaves.iter().position(|l| *l == leaf) {
                    Some(k) => k,
                    None => {
                        leaves.push(leaf);
                        input_terms.push(vec![None; n]);
                        leaves.len() - 1
                    }
                };
                input_terms[k][i] = Some(match input_terms[k][i].take() {
                    None => coef,
                    Some(prev) => {
                        let loc = prev.loc;
                        Term::new(TermKind::Bin(Arith::Add, Box::new(prev), Box::new(coef)), loc)
                    }
                });
            }
            constant_terms.push(host_rest);
        }
        let group = self.exact_groups.len() as u16;
        let host_table = |e: &mut Self, terms: &[Option<Term>]| -> Result<Vec<Option<HostId>>> {
            terms
                .iter()
                .map(|t| t.as_ref().map(|t| e.host_of(t)).transpose())
                .collect()
        };
        let a: Vec<Vec<Option<HostId>>> = a_terms
            .iter()
            .map(|row| host_table(self, row))
            .collect::<Result<_>>()?;
        let inputs: Vec<Vec<Option<HostId>>> = input_terms
            .iter()
            .map(|c| host_table(self, c))
            .collect::<Result<_>>()?;
        let constant = host_table(self, &constant_terms)?;
        let reach = reachability(&a);
        let mut out = Vec::new();
        for i in 0..n {
            let mut terms: Vec<NodeId> = Vec::new();
            for (col, &j) in vars.iter().enumerate() {
                if !reach[col][i] {
                    continue;
                }
                let y = match &shifts[col] {
                    Some(s) => {
                        let s = self.emit(s, env)?;
                        self.graph.sub(env.states[j], s)
                    }
                    None => env.states[j],
                };
                let p = self.exact_node(group, ExactEntry::Propagator(i as u16, col as u16));
                terms.push(self.graph.mul(p, y));
            }
            for (k, leaf) in leaves.iter().enumerate() {
                if (0..n).any(|m| inputs[k][m].is_some() && reach[m][i]) {
                    let u = self.emit(leaf, env)?;
                    let gain = self.exact_node(group, ExactEntry::Gain(i as u16, k as u16));
                    terms.push(self.graph.mul(gain, u));
                }
            }
            if (0..n).any(|m| constant[m].is_some() && reach[m][i]) {
                terms.push(self.exact_node(group, ExactEntry::Constant(i as u16)));
            }
            if let Some(s) = &shifts[i] {
                terms.push(self.emit(s, env)?);
            }
            let mut sum = terms[0];
            for &t in &terms[1..] {
                sum = self.graph.add(sum, t);
            }
            out.push(sum);
        }
        self.exact_groups.push(ExactGroup { a, inputs, constant });
        Ok(out)
    }

    fn exact_node(&mut self, group: u16, entry: ExactEntry) -> NodeId {
        let h = self.graph.host_expr(Host::Exact(group, entry));
        self.graph.host(h)
    }
}

/// `reach[j][i]`: variable `j` influences variable `i` over a step (every variable influences
/// itself).
fn reachability(a: &[Vec<Option<HostId>>]) -> Vec<Vec<bool>> {
    let n = a.len();
    let mut reach: Vec<Vec<bool>> = (0..n)
        .map(|j| (0..n).map(|i| i == j || a[i][j].is_some()).collect())
        .collect();
    for k in 0..n {
        for j in 0..n {
            for i in 0..n {
                if reach[j][k] && reach[k][i] {
                    reach[j][i] = true;
                }
            }
        }
    }
    reach
}

//! Integration methods: which applies to which variable, and the update each one emits
//! (Brian2's formulations). `exact` lives in `exact.rs`.

use super::check::{Checked, StateKind};
use super::definition::MethodSpec;
use super::emit::{Emitter, Env};
use super::error::EquationError;
use super::ir::{Host, Node, NodeId};
use super::linear::{Variable, contains_state, decompose};
use super::term::{Term, TermKind};

/// An integration method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// Forward Euler; with white noise, Euler-Maruyama (additive noise).
    Euler,
    /// Second-order Runge-Kutta (midpoint).
    Rk2,
    /// Classical fourth-order Runge-Kutta.
    Rk4,
    /// Exponential Euler, for equations linear in their own variable.
    ExponentialEuler,
    /// Exact solution of a linear system with constant coefficients (propagator matrix).
    Exact,
}

impl Method {
    /// Every method.
    pub const ALL: [Method; 5] = [
        Method::Euler,
        Method::Rk2,
        Method::Rk4,
        Method::ExponentialEuler,
        Method::Exact,
    ];

    /// The name used in definitions.
    pub fn name(self) -> &'static str {
        match self {
            Method::Euler => "euler",
            Method::Rk2 => "rk2",
            Method::Rk4 => "rk4",
            Method::ExponentialEuler => "exponential_euler",
            Method::Exact => "exact",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }
}

type Result<T> = std::result::Result<T, EquationError>;

/// The method of each state variable (`None` for variables without a derivative), from
/// the specification; `None` entries of the result's second part are automatic.
pub(crate) fn requested_methods(checked: &Checked, spec: &MethodSpec) -> Result<Vec<Option<Method>>> {
    let parse = |field: &str, name: &str| {
        Method::parse(name).ok_or_else(|| {
            let known: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
            checked.sources.field_error(
                field,
                format!("unknown method `{name}` (known: {})", known.join(", ")),
            )
        })
    };
    let mut out: Vec<Option<Method>> = vec![None; checked.states.len()];
    let (default, per_var) = match spec {
        MethodSpec::Automatic => (None, &[][..]),
        MethodSpec::All(m) => (Some(parse("method", m)?), &[][..]),
        MethodSpec::PerVariable { default, methods } => (
            match default {
                Some(m) => Some(parse("method.default", m)?),
                None => None,
            },
            &methods[..],
        ),
    };
    for (i, s) in checked.states.iter().enumerate() {
        if matches!(s.kind, StateKind::Differential(_)) {
            out[i] = default;
        }
    }
    for (var, m) in per_var {
        let field = format!("method.{var}");
        let method = parse(&field, m)?;
        match checked.states.iter().position(|s| s.name == *var) {
            Some(i) if matches!(checked.states[i].kind, StateKind::Differential(_)) => out[i] = Some(method),
            Some(_) => {
                return Err(checked.sources.field_error(
                    &field,
                    format!("`{var}` has no differential equation to integrate"),
                ));
            }
            None => {
                return Err(checked
                    .sources
                    .field_error(&field, format!("`{var}` is not a state variable of the model")));
            }
        }
    }
    Ok(out)
}

/// The right-hand side of a differential state variable.
pub(crate) fn rhs(checked: &Checked, i: usize) -> &Term {
    match &checked.states[i].kind {
        StateKind::Differential(t) => t,
        StateKind::Declared => unreachable!("only differential variables are integrated"),
    }
}

fn method_error(checked: &Checked, method: Method, at: &Term, why: &str) -> EquationError {
    checked
        .sources
        .error(at.loc, format!("method {} does not apply: {why}", method.name()))
}

/// Refuses white noise and `rand()` in methods that evaluate the right-hand side more than
/// once or treat it as constant.
fn no_noise(checked: &Checked, subs: &[Term], method: Method, vars: &[usize]) -> Result<()> {
    for &i in vars {
        let t = rhs(checked, i);
        if t.any(subs, &|k| matches!(k, TermKind::Xi(_))) {
            return Err(method_error(
                checked,
                method,
                t,
                "it cannot integrate white noise (xi); use euler",
            ));
        }
    }
    Ok(())
}

impl Emitter<'_> {
    fn host_node(&mut self, h: Host) -> NodeId {
        let id = self.graph.host_expr(h);
        self.graph.host(id)
    }

    /// `a * dt`-style host constant `factor * dt`.
    fn dt_times(&mut self, factor: f64) -> NodeId {
        let dt = self.graph.host_expr(Host::Dt);
        let f = self.graph.host_num(factor);
        let h = self.graph.host_mul(f, dt);
        self.graph.host(h)
    }

    fn derivatives(&mut self, vars: &[usize], env: &Env) -> Result<Vec<NodeId>> {
        vars.iter()
            .map(|&i| {
                let t = rhs(self.checked, i).clone();
                self.emit(&t, env)
            })
            .collect()
    }

    /// Forward Euler, `x + dt*f`, plus `g * sqrt(dt) * N(0,1)` per white noise (Brian2's
    /// Euler-Maruyama for additive noise: `g` may not depend on state variables).
    pub(crate) fn euler(&mut self, vars: &[usize], env: &Env) -> Result<Vec<NodeId>> {
        let mut out = Vec::new();
        for &i in vars {
            let rhs = rhs(self.checked, i).clone();
            let mut drift = rhs.clone();
            let mut noise_terms = Vec::new();
            for k in 0..self.checked.noises.len() {
                let subs = self.subs.clone();
                let is_k = move |t: &Term| matches!(t.kind, TermKind::Xi(j) if j == k).then_some(1.0);
                let has_k = |t: &Term| t.any(&subs, &|x| matches!(x, TermKind::Xi(j) if *j == k));
                if !has_k(&drift) {
                    continue;
                }
                let var = Variable {
                    matches: &is_k,
                    contains: &has_k,
                };
                let split = decompose(&drift, &var, &subs).map_err(|bad| {
                    method_error(
                        self.checked,
                        Method::Euler,
                        &bad,
                        "white noise must enter additively, as `... + g * xi`",
                    )
                })?;
                let coef = split.coef.expect("the noise was found");
                let states = (0..self.checked.states.len()).any(|s| contains_state(&coef, s, &subs));
                if states || has_k(&coef) {
                    return Err(method_error(
                        self.checked,
                        Method::Euler,
                        &coef,
                        "the noise amplitude depends on state variables (multiplicative noise); only additive noise is supported",
                    ));
                }
                noise_terms.push((k, coef));
                drift = split
                    .rest
                    .unwrap_or_else(|| Term::new(TermKind::Num(0.0), rhs.loc));
            }
            let x = env.states[i];
            let f = self.emit(&drift, env)?;
            let dt = self.dt_times(1.0);
            let step = self.graph.mul(dt, f);
            let mut next = self.graph.add(x, step);
            for (k, coef) in noise_terms {
                let g = self.emit(&coef, env)?;
                let dt = self.graph.host_expr(Host::Dt);
                let sqrt_dt = self.host_node(Host::Func(super::term::Func::Sqrt, vec![dt]));
                let amplitude = self.graph.mul(g, sqrt_dt);
                let site = self.checked.first_noise_site + k as u32;
                let draw = self.graph.node(Node::Randn(site));
                let kick = self.graph.mul(amplitude, draw);
                next = self.graph.add(next, kick);
            }
            out.push(next);
        }
        Ok(out)
    }

    fn stage_env(&mut self, env: &Env, vars: &[usize], values: &[NodeId], time_factor: f64) -> Env {
        let mut e = env.clone();
        for (&i, &v) in vars.iter().zip(values) {
            e.states[i] = v;
        }
        let shift = self.dt_times(time_factor);
        e.time = self.graph.add(env.time, shift);
        e
    }

    /// Midpoint RK2: `k = dt*f(x, t)`, `x + dt*f(x + k/2, t + dt/2)`.
    pub(crate) fn rk2(&mut self, vars: &[usize], env: &Env) -> Result<Vec<NodeId>> {
        no_noise(self.checked, &self.subs, Method::Rk2, vars)?;
        let dt = self.dt_times(1.0);
        let half = self.graph.num(0.5);
        let f0 = self.derivatives(vars, env)?;
        let mid: Vec<NodeId> = vars
            .iter()
            .zip(&f0)
            .map(|(&i, &f)| {
                let k = self.graph.mul(dt, f);
                let hk = self.graph.mul(half, k);
                self.graph.add(env.states[i], hk)
            })
            .collect();
        let env_mid = self.stage_env(env, vars, &mid, 0.5);
        let f1 = self.derivatives(vars, &env_mid)?;
        Ok(vars
            .iter()
            .zip(f1)
            .map(|(&i, f)| {
                let step = self.graph.mul(dt, f);
                self.graph.add(env.states[i], step)
            })
            .collect())
    }

    /// Classical RK4: `x + (k1 + 2 k2 + 2 k3 + k4)/6` with `k = dt*f(...)`.
    pub(crate) fn rk4(&mut self, vars: &[usize], env: &Env) -> Result<Vec<NodeId>> {
        no_noise(self.checked, &self.subs, Method::Rk4, vars)?;
        let dt = self.dt_times(1.0);
        let half = self.graph.num(0.5);
        let two = self.graph.num(2.0);
        let mut ks: Vec<Vec<NodeId>> = Vec::new();
        let mut stage = env.clone();
        for (s, (weight, time)) in [(0.5, 0.5), (0.5, 0.5), (1.0, 1.0), (0.0, 0.0)]
            .into_iter()
            .enumerate()
        {
            let f = self.derivatives(vars, &stage)?;
            let k: Vec<NodeId> = f.iter().map(|&f| self.graph.mul(dt, f)).collect();
            if s < 3 {
                let values: Vec<NodeId> = vars
                    .iter()
                    .zip(&k)
                    .map(|(&i, &k)| {
                        let part = if weight == 0.5 { self.graph.mul(half, k) } else { k };
                        self.graph.add(env.states[i], part)
                    })
                    .collect();
                stage = self.stage_env(env, vars, &values, time);
            }
            ks.push(k);
        }
        let sixth = self.graph.num(1.0 / 6.0);
        Ok(vars
            .iter()
            .enumerate()
            .map(|(n, &i)| {
                let k2 = self.graph.mul(two, ks[1][n]);
                let k3 = self.graph.mul(two, ks[2][n]);
                let s = self.graph.add(ks[0][n], k2);
                let s = self.graph.add(s, k3);
                let s = self.graph.add(s, ks[3][n]);
                let step = self.graph.mul(sixth, s);
                self.graph.add(env.states[i], step)
            })
            .collect())
    }

    /// Exponential Euler (Brian2's): `dx/dt = A x + B` with A, B taken at the step's start;
    /// `x_new = (x + B/A) exp(A dt) - B/A` (`x exp(A dt)` without B, `x + dt B` without A).
    pub(crate) fn exponential_euler(&mut self, vars: &[usize], env: &Env) -> Result<Vec<NodeId>> {
        no_noise(self.checked, &self.subs, Method::ExponentialEuler, vars)?;
        let mut out = Vec::new();
        for &i in vars {
            let subs = self.subs.clone();
            let is_x = |t: &Term| matches!(t.kind, TermKind::State(j) if j == i).then_some(1.0);
            let has_x = |t: &Term| contains_state(t, i, &subs);
            let var = Variable {
                matches: &is_x,
                contains: &has_x,
            };
            let rhs = rhs(self.checked, i).clone();
            let name = &self.checked.states[i].name;
            let split = decompose(&rhs, &var, &subs).map_err(|bad| {
                let why = format!(
                    "each equation must be linear in its own variable, and `{}` is not linear in {name}",
                    self.checked.sources.snippet(bad.loc)
                );
                method_error(self.checked, Method::ExponentialEuler, &bad, &why)
            })?;
            let x = env.states[i];
            let dt = self.dt_times(1.0);
            let next = match (split.coef, split.rest) {
                (None, b) => {
                    let b = b.unwrap_or_else(|| Term::new(TermKind::Num(0.0), rhs.loc));
                    let b = self.emit(&b, env)?;
                    let step = self.graph.mul(dt, b);
                    self.graph.add(x, step)
                }
                (Some(a), b) => {
                    let a = self.emit(&a, env)?;
                    let adt = self.graph.mul(a, dt);
                    let decay = self.graph.func(super::term::Func::Exp, adt, None);
                    match b {
                        None => self.graph.mul(x, decay),
                        Some(b) => {
                            let b = self.emit(&b, env)?;
                            let ba = self.graph.div(b, a);
                            let shifted = self.graph.add(x, ba);
                            let relaxed = self.graph.mul(shifted, decay);
                            self.graph.sub(relaxed, ba)
                        }
                    }
                }
            };
            out.push(next);
        }
        Ok(out)
    }
}

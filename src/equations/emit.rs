//! Turns checked terms into graph nodes under an environment: the current value of every
//! state variable, the time, the refractory condition and the runtime parameters.

use super::check::Checked;
use super::error::EquationError;
use super::ir::{Graph, Host, NodeId};
use super::term::{Term, TermKind};

/// The values names stand for at one point of the tick.
#[derive(Clone, Debug)]
pub(crate) struct Env {
    /// Value of each state variable.
    pub states: Vec<NodeId>,
    /// The time (ms).
    pub time: NodeId,
    /// Whether the neuron is outside its refractory period.
    pub not_refractory: NodeId,
}

/// The graph under construction and what terms refer to.
pub(crate) struct Emitter<'a> {
    pub graph: Graph,
    pub checked: &'a Checked,
    /// Runtime value of each parameter that is not a host constant (per-neuron parameters
    /// and the targets of inputs); `None` for population-wide ones.
    pub runtime_params: Vec<Option<NodeId>>,
    /// Subexpression terms, indexed like `checked.subs`.
    pub subs: Vec<Term>,
    /// Host data of the exact groups emitted so far.
    pub exact_groups: Vec<super::exact::ExactGroup>,
}

impl<'a> Emitter<'a> {
    /// An emitter for `checked`.
    pub fn new(checked: &'a Checked) -> Self {
        Self {
            graph: Graph::default(),
            checked,
            runtime_params: vec![None; checked.params.len()],
            subs: checked.subs.iter().map(|(_, t)| t.clone()).collect(),
            exact_groups: Vec::new(),
        }
    }

    /// Whether `t` can be computed on the host (literals, units, `dt`, population-wide
    /// parameters and functions of them).
    pub fn is_host(&self, t: &Term) -> bool {
        match &t.kind {
            TermKind::Num(_) | TermKind::Pow10(_) | TermKind::Dt => true,
            TermKind::Param(i) => self.runtime_params[*i].is_none(),
            TermKind::Sub(i) => self.is_host(&self.subs[*i]),
            TermKind::Neg(_)
            | TermKind::Bin(..)
            | TermKind::PowInt(..)
            | TermKind::Pow(..)
            | TermKind::Func(..) => {
                let mut all = true;
                t.for_each_child(|c| all = all && self.is_host(c));
                all
            }
            _ => false,
        }
    }

    /// The node computing `t` under `env`.
    pub fn emit(&mut self, t: &Term, env: &Env) -> Result<NodeId, EquationError> {
        let g = &mut self.graph;
        Ok(match &t.kind {
            TermKind::Num(v) => g.num(*v),
            TermKind::Pow10(k) => {
                let one = g.host_num(1.0);
                let h = g.host_scaled(one, *k);
                g.host(h)
            }
            TermKind::Param(i) => match self.runtime_params[*i] {
                Some(n) => n,
                None => {
                    let h = g.host_expr(Host::Param(*i as u16));
                    g.host(h)
                }
            },
            TermKind::State(i) => env.states[*i],
            TermKind::Sub(i) => {
                let sub = self.subs[*i].clone();
                return self.emit(&sub, env);
            }
            TermKind::Dt => {
                let h = g.host_expr(Host::Dt);
                g.host(h)
            }
            TermKind::Time => env.time,
            TermKind::NotRefractory => env.not_refractory,
            TermKind::Rand(site) => g.node(super::ir::Node::Rand(*site)),
            TermKind::Randn(site) => g.node(super::ir::Node::Randn(*site)),
            TermKind::Xi(_) => {
                return Err(self.checked.sources.error(
                    t.loc,
                    "white noise (xi) must enter its equation additively, as `... + sigma * xi`",
                ));
            }
            TermKind::Neg(a) => {
                let a = self.emit(a, env)?;
                self.graph.neg(a)
            }
            TermKind::Bin(op, a, b) => {
                let (a, b) = (self.emit(a, env)?, self.emit(b, env)?);
                self.graph.bin(*op, a, b)
            }
            TermKind::PowInt(a, n) => {
                let a = self.emit(a, env)?;
                self.graph.pow_int(a, *n)
            }
            TermKind::Pow(a, b) => {
                let (a, b) = (self.emit(a, env)?, self.emit(b, env)?);
                self.graph.pow(a, b)
            }
            TermKind::Func(f, args) => {
                let a = self.emit(&args[0], env)?;
                let b = match args.get(1) {
                    Some(b) => Some(self.emit(b, env)?),
                    None => None,
                };
                self.graph.func(*f, a, b)
            }
            TermKind::Cmp(op, a, b) => {
                let (a, b) = (self.emit(a, env)?, self.emit(b, env)?);
                self.graph.node(super::ir::Node::Cmp(*op, a, b))
            }
            TermKind::And(a, b) => {
                let (a, b) = (self.emit(a, env)?, self.emit(b, env)?);
                self.graph.and(a, b)
            }
            TermKind::Or(a, b) => {
                let (a, b) = (self.emit(a, env)?, self.emit(b, env)?);
                self.graph.or(a, b)
            }
            TermKind::Not(a) => {
                let a = self.emit(a, env)?;
                self.graph.not(a)
            }
            TermKind::BoolToNum(a) => {
                let a = self.emit(a, env)?;
                self.graph.node(super::ir::Node::BoolToNum(a))
            }
        })
    }

    /// The host expression of a host term (see [`Emitter::is_host`]).
    pub fn host_of(&mut self, t: &Term) -> Result<super::ir::HostId, EquationError> {
        let env = Env {
            states: Vec::new(),
            time: 0,
            not_refractory: 0,
        };
        let n = self.emit(t, &env)?;
        Ok(self.graph.as_host(n).expect("a host term emits a host node"))
    }
}

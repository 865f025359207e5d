//! The one expression graph of a model's tick, from which both the WGSL function and the CPU
//! program are generated. Nodes are hash-consed (a repeated subexpression is computed once)
//! and created after their operands, so the node list is already in evaluation order.
//!
//! Values known on the host (literals, units, `dt`, population-wide parameters, propagator
//! entries) become [`Host`] expressions, evaluated in f64 and rounded to f32 once into a
//! per-population constant table. In a product, the host factors merge into one constant
//! that stands first (`dt * (x / C)` computes `(dt/C) * x`), and division by a host value is
//! multiplication by its reciprocal: `+ - *` models then use only correctly rounded
//! operations, which WGSL and Rust compute identically.

use std::collections::HashMap;

use super::ast::CmpOp;
use super::definition::InputPort;
use super::term::{Arith, Func};

/// Index of a node.
pub(crate) type NodeId = u32;
/// Index of a host expression.
pub(crate) type HostId = u32;

/// Entries of an exact (propagator) integration group, computed on the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ExactEntry {
    /// Propagator entry P[i][j] = exp(A dt)[i][j].
    Propagator(u16, u16),
    /// Gain of runtime input `k` on variable `i`: (integral of exp(A s) ds B_k)[i].
    Gain(u16, u16),
    /// Contribution of the host-known inhomogeneous term on variable `i`.
    Constant(u16),
}

/// A value computed on the host in f64.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Host {
    /// A number (its f64 bits, so that hosts can be hashed).
    Num(u64),
    /// A population-wide parameter.
    Param(u16),
    /// The time step (ms).
    Dt,
    /// `x * 10^k`, rounded once.
    Scaled(HostId, i32),
    Neg(HostId),
    Bin(Arith, HostId, HostId),
    Func(Func, Vec<HostId>),
    Pow(HostId, HostId),
    PowInt(HostId, i32),
    /// An entry of exact group `g`.
    Exact(u16, ExactEntry),
    /// A refractory duration in ticks: `round(d / dt)`, plus the convention's extra held
    /// tick ([`Host::HeldExtra`]).
    Ticks(HostId),
    /// Ticks added to the refractory count by the network's conventions (1 under NEST's,
    /// which holds `t_ref/dt` ticks after the spike, 0 otherwise).
    HeldExtra,
}

/// A node of the tick's graph.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Node {
    /// A host constant (an f32 from the population's table).
    Host(HostId),
    /// A condition that is always true or always false.
    Bool(bool),
    /// A state variable's value at the start of the tick.
    State(u16),
    /// A per-neuron parameter.
    Param(u16),
    /// This tick's input at a port.
    Input(InputPort),
    /// The tick number as f32.
    Tick,
    /// Outside the refractory period: `(counter - 1 saturating) == 0`, or, with a condition
    /// (its node given), `counter == 0 or not condition`.
    NotRefractory(Option<NodeId>),
    /// Uniform draw in [0, 1) of a call site.
    Rand(u32),
    /// Standard normal draw of a call site.
    Randn(u32),
    Neg(NodeId),
    Bin(Arith, NodeId, NodeId),
    Func(Func, NodeId, Option<NodeId>),
    Pow(NodeId, NodeId),
    /// A comparison (a condition).
    Cmp(CmpOp, NodeId, NodeId),
    And(NodeId, NodeId),
    Or(NodeId, NodeId),
    Not(NodeId),
    /// 1.0 for true, 0.0 for false.
    BoolToNum(NodeId),
    /// `if condition { a } else { b }`.
    Select(NodeId, NodeId, NodeId),
    /// Round half to even (refractory ticks of per-neuron durations).
    Round(NodeId),
}

impl Node {
    /// Calls `f` on every operand.
    pub fn for_each_operand(&self, mut f: impl FnMut(NodeId)) {
        match self {
            Node::Neg(a) | Node::Not(a) | Node::BoolToNum(a) | Node::Round(a) => f(*a),
            Node::NotRefractory(Some(a)) => f(*a),
            Node::Func(_, a, b) => {
                f(*a);
                if let Some(b) = b {
                    f(*b);
                }
            }
            Node::Bin(_, a, b) | Node::Pow(a, b) | Node::Cmp(_, a, b) | Node::And(a, b) | Node::Or(a, b) => {
                f(*a);
                f(*b);
            }
            Node::Select(c, a, b) => {
                f(*c);
                f(*a);
                f(*b);
            }
            _ => {}
        }
    }
}

/// Builds the graph; every constructor folds what the host can compute.
#[derive(Default)]
pub(crate) struct Graph {
    pub nodes: Vec<Node>,
    node_ids: HashMap<Node, NodeId>,
    pub hosts: Vec<Host>,
    host_ids: HashMap<Host, HostId>,
}

impl Graph {
    /// Interns a node.
    pub fn node(&mut self, n: Node) -> NodeId {
        if let Some(&id) = self.node_ids.get(&n) {
            return id;
        }
        let id = self.nodes.len() as NodeId;
        self.nodes.push(n.clone());
        self.node_ids.insert(n, id);
        id
    }

    /// Interns a host expression.
    pub fn host_expr(&mut self, h: Host) -> HostId {
        if let Some(&id) = self.host_ids.get(&h) {
            return id;
        }
        let id = self.hosts.len() as HostId;
        self.hosts.push(h.clone());
        self.host_ids.insert(h, id);
        id
    }

    /// A node holding host value `h`.
    pub fn host(&mut self, h: HostId) -> NodeId {
        self.node(Node::Host(h))
    }

    /// A node holding the number `v`.
    pub fn num(&mut self, v: f64) -> NodeId {
        let h = self.host_num(v);
        self.host(h)
    }

    /// The host value of a node, if it has one.
    pub fn as_host(&self, n: NodeId) -> Option<HostId> {
        match self.nodes[n as usize] {
            Node::Host(h) => Some(h),
            _ => None,
        }
    }

    fn host_value_num(&self, h: HostId) -> Option<f64> {
        match self.hosts[h as usize] {
            Host::Num(bits) => Some(f64::from_bits(bits)),
            _ => None,
        }
    }

    /// Host number `v`.
    pub fn host_num(&mut self, v: f64) -> HostId {
        self.host_expr(Host::Num(v.to_bits()))
    }

    /// `-h`.
    pub fn host_neg(&mut self, h: HostId) -> HostId {
        match self.hosts[h as usize].clone() {
            Host::Num(bits) => self.host_num(-f64::from_bits(bits)),
            Host::Neg(inner) => inner,
            _ => self.host_expr(Host::Neg(h)),
        }
    }

    /// `a * b`, normalised to (product of numerators) / (product of denominators) x 10^k.
    pub fn host_mul(&mut self, a: HostId, b: HostId) -> HostId {
        match (self.hosts[a as usize].clone(), self.hosts[b as usize].clone()) {
            _ if self.host_value_num(a) == Some(1.0) => b,
            _ if self.host_value_num(b) == Some(1.0) => a,
            (Host::Scaled(x, k), _) => {
                let inner = self.host_mul(x, b);
                self.host_scaled(inner, k)
            }
            (_, Host::Scaled(y, k)) => {
                let inner = self.host_mul(a, y);
                self.host_scaled(inner, k)
            }
            (Host::Bin(Arith::Div, n, d), _) => {
                let num = self.host_mul(n, b);
                self.host_div(num, d)
            }
            (_, Host::Bin(Arith::Div, n, d)) => {
                let num = self.host_mul(a, n);
                self.host_div(num, d)
            }
            _ if self.host_value_num(a) == Some(-1.0) => self.host_neg(b),
            _ => self.host_expr(Host::Bin(Arith::Mul, a, b)),
        }
    }

    /// `a / b` in the same normal form.
    pub fn host_div(&mut self, a: HostId, b: HostId) -> HostId {
        match (self.hosts[a as usize].clone(), self.hosts[b as usize].clone()) {
            _ if self.host_value_num(b) == Some(1.0) => a,
            (Host::Scaled(x, k), _) => {
                let inner = self.host_div(x, b);
                self.host_scaled(inner, k)
            }
            (_, Host::Scaled(y, k)) => {
                let inner = self.host_div(a, y);
                self.host_scaled(inner, -k)
            }
            (Host::Bin(Arith::Div, n, d), _) => {
                let den = self.host_mul(d, b);
                self.host_div(n, den)
            }
            (_, Host::Bin(Arith::Div, n, d)) => {
                let num = self.host_mul(a, d);
                self.host_div(num, n)
            }
            _ => self.host_expr(Host::Bin(Arith::Div, a, b)),
        }
    }

    /// `x * 10^k`.
    pub fn host_scaled(&mut self, x: HostId, k: i32) -> HostId {
        if k == 0 {
            return x;
        }
        match self.hosts[x as usize] {
            Host::Scaled(inner, k0) => self.host_scaled(inner, k0 + k),
            _ => self.host_expr(Host::Scaled(x, k)),
        }
    }

    /// `a op b` on the host.
    pub fn host_bin(&mut self, op: Arith, a: HostId, b: HostId) -> HostId {
        match op {
            Arith::Mul => self.host_mul(a, b),
            Arith::Div => self.host_div(a, b),
            _ => self.host_expr(Host::Bin(op, a, b)),
        }
    }
}

/// Runtime constructors: they fold host operands and order products.
impl Graph {
    /// `-a`.
    pub fn neg(&mut self, a: NodeId) -> NodeId {
        if let Some(h) = self.as_host(a) {
            let n = self.host_neg(h);
            return self.host(n);
        }
        match self.nodes[a as usize] {
            Node::Neg(inner) => inner,
            _ => self.node(Node::Neg(a)),
        }
    }

    /// `a op b`.
    pub fn bin(&mut self, op: Arith, a: NodeId, b: NodeId) -> NodeId {
        match op {
            Arith::Mul => return self.mul(a, b),
            Arith::Div => return self.div(a, b),
            _ => {}
        }
        if let (Some(ha), Some(hb)) = (self.as_host(a), self.as_host(b)) {
            let h = self.host_bin(op, ha, hb);
            return self.host(h);
        }
        self.node(Node::Bin(op, a, b))
    }

    /// `a + b`.
    pub fn add(&mut self, a: NodeId, b: NodeId) -> NodeId {
        self.bin(Arith::Add, a, b)
    }

    /// `a - b`.
    pub fn sub(&mut self, a: NodeId, b: NodeId) -> NodeId {
        self.bin(Arith::Sub, a, b)
    }

    /// `a * b`: host factors merge and stand first.
    pub fn mul(&mut self, a: NodeId, b: NodeId) -> NodeId {
        match (self.as_host(a), self.as_host(b)) {
            (Some(ha), Some(hb)) => {
                let h = self.host_mul(ha, hb);
                self.host(h)
            }
            (Some(h), None) => self.scale(h, b),
            (None, Some(h)) => self.scale(h, a),
            (None, None) => self.node(Node::Bin(Arith::Mul, a, b)),
        }
    }

    /// `h * x` for a host `h` and a runtime `x`.
    fn scale(&mut self, h: HostId, x: NodeId) -> NodeId {
        match self.host_value_num(h) {
            Some(1.0) => return x,
            Some(-1.0) => return self.neg(x),
            _ => {}
        }
        if let Node::Bin(Arith::Mul, k, y) = self.nodes[x as usize]
            && let Some(hk) = self.as_host(k)
        {
            let merged = self.host_mul(h, hk);
            return self.scale(merged, y);
        }
        let hn = self.host(h);
        self.node(Node::Bin(Arith::Mul, hn, x))
    }

    /// `a / b`: division by a host value is multiplication by its reciprocal.
    pub fn div(&mut self, a: NodeId, b: NodeId) -> NodeId {
        match (self.as_host(a), self.as_host(b)) {
            (Some(ha), Some(hb)) => {
                let h = self.host_div(ha, hb);
                self.host(h)
            }
            (_, Some(hb)) => {
                let one = self.host_num(1.0);
                let r = self.host_div(one, hb);
                self.scale(r, a)
            }
            _ => self.node(Node::Bin(Arith::Div, a, b)),
        }
    }

    /// `f(a[, b])`.
    pub fn func(&mut self, f: Func, a: NodeId, b: Option<NodeId>) -> NodeId {
        let ha = self.as_host(a);
        let hb = b.map(|b| self.as_host(b));
        match (ha, hb) {
            (Some(x), None) => {
                let h = self.host_expr(Host::Func(f, vec![x]));
                self.host(h)
            }
            (Some(x), Some(Some(y))) => {
                let h = self.host_expr(Host::Func(f, vec![x, y]));
                self.host(h)
            }
            _ => self.node(Node::Func(f, a, b)),
        }
    }

    /// `a ** b`.
    pub fn pow(&mut self, a: NodeId, b: NodeId) -> NodeId {
        if let (Some(ha), Some(hb)) = (self.as_host(a), self.as_host(b)) {
            let h = self.host_expr(Host::Pow(ha, hb));
            return self.host(h);
        }
        self.node(Node::Pow(a, b))
    }

    /// `a ** n`: a left-to-right chain of products (1 / chain for negative `n`).
    pub fn pow_int(&mut self, a: NodeId, n: i32) -> NodeId {
        if let Some(h) = self.as_host(a) {
            let p = self.host_expr(Host::PowInt(h, n));
            return self.host(p);
        }
        if n == 0 {
            return self.num(1.0);
        }
        let mut chain = a;
        for _ in 1..n.unsigned_abs() {
            chain = self.mul(chain, a);
        }
        if n < 0 {
            let one = self.num(1.0);
            return self.node(Node::Bin(Arith::Div, one, chain));
        }
        chain
    }

    /// `a and b`.
    pub fn and(&mut self, a: NodeId, b: NodeId) -> NodeId {
        match (&self.nodes[a as usize], &self.nodes[b as usize]) {
            (Node::Bool(true), _) => b,
            (_, Node::Bool(true)) => a,
            (Node::Bool(false), _) | (_, Node::Bool(false)) => self.node(Node::Bool(false)),
            _ => self.node(Node::And(a, b)),
        }
    }

    /// `a or b`.
    pub fn or(&mut self, a: NodeId, b: NodeId) -> NodeId {
        match (&self.nodes[a as usize], &self.nodes[b as usize]) {
            (Node::Bool(false), _) => b,
            (_, Node::Bool(false)) => a,
            (Node::Bool(true), _) | (_, Node::Bool(true)) => self.node(Node::Bool(true)),
            _ => self.node(Node::Or(a, b)),
        }
    }

    /// `not a`.
    pub fn not(&mut self, a: NodeId) -> NodeId {
        match self.nodes[a as usize] {
            Node::Bool(v) => self.node(Node::Bool(!v)),
            Node::Not(inner) => inner,
            _ => self.node(Node::Not(a)),
        }
    }

    /// `if c { a } else { b }`.
    pub fn select(&mut self, c: NodeId, a: NodeId, b: NodeId) -> NodeId {
        match self.nodes[c as usize] {
            _ if a == b => a,
            Node::Bool(true) => a,
            Node::Bool(false) => b,
            _ => self.node(Node::Select(c, a, b)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_factors_of_a_product_merge_into_one_constant_in_front() {
        let mut g = Graph::default();
        let x = g.node(Node::State(0));
        let dt = g.host_expr(Host::Dt);
        let c = g.host_expr(Host::Param(0));
        let c_node = g.host(c);
        let dt_node = g.host(dt);
        let x_over_c = g.div(x, c_node);
        let step = g.mul(dt_node, x_over_c);
        let Node::Bin(Arith::Mul, k, y) = g.nodes[step as usize] else {
            panic!("a product")
        };
        assert_eq!(y, x);
        let hk = g.as_host(k).unwrap();
        assert_eq!(
            g.hosts[hk as usize],
            Host::Bin(Arith::Div, dt, c),
            "dt / C, not dt * (1 / C)"
        );
    }

    #[test]
    fn repeated_subexpressions_are_one_node() {
        let mut g = Graph::default();
        let x = g.node(Node::State(0));
        let y = g.node(Node::State(1));
        let a = g.add(x, y);
        let b = g.add(x, y);
        assert_eq!(a, b);
        assert_ne!(g.add(y, x), a, "operand order is kept");
    }
}

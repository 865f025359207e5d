//! Evaluation of the host constants in f64 (parameters, `dt`, folded products, propagator
//! entries, refractory ticks), and their rendering as text for generated-code comments and
//! error messages.

use super::exact::ExactGroup;
use super::expm::{Matrix, expm, response};
use super::ir::{ExactEntry, Host, HostId};
use super::term::Arith;
use super::units::scale_pow10;

/// Numbers of one exact group for one time step.
struct GroupValues {
    propagator: Matrix,
    gains: Vec<Vec<f64>>,
    constant: Vec<f64>,
}

/// Evaluates host expressions for given parameter values and time step.
pub(crate) struct HostEval<'a> {
    hosts: &'a [Host],
    groups: &'a [ExactGroup],
    params: &'a [f64],
    dt: f64,
    held_extra: f64,
    memo: Vec<Option<f64>>,
    group_values: Vec<Option<GroupValues>>,
}

impl<'a> HostEval<'a> {
    /// An evaluator over `hosts`.
    pub fn new(hosts: &'a [Host], groups: &'a [ExactGroup], params: &'a [f64], dt: f64) -> Self {
        Self {
            hosts,
            groups,
            params,
            dt,
            held_extra: 0.0,
            memo: vec![None; hosts.len()],
            group_values: (0..groups.len()).map(|_| None).collect(),
        }
    }

    /// The evaluator with `ticks` added to every refractory count ([`Host::HeldExtra`]).
    pub fn with_held_extra(mut self, ticks: u32) -> Self {
        self.held_extra = f64::from(ticks);
        self
    }

    /// The value of host `h`.
    pub fn value(&mut self, h: HostId) -> f64 {
        if let Some(v) = self.memo[h as usize] {
            return v;
        }
        let v = match &self.hosts[h as usize] {
            Host::Num(bits) => f64::from_bits(*bits),
            Host::Param(p) => self.params[*p as usize],
            Host::Dt => self.dt,
            Host::Scaled(x, k) => scale_pow10(self.value(*x), *k),
            Host::Neg(x) => -self.value(*x),
            Host::Bin(op, a, b) => {
                let (a, b) = (self.value(*a), self.value(*b));
                op.apply(a, b)
            }
            Host::Func(f, args) => {
                let values: Vec<f64> = args.iter().map(|&a| self.value(a)).collect();
                f.eval64(&values)
            }
            Host::Pow(a, b) => self.value(*a).powf(self.value(*b)),
            Host::PowInt(a, n) => self.value(*a).powi(*n),
            Host::Ticks(d) => (self.value(*d) / self.dt).round() + self.held_extra,
            Host::HeldExtra => self.held_extra,
            Host::Exact(g, entry) => self.exact(*g as usize, *entry),
        };
        self.memo[h as usize] = Some(v);
        v
    }

    fn exact(&mut self, g: usize, entry: ExactEntry) -> f64 {
        if self.group_values[g].is_none() {
            let group = &self.groups[g];
            let column = |e: &mut Self, c: &[Option<HostId>]| -> Vec<f64> {
                c.iter().map(|x| x.map_or(0.0, |h| e.value(h))).collect()
            };
            let a: Matrix = group.a.clone().iter().map(|row| column(self, row)).collect();
            let inputs: Vec<Vec<f64>> = group.inputs.clone().iter().map(|b| column(self, b)).collect();
            let constant = column(self, &group.constant.clone());
            self.group_values[g] = Some(GroupValues {
                propagator: expm(&a, self.dt),
                gains: inputs.iter().map(|b| response(&a, b, self.dt)).collect(),
                constant: response(&a, &constant, self.dt),
            });
        }
        let v = self.group_values[g].as_ref().expect("computed above");
        match entry {
            ExactEntry::Propagator(i, j) => v.propagator[i as usize][j as usize],
            ExactEntry::Gain(i, k) => v.gains[k as usize][i as usize],
            ExactEntry::Constant(i) => v.constant[i as usize],
        }
    }
}

/// `h` as text, with parameter names (for comments and errors).
pub(crate) fn render(hosts: &[Host], h: HostId, params: &[String]) -> String {
    let r = |x: &HostId| render(hosts, *x, params);
    let wrap = |x: &HostId| {
        let s = r(x);
        if matches!(hosts[*x as usize], Host::Bin(Arith::Add | Arith::Sub, ..)) {
            format!("({s})")
        } else {
            s
        }
    };
    match &hosts[h as usize] {
        Host::Num(bits) => format!("{}", f64::from_bits(*bits)),
        Host::Param(p) => params[*p as usize].clone(),
        Host::Dt => "dt".into(),
        Host::Scaled(x, k) => format!("{} * 1e{k}", wrap(x)),
        Host::Neg(x) => format!("-{}", wrap(x)),
        Host::Bin(op, a, b) => format!("{} {} {}", wrap(a), op.symbol(), wrap(b)),
        Host::Func(f, args) => format!(
            "{}({})",
            f.wgsl(),
            args.iter().map(r).collect::<Vec<_>>().join(", ")
        ),
        Host::Pow(a, b) => format!("{} ** {}", wrap(a), wrap(b)),
        Host::PowInt(a, n) => format!("{} ** {n}", wrap(a)),
        Host::Ticks(d) => format!("round(({}) / dt) + held_extra", r(d)),
        Host::HeldExtra => "held_extra".into(),
        Host::Exact(g, ExactEntry::Propagator(i, j)) => format!("exp(A{g} dt)[{i}][{j}]"),
        Host::Exact(g, ExactEntry::Gain(i, k)) => format!("gain of input {k} on row {i} of group {g}"),
        Host::Exact(g, ExactEntry::Constant(i)) => format!("constant input on row {i} of group {g}"),
    }
}

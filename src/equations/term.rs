//! The checked expression tree: names resolved to parameters, state variables and the
//! language's own symbols, units folded to powers of ten of the canonical units, every node
//! dimensionally consistent. Integration methods and code generation start from it.

use super::ast::CmpOp;
use super::error::Loc;

/// Functions of one or more numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Func {
    Exp,
    Log,
    Sqrt,
    Abs,
    Sin,
    Cos,
    Tan,
    Tanh,
    Sinh,
    Cosh,
    Floor,
    Ceil,
    Min,
    Max,
}

impl Func {
    /// The WGSL built-in computing the function.
    pub fn wgsl(self) -> &'static str {
        match self {
            Func::Exp => "exp",
            Func::Log => "log",
            Func::Sqrt => "sqrt",
            Func::Abs => "abs",
            Func::Sin => "sin",
            Func::Cos => "cos",
            Func::Tan => "tan",
            Func::Tanh => "tanh",
            Func::Sinh => "sinh",
            Func::Cosh => "cosh",
            Func::Floor => "floor",
            Func::Ceil => "ceil",
            Func::Min => "min",
            Func::Max => "max",
        }
    }

    /// Whether the function is computed exactly (correctly rounded) on every backend, so that
    /// models using it stay bit-identical between the GPU and the CPU.
    pub fn exact(self) -> bool {
        matches!(self, Func::Abs | Func::Floor | Func::Ceil | Func::Min | Func::Max)
    }

    /// The f64 value, for constants computed on the host.
    pub fn eval64(self, args: &[f64]) -> f64 {
        let x = args[0];
        match self {
            Func::Exp => x.exp(),
            Func::Log => x.ln(),
            Func::Sqrt => x.sqrt(),
            Func::Abs => x.abs(),
            Func::Sin => x.sin(),
            Func::Cos => x.cos(),
            Func::Tan => x.tan(),
            Func::Tanh => x.tanh(),
            Func::Sinh => x.sinh(),
            Func::Cosh => x.cosh(),
            Func::Floor => x.floor(),
            Func::Ceil => x.ceil(),
            Func::Min => x.min(args[1]),
            Func::Max => x.max(args[1]),
        }
    }
}

/// `+ - * /`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

impl Arith {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Arith::Add => "+",
            Arith::Sub => "-",
            Arith::Mul => "*",
            Arith::Div => "/",
        }
    }

    /// Applies the operator.
    pub fn apply<
        T: std::ops::Add<Output = T>
            + std::ops::Sub<Output = T>
            + std::ops::Mul<Output = T>
            + std::ops::Div<Output = T>,
    >(
        self,
        a: T,
        b: T,
    ) -> T {
        match self {
            Arith::Add => a + b,
            Arith::Sub => a - b,
            Arith::Mul => a * b,
            Arith::Div => a / b,
        }
    }
}

/// A checked expression and where it was written.
#[derive(Clone, Debug)]
pub(crate) struct Term {
    pub kind: TermKind,
    pub loc: Loc,
}

/// Structural equality, ignoring locations.
impl PartialEq for Term {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

/// The forms of a checked expression.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum TermKind {
    /// A literal or a named constant.
    Num(f64),
    /// A unit: 10^k in canonical units.
    Pow10(i32),
    /// Parameter `i`.
    Param(usize),
    /// State variable `i`.
    State(usize),
    /// Named subexpression `i` (expanded where used).
    Sub(usize),
    /// The time step (ms).
    Dt,
    /// The time of the tick's start (ms).
    Time,
    /// White noise `i` (unit 1/sqrt(ms)).
    Xi(usize),
    /// `rand()` call site `i`: uniform in [0, 1).
    Rand(u32),
    /// `randn()` call site `i`: standard normal.
    Randn(u32),
    /// Whether the neuron is outside its refractory period (a condition).
    NotRefractory,
    /// `-x`.
    Neg(Box<Term>),
    /// `a op b`.
    Bin(Arith, Box<Term>, Box<Term>),
    /// `x ** n` for an integer `n`, expanded into products.
    PowInt(Box<Term>, i32),
    /// `x ** y` in general.
    Pow(Box<Term>, Box<Term>),
    /// A function call.
    Func(Func, Vec<Term>),
    /// A comparison (a condition).
    Cmp(CmpOp, Box<Term>, Box<Term>),
    /// `a and b`.
    And(Box<Term>, Box<Term>),
    /// `a or b`.
    Or(Box<Term>, Box<Term>),
    /// `not a`.
    Not(Box<Term>),
    /// `int(condition)`: 1 or 0.
    BoolToNum(Box<Term>),
}

impl Term {
    /// A node at `loc`.
    pub fn new(kind: TermKind, loc: Loc) -> Self {
        Self { kind, loc }
    }

    /// Calls `f` on every direct child.
    pub fn for_each_child(&self, mut f: impl FnMut(&Term)) {
        match &self.kind {
            TermKind::Neg(a) | TermKind::Not(a) | TermKind::BoolToNum(a) | TermKind::PowInt(a, _) => f(a),
            TermKind::Bin(_, a, b)
            | TermKind::Pow(a, b)
            | TermKind::Cmp(_, a, b)
            | TermKind::And(a, b)
            | TermKind::Or(a, b) => {
                f(a);
                f(b);
            }
            TermKind::Func(_, args) => args.iter().for_each(f),
            _ => {}
        }
    }

    /// The direct children.
    pub fn children(&self) -> Vec<&Term> {
        match &self.kind {
            TermKind::Neg(a) | TermKind::Not(a) | TermKind::BoolToNum(a) | TermKind::PowInt(a, _) => vec![a],
            TermKind::Bin(_, a, b)
            | TermKind::Pow(a, b)
            | TermKind::Cmp(_, a, b)
            | TermKind::And(a, b)
            | TermKind::Or(a, b) => vec![a, b],
            TermKind::Func(_, args) => args.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// Whether any node of the tree satisfies `pred` (subexpressions are looked into through
    /// `subs`).
    pub fn any(&self, subs: &[Term], pred: &dyn Fn(&TermKind) -> bool) -> bool {
        if pred(&self.kind) {
            return true;
        }
        if let TermKind::Sub(i) = self.kind {
            return subs[i].any(subs, pred);
        }
        let mut found = false;
        self.for_each_child(|c| found = found || c.any(subs, pred));
        found
    }

    /// The value of a tree of number literals, if it is one.
    pub fn literal_value(&self) -> Option<f64> {
        match &self.kind {
            TermKind::Num(v) => Some(*v),
            TermKind::Neg(a) => a.literal_value().map(|v| -v),
            TermKind::Bin(op, a, b) => Some(op.apply(a.literal_value()?, b.literal_value()?)),
            _ => None,
        }
    }
}

/// A host value as mantissa x 10^exp10, so that a literal times units is rounded once.
#[derive(Clone, Copy, Debug)]
struct Scaled {
    mantissa: f64,
    exp10: i32,
}

impl Scaled {
    fn plain(v: f64) -> Self {
        Self {
            mantissa: v,
            exp10: 0,
        }
    }

    fn value(self) -> f64 {
        super::units::scale_pow10(self.mantissa, self.exp10)
    }
}

impl Term {
    /// The f64 value of a tree of literals, units and parameters (`params` gives their
    /// values); `None` if it depends on anything else. Products and quotients of literals
    /// and units are rounded once (`"200 Mohm"` is exactly 0.2 canonical gigaohm).
    pub fn eval_host(&self, params: &[f64]) -> Option<f64> {
        self.scaled(params).map(Scaled::value)
    }

    fn scaled(&self, params: &[f64]) -> Option<Scaled> {
        let plain = |v: f64| Some(Scaled::plain(v));
        match &self.kind {
            TermKind::Num(v) => plain(*v),
            TermKind::Pow10(k) => Some(Scaled {
                mantissa: 1.0,
                exp10: *k,
            }),
            TermKind::Param(i) => plain(*params.get(*i)?),
            TermKind::Neg(a) => {
                let a = a.scaled(params)?;
                Some(Scaled {
                    mantissa: -a.mantissa,
                    ..a
                })
            }
            TermKind::Bin(op, a, b) => {
                let (a, b) = (a.scaled(params)?, b.scaled(params)?);
                match op {
                    Arith::Mul => Some(Scaled {
                        mantissa: a.mantissa * b.mantissa,
                        exp10: a.exp10 + b.exp10,
                    }),
                    Arith::Div => Some(Scaled {
                        mantissa: a.mantissa / b.mantissa,
                        exp10: a.exp10 - b.exp10,
                    }),
                    _ => plain(op.apply(a.value(), b.value())),
                }
            }
            TermKind::PowInt(a, n) => {
                let a = a.scaled(params)?;
                Some(Scaled {
                    mantissa: a.mantissa.powi(*n),
                    exp10: a.exp10 * n,
                })
            }
            TermKind::Pow(a, b) => plain(a.eval_host(params)?.powf(b.eval_host(params)?)),
            TermKind::Func(f, args) => {
                let values: Option<Vec<f64>> = args.iter().map(|a| a.eval_host(params)).collect();
                plain(f.eval64(&values?))
            }
            _ => None,
        }
    }
}

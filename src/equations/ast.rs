//! The parsed, not yet checked, form of a definition: expressions, statements and equation
//! lines, each part with its location for error messages.

use super::error::Loc;

/// An arithmetic operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl CmpOp {
    /// The comparison as written in WGSL (and Python).
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }
}

/// `and` / `or`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum LogicOp {
    And,
    Or,
}

/// An expression and its location.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    pub loc: Loc,
}

/// The forms of an expression.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ExprKind {
    /// A number literal.
    Num(f64),
    /// A name: a variable, parameter, unit or constant.
    Name(String),
    /// `-x`.
    Neg(Box<Expr>),
    /// `not x`.
    Not(Box<Expr>),
    /// `a op b`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `a < b` and friends.
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    /// `a and b`, `a or b`.
    Logic(LogicOp, Box<Expr>, Box<Expr>),
    /// `f(args)`.
    Call {
        name: String,
        name_loc: Loc,
        args: Vec<Expr>,
    },
}

/// `=`, `+=`, `-=`, `*=`, `/=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AssignOp {
    Set,
    Add,
    Sub,
    Mul,
    Div,
}

/// `target op value`, in a reset or update block.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Statement {
    pub target: String,
    pub target_loc: Loc,
    pub op: AssignOp,
    pub value: Expr,
}

/// What an equation line declares.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum LineKind {
    /// `dx/dt = expr : unit`.
    Differential(Expr),
    /// `x = expr : unit`: a named subexpression.
    Subexpression(Expr),
    /// `x : unit`: a state variable changed only by statements and inputs.
    Declared,
}

/// One line of the equations.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EquationLine {
    pub name: String,
    pub name_loc: Loc,
    pub kind: LineKind,
    /// The unit after the colon (`1` for dimensionless).
    pub unit: Expr,
    /// Flags in parentheses after the unit, words joined by one space.
    pub flags: Vec<(String, Loc)>,
    /// The whole line.
    pub loc: Loc,
}

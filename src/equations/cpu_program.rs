//! Lowers a model's graph to a flat register program for the CPU: one instruction per node,
//! in the graph's order, each later run as a tight loop over a chunk of neurons held in
//! struct-of-arrays form (see `cpu_run.rs`). The program computes every node with the same
//! f32 operation as the WGSL function, so the two agree bit for bit wherever the operations
//! are correctly rounded on both.

use std::collections::HashMap;

use super::ast::CmpOp;
use super::definition::InputPort;
use super::ir::{Node, NodeId};
use super::step::{RefractoryIr, Step};
use super::term::{Arith, Func};

/// Where an instruction reads an operand.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Src {
    /// A register (one f32 per neuron of the chunk).
    Reg(u16),
    /// A host constant from the population's table.
    Slot(u16),
    /// A constant.
    Imm(f32),
    /// A state variable's value at the start of the tick.
    State(u16),
    /// A per-neuron parameter.
    Param(u16),
    /// This tick's input at a port.
    Input(InputPort),
    /// The tick number.
    Tick,
}

/// What an instruction computes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Op {
    Bin(Arith),
    /// `c op (a * b)`, or `(a * b) op c` when the flag is set (`op` is `+` or `-`): two
    /// instructions in one pass, each rounded as written.
    ProductSum(Arith, bool),
    /// `(a op b) * c` (`op` is `+` or `-`).
    SumProduct(Arith),
    Neg,
    Func(Func),
    Pow,
    Cmp(CmpOp),
    And,
    Or,
    Not,
    /// `a` if the condition `c` else `b`.
    Select,
    Round,
    Rand(u32),
    Randn(u32),
    /// The not-refractory mask; `a` is the refractory condition if there is one.
    NotRefractory(bool),
    /// `dst = a` (a state variable's new value is another one's old value).
    Copy,
}

/// `dst = op(a, b, c)`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Instr {
    pub op: Op,
    pub dst: u16,
    pub a: Src,
    pub b: Src,
    pub c: Src,
}

/// How the counter is updated at the end of a tick.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum CounterUpdate {
    None,
    /// On a spike the counter becomes `ticks`.
    Duration(Src),
    /// On a spike the counter becomes 1.
    Condition,
}

/// A model's tick as a register program.
#[derive(Clone, Debug)]
pub struct CpuProgram {
    pub(crate) instrs: Vec<Instr>,
    pub(crate) n_regs: usize,
    /// New value of each state variable (`Src::State(i)` itself: unchanged).
    pub(crate) outputs: Vec<Src>,
    pub(crate) spiked: Src,
    pub(crate) counter: CounterUpdate,
    pub(crate) n_per_neuron: usize,
    /// Ports the program reads.
    pub(crate) ports: Vec<InputPort>,
}

impl CpuProgram {
    /// Number of instructions (one pass over a chunk each).
    pub fn len(&self) -> usize {
        self.instrs.len()
    }

    /// Whether the program has no instruction.
    pub fn is_empty(&self) -> bool {
        self.instrs.is_empty()
    }

    /// Registers used (each one f32 per neuron of a chunk).
    pub fn registers(&self) -> usize {
        self.n_regs
    }
}

/// The values a tick leaves: new state, spike condition, counter update.
#[derive(Clone)]
struct Results {
    outputs: Vec<Src>,
    spiked: Src,
    counter: CounterUpdate,
}

impl Results {
    /// With every register renamed by `f`.
    fn map(self, f: impl Fn(u16) -> u16) -> Self {
        let r = |s: Src| match s {
            Src::Reg(v) => Src::Reg(f(v)),
            other => other,
        };
        Results {
            outputs: self.outputs.into_iter().map(r).collect(),
            spiked: r(self.spiked),
            counter: match self.counter {
                CounterUpdate::Duration(t) => CounterUpdate::Duration(r(t)),
                other => other,
            },
        }
    }

    /// Every source read after the instructions.
    fn sources(&self) -> Vec<Src> {
        let mut all = self.outputs.clone();
        all.push(self.spiked);
        if let CounterUpdate::Duration(t) = self.counter {
            all.push(t);
        }
        all
    }
}

/// The operand a leaf node reads directly, without an instruction.
fn leaf(node: &Node, slot_of: &HashMap<u32, u16>, src_of: &[Option<Src>]) -> Option<Src> {
    Some(match node {
        Node::Host(h) => Src::Slot(slot_of[h]),
        Node::Bool(v) => Src::Imm(if *v { 1.0 } else { 0.0 }),
        Node::State(i) => Src::State(*i),
        Node::Param(i) => Src::Param(*i),
        Node::Input(p) => Src::Input(*p),
        Node::Tick => Src::Tick,
        // Conditions are already 1.0 or 0.0 in registers.
        Node::BoolToNum(a) => src_of[*a as usize].expect("operands come first"),
        _ => return None,
    })
}

/// The instruction computing a non-leaf node.
fn instruction(node: &Node, s: impl Fn(&NodeId) -> Src) -> (Op, [Src; 3]) {
    let none = Src::Imm(0.0);
    match node {
        Node::NotRefractory(cond) => (
            Op::NotRefractory(cond.is_some()),
            [cond.as_ref().map_or(none, &s), none, none],
        ),
        Node::Rand(site) => (Op::Rand(*site), [none; 3]),
        Node::Randn(site) => (Op::Randn(*site), [none; 3]),
        Node::Neg(a) => (Op::Neg, [s(a), none, none]),
        Node::Not(a) => (Op::Not, [s(a), none, none]),
        Node::Round(a) => (Op::Round, [s(a), none, none]),
        Node::Bin(op, a, b) => (Op::Bin(*op), [s(a), s(b), none]),
        Node::Func(f, a, b) => (Op::Func(*f), [s(a), b.as_ref().map_or(none, &s), none]),
        Node::Pow(a, b) => (Op::Pow, [s(a), s(b), none]),
        Node::Cmp(op, a, b) => (Op::Cmp(*op), [s(a), s(b), none]),
        Node::And(a, b) => (Op::And, [s(a), s(b), none]),
        Node::Or(a, b) => (Op::Or, [s(a), s(b), none]),
        Node::Select(c, a, b) => (Op::Select, [s(c), s(a), s(b)]),
        leaf => unreachable!("{leaf:?} is read directly"),
    }
}

/// Lowers `step`; `live` marks the nodes that are needed, `slot_of` maps host ids to slots.
pub(crate) fn lower(
    step: &Step,
    live: &[bool],
    slot_of: &HashMap<u32, u16>,
    n_per_neuron: usize,
) -> CpuProgram {
    let nodes = &step.graph.nodes;
    let mut src_of: Vec<Option<Src>> = vec![None; nodes.len()];
    let mut virt: Vec<(Op, [Src; 3])> = Vec::new();
    let mut ports = Vec::new();
    for (id, node) in nodes.iter().enumerate() {
        if !live[id] {
            continue;
        }
        if let Node::Input(p) = node
            && !ports.contains(p)
        {
            ports.push(*p);
        }
        if let Some(src) = leaf(node, slot_of, &src_of) {
            src_of[id] = Some(src);
            continue;
        }
        virt.push(instruction(node, |n| {
            src_of[*n as usize].expect("operands come first")
        }));
        src_of[id] = Some(Src::Reg((virt.len() - 1) as u16));
    }
    let resolve = |n: NodeId| src_of[n as usize].expect("outputs are live");
    let mut outputs: Vec<Src> = step.outputs.iter().map(|&n| resolve(n)).collect();
    // Outputs are stored in order; one that is another variable's old value is copied first.
    for (i, out) in outputs.iter_mut().enumerate() {
        if matches!(*out, Src::State(j) if j as usize != i) {
            virt.push((Op::Copy, [*out, Src::Imm(0.0), Src::Imm(0.0)]));
            *out = Src::Reg((virt.len() - 1) as u16);
        }
    }
    let results = Results {
        outputs,
        spiked: resolve(step.spiked),
        counter: match step.refractory {
            RefractoryIr::None => CounterUpdate::None,
            RefractoryIr::Duration { ticks } => CounterUpdate::Duration(resolve(ticks)),
            RefractoryIr::Condition => CounterUpdate::Condition,
        },
    };
    let (virt, renumber) = fuse_products(virt, &results.sources());
    let results = results.map(|v| renumber[v as usize]);
    let (instrs, n_regs, map) = allocate(&virt, &results.sources());
    let results = results.map(|v| map[v as usize]);
    CpuProgram {
        instrs,
        n_regs,
        outputs: results.outputs,
        spiked: results.spiked,
        counter: results.counter,
        n_per_neuron,
        ports,
    }
}

/// Fuses a product used once into the sum or difference that uses it ([`Op::ProductSum`]),
/// and a sum used once into the product that uses it ([`Op::SumProduct`]); returns the shorter list and the new number of each old virtual
/// register.
fn fuse_products(virt: Vec<(Op, [Src; 3])>, finals: &[Src]) -> (Vec<(Op, [Src; 3])>, Vec<u16>) {
    let mut uses = vec![0usize; virt.len()];
    for s in virt.iter().flat_map(|(_, args)| args.iter()).chain(finals) {
        if let Src::Reg(v) = s {
            uses[*v as usize] += 1;
        }
    }
    let single = |s: Src, out: &[(Op, [Src; 3])], want: &dyn Fn(Op) -> bool| match s {
        Src::Reg(r) if uses[r as usize] == 1 && want(out[r as usize].0) => Some(r as usize),
        _ => None,
    };
    let is_product = |op: Op| op == Op::Bin(Arith::Mul);
    let is_sum = |op: Op| matches!(op, Op::Bin(Arith::Add | Arith::Sub));
    let mut out = virt.clone();
    let mut dead = vec![false; virt.len()];
    for i in 0..virt.len() {
        match out[i] {
            (Op::Bin(op @ (Arith::Add | Arith::Sub)), [a, b, _]) => {
                let (product, other, first) =
                    match (single(b, &out, &is_product), single(a, &out, &is_product)) {
                        (Some(r), _) => (r, a, false),
                        (None, Some(r)) => (r, b, true),
                        _ => continue,
                    };
                let [p, q, _] = out[product].1;
                out[i] = (Op::ProductSum(op, first), [p, q, other]);
                dead[product] = true;
            }
            (Op::Bin(Arith::Mul), [a, b, _]) => {
                let (sum, other) = match (single(a, &out, &is_sum), single(b, &out, &is_sum)) {
                    (Some(r), _) => (r, b),
                    (None, Some(r)) => (r, a),
                    _ => continue,
                };
                let (Op::Bin(op), [x, y, _]) = out[sum] else {
                    continue;
                };
                out[i] = (Op::SumProduct(op), [x, y, other]);
                dead[sum] = true;
            }
            _ => {}
        }
    }
    let mut renumber = vec![0u16; virt.len()];
    let mut kept = Vec::new();
    for (i, ins) in out.into_iter().enumerate() {
        renumber[i] = kept.len() as u16;
        if !dead[i] {
            kept.push(ins);
        }
    }
    for (_, args) in &mut kept {
        for a in args.iter_mut() {
            if let Src::Reg(v) = a {
                *v = renumber[*v as usize];
            }
        }
    }
    (kept, renumber)
}

/// Maps virtual registers (one per instruction) to few physical ones: a register is reused
/// once its last reader has run. A destination never aliases an operand of its own
/// instruction.
fn allocate(virt: &[(Op, [Src; 3])], finals: &[Src]) -> (Vec<Instr>, usize, Vec<u16>) {
    let mut last_use = vec![0usize; virt.len()];
    for (i, (_, args)) in virt.iter().enumerate() {
        for a in args {
            if let Src::Reg(v) = a {
                last_use[*v as usize] = i;
            }
        }
    }
    for f in finals {
        if let Src::Reg(v) = f {
            last_use[*v as usize] = usize::MAX;
        }
    }
    let mut map = vec![0u16; virt.len()];
    let mut free: Vec<u16> = Vec::new();
    let mut n_regs = 0usize;
    let mut instrs = Vec::with_capacity(virt.len());
    for (i, (op, args)) in virt.iter().enumerate() {
        let phys = free.pop().unwrap_or_else(|| {
            n_regs += 1;
            (n_regs - 1) as u16
        });
        map[i] = phys;
        let r = |s: Src| match s {
            Src::Reg(v) => Src::Reg(map[v as usize]),
            other => other,
        };
        instrs.push(Instr {
            op: *op,
            dst: phys,
            a: r(args[0]),
            b: r(args[1]),
            c: r(args[2]),
        });
        // Operands whose last reader is this instruction free their registers now, after
        // the destination was taken, so the destination is never one of them.
        let mut freed: Vec<u16> = args
            .iter()
            .filter_map(|a| match a {
                Src::Reg(v) if last_use[*v as usize] == i => Some(map[*v as usize]),
                _ => None,
            })
            .collect();
        freed.sort_unstable();
        freed.dedup();
        free.extend(freed);
        if last_use[i] == 0 && !finals.contains(&Src::Reg(i as u16)) {
            free.push(phys);
        }
    }
    (instrs, n_regs, map)
}

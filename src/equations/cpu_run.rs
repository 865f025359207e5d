//! Runs a [`CpuProgram`] over a population in chunks of [`CHUNK`] neurons: each instruction
//! is one loop over the chunk's registers (struct of arrays), which the compiler vectorises;
//! on x86-64 CPUs with AVX2 the same loops are compiled a second time for 8-wide vectors and
//! chosen at run time (results are identical: no operation changes, only the width).

use super::ast::CmpOp;
use super::cpu_program::{CounterUpdate, CpuProgram, Op, Src};
use super::definition::InputPort;
use super::random;
use super::term::{Arith, Func};

/// Neurons per chunk: a chunk's registers stay in the first-level cache.
pub const CHUNK: usize = 512;

/// One tick's inputs to a population, one value per neuron (a port the model does not read
/// may be left empty), and the key of its random numbers.
#[derive(Clone, Copy, Debug)]
pub struct TickInputs<'a> {
    /// Excitatory spike input (sum of the weights arriving this tick).
    pub excitatory: &'a [f32],
    /// Inhibitory spike input.
    pub inhibitory: &'a [f32],
    /// Injected current.
    pub current: &'a [f32],
    /// The tick.
    pub tick: u32,
    /// Philox key (from the seed).
    pub key: [u32; 2],
    /// Philox stream of the population.
    pub stream: u32,
}

/// An operand over a chunk.
#[derive(Clone, Copy)]
enum Val<'a> {
    Slice(&'a [f32]),
    Scalar(f32),
}

/// What a chunk's instructions read besides registers.
pub(crate) struct ChunkData<'a> {
    pub state: &'a [Vec<f32>],
    pub per_neuron: &'a [Vec<f32>],
    pub constants: &'a [f32],
    pub inputs: &'a TickInputs<'a>,
    pub counter: &'a [u32],
    pub start: usize,
    pub len: usize,
    /// Added to the neuron index of the random draws (`CpuPopulation::set_first_neuron`).
    pub first_neuron: u32,
    /// Multiplies the neuron index of the random draws (`CpuPopulation::set_neuron_stride`).
    pub neuron_stride: u32,
}

impl<'a> ChunkData<'a> {
    #[inline(always)]
    fn val(&self, s: Src, before: &'a [f32], after: &'a [f32], dst: usize) -> Val<'a> {
        let r = self.start..self.start + self.len;
        match s {
            Src::Reg(k) => {
                let k = k as usize;
                let regs = if k < dst {
                    &before[k * CHUNK..]
                } else {
                    &after[(k - dst - 1) * CHUNK..]
                };
                Val::Slice(&regs[..self.len])
            }
            Src::Slot(k) => Val::Scalar(self.constants[k as usize]),
            Src::Imm(v) => Val::Scalar(v),
            Src::State(i) => Val::Slice(&self.state[i as usize][r]),
            Src::Param(i) => Val::Slice(&self.per_neuron[i as usize][r]),
            Src::Input(p) => Val::Slice(&self.port(p)[r]),
            Src::Tick => Val::Scalar(self.inputs.tick as f32),
        }
    }

    fn port(&self, p: InputPort) -> &'a [f32] {
        match p {
            InputPort::Excitatory => self.inputs.excitatory,
            InputPort::Inhibitory => self.inputs.inhibitory,
            InputPort::Current => self.inputs.current,
        }
    }
}

/// An operand read lane by lane: a slice of the chunk's length, or a scalar.
trait Lane: Copy {
    fn at(self, k: usize) -> f32;
}

impl Lane for &[f32] {
    #[inline(always)]
    fn at(self, k: usize) -> f32 {
        self[k]
    }
}

#[derive(Clone, Copy)]
struct Splat(f32);

impl Lane for Splat {
    #[inline(always)]
    fn at(self, _: usize) -> f32 {
        self.0
    }
}

/// `d[k] = f(a[k], b[k], c[k])` with each operand a slice or a scalar: one loop per
/// combination, so each is a plain vectorisable loop.
#[inline(always)]
fn map3(d: &mut [f32], a: Val, b: Val, c: Val, f: impl Fn(f32, f32, f32) -> f32) {
    #[inline(always)]
    fn go(d: &mut [f32], a: impl Lane, b: impl Lane, c: impl Lane, f: impl Fn(f32, f32, f32) -> f32) {
        for k in 0..d.len() {
            d[k] = f(a.at(k), b.at(k), c.at(k));
        }
    }
    let n = d.len();
    use Val::{Scalar as S, Slice as L};
    match (a, b, c) {
        (L(a), L(b), L(c)) => go(d, &a[..n], &b[..n], &c[..n], f),
        (L(a), L(b), S(c)) => go(d, &a[..n], &b[..n], Splat(c), f),
        (L(a), S(b), L(c)) => go(d, &a[..n], Splat(b), &c[..n], f),
        (S(a), L(b), L(c)) => go(d, Splat(a), &b[..n], &c[..n], f),
        (L(a), S(b), S(c)) => go(d, &a[..n], Splat(b), Splat(c), f),
        (S(a), L(b), S(c)) => go(d, Splat(a), &b[..n], Splat(c), f),
        (S(a), S(b), L(c)) => go(d, Splat(a), Splat(b), &c[..n], f),
        (S(a), S(b), S(c)) => d.fill(f(a, b, c)),
    }
}

#[inline(always)]
fn binary(d: &mut [f32], a: Val, b: Val, f: impl Fn(f32, f32) -> f32) {
    map3(d, a, b, Val::Scalar(0.0), |x, y, _| f(x, y));
}

#[inline(always)]
fn unary(d: &mut [f32], a: Val, f: impl Fn(f32) -> f32) {
    map3(d, a, Val::Scalar(0.0), Val::Scalar(0.0), |x, _, _| f(x));
}

/// `c ? a : b` on bit patterns (conditions are exactly 1.0 or 0.0), so it vectorises.
#[inline(always)]
fn pick(c: f32, a: f32, b: f32) -> f32 {
    let mask = if c != 0.0 { u32::MAX } else { 0 };
    f32::from_bits((a.to_bits() & mask) | (b.to_bits() & !mask))
}

#[inline(always)]
fn arith(d: &mut [f32], op: Arith, a: Val, b: Val) {
    match op {
        Arith::Add => binary(d, a, b, |x, y| x + y),
        Arith::Sub => binary(d, a, b, |x, y| x - y),
        Arith::Mul => binary(d, a, b, |x, y| x * y),
        Arith::Div => binary(d, a, b, |x, y| x / y),
    }
}

/// `x op (p * q)` or `(p * q) op x`: a product and a sum in one pass, each rounded (never a
/// fused multiply-add).
#[inline(always)]
fn product_sum(d: &mut [f32], op: Arith, product_first: bool, p: Val, q: Val, x: Val) {
    match (op, product_first) {
        (Arith::Add, _) => map3(d, p, q, x, |p, q, x| x + p * q),
        (Arith::Sub, false) => map3(d, p, q, x, |p, q, x| x - p * q),
        _ => map3(d, p, q, x, |p, q, x| p * q - x),
    }
}

#[inline(always)]
fn compare(d: &mut [f32], op: CmpOp, a: Val, b: Val) {
    let one = |c: bool| if c { 1.0 } else { 0.0 };
    match op {
        CmpOp::Lt => binary(d, a, b, |x, y| one(x < y)),
        CmpOp::Le => binary(d, a, b, |x, y| one(x <= y)),
        CmpOp::Gt => binary(d, a, b, |x, y| one(x > y)),
        CmpOp::Ge => binary(d, a, b, |x, y| one(x >= y)),
        CmpOp::Eq => binary(d, a, b, |x, y| one(x == y)),
        CmpOp::Ne => binary(d, a, b, |x, y| one(x != y)),
    }
}

fn function(d: &mut [f32], f: Func, a: Val, b: Val) {
    match f {
        Func::Exp => unary(d, a, f32::exp),
        Func::Log => unary(d, a, f32::ln),
        Func::Sqrt => unary(d, a, f32::sqrt),
        Func::Abs => unary(d, a, f32::abs),
        Func::Sin => unary(d, a, f32::sin),
        Func::Cos => unary(d, a, f32::cos),
        Func::Tan => unary(d, a, f32::tan),
        Func::Tanh => unary(d, a, f32::tanh),
        Func::Sinh => unary(d, a, f32::sinh),
        Func::Cosh => unary(d, a, f32::cosh),
        Func::Floor => unary(d, a, f32::floor),
        Func::Ceil => unary(d, a, f32::ceil),
        Func::Min => binary(d, a, b, f32::min),
        Func::Max => binary(d, a, b, f32::max),
    }
}

fn random_draws(d: &mut [f32], normal: bool, site: u32, data: &ChunkData) {
    let TickInputs {
        key, stream, tick, ..
    } = *data.inputs;
    for (k, d) in d.iter_mut().enumerate() {
        let neuron = data.first_neuron + (data.start + k) as u32 * data.neuron_stride;
        *d = if normal {
            random::normal(key, stream, tick, neuron, site)
        } else {
            random::uniform(key, stream, tick, neuron, site)
        };
    }
}

/// The refractory step: without a condition the counter is decremented (saturating) and the
/// neuron integrates once it reaches 0; with one, it stays refractory (counter 1) while the
/// condition holds.
#[inline(always)]
fn not_refractory(d: &mut [f32], next: &mut [u32], counter: &[u32], condition: Option<Val>) {
    let n = d.len();
    let (next, counter) = (&mut next[..n], &counter[..n]);
    match condition {
        None => {
            for k in 0..n {
                let c = counter[k].saturating_sub(1);
                next[k] = c;
                d[k] = if c == 0 { 1.0 } else { 0.0 };
            }
        }
        Some(cond) => {
            let mut holds = [0.0f32; CHUNK];
            let holds = &mut holds[..n];
            unary(holds, cond, |x| x);
            for k in 0..n {
                let free = counter[k] == 0 || holds[k] == 0.0;
                next[k] = u32::from(!free);
                d[k] = if free { 1.0 } else { 0.0 };
            }
        }
    }
}

impl CpuProgram {
    /// Runs the instructions over one chunk, leaving the results in `regs` and the counters
    /// after this tick's decrement in `counter_next`.
    pub(crate) fn run_chunk(&self, data: &ChunkData, regs: &mut [f32], counter_next: &mut [u32]) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { self.run_chunk_avx2(data, regs, counter_next) };
            return;
        }
        self.run_instructions(data, regs, counter_next);
    }

    /// [`CpuProgram::run_instructions`] compiled for AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn run_chunk_avx2(&self, data: &ChunkData, regs: &mut [f32], counter_next: &mut [u32]) {
        self.run_instructions(data, regs, counter_next);
    }

    #[inline(always)]
    fn run_instructions(&self, data: &ChunkData, regs: &mut [f32], counter_next: &mut [u32]) {
        let len = data.len;
        for ins in &self.instrs {
            let dst = ins.dst as usize;
            let (before, rest) = regs.split_at_mut(dst * CHUNK);
            let (d, after) = rest.split_at_mut(CHUNK);
            let d = &mut d[..len];
            let (before, after) = (&*before, &*after);
            let v = |s| data.val(s, before, after, dst);
            match ins.op {
                Op::Bin(op) => arith(d, op, v(ins.a), v(ins.b)),
                Op::ProductSum(op, first) => product_sum(d, op, first, v(ins.a), v(ins.b), v(ins.c)),
                Op::SumProduct(Arith::Sub) => map3(d, v(ins.a), v(ins.b), v(ins.c), |a, b, c| (a - b) * c),
                Op::SumProduct(_) => map3(d, v(ins.a), v(ins.b), v(ins.c), |a, b, c| (a + b) * c),
                Op::Neg => unary(d, v(ins.a), |x| -x),
                Op::Func(f) => function(d, f, v(ins.a), v(ins.b)),
                Op::Pow => binary(d, v(ins.a), v(ins.b), f32::powf),
                Op::Cmp(op) => compare(d, op, v(ins.a), v(ins.b)),
                // Conditions are exactly 1.0 or 0.0.
                Op::And => binary(d, v(ins.a), v(ins.b), |x, y| x * y),
                Op::Or => binary(d, v(ins.a), v(ins.b), f32::max),
                Op::Not => unary(d, v(ins.a), |x| 1.0 - x),
                Op::Select => map3(d, v(ins.a), v(ins.b), v(ins.c), pick),
                Op::Round => unary(d, v(ins.a), f32::round_ties_even),
                Op::Copy => unary(d, v(ins.a), |x| x),
                Op::Rand(site) => random_draws(d, false, site, data),
                Op::Randn(site) => random_draws(d, true, site, data),
                Op::NotRefractory(with_condition) => {
                    let counter = &data.counter[data.start..data.start + len];
                    not_refractory(d, counter_next, counter, with_condition.then(|| v(ins.a)));
                }
            }
        }
    }

    /// Writes a chunk's results: state, spikes (population-local indices), counters. `data`
    /// need not hold the state (it is not read).
    pub(crate) fn finish_chunk(
        &self,
        data: &ChunkData,
        regs: &[f32],
        counter_next: &[u32],
        state: &mut [Vec<f32>],
        counter: &mut [u32],
        spikes: &mut Vec<u32>,
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { self.finish_chunk_avx2(data, regs, counter_next, state, counter, spikes) };
            return;
        }
        self.store_results(data, regs, counter_next, state, counter, spikes);
    }

    /// [`CpuProgram::store_results`] compiled for AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn finish_chunk_avx2(
        &self,
        data: &ChunkData,
        regs: &[f32],
        counter_next: &[u32],
        state: &mut [Vec<f32>],
        counter: &mut [u32],
        spikes: &mut Vec<u32>,
    ) {
        self.store_results(data, regs, counter_next, state, counter, spikes);
    }

    #[inline(always)]
    fn store_results(
        &self,
        data: &ChunkData,
        regs: &[f32],
        counter_next: &[u32],
        state: &mut [Vec<f32>],
        counter: &mut [u32],
        spikes: &mut Vec<u32>,
    ) {
        let len = data.len;
        let range = data.start..data.start + len;
        let at = |s: Src| data.val(s, regs, &[], usize::MAX);
        for (i, out) in state.iter_mut().enumerate() {
            let out = &mut out[range.clone()];
            match self.outputs[i] {
                Src::State(j) if j as usize == i => {}
                src => match at(src) {
                    Val::Slice(s) => out.copy_from_slice(s),
                    Val::Scalar(x) => out.fill(x),
                },
            }
        }
        let spiked = at(self.spiked);
        let fired = |k: usize| match spiked {
            Val::Slice(s) => s[k] != 0.0,
            Val::Scalar(x) => x != 0.0,
        };
        let any = match spiked {
            // An integer OR over the bits vectorises; an early-exit search does not.
            Val::Slice(s) => s.iter().fold(0u32, |a, x| a | x.to_bits()) != 0,
            Val::Scalar(x) => x != 0.0,
        };
        if any {
            spikes.extend((0..len).filter(|&k| fired(k)).map(|k| (data.start + k) as u32));
        }
        let counter_out = &mut counter[range];
        let next = &counter_next[..len];
        let on_spike = match self.counter {
            CounterUpdate::None => return,
            CounterUpdate::Condition => Val::Scalar(1.0),
            CounterUpdate::Duration(ticks) => at(ticks),
        };
        match (spiked, on_spike) {
            (Val::Slice(s), Val::Scalar(t)) => {
                let t = t as u32;
                for k in 0..len {
                    counter_out[k] = if s[k] != 0.0 { t } else { next[k] };
                }
            }
            _ => {
                for k in 0..len {
                    let t = match on_spike {
                        Val::Slice(t) => t[k],
                        Val::Scalar(t) => t,
                    };
                    counter_out[k] = if fired(k) { t as u32 } else { next[k] };
                }
            }
        }
    }
}

//! The CPU reference backend. It mirrors the shaders stage for stage, with the same names,
//! the same order and the same buffer meaning; it is the oracle the GPU is tested against and
//! the fallback when no adapter exists.
//!
//! One tick, as on the GPU:
//! 1. `poisson_input`: Poisson counts for this tick, added to the current ring slot;
//! 2. `neuron_update`: take this tick's ring slot into the synaptic currents, integrate,
//!    threshold, reset, and record the spikes (ascending here; in arbitrary order on the GPU);
//! 3. `propagate`: walk each spike's CSR row and add fixed-point weights into the target's
//!    ring at slot `(tick + delay) % D`;
//! 4. `tick_end`: counters.

use crate::layout::{NeuronState, PopGpu, SpikeRecord};
use crate::plan::{PORTS, Plan, to_fixed};
use crate::rng::philox4x32_10;

/// State of the CPU backend.
pub struct CpuBackend {
    plan: Plan,
    state: Vec<NeuronState>,
    weights: Vec<f32>,
    ring: Vec<i32>,
    tick: u32,
    spikes_this_tick: Vec<u32>,
    total_spikes: u64,
    total_events: u64,
}

impl CpuBackend {
    /// Prepares the state from the plan.
    pub fn new(plan: &Plan) -> Self {
        let n = plan.n_neurons as usize;
        Self {
            state: plan.initial_state.clone(),
            weights: plan.weights.clone(),
            ring: vec![0; PORTS as usize * plan.ring_slots as usize * n],
            plan: plan.clone(),
            tick: 0,
            spikes_this_tick: Vec::new(),
            total_spikes: 0,
            total_events: 0,
        }
    }

    /// Runs `ticks` ticks, appending every spike to `out` in (tick, neuron) order.
    pub fn run_ticks(&mut self, ticks: u32, out: &mut Vec<SpikeRecord>) {
        for _ in 0..ticks {
            self.poisson_input();
            self.neuron_update();
            for &n in &self.spikes_this_tick {
                out.push(SpikeRecord {
                    tick: self.tick,
                    neuron: n,
                });
            }
            self.propagate();
            self.tick_end();
        }
    }

    /// Stage 1: Poisson input into the current slot.
    fn poisson_input(&mut self) {
        let n = self.plan.n_neurons as usize;
        let d = self.plan.ring_slots;
        let slot = (self.tick % d) as usize;
        for p in &self.plan.poisson {
            let table = &self.plan.poisson_cdf[p.cdf_offset as usize..(p.cdf_offset + p.cdf_len) as usize];
            if table.is_empty() {
                continue;
            }
            let base = (p.port as usize * d as usize + slot) * n;
            for local in 0..p.target_count {
                let k = poisson_count(self.plan.key, self.tick, local, p.stream, table);
                let idx = base + (p.target_start + local) as usize;
                self.ring[idx] = self.ring[idx].wrapping_add(p.weight_fixed.wrapping_mul(k as i32));
            }
        }
    }

    /// Stage 2: integrate every neuron; collect spikes in ascending order.
    fn neuron_update(&mut self) {
        self.spikes_this_tick.clear();
        let n = self.plan.n_neurons as usize;
        let d = self.plan.ring_slots as usize;
        let slot = self.tick as usize % d;
        let inv_scale = 1.0 / self.plan.fixed_scale;
        let (ring_e, rest) = self.ring.split_at_mut(d * n);
        let ring_e = &mut ring_e[slot * n..(slot + 1) * n];
        let ring_i = &mut rest[slot * n..(slot + 1) * n];
        for pop in &self.plan.populations {
            let g = pop.gpu;
            let range = g.start as usize..(g.start + g.size) as usize;
            let args = (
                &g,
                &mut self.state[range.clone()],
                &mut ring_e[range.clone()],
                &mut ring_i[range],
                inv_scale,
                &mut self.spikes_this_tick,
            );
            update_population(args);
        }
    }

    /// Stage 3: event-driven propagation of this tick's spikes.
    fn propagate(&mut self) {
        let n = self.plan.n_neurons as usize;
        let d = self.plan.ring_slots as usize;
        let now = self.tick as usize % d;
        let scale = self.plan.fixed_scale;
        let row_ptr = &self.plan.row_ptr;
        let synapses = &self.plan.synapses;
        let mut events = 0u64;
        for &src in &self.spikes_this_tick {
            let (a, b) = (row_ptr[src as usize] as usize, row_ptr[src as usize + 1] as usize);
            events += (b - a) as u64;
            for (syn, &w) in synapses[a..b].iter().zip(&self.weights[a..b]) {
                // delay < d, so one conditional subtraction replaces the modulo.
                let mut slot = now + syn.delay() as usize;
                if slot >= d {
                    slot -= d;
                }
                let idx = (syn.port() as usize * d + slot) * n + syn.post as usize;
                self.ring[idx] = self.ring[idx].wrapping_add(to_fixed(w, scale));
            }
        }
        self.total_events += events;
    }

    /// Stage 4: counters.
    fn tick_end(&mut self) {
        self.total_spikes += self.spikes_this_tick.len() as u64;
        self.tick += 1;
    }

    /// The next tick to run.
    pub fn tick(&self) -> u32 {
        self.tick
    }

    /// Total spikes so far.
    pub fn total_spikes(&self) -> u64 {
        self.total_spikes
    }

    /// Total synaptic events delivered so far.
    pub fn total_events(&self) -> u64 {
        self.total_events
    }

    /// Neuron state (membrane potentials and currents).
    pub fn state(&self) -> &[NeuronState] {
        &self.state
    }

    /// The fixed-point input ring, `[port][slot][neuron]`.
    pub fn input_ring(&self) -> &[i32] {
        &self.ring
    }
}

/// Poisson count for one target in one tick: one Philox call keyed by (tick, target, stream),
/// compared against the integer CDF table (`plan::poisson_cdf_table`).
#[inline]
pub fn poisson_count(key: [u32; 2], tick: u32, local: u32, stream: u32, table: &[u32]) -> u32 {
    let r = philox4x32_10([tick, local, stream, 0], key)[0];
    table.iter().take_while(|&&t| r >= t).count() as u32
}

type UpdateArgs<'a> = (
    &'a PopGpu,
    &'a mut [NeuronState],
    &'a mut [i32],
    &'a mut [i32],
    f32,
    &'a mut Vec<u32>,
);

/// One LIF tick for one neuron, in exactly the operation order of `neuron_update.wgsl`. Every
/// operation is a single correctly rounded IEEE add or multiply (Rust never fuses them), which
/// is what makes the CPU and GPU results bit-identical on drivers that do not contract. Written
/// without branches (selects only) so that the population loop vectorises; the arithmetic is
/// that of the shader's branches.
#[inline(always)]
pub fn lif_step(p: &PopGpu, s: &mut NeuronState, in_e: i32, in_i: i32, inv_scale: f32) -> bool {
    let syn_e = s.syn_e + in_e as f32 * inv_scale;
    let syn_i = s.syn_i + in_i as f32 * inv_scale;
    let refractory = s.refractory.saturating_sub(1);
    let integrate = refractory == 0;
    let v = (s.v - p.v_rest) * p.p_mm + (syn_e * p.p_me + (syn_i * p.p_mi + p.v_rest));
    let spiked = integrate && v > p.v_thresh;
    s.v = if spiked {
        p.v_reset
    } else if integrate {
        v
    } else {
        s.v
    };
    s.refractory = if spiked { p.refractory_ticks } else { refractory };
    s.syn_e = syn_e * p.decay_e;
    s.syn_i = syn_i * p.decay_i;
    spiked
}

fn update_population((p, state, ring_e, ring_i, inv_scale, spikes): UpdateArgs<'_>) {
    for (i, s) in state.iter_mut().enumerate() {
        let in_e = std::mem::take(&mut ring_e[i]);
        let in_i = std::mem::take(&mut ring_i[i]);
        if lif_step(p, s, in_e, in_i, inv_scale) {
            spikes.push(p.start + i as u32);
        }
    }
}

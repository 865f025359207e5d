//! The distal reward experiment of Izhikevich 2007 ("Solving the distal reward problem
//! through linkage of STDP and dopamine signaling", Cereb. Cortex 17:2443), section
//! "Reinforcing a synapse": a network of 1,000 Izhikevich neurons with reward-modulated STDP
//! on its excitatory synapses; every time neuron `n1` fires and `n2` follows within 20 ms, a
//! reward (a dopamine pulse) comes 1-3 s later, while the network keeps firing at random.
//! Only the synapse `n1 -> n2` is consistently followed by reward, so it alone grows to the
//! maximum.
//!
//! The network follows the paper's published code: 800 regular-spiking excitatory and 200
//! fast-spiking inhibitory neurons, 100 outgoing synapses per neuron (excitatory ones to any
//! neuron, inhibitory ones to excitatory neurons; all delays 1 ms, `D = 1` there), excitatory
//! weights 1 mV in [0, 4], inhibitory -1 mV, dt 1 ms, and a random thalamic current drawn per
//! neuron and step (the code's uniform on [-6.5, 6.5]; here normal with the same variance).
//! Pair STDP (0.1 and 0.15 mV, 20 ms, nearest neighbour) goes into eligibility traces that
//! decay with 1 s and are applied every 10 ms; dopamine relaxes with 0.2 s to a tonic
//! baseline. The code's update `s += (DA + 0.002) c` every 10 ms is `dw/dt = c d` here with
//! `d = 100 (DA + 0.002)` per second: baseline 0.2, reward pulse 50.

use crate::error::Result;
use crate::model::plasticity::{ModulatorChannel, Neuromodulator, Pairing, RewardModulation, StdpParams};
use crate::model::{
    Connectivity, CurrentSource, InitialValue, Network, NetworkBuilder, PopulationId, ProjectionId, Receptor,
    WeightDist,
};
use crate::neurons::{IzhikevichType, NeuronModel};
use crate::rng::{PhiloxStream, seed_key};
use crate::sim::{Backend, Simulator};

/// Upper weight bound (mV).
pub const W_MAX: f32 = 4.0;
/// Dopamine added per reward, in the units of `d` (the paper's 0.5 times 100).
pub const REWARD: f64 = 50.0;
/// Standard deviation of the thalamic noise current: that of the code's uniform [-6.5, 6.5].
pub const THALAMIC_STD: f64 = 3.752_776_749_732_568;
/// Coincidence window: `n2` firing within this time after `n1` earns a reward (ms).
pub const COINCIDENCE_MS: f64 = 20.0;
/// Host time step: spikes are inspected and due rewards delivered every this many ms.
pub const HOST_STEP_MS: f64 = 10.0;

/// The network, its plastic excitatory -> excitatory projection and the excitatory population.
pub struct DistalRewardNetwork {
    /// The network.
    pub net: Network,
    /// Excitatory -> excitatory projection (plastic, reward-modulated).
    pub ee: ProjectionId,
    /// Excitatory -> inhibitory projection (plastic, reward-modulated).
    pub ei: ProjectionId,
    /// The excitatory population.
    pub exc: PopulationId,
}

/// Builds the network of the experiment.
pub fn network(seed: u64) -> Result<DistalRewardNetwork> {
    let mut b = NetworkBuilder::new(1.0, seed);
    let v0 = InitialValue::Constant(-65.0);
    let exc = b.population(
        "exc",
        800,
        NeuronModel::Izhikevich(IzhikevichType::RegularSpiking.params()),
        v0.clone(),
    )?;
    let inh = b.population(
        "inh",
        200,
        NeuronModel::Izhikevich(IzhikevichType::FastSpiking.params()),
        v0.clone(),
    )?;
    let rule = StdpParams {
        pairing: Pairing::Nearest,
        modulation: Some(RewardModulation {
            tau_eligibility_ms: 1000.0,
            update_interval_ms: 10.0,
            channel: ModulatorChannel::Global,
        }),
        ..StdpParams::pair(20.0, 20.0, 0.1 / 4.0, 0.15 / 4.0, 0.0, f64::from(W_MAX))
    };
    let out = |k| Connectivity::FixedOutDegree { k, autapses: false };
    let exc_delay = WeightDist::Constant(1.0);
    let ee = b.projection(
        exc,
        exc,
        out(80),
        WeightDist::Constant(1.0),
        exc_delay,
        Receptor::Excitatory,
    )?;
    let ei = b.projection(
        exc,
        inh,
        out(20),
        WeightDist::Constant(1.0),
        exc_delay,
        Receptor::Excitatory,
    )?;
    b.plasticity(ee, rule.clone())?;
    b.plasticity(ei, rule)?;
    b.projection(
        inh,
        exc,
        out(100),
        WeightDist::Constant(-1.0),
        WeightDist::Constant(1.0),
        Receptor::Inhibitory,
    )?;
    for pop in [exc, inh] {
        b.current_input(
            pop,
            CurrentSource::Noise {
                mean: 0.0,
                std: THALAMIC_STD,
            },
        )?;
    }
    b.neuromodulator(
        ModulatorChannel::Global,
        Neuromodulator {
            tau_ms: 200.0,
            baseline: 0.2,
        },
    )?;
    Ok(DistalRewardNetwork {
        net: b.build()?,
        ee,
        ei,
        exc,
    })
}

/// A running experiment: the simulation, the chosen synapse and the pending rewards.
pub struct DistalReward {
    sim: Simulator,
    ee: ProjectionId,
    /// Index of the rewarded synapse in the projection's synapse order.
    synapse: usize,
    n1: u32,
    n2: u32,
    last_n1_ms: f64,
    pending: Vec<f64>,
    delays: PhiloxStream,
    /// Rewards delivered so far.
    pub rewards: u32,
}

impl DistalReward {
    /// Builds the network on `backend`, picks the synapse `n1 -> n2` from the seed and sets its
    /// weight to 0, as in the paper.
    pub fn new(seed: u64, backend: Backend) -> Result<Self> {
        let DistalRewardNetwork { net, ee, exc, .. } = network(seed)?;
        let mut sim = Simulator::new(&net, backend)?;
        let mut w = sim.weights(ee)?;
        let mut pick = PhiloxStream::new(seed_key(seed), crate::rng::stream::MODEL, 7);
        let synapse = ((pick.uniform() * w.weights.len() as f64) as usize).min(w.weights.len() - 1);
        w.weights[synapse] = 0.0;
        sim.set_weights(ee, &w.weights)?;
        let start = sim.plan().populations[exc.index()].gpu.start;
        Ok(Self {
            n1: start + w.pre[synapse],
            n2: start + w.post[synapse],
            sim,
            ee,
            synapse,
            last_n1_ms: f64::NEG_INFINITY,
            pending: Vec::new(),
            delays: PhiloxStream::new(seed_key(seed), crate::rng::stream::MODEL, 8),
            rewards: 0,
        })
    }

    /// Runs for `duration_ms` in host steps of [`HOST_STEP_MS`]: after each, spikes of `n1`
    /// followed by `n2` within [`COINCIDENCE_MS`] schedule a reward 1-3 s later, and rewards that are due
    /// are delivered (so a reward comes at most one host step late).
    pub fn run_ms(&mut self, duration_ms: f64) -> Result<()> {
        let dt = self.sim.dt_ms();
        let steps = (duration_ms / HOST_STEP_MS).round() as u64;
        for _ in 0..steps {
            self.sim.run_ms(HOST_STEP_MS)?;
            for r in self.sim.take_spike_records() {
                let t = r.tick as f64 * dt;
                if r.neuron == self.n1 {
                    self.last_n1_ms = t;
                } else if r.neuron == self.n2 && t > self.last_n1_ms && t - self.last_n1_ms < COINCIDENCE_MS {
                    self.pending.push(t + 1000.0 + 2000.0 * self.delays.uniform());
                }
            }
            let now = self.sim.ticks() as f64 * dt;
            let due = self.pending.iter().filter(|&&t| t <= now).count();
            if due > 0 {
                self.pending.retain(|&t| t > now);
                self.sim
                    .add_modulator(ModulatorChannel::Global, REWARD * due as f64)?;
                self.rewards += due as u32;
            }
        }
        Ok(())
    }

    /// Weight of the rewarded synapse and the mean of the other excitatory -> excitatory ones.
    pub fn weights(&self) -> Result<(f32, f32)> {
        let w = self.sim.weights(self.ee)?.weights;
        let others: f64 = w
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != self.synapse)
            .map(|(_, &x)| f64::from(x))
            .sum();
        Ok((w[self.synapse], (others / (w.len() - 1) as f64) as f32))
    }

    /// All excitatory -> excitatory weights (the rewarded one included).
    pub fn all_weights(&self) -> Result<Vec<f32>> {
        Ok(self.sim.weights(self.ee)?.weights)
    }

    /// Index of the rewarded synapse in [`DistalReward::all_weights`].
    pub fn rewarded_index(&self) -> usize {
        self.synapse
    }

    /// The simulator (for rates and counters).
    pub fn simulator(&self) -> &Simulator {
        &self.sim
    }
}

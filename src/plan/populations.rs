//! Populations phase: each population's place in the global neuron array and its constants,
//! and every neuron's initial state and per-neuron parameters, drawn from the seed.

use crate::error::{Result, invalid};
use crate::model::{Network, NeuronModel, NeuronParam, PerNeuron, Population, StateVar};
use crate::neurons::poisson_sequence;
use crate::plan::PopulationPlan;
use crate::plan::layout::{NeuronState, PopGpu};
use crate::plan::resources::try_vec;
use crate::rng::{PhiloxStream, stream};

/// The populations' tables, neuron after neuron in global order.
pub(super) struct PopulationTables {
    pub populations: Vec<PopulationPlan>,
    pub initial_state: Vec<NeuronState>,
    pub neuron_params: Vec<[f32; 4]>,
    pub source_ticks: Vec<u32>,
    pub n_neurons: u32,
}

/// Lays the populations out one after another and fills every neuron's state (drawn with
/// `initial_key`) and parameters (drawn with the connectivity key `network_key`).
pub(super) fn plan_populations(
    net: &Network,
    initial_key: [u32; 2],
    network_key: [u32; 2],
) -> Result<PopulationTables> {
    let dt = net.dt_ms;
    let n_total = net.neuron_count() as usize;
    let mut tables = PopulationTables {
        populations: Vec::with_capacity(net.populations.len()),
        initial_state: try_vec(n_total, "the neurons' initial state")?,
        neuron_params: try_vec(n_total, "the neurons' parameters")?,
        source_ticks: Vec::new(),
        n_neurons: 0,
    };
    let mut start = 0u32;
    for (pi, pop) in net.populations.iter().enumerate() {
        let gpu = PopGpu {
            start,
            size: pop.size,
            refractory_ticks: net
                .conventions
                .refractory_count((pop.model.refractory_ms() / dt).round() as u32),
            model: pop.model.id(),
            c: pop.model.constants(dt),
            input_lag: net.conventions.input_lag(&pop.model),
        };
        let table = match &pop.model {
            NeuronModel::PoissonSequence(seq) => {
                poisson_sequence::append_table(seq, dt, &mut tables.source_ticks)
            }
            _ => 0,
        };
        for i in 0..pop.size {
            let neuron = Neuron {
                pop,
                pi: pi as u32,
                i,
                global: start + i,
                initial_key,
                network_key,
                dt,
                table,
                conventions: net.conventions,
            };
            let (state, params) = neuron.state_and_params(&mut tables.source_ticks)?;
            tables.initial_state.push(state);
            tables.neuron_params.push(params);
        }
        tables.populations.push(PopulationPlan {
            name: pop.name.clone(),
            record: pop.record_spikes,
            gpu,
        });
        start += pop.size;
    }
    tables.n_neurons = start;
    Ok(tables)
}

/// Neuron `i` of population `pi` (global index `global`), with what its draws are keyed by:
/// initial values by the initial-state key, drawn parameters by the network's.
struct Neuron<'a> {
    pop: &'a Population,
    pi: u32,
    i: u32,
    global: u32,
    initial_key: [u32; 2],
    network_key: [u32; 2],
    dt: f64,
    /// Offset of the population's table in `source_ticks` (Poisson sequences).
    table: u32,
    conventions: crate::model::Conventions,
}

impl Neuron<'_> {
    /// The initial membrane potential: V always has a value, drawn from its own stream.
    fn v(&self) -> f64 {
        let v = self.initial(StateVar::V).expect("V always has an initial value");
        v.sample(
            &mut PhiloxStream::new(self.initial_key, stream::INIT + self.pi, self.i),
            self.i,
        )
    }

    /// The initial value of another state variable, if the population sets one, from stream
    /// `slot` of the population's 16 (1 U, 2 SynExc, 3 SynInh).
    fn other(&self, var: StateVar, slot: u32) -> Option<f64> {
        self.initial(var).map(|x| {
            x.sample(
                &mut PhiloxStream::new(self.initial_key, stream::INIT_VAR + 16 * self.pi + slot, self.i),
                self.i,
            )
        })
    }

    fn initial(&self, var: StateVar) -> Option<crate::model::InitialValue> {
        self.pop
            .initial
            .iter()
            .find(|(v, _)| *v == var)
            .map(|(_, x)| x.clone())
    }

    /// The neuron's initial state and its four per-neuron parameters (their meaning depends
    /// on the model; spike sources append their ticks to `source_ticks`).
    fn state_and_params(&self, source_ticks: &mut Vec<u32>) -> Result<(NeuronState, [f32; 4])> {
        let v = self.v();
        let mut s = NeuronState {
            v: v as f32,
            syn_e: self.other(StateVar::SynExc, 2).unwrap_or(0.0) as f32,
            syn_i: self.other(StateVar::SynInh, 3).unwrap_or(0.0) as f32,
            ..NeuronState::default()
        };
        let params = match &self.pop.model {
            NeuronModel::Izhikevich(p) => {
                let abcd = self
                    .pop
                    .izhikevich_per_neuron
                    .as_ref()
                    .map_or([p.a, p.b, p.c_mv, p.d], |rows| rows[self.i as usize]);
                // Izhikevich's u starts at b * v unless given.
                s.u = self.other(StateVar::U, 1).map_or(abcd[1] * v, |u| u) as f32;
                abcd.map(|x| x as f32)
            }
            NeuronModel::PoissonSource { rate_hz } => self.poisson_source_params(*rate_hz),
            NeuronModel::PoissonSequence(_) => [
                f32::from_bits(self.table),
                f32::from_bits(stream::POISSON_SEQUENCE + self.pi),
                f32::from_bits(self.global),
                f32::from_bits(self.i),
            ],
            NeuronModel::SpikeSource { spike_times_ms } => {
                let times = &spike_times_ms[self.i as usize];
                let params = [
                    f32::from_bits(source_ticks.len() as u32),
                    f32::from_bits(times.len() as u32),
                    0.0,
                    0.0,
                ];
                for (k, t) in times.iter().enumerate() {
                    let tick = (t / self.dt).round() as u32;
                    if tick < self.conventions.stamp_offset_ticks() as u32 {
                        return Err(invalid(
                            format!("population '{}'.spike_times_ms[{}][{k}]", self.pop.name, self.i),
                            *t,
                            &format!(
                                "must be >= dt = {} under conventions = \"nest\" (a spike's time is the end of its step)",
                                self.dt
                            ),
                        ));
                    }
                    source_ticks.push(self.conventions.source_tick(tick));
                }
                params
            }
            model => {
                s.u = self.other(StateVar::U, 1).unwrap_or(0.0) as f32;
                self.threshold_and_bias(model)?
            }
        };
        Ok((s, params))
    }

    /// A Poisson source fires when one Philox word is below rate x dt x 2^32; its parameters
    /// are that threshold, its stream and its counter, as u32 bits.
    fn poisson_source_params(&self, rate_hz: f64) -> [f32; 4] {
        let threshold = (rate_hz * self.dt * 1e-3 * 4_294_967_296.0)
            .floor()
            .min(f64::from(u32::MAX)) as u32;
        [
            f32::from_bits(threshold),
            f32::from_bits(stream::POISSON_SOURCE + self.pi),
            f32::from_bits(self.global),
            0.0,
        ]
    }

    /// The neuron's threshold and bias current: the model's, unless given per neuron (listed
    /// or drawn). A drawn threshold must still lie above the reset potential.
    fn threshold_and_bias(&self, model: &NeuronModel) -> Result<[f32; 4]> {
        let i = self.i;
        let mut q = [model.threshold_mv().unwrap_or(0.0), 0.0];
        for (param, values) in &self.pop.per_neuron {
            let k = match param {
                NeuronParam::Threshold => 0,
                NeuronParam::Bias => 1,
            };
            q[k] = match values {
                PerNeuron::Values(v) => v[i as usize],
                PerNeuron::Drawn(d) => d.sample(
                    &mut PhiloxStream::new(
                        self.network_key,
                        stream::INIT_VAR + 16 * self.pi + 8 + k as u32,
                        i,
                    ),
                    i,
                ),
            };
        }
        if let Some(reset) = model.reset_mv().filter(|&r| q[0] <= r) {
            return Err(invalid(
                format!(
                    "population '{}'.per_neuron Threshold of neuron {i}",
                    self.pop.name
                ),
                q[0],
                &format!("must be above the reset potential {reset} (a drawn threshold fell below it)"),
            ));
        }
        Ok([self.conventions.threshold(q[0] as f32), q[1] as f32, 0.0, 0.0])
    }
}

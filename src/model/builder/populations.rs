//! Populations: size, neuron model, initial state, per-neuron values, positions, recording.

use glam::Vec3;

use crate::error::{Result, invalid};
use crate::model::builder::NetworkBuilder;
use crate::model::{
    InitialValue, IzhikevichParams, NeuronModel, NeuronParam, PerNeuron, Population, PopulationId,
    SpikeRecording, StateVar, whole_ticks,
};

impl NetworkBuilder {
    /// Adds a population with an initial membrane potential.
    pub fn population(
        &mut self,
        name: &str,
        size: u32,
        model: NeuronModel,
        v_init_mv: InitialValue,
    ) -> Result<PopulationId> {
        let owner = format!("population '{name}'");
        if name.is_empty() {
            return Err(invalid("population.name", "\"\"", "must not be empty"));
        }
        // Output files are named after populations: a name must be usable as part of one.
        let unsafe_char = name.chars().find(|&c| c == '/' || c == '\\' || c.is_control());
        if unsafe_char.is_some() || name == "." || name == ".." || name.len() > 200 {
            let shown: String = name.chars().take(60).collect();
            return Err(invalid(
                "population.name",
                format!("{shown:?}{}", if name.chars().count() > 60 { "..." } else { "" }),
                "must be at most 200 bytes, not . or .., without / or \\ or control characters (it names output files)",
            ));
        }
        if self.net.populations.iter().any(|p| p.name == name) {
            return Err(invalid(
                format!("{owner}.name"),
                name,
                "must be unique in the network",
            ));
        }
        if size == 0 {
            return Err(invalid(format!("{owner}.size"), size, "must be >= 1"));
        }
        model.validate(&owner)?;
        if let NeuronModel::SpikeSource { spike_times_ms } = &model {
            if spike_times_ms.len() != size as usize {
                return Err(invalid(
                    format!("{owner}.spike_times_ms"),
                    format!("{} lists", spike_times_ms.len()),
                    &format!("must hold one list per neuron ({size})"),
                ));
            }
        }
        if let NeuronModel::PoissonSequence(seq) = &model {
            if seq.rates_hz.is_empty() {
                return Err(invalid(
                    format!("{owner}.rates_hz"),
                    "no stimuli",
                    "needs at least one stimulus, one rate per neuron (model files: an [[encoder]] table)",
                ));
            }
            if let Some(k) = seq.rates_hz.iter().position(|row| row.len() != size as usize) {
                return Err(invalid(
                    format!("{owner}.rates_hz[{k}]"),
                    format!("{} rates", seq.rates_hz[k].len()),
                    &format!("must hold one rate per neuron ({size})"),
                ));
            }
        }
        v_init_mv.validate(&format!("{owner}.v_init_mv"), size)?;
        self.net.populations.push(Population {
            name: name.to_string(),
            size,
            model,
            initial: vec![(StateVar::V, v_init_mv)],
            izhikevich_per_neuron: None,
            per_neuron: Vec::new(),
            positions: None,
            record_spikes: true,
            spike_recording: SpikeRecording::all(),
            rate_bin_ms: None,
        });
        Ok(PopulationId {
            network: self.net.id,
            index: self.net.populations.len() - 1,
        })
    }

    fn population_mut(&mut self, pop: PopulationId) -> Result<&mut Population> {
        self.net.check_population(pop)?;
        Ok(&mut self.net.populations[pop.index])
    }

    /// Sets the initial value of a state variable of `pop`.
    pub fn initial_value(&mut self, pop: PopulationId, var: StateVar, value: InitialValue) -> Result<()> {
        let p = self.population_mut(pop)?;
        value.validate(&format!("population '{}'.initial {var:?}", p.name), p.size)?;
        p.initial.retain(|(v, _)| *v != var);
        p.initial.push((var, value));
        Ok(())
    }

    /// Gives every neuron of an Izhikevich population its own (a, b, c, d).
    pub fn izhikevich_per_neuron(&mut self, pop: PopulationId, abcd: Vec<[f64; 4]>) -> Result<()> {
        let p = self.population_mut(pop)?;
        let owner = format!("population '{}'", p.name);
        let NeuronModel::Izhikevich(base) = &p.model else {
            return Err(invalid(
                format!("{owner}.izhikevich_per_neuron"),
                "given",
                "needs an Izhikevich population",
            ));
        };
        if abcd.len() != p.size as usize {
            return Err(invalid(
                format!("{owner}.izhikevich_per_neuron"),
                format!("{} rows", abcd.len()),
                &format!("must have one row per neuron ({})", p.size),
            ));
        }
        for (i, row) in abcd.iter().enumerate() {
            let model = NeuronModel::Izhikevich(IzhikevichParams {
                a: row[0],
                b: row[1],
                c_mv: row[2],
                d: row[3],
                v_peak_mv: base.v_peak_mv,
            });
            model.validate(&format!("{owner}.izhikevich_per_neuron[{i}]"))?;
        }
        p.izhikevich_per_neuron = Some(abcd);
        Ok(())
    }

    /// Gives every neuron of `pop` its own threshold or bias current (LIF, conductance LIF,
    /// AdEx, HH). Explicit values are checked here; drawn thresholds are checked against the
    /// reset potential when the network is planned.
    pub fn per_neuron(&mut self, pop: PopulationId, param: NeuronParam, values: PerNeuron) -> Result<()> {
        let p = self.population_mut(pop)?;
        let field = format!("population '{}'.per_neuron {param:?}", p.name);
        if matches!(
            p.model,
            NeuronModel::Izhikevich(_)
                | NeuronModel::SpikeSource { .. }
                | NeuronModel::PoissonSource { .. }
                | NeuronModel::PoissonSequence(_)
        ) {
            return Err(invalid(
                field,
                "given",
                "thresholds and biases per neuron apply to LIF, conductance LIF, AdEx and HH (Izhikevich: izhikevich_per_neuron, currents: current sources)",
            ));
        }
        match &values {
            PerNeuron::Values(v) => {
                if v.len() != p.size as usize {
                    return Err(invalid(
                        field,
                        format!("{} values", v.len()),
                        &format!("must have one per neuron ({})", p.size),
                    ));
                }
                if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                    return Err(invalid(format!("{field}[{i}]"), v[i], "must be finite"));
                }
                if param == NeuronParam::Threshold {
                    let reset = p.model.reset_mv();
                    if let Some(i) = v.iter().position(|&x| reset.is_some_and(|r| x <= r)) {
                        return Err(invalid(
                            format!("{field}[{i}]"),
                            v[i],
                            &format!("must be above the reset potential {}", reset.unwrap_or(f64::NAN)),
                        ));
                    }
                }
            }
            PerNeuron::Drawn(d) => d.validate(&field, p.size)?,
        }
        p.per_neuron.retain(|(q, _)| *q != param);
        p.per_neuron.push((param, values));
        Ok(())
    }

    /// Sets neuron positions of `pop` (one per neuron, finite).
    pub fn positions(&mut self, pop: PopulationId, positions: Vec<Vec3>) -> Result<()> {
        let p = self.population_mut(pop)?;
        if positions.len() != p.size as usize {
            return Err(invalid(
                format!("population '{}'.positions", p.name),
                format!("{} positions", positions.len()),
                &format!("must have one per neuron ({})", p.size),
            ));
        }
        if let Some(i) = positions.iter().position(|x| !x.is_finite()) {
            return Err(invalid(
                format!("population '{}'.positions[{i}]", p.name),
                positions[i],
                "must be finite",
            ));
        }
        p.positions = Some(positions);
        Ok(())
    }

    /// Chooses whether the spikes of `pop` are kept (all are by default). Spikes are always
    /// counted; unrecorded ones are just not stored on the host.
    pub fn record_spikes(&mut self, pop: PopulationId, record: bool) -> Result<()> {
        self.population_mut(pop)?.record_spikes = record;
        Ok(())
    }

    /// Keeps only the spikes of `pop` that `recording` selects (neurons, time window): host
    /// memory and outputs then grow with the selection, not the population.
    pub fn record_spike_selection(&mut self, pop: PopulationId, recording: SpikeRecording) -> Result<()> {
        let p = self.population_mut(pop)?;
        recording.validate(&format!("population '{}'.spike_recording", p.name), p.size)?;
        p.record_spikes = true;
        p.spike_recording = recording;
        Ok(())
    }

    /// Keeps a rate record of `pop`: its spike count (every neuron, recorded or not) in bins
    /// of `bin_ms`, a whole number of time steps ([`crate::Simulator::rate_record`]).
    pub fn record_rate(&mut self, pop: PopulationId, bin_ms: f64) -> Result<()> {
        let dt = self.net.dt_ms;
        let p = self.population_mut(pop)?;
        let field = format!("population '{}'.rate_bin_ms", p.name);
        whole_ticks(bin_ms, dt).map_err(|why| invalid(field, bin_ms, &why))?;
        p.rate_bin_ms = Some(bin_ms);
        Ok(())
    }
}

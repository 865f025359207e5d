//! Changing a network between runs: neuron state, spike source trains and rates, Poisson
//! input rates and synaptic delays, each from the next tick on, on every backend.

use super::Simulator;
use crate::error::{Result, check_non_negative, invalid};
use crate::model::{PopulationId, ProjectionId, StateVar};
use crate::neurons::{model_id, spike_source};
use crate::plan::layout::NeuronState;

/// The name of a state variable in messages (as model files write it).
fn var_name(var: StateVar) -> &'static str {
    match var {
        StateVar::V => "v",
        StateVar::U => "u",
        StateVar::SynExc => "syn_e",
        StateVar::SynInh => "syn_i",
    }
}

/// `ticks` ticks in ms, without the float noise of the product (for messages).
fn ms(ticks: f64, dt: f64) -> f64 {
    (ticks * dt * 1e9).round() / 1e9
}

/// The field of `s` that `var` names.
fn field_of(s: &mut NeuronState, var: StateVar) -> &mut f32 {
    match var {
        StateVar::V => &mut s.v,
        StateVar::U => &mut s.u,
        StateVar::SynExc => &mut s.syn_e,
        StateVar::SynInh => &mut s.syn_i,
    }
}

impl Simulator {
    /// Sets state variable `var` of every neuron of `pop` (one finite value per neuron, in
    /// the model's units: mV for `v`; `u` is Izhikevich's `u`, AdEx's `w` in pA, HH's `m`,
    /// LIF's threshold raise) from the next tick on. Refused for spike and Poisson sources,
    /// which have no such state, and for populations of user-defined models.
    pub fn set_state(&mut self, pop: PopulationId, var: StateVar, values: &[f32]) -> Result<()> {
        let p = self.population(pop)?;
        let field = format!("population '{}'.{}", p.name, var_name(var));
        let (start, size, model) = (p.gpu.start, p.gpu.size, p.gpu.model);
        if matches!(
            model,
            model_id::SPIKE_SOURCE | model_id::POISSON_SOURCE | model_id::POISSON_SEQUENCE
        ) {
            return Err(invalid(
                field,
                "new values",
                "spike and Poisson sources have no membrane or synaptic state to set",
            ));
        }
        if model == model_id::EQUATION {
            return Err(invalid(
                field,
                "new values",
                "populations of user-defined models take their variables by name: use set_equation_variable",
            ));
        }
        if values.len() != size as usize {
            return Err(invalid(
                field,
                format!("{} values", values.len()),
                &format!("must give one value per neuron ({size})"),
            ));
        }
        if let Some(i) = values.iter().position(|x| !x.is_finite()) {
            return Err(invalid(format!("{field}[{i}]"), values[i], "must be finite"));
        }
        let all = self.engine.neuron_state()?;
        let mut states = all[start as usize..(start + size) as usize].to_vec();
        for (s, &x) in states.iter_mut().zip(values) {
            *field_of(s, var) = x;
        }
        self.engine.set_neuron_states(&self.plan, start, &states)
    }

    /// Sets variable `name` (any variable of the model, in its canonical unit) of every
    /// neuron of `pop`, a population of a user-defined (equation) model, from the next tick
    /// on: one finite value per neuron.
    pub fn set_equation_variable(&mut self, pop: PopulationId, name: &str, values: &[f32]) -> Result<()> {
        let p = self.population(pop)?;
        let field = format!("population '{}'.{name}", p.name);
        let Some(k) = self.plan.equations.iter().position(|e| e.population == pop.index) else {
            return Err(invalid(
                field,
                "new values",
                "only populations of user-defined (equation) models take variables by name (built-in models: set_state)",
            ));
        };
        let eq = &self.plan.equations[k];
        let variables = eq.model.variables();
        let Some(j) = variables.iter().position(|v| v.name == name) else {
            let names: Vec<&str> = variables.iter().map(|v| v.name.as_str()).collect();
            return Err(invalid(
                field,
                "new values",
                &format!(
                    "not a variable of model '{}' (its variables: {})",
                    eq.model.name(),
                    names.join(", ")
                ),
            ));
        };
        if values.len() != eq.size as usize {
            return Err(invalid(
                field,
                format!("{} values", values.len()),
                &format!("must give one value per neuron ({})", eq.size),
            ));
        }
        if let Some(i) = values.iter().position(|x| !x.is_finite()) {
            return Err(invalid(format!("{field}[{i}]"), values[i], "must be finite"));
        }
        self.engine.set_equation_variable(&self.plan, k, j, values)
    }

    /// Replaces the spike trains of `SpikeSource` population `pop` (one list of times in ms
    /// per neuron, strictly increasing) from the next tick on: each neuron fires at its new
    /// times only. A time before the current time (rounded to ticks) is refused.
    pub fn set_spike_times(&mut self, pop: PopulationId, times_ms: Vec<Vec<f64>>) -> Result<()> {
        let p = self.population(pop)?;
        let owner = format!("population '{}'", p.name);
        let (start, size) = (p.gpu.start as usize, p.gpu.size as usize);
        if p.gpu.model != model_id::SPIKE_SOURCE {
            return Err(invalid(
                format!("{owner}.spike_times_ms"),
                "new spike times",
                "only spike source (SpikeSource) populations take spike times",
            ));
        }
        if times_ms.len() != size {
            return Err(invalid(
                format!("{owner}.spike_times_ms"),
                format!("{} lists", times_ms.len()),
                &format!("must give one list per neuron ({size})"),
            ));
        }
        spike_source::validate_relations(&times_ms, &owner)?;
        let ticks = self.future_ticks(&owner, &times_ms)?;
        // The population's old trains lie together in the table: reuse their room, or put
        // the new ones at the end of the table (the device's table grows with it).
        let params = &self.plan.neuron_params[start..start + size];
        let old_start = params.iter().map(|q| q[0].to_bits()).min().unwrap_or(0) as usize;
        let old_end = params
            .iter()
            .map(|q| (q[0].to_bits() + q[1].to_bits()) as usize)
            .max()
            .unwrap_or(0);
        let total: usize = ticks.iter().map(Vec::len).sum();
        let table = &mut self.plan.source_ticks;
        let at_end = old_end == table.len();
        let mut at = if at_end || total <= old_end - old_start {
            old_start
        } else {
            table.len()
        };
        if at_end {
            table.truncate(old_start);
        }
        table.resize(table.len().max(at + total), 0);
        for (q, neuron) in self.plan.neuron_params[start..start + size]
            .iter_mut()
            .zip(&ticks)
        {
            table[at..at + neuron.len()].copy_from_slice(neuron);
            *q = [
                f32::from_bits(at as u32),
                f32::from_bits(neuron.len() as u32),
                0.0,
                0.0,
            ];
            at += neuron.len();
        }
        self.engine.set_neuron_tables(&self.plan)?;
        // Each neuron's next spike is the first of its new list.
        let all = self.engine.neuron_state()?;
        let mut states = all[start..start + size].to_vec();
        states.iter_mut().for_each(|s| s.aux = 0);
        self.engine.set_neuron_states(&self.plan, start as u32, &states)
    }

    /// The ticks of `times_ms`, each at or after the next tick to run and within the 32-bit
    /// tick counter, no two of one neuron in one tick.
    fn future_ticks(&self, owner: &str, times_ms: &[Vec<f64>]) -> Result<Vec<Vec<u32>>> {
        let (dt, now) = (self.plan.dt_ms, self.ticks());
        let mut out = Vec::with_capacity(times_ms.len());
        for (n, times) in times_ms.iter().enumerate() {
            let mut ticks: Vec<u32> = Vec::with_capacity(times.len());
            for (k, &t) in times.iter().enumerate() {
                let field = || format!("{owner}.spike_times_ms[{n}][{k}]");
                let tick = (t / dt).round();
                if tick < now as f64 {
                    return Err(invalid(
                        field(),
                        t,
                        &format!(
                            "must not be before the current time, {} ms (the simulation has run {now} ticks)",
                            ms(now as f64, dt)
                        ),
                    ));
                }
                if tick > f64::from(u32::MAX / 2) {
                    return Err(invalid(field(), t, "is beyond the 32-bit tick counter"));
                }
                if ticks.last() == Some(&(tick as u32)) {
                    return Err(invalid(
                        field(),
                        t,
                        &format!("two spikes of one neuron fall in the same {dt} ms tick"),
                    ));
                }
                ticks.push(tick as u32);
            }
            out.push(ticks);
        }
        Ok(out)
    }

    /// Sets the rate of every neuron of `PoissonSource` population `pop` (Hz, one per
    /// neuron, each >= 0 with rate x dt <= 1: a source fires at most once per tick) from the
    /// next tick on.
    pub fn set_source_rates(&mut self, pop: PopulationId, rates_hz: &[f64]) -> Result<()> {
        let p = self.population(pop)?;
        let field = format!("population '{}'.rate_hz", p.name);
        let (start, size) = (p.gpu.start as usize, p.gpu.size as usize);
        if p.gpu.model != model_id::POISSON_SOURCE {
            return Err(invalid(
                field,
                "new rates",
                "only Poisson source (PoissonSource) populations take rates",
            ));
        }
        if rates_hz.len() != size {
            return Err(invalid(
                field,
                format!("{} values", rates_hz.len()),
                &format!("must give one rate per neuron ({size})"),
            ));
        }
        let dt = self.plan.dt_ms;
        for (i, &rate) in rates_hz.iter().enumerate() {
            check_non_negative(|| format!("{field}[{i}]"), rate)?;
            if rate * dt * 1e-3 > 1.0 {
                return Err(invalid(
                    format!("{field}[{i}]"),
                    rate,
                    &format!(
                        "a Poisson source fires at most once per tick: at most {} Hz at dt = {dt} ms",
                        1e3 / dt
                    ),
                ));
            }
        }
        for (q, &rate) in self.plan.neuron_params[start..start + size]
            .iter_mut()
            .zip(rates_hz)
        {
            // As the plan sets it: fire when a Philox word is below rate x dt x 2^32.
            let threshold = (rate * dt * 1e-3 * 4_294_967_296.0)
                .floor()
                .min(f64::from(u32::MAX)) as u32;
            q[0] = f32::from_bits(threshold);
        }
        self.engine.set_neuron_tables(&self.plan)
    }

    /// Replaces the rate of Poisson input `input` (the index of its
    /// `NetworkBuilder::poisson_input` or `poisson_schedule` call, in creation order), and
    /// any schedule it had, by `rate_hz` from the next tick on. Refused for a rate that is
    /// negative, not finite or above 100 expected spikes per tick, or whose largest draw
    /// times the input's weight could overflow the fixed-point scale chosen at build.
    pub fn set_poisson_rate(&mut self, input: usize, rate_hz: f64) -> Result<()> {
        let count = self.plan.poisson.len();
        if input >= count {
            return Err(invalid(
                "poisson input",
                input,
                &format!("must be the index of a Poisson input (this network has {count})"),
            ));
        }
        if !self.plan.device_projections.is_empty() {
            // The overflow bound would have to include the generated synapses' in-degrees.
            return Err(invalid(
                format!("poisson input {input}.rate_hz"),
                rate_hz,
                "Poisson input rates are fixed in a network whose connectivity was generated on the GPU",
            ));
        }
        self.plan.set_poisson_rate(input, rate_hz)?;
        self.engine.set_poisson_tables(&self.plan)
    }

    /// The delays (ms, whole ticks) of the synapses of `proj`, in the order of
    /// [`Simulator::weights`].
    pub fn delays(&self, proj: ProjectionId) -> Result<Vec<f64>> {
        let k = self.stored_projection(proj)?;
        let dt = self.plan.dt_ms;
        Ok(self
            .plan
            .projection_synapses(k)
            .iter()
            .map(|&s| f64::from(self.plan.synapses[s as usize].delay()) * dt)
            .collect())
    }

    /// Replaces the delays of `proj`'s synapses (ms, in the order of
    /// [`Simulator::weights`]) from the next tick on: spikes already on their way arrive as
    /// they were sent. Each delay rounds to whole ticks, at least one and at most the
    /// longest delay of the network when it was built (the input ring's length). Refused for
    /// plastic projections, whose spike histories are sized by their delays.
    pub fn set_delays(&mut self, proj: ProjectionId, delays_ms: &[f64]) -> Result<()> {
        let k = self.stored_projection(proj)?;
        let field = format!("projection {k} delays_ms");
        if !self.plan.device_projections.is_empty() {
            return Err(invalid(
                field,
                "new delays",
                "delays are fixed in a network whose connectivity was generated on the GPU",
            ));
        }
        let synapses = self.plan.projection_synapses(k);
        if synapses.len() != delays_ms.len() {
            return Err(invalid(
                field,
                format!("{} values", delays_ms.len()),
                &format!("must give one per synapse ({})", synapses.len()),
            ));
        }
        if synapses
            .iter()
            .any(|&s| self.plan.synapses[s as usize].plastic() != 0)
        {
            return Err(invalid(
                field,
                "new delays",
                "the delays of a plastic projection are fixed (its spike histories are sized by them)",
            ));
        }
        let dt = self.plan.dt_ms;
        let longest = self.plan.ring_slots - 1;
        let mut ticks = Vec::with_capacity(delays_ms.len());
        for (i, &d) in delays_ms.iter().enumerate() {
            let tick = (d / dt).round();
            if !(tick >= 1.0 && tick <= f64::from(longest)) {
                return Err(invalid(
                    format!("{field}[{i}]"),
                    d,
                    &format!(
                        "must round to 1 to {longest} ticks ({dt} to {} ms at dt = {dt} ms): the input ring built for this network holds delays up to its longest one",
                        ms(f64::from(longest), dt)
                    ),
                ));
            }
            ticks.push(tick as u32);
        }
        for (&s, tick) in synapses.iter().zip(ticks) {
            let syn = &mut self.plan.synapses[s as usize];
            syn.delay_port = (syn.delay_port & !0x1fff) | tick;
        }
        self.engine.set_synapses(&self.plan)
    }
}

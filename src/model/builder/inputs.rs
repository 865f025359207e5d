//! Inputs: Poisson trains and current sources onto populations.

use crate::error::{Result, check_finite, check_non_negative, check_positive, invalid};
use crate::model::builder::NetworkBuilder;
use crate::model::builder::projections::check_sign;
use crate::model::{CurrentInput, CurrentSource, PoissonInput, PopulationId, Receptor};

impl NetworkBuilder {
    /// Adds independent Poisson trains at a constant rate onto every neuron of `target`.
    pub fn poisson_input(
        &mut self,
        target: PopulationId,
        rate_hz: f64,
        weight: f64,
        receptor: Receptor,
    ) -> Result<()> {
        self.poisson_schedule(target, &[(0.0, rate_hz)], weight, receptor)
    }

    /// Adds independent Poisson trains whose rate follows `schedule` (`(start_ms, rate_hz)`,
    /// starting at 0, strictly increasing starts).
    pub fn poisson_schedule(
        &mut self,
        target: PopulationId,
        schedule: &[(f64, f64)],
        weight: f64,
        receptor: Receptor,
    ) -> Result<()> {
        let name = self.net.check_population(target)?.name.clone();
        let owner = format!("poisson input {} (-> {name})", self.net.poisson_inputs.len());
        if schedule.is_empty() || schedule[0].0 != 0.0 {
            return Err(invalid(
                format!("{owner}.schedule"),
                format!("{schedule:?}"),
                "must start at 0 ms",
            ));
        }
        for (k, &(t, rate)) in schedule.iter().enumerate() {
            check_non_negative(|| format!("{owner}.rate_hz"), rate)?;
            check_non_negative(|| format!("{owner}.schedule[{k}].start_ms"), t)?;
            if k > 0 && t <= schedule[k - 1].0 {
                return Err(invalid(
                    format!("{owner}.schedule[{k}].start_ms"),
                    t,
                    "must increase strictly",
                ));
            }
        }
        check_finite(|| format!("{owner}.weight"), weight)?;
        check_sign(&format!("{owner}.weight"), (weight, weight), receptor)?;
        self.net.poisson_inputs.push(PoissonInput {
            target,
            schedule: schedule.to_vec(),
            weight,
            receptor,
        });
        Ok(())
    }

    /// Injects a current source into every neuron of `target`.
    pub fn current_input(&mut self, target: PopulationId, source: CurrentSource) -> Result<()> {
        self.push_current(target, None, source)
    }

    /// Injects a current source into the listed neurons of `target` only (indices within the
    /// population, distinct, in any order).
    pub fn current_input_to(
        &mut self,
        target: PopulationId,
        neurons: Vec<u32>,
        source: CurrentSource,
    ) -> Result<()> {
        self.push_current(target, Some(neurons), source)
    }

    fn push_current(
        &mut self,
        target: PopulationId,
        neurons: Option<Vec<u32>>,
        source: CurrentSource,
    ) -> Result<()> {
        let pop = self.net.check_population(target)?;
        let owner = format!(
            "current input {} (-> {})",
            self.net.current_inputs.len(),
            pop.name
        );
        let neurons = match neurons {
            Some(list) => Some(check_neuron_list(&owner, list, pop.size)?),
            None => None,
        };
        source.check(&owner)?;
        self.net.current_inputs.push(CurrentInput {
            target,
            source,
            neurons,
        });
        Ok(())
    }
}

/// The listed neurons, sorted; refuses an empty list, an index `>= size` or a repeated one.
fn check_neuron_list(owner: &str, mut list: Vec<u32>, size: u32) -> Result<Vec<u32>> {
    if list.is_empty() {
        return Err(invalid(
            format!("{owner}.neurons"),
            "[]",
            "must list at least one neuron",
        ));
    }
    if let Some(k) = list.iter().position(|&i| i >= size) {
        return Err(invalid(
            format!("{owner}.neurons[{k}]"),
            list[k],
            &format!("must be a neuron index below the population size {size}"),
        ));
    }
    list.sort_unstable();
    if let Some(w) = list.windows(2).find(|w| w[0] == w[1]) {
        return Err(invalid(
            format!("{owner}.neurons"),
            w[0],
            "lists this neuron twice; each may appear once",
        ));
    }
    Ok(list)
}

impl CurrentSource {
    /// Refuses non-finite amplitudes, bad step tables, a negative noise deviation or
    /// frequency, and a sine whose stop does not follow its start; `owner` names the input.
    pub(crate) fn check(&self, owner: &str) -> Result<()> {
        match self {
            CurrentSource::Dc { amplitude } => check_finite(|| format!("{owner}.amplitude"), *amplitude),
            CurrentSource::Step { times_ms, amplitudes } => check_steps(owner, times_ms, amplitudes),
            CurrentSource::Noise { mean, std } => {
                check_finite(|| format!("{owner}.mean"), *mean)?;
                check_non_negative(|| format!("{owner}.std"), *std)
            }
            CurrentSource::WhiteNoise { mean, sigma, tau_ms } => {
                check_finite(|| format!("{owner}.mean"), *mean)?;
                check_non_negative(|| format!("{owner}.sigma"), *sigma)?;
                check_positive(|| format!("{owner}.tau_ms"), *tau_ms)
            }
            CurrentSource::Sine {
                amplitude,
                offset,
                frequency_hz,
                phase_deg,
                start_ms,
                stop_ms,
            } => {
                check_finite(|| format!("{owner}.amplitude"), *amplitude)?;
                check_finite(|| format!("{owner}.offset"), *offset)?;
                check_non_negative(|| format!("{owner}.frequency_hz"), *frequency_hz)?;
                check_finite(|| format!("{owner}.phase_deg"), *phase_deg)?;
                check_non_negative(|| format!("{owner}.start_ms"), *start_ms)?;
                if stop_ms.is_nan() || stop_ms <= start_ms {
                    return Err(invalid(
                        format!("{owner}.stop_ms"),
                        stop_ms,
                        "must be greater than start_ms (infinity for no stop)",
                    ));
                }
                Ok(())
            }
        }
    }
}

fn check_steps(owner: &str, times_ms: &[f64], amplitudes: &[f64]) -> Result<()> {
    if times_ms.len() != amplitudes.len() || times_ms.is_empty() {
        return Err(invalid(
            format!("{owner}.amplitudes"),
            format!("{} values for {} times", amplitudes.len(), times_ms.len()),
            "must give one amplitude per time, at least one",
        ));
    }
    for (k, (&t, &a)) in times_ms.iter().zip(amplitudes).enumerate() {
        check_non_negative(|| format!("{owner}.times_ms[{k}]"), t)?;
        check_finite(|| format!("{owner}.amplitudes[{k}]"), a)?;
        if k > 0 && t <= times_ms[k - 1] {
            return Err(invalid(
                format!("{owner}.times_ms[{k}]"),
                t,
                "must increase strictly",
            ));
        }
    }
    Ok(())
}

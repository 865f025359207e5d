//! Inputs: Poisson trains and current sources onto populations.

use crate::error::{Result, check_finite, check_non_negative, invalid};
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
        let name = self.net.check_population(target)?.name.clone();
        let owner = format!("current input {} (-> {name})", self.net.current_inputs.len());
        match &source {
            CurrentSource::Dc { amplitude } => check_finite(|| format!("{owner}.amplitude"), *amplitude)?,
            CurrentSource::Step { times_ms, amplitudes } => {
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
            }
            CurrentSource::Noise { mean, std } => {
                check_finite(|| format!("{owner}.mean"), *mean)?;
                check_non_negative(|| format!("{owner}.std"), *std)?;
            }
        }
        self.net.current_inputs.push(CurrentInput { target, source });
        Ok(())
    }
}

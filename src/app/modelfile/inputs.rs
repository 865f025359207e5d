//! The inputs phases: neuromodulator channels with their pulses, Poisson inputs and injected
//! currents (in the target model's current unit).

use toml::Spanned;

use super::schema::{FileCurrent, FileNeuromodulator, FilePoisson, Raw};
use super::{Build, Dim};
use crate::error::Result;
use crate::model::CurrentSource;
use crate::model::plasticity::{ModulatorChannel, Neuromodulator};

impl Build<'_> {
    /// Declares the neuromodulator channels; returns their pulses `(time_ms, channel, amount)`
    /// in time order.
    pub(super) fn neuromodulators(
        &mut self,
        list: &[Spanned<FileNeuromodulator>],
    ) -> Result<Vec<(f64, ModulatorChannel, f64)>> {
        let mut pulses = Vec::new();
        for (i, sp) in list.iter().enumerate() {
            let m = sp.get_ref();
            let what = format!("neuromodulator[{i}]");
            let ch = self.channel(&m.channel, &format!("{what}.channel"))?;
            let tau_ms = match &m.tau {
                Some(t) => self.loader.quantity(t, &format!("{what}.tau"), Dim::Time, None)?,
                None => f64::INFINITY,
            };
            self.builder.neuromodulator(
                ch,
                Neuromodulator {
                    tau_ms,
                    baseline: m.baseline,
                },
            )?;
            for (t, amount) in &m.pulses {
                let time = format!("{what}.pulses time");
                let ms = self.loader.quantity(t, &time, Dim::Time, None)?;
                if !(ms.is_finite() && ms >= 0.0) {
                    return self.loader.err(t.span(), &time, "must be a time >= 0");
                }
                if !(amount.is_finite() && amount.abs() <= f64::from(f32::MAX)) {
                    // Caught here rather than mid-run, when the pulse is added to the level.
                    return Err(crate::error::invalid(
                        format!("{what}.pulses amount (at {ms} ms)"),
                        amount,
                        "must be finite and within the f32 range of the levels (|amount| <= 3.4e38)",
                    ));
                }
                pulses.push((ms, ch, *amount));
            }
        }
        pulses.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(pulses)
    }

    /// Adds Poisson input `i`: a rate or a rate schedule.
    pub(super) fn poisson(&mut self, i: usize, sp: &Spanned<FilePoisson>) -> Result<()> {
        let p = sp.get_ref();
        let what = format!("poisson[{i}]");
        let (target, model) = self.find(&p.target, &format!("{what}.target"))?;
        let receptor = self.loader.receptor(&p.receptor, &format!("{what}.receptor"))?;
        let weight = self
            .loader
            .quantity(&p.weight, &format!("{what}.weight"), model.weight_unit(), None)?;
        let rate = |r: &Spanned<Raw>, name: &str| {
            self.loader
                .quantity(r, &format!("{what}.{name}"), Dim::Rate, None)
        };
        let schedule = match (&p.rate, &p.schedule) {
            (Some(r), None) => vec![(0.0, rate(r, "rate")?)],
            (None, Some(s)) => s
                .iter()
                .map(|(t, r)| {
                    Ok((
                        self.loader
                            .quantity(t, &format!("{what}.schedule time"), Dim::Time, None)?,
                        rate(r, "schedule rate")?,
                    ))
                })
                .collect::<Result<Vec<_>>>()?,
            _ => {
                return self
                    .loader
                    .err(sp.span(), &what, "give either 'rate' or 'schedule'");
            }
        };
        self.builder.poisson_schedule(target, &schedule, weight, receptor)
    }

    /// Adds current source `i`: DC, steps, noise or sine, into the whole target or the
    /// listed `neurons`.
    pub(super) fn current(&mut self, i: usize, sp: &Spanned<FileCurrent>) -> Result<()> {
        let c = sp.get_ref();
        let what = format!("current[{i}]");
        let (target, model) = self.find(&c.target, &format!("{what}.target"))?;
        let source = self.current_source(&what, sp, model.current_unit())?;
        let Some(neurons) = &c.neurons else {
            return self.builder.current_input(target, source);
        };
        let mut list = Vec::with_capacity(neurons.get_ref().len());
        for &n in neurons.get_ref() {
            match u32::try_from(n) {
                Ok(n) => list.push(n),
                Err(_) => {
                    return self.loader.err(
                        neurons.span(),
                        &format!("{what}.neurons"),
                        format!("lists {n}; give neuron indices >= 0 within the target"),
                    );
                }
            }
        }
        self.builder.current_input_to(target, list, source)
    }

    /// The source a `[[current]]` table describes, its amplitudes in `dim`.
    fn current_source(&self, what: &str, sp: &Spanned<FileCurrent>, dim: Dim) -> Result<CurrentSource> {
        let c = sp.get_ref();
        let q = |r: &Spanned<Raw>, f: &str, d: Dim| self.loader.quantity(r, &format!("{what}.{f}"), d, None);
        let opt = |r: &Option<Spanned<Raw>>, f: &str, d: Dim, default: f64| {
            r.as_ref().map_or(Ok(default), |r| q(r, f, d))
        };
        let noise = c.noise_mean.is_some() || c.noise_std_per_step.is_some() || c.noise_sigma.is_some();
        Ok(match (&c.dc, &c.step_times, noise, &c.sine_amplitude) {
            (Some(a), None, false, None) => CurrentSource::Dc {
                amplitude: q(a, "dc", dim)?,
            },
            (None, Some(times), false, None) => CurrentSource::Step {
                times_ms: times
                    .iter()
                    .map(|t| q(t, "step_times", Dim::Time))
                    .collect::<Result<_>>()?,
                amplitudes: c.step_amplitudes.as_ref().map_or(Ok(Vec::new()), |a| {
                    a.iter()
                        .map(|x| q(x, "step_amplitudes", dim))
                        .collect::<Result<_>>()
                })?,
            },
            (None, None, true, None) => self.noise_source(what, sp, dim)?,
            (None, None, false, Some(a)) => CurrentSource::Sine {
                amplitude: q(a, "sine_amplitude", dim)?,
                offset: opt(&c.sine_offset, "sine_offset", dim, 0.0)?,
                frequency_hz: opt(&c.sine_frequency, "sine_frequency", Dim::Rate, 0.0)?,
                phase_deg: opt(&c.sine_phase, "sine_phase", Dim::None, 0.0)?,
                start_ms: opt(&c.sine_start, "sine_start", Dim::Time, 0.0)?,
                stop_ms: opt(&c.sine_stop, "sine_stop", Dim::Time, f64::INFINITY)?,
            },
            _ => {
                return self.loader.err(
                    sp.span(),
                    what,
                    "give exactly one of dc, step_times (+ step_amplitudes), noise_mean (+ noise_std_per_step, or noise_sigma + noise_tau), sine_amplitude (+ sine_offset, sine_frequency, sine_phase, sine_start, sine_stop)",
                );
            }
        })
    }

    /// The noise source of a `[[current]]` table: per step (`noise_std_per_step`, alias
    /// `noise_std`) or Brian2's dt-independent `sigma * sqrt(tau) * xi` (`noise_sigma` with
    /// `noise_tau`); the mean defaults to 0.
    fn noise_source(&self, what: &str, sp: &Spanned<FileCurrent>, dim: Dim) -> Result<CurrentSource> {
        let c = sp.get_ref();
        let q = |r: &Spanned<Raw>, f: &str, d: Dim| self.loader.quantity(r, &format!("{what}.{f}"), d, None);
        let mean = c
            .noise_mean
            .as_ref()
            .map_or(Ok(0.0), |m| q(m, "noise_mean", dim))?;
        match (&c.noise_std_per_step, &c.noise_sigma, &c.noise_tau) {
            (std, None, None) => Ok(CurrentSource::Noise {
                mean,
                std: std.as_ref().map_or(Ok(0.0), |s| q(s, "noise_std_per_step", dim))?,
            }),
            (None, Some(sigma), Some(tau)) => Ok(CurrentSource::WhiteNoise {
                mean,
                sigma: q(sigma, "noise_sigma", dim)?,
                tau_ms: q(tau, "noise_tau", Dim::Time)?,
            }),
            (Some(std), Some(_), _) => self.loader.err(
                std.span(),
                &format!("{what}.noise_std_per_step"),
                "give either noise_std_per_step (the standard deviation of each step's draw) or noise_sigma with noise_tau (Brian2's sigma * sqrt(tau) * xi, independent of dt), not both",
            ),
            (_, Some(sigma), None) => self.loader.err(
                sigma.span(),
                &format!("{what}.noise_tau"),
                "is required with noise_sigma: the tau of Brian2's sigma * sqrt(tau) * xi (usually the membrane time constant)",
            ),
            (_, None, Some(tau)) => self.loader.err(
                tau.span(),
                &format!("{what}.noise_tau"),
                "goes with noise_sigma (Brian2's sigma * sqrt(tau) * xi); give noise_sigma too, or drop noise_tau",
            ),
        }
    }
}

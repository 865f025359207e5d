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

    /// Adds current source `i`: DC, steps or noise.
    pub(super) fn current(&mut self, i: usize, sp: &Spanned<FileCurrent>) -> Result<()> {
        let c = sp.get_ref();
        let what = format!("current[{i}]");
        let (target, model) = self.find(&c.target, &format!("{what}.target"))?;
        let dim = model.current_unit();
        let q = |r: &Spanned<Raw>, f: &str, d: Dim| self.loader.quantity(r, &format!("{what}.{f}"), d, None);
        let source = match (&c.dc, &c.step_times, &c.noise_mean) {
            (Some(a), None, None) => CurrentSource::Dc {
                amplitude: q(a, "dc", dim)?,
            },
            (None, Some(times), None) => CurrentSource::Step {
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
            (None, None, Some(m)) => CurrentSource::Noise {
                mean: q(m, "noise_mean", dim)?,
                std: c.noise_std.as_ref().map_or(Ok(0.0), |s| q(s, "noise_std", dim))?,
            },
            _ => {
                return self.loader.err(
                    sp.span(),
                    &what,
                    "give exactly one of dc, step_times (+ step_amplitudes), noise_mean (+ noise_std)",
                );
            }
        };
        self.builder.current_input(target, source)
    }
}

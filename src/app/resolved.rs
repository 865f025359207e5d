//! `spikegpu validate --print`: the network a model file resolves to, every parameter with
//! its unit (from the neuron models' tables), values equal to the model's defaults marked.

use std::fmt::Write as _;

use crate::app::modelfile::ModelFile;
use crate::model::{
    Connectivity, CurrentSource, InitialValue, Network, NeuronSelection, PerNeuron, Population, StateVar,
    WeightDist,
};
use crate::neurons::{Dim, ParamKind, StateField, Value};

/// The resolved network as text, one block per population, projection, input and record.
pub fn describe(file: &ModelFile) -> String {
    let net = &file.network;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "network '{}': dt {} ms, seeds {}, duration {}",
        file.name,
        net.dt_ms,
        seeds(net),
        file.duration_ms
            .map_or("not set (1000 ms)".into(), |d| format!("{d} ms"))
    );
    if net.conventions != crate::model::Conventions::default() {
        let _ = writeln!(s, "conventions {}", net.conventions.keyword());
    }
    for pop in &net.populations {
        population(&mut s, pop);
    }
    projections(&mut s, net);
    inputs(&mut s, net);
    records(&mut s, file);
    s
}

fn seeds(net: &Network) -> String {
    let seeds = net.seeds;
    format!(
        "connectivity {}, initial {}, inputs {}",
        seeds.connectivity, seeds.initial, seeds.inputs
    )
}

/// A quantity with its canonical unit.
fn quantity(x: f64, dim: Dim) -> String {
    match dim {
        Dim::None => format!("{x}"),
        d => format!("{x} {}", d.canonical()),
    }
}

/// One population: model, every parameter, initial values, per-neuron values, positions.
fn population(s: &mut String, pop: &Population) {
    let spec = pop.model.spec();
    let _ = writeln!(
        s,
        "population '{}': {} neurons, model {} ({})",
        pop.name, pop.size, spec.name, spec.summary
    );
    let defaults = (spec.defaults)();
    for param in spec.params.iter() {
        let value = pop.model.get(param);
        let text = match (&param.kind, value) {
            (ParamKind::Quantity { dim, .. }, Some(Value::Number(x))) => quantity(x, *dim),
            (ParamKind::Choice(words), Some(Value::Choice(i))) => words[i].to_string(),
            (_, Some(Value::Flag(b))) => b.to_string(),
            _ => "?".into(),
        };
        let mark = if value == defaults.get(param) {
            "  (default)"
        } else {
            ""
        };
        let _ = writeln!(s, "  params.{:<24} = {text}{mark}", param.name);
    }
    for (var, init) in &pop.initial {
        let field = match var {
            StateVar::V => StateField::V,
            StateVar::U => StateField::U,
            StateVar::SynExc => StateField::SynE,
            StateVar::SynInh => StateField::SynI,
        };
        let (name, dim) = spec
            .state
            .iter()
            .find(|st| st.field == field)
            .map_or((field.generic_names()[0], Dim::Voltage), |st| {
                (st.name.as_ref(), st.dim)
            });
        let _ = writeln!(s, "  init.{name:<26} = {}", initial(init, dim));
    }
    for (param, values) in &pop.per_neuron {
        let text = match values {
            PerNeuron::Values(v) => format!("{} listed values", v.len()),
            PerNeuron::Drawn(d) => initial(d, Dim::None),
        };
        let _ = writeln!(
            s,
            "  per_neuron.{:<20} = {text}",
            format!("{param:?}").to_lowercase()
        );
    }
    if let Some(p) = &pop.positions {
        let _ = writeln!(s, "  positions                        = {} points", p.len());
    }
    let rec = &pop.spike_recording;
    let record = if !pop.record_spikes {
        "not recorded (counted only)".to_string()
    } else {
        format!(
            "neurons {}, from {} ms to {}",
            match &rec.neurons {
                NeuronSelection::All => "all".to_string(),
                other => other.to_string(),
            },
            rec.start_ms,
            rec.stop_ms.map_or("the end".into(), |t| format!("{t} ms"))
        )
    };
    let _ = writeln!(s, "  spikes recorded                  = {record}");
    if let Some(bin) = pop.rate_bin_ms {
        let _ = writeln!(s, "  rate record                      = bins of {bin} ms");
    }
}

fn initial(v: &InitialValue, dim: Dim) -> String {
    match *v {
        InitialValue::Constant(x) => quantity(x, dim),
        InitialValue::Uniform { low, high } => {
            format!("uniform [{}, {})", quantity(low, dim), quantity(high, dim))
        }
        InitialValue::Normal { mean, std } => {
            format!("normal mean {} sd {}", quantity(mean, dim), quantity(std, dim))
        }
        InitialValue::Values(ref values) => per_neuron_summary(values, dim),
    }
}

/// A list of per-neuron values in brief: how many and their range.
fn per_neuron_summary(values: &[f64], dim: Dim) -> String {
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!(
        "{} values per neuron in [{}, {}]",
        values.len(),
        quantity(low, dim),
        quantity(high, dim)
    )
}

fn dist(d: &WeightDist, dim: Dim) -> String {
    match *d {
        WeightDist::Constant(x) => quantity(x, dim),
        WeightDist::Uniform { low, high } => {
            format!("uniform [{}, {})", quantity(low, dim), quantity(high, dim))
        }
        WeightDist::Normal { mean, std, low, high } => format!(
            "normal mean {} sd {}, clipped to [{low}, {high}]",
            quantity(mean, dim),
            quantity(std, dim)
        ),
        WeightDist::TruncatedNormal { mean, std, low, high } => format!(
            "normal mean {} sd {}, redrawn outside [{low}, {high}]",
            quantity(mean, dim),
            quantity(std, dim)
        ),
        WeightDist::LogNormal { mu, sigma, max, sign } => {
            format!(
                "{sign} x lognormal mu {mu} sigma {sigma}, at most {}",
                quantity(max, dim)
            )
        }
    }
}

fn connectivity(c: &Connectivity) -> String {
    match c {
        Connectivity::FixedProbability { p, autapses } => {
            format!("fixed_probability p {p}, autapses {autapses}")
        }
        Connectivity::FixedInDegree { k, autapses } => format!("fixed_indegree k {k}, autapses {autapses}"),
        Connectivity::FixedOutDegree { k, autapses } => format!("fixed_outdegree k {k}, autapses {autapses}"),
        Connectivity::FixedTotal { n, autapses } => format!("fixed_total n {n}, autapses {autapses}"),
        Connectivity::OneToOne => "one_to_one".into(),
        Connectivity::AllToAll { autapses } => format!("all_to_all, autapses {autapses}"),
        Connectivity::Explicit(list) => format!("explicit, {} connections", list.len()),
        Connectivity::DistanceGaussian { p0, sigma, autapses } => {
            format!("gaussian p0 {p0} sigma {sigma}, autapses {autapses}")
        }
    }
}

fn projections(s: &mut String, net: &Network) {
    for (k, p) in net.projections.iter().enumerate() {
        let (pre, post) = (&net.populations[p.pre.index()], &net.populations[p.post.index()]);
        let unit = post.model.weight_unit();
        let _ = writeln!(
            s,
            "projection {k}: {} -> {}, {:?}",
            pre.name, post.name, p.receptor
        );
        let multapses = if p.multapses { ", multapses" } else { "" };
        let _ = writeln!(s, "  connectivity = {}{multapses}", connectivity(&p.connectivity));
        let _ = writeln!(s, "  weight       = {}", dist(&p.weight, unit));
        let _ = writeln!(s, "  delay        = {}", dist(&p.delay_ms, Dim::Time));
        if p.procedural {
            let _ = writeln!(s, "  procedural   = true");
        }
        if let Some(r) = &p.plasticity {
            let _ = writeln!(
                s,
                "  plasticity   = {:?}, {:?}, tau+ {} ms, tau- {} ms, a2+ {}, a2- {}, a3+ {}, a3- {}, w in [{}, {}], dendritic fraction {}{}",
                r.pairing,
                r.dependence,
                r.tau_plus_ms,
                r.tau_minus_ms,
                r.a2_plus,
                r.a2_minus,
                r.a3_plus,
                r.a3_minus,
                quantity(r.w_min, unit),
                quantity(r.w_max, unit),
                r.dendritic_fraction,
                r.modulation.as_ref().map_or(String::new(), |m| format!(
                    ", modulated (eligibility {} ms, every {} ms, channel {:?})",
                    m.tau_eligibility_ms, m.update_interval_ms, m.channel
                ))
            );
        }
    }
}

fn inputs(s: &mut String, net: &Network) {
    for (k, p) in net.poisson_inputs.iter().enumerate() {
        let target = &net.populations[p.target.index()];
        let unit = target.model.weight_unit();
        let schedule: Vec<String> = p
            .schedule
            .iter()
            .map(|(t, r)| format!("{r} Hz from {t} ms"))
            .collect();
        let _ = writeln!(
            s,
            "poisson {k}: target {}, {}, weight {}, {:?}",
            target.name,
            schedule.join(", "),
            quantity(p.weight, unit),
            p.receptor
        );
    }
    for (k, c) in net.current_inputs.iter().enumerate() {
        let target = &net.populations[c.target.index()];
        let unit = target.model.current_unit();
        let what = match &c.source {
            CurrentSource::Dc { amplitude } => format!("dc {}", quantity(*amplitude, unit)),
            CurrentSource::Step { times_ms, amplitudes } => {
                format!("steps at {times_ms:?} ms of {amplitudes:?}")
            }
            CurrentSource::Noise { mean, std } => {
                format!(
                    "noise mean {} sd per step {}",
                    quantity(*mean, unit),
                    quantity(*std, unit)
                )
            }
            CurrentSource::WhiteNoise { mean, sigma, tau_ms } => format!(
                "white noise mean {} + {} * sqrt({}) * xi",
                quantity(*mean, unit),
                quantity(*sigma, unit),
                quantity(*tau_ms, Dim::Time)
            ),
            CurrentSource::Sine {
                amplitude,
                offset,
                frequency_hz,
                phase_deg,
                start_ms,
                stop_ms,
            } => format!(
                "sine {} + {} sin({frequency_hz} Hz, {phase_deg} deg) from {start_ms} ms to {stop_ms} ms",
                quantity(*offset, unit),
                quantity(*amplitude, unit)
            ),
        };
        let only = c
            .neurons
            .as_ref()
            .map_or(String::new(), |n| format!(" neurons {n:?}"));
        let _ = writeln!(s, "current {k}: target {}{only}, {what}", target.name);
    }
    for (channel, m) in &net.neuromodulators {
        let _ = writeln!(
            s,
            "neuromodulator {channel:?}: baseline {}, tau {} ms",
            m.baseline, m.tau_ms
        );
    }
}

fn records(s: &mut String, file: &ModelFile) {
    for p in &file.probes {
        let _ = writeln!(
            s,
            "probe: {}.{} of {} neurons every {} ms",
            p.population_name,
            p.variable,
            p.neurons.len(),
            p.interval_ms
        );
    }
    if let Some(w) = file.weight_interval_ms {
        let _ = writeln!(s, "weight snapshots every {w} ms");
    }
    for p in &file.export_connections {
        let _ = writeln!(s, "connections of projection {} written out", p.index());
    }
    if file.export_positions {
        let _ = writeln!(s, "positions written out");
    }
}

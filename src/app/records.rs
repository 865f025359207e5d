//! The records of a run beyond spikes: population rate records, exported connectivity and
//! positions, the values a probe reads, and the populations' entries in `summary.json`.

use crate::app::modelfile::{ModelFile, Probe, ProbeField};
use crate::app::outdir::OutputDir;
use crate::app::output::write_npy;
use crate::app::{plots, stats};
use crate::error::{Result, invalid};
use crate::model::{Network, Population, ProjectionId, WeightDist};
use crate::neurons::StateField;
use crate::plan::layout::NeuronState;
use crate::sim::Simulator;

/// The value of `field` in a neuron's state.
pub fn state_value(s: &NeuronState, field: StateField) -> f32 {
    match field {
        StateField::V => s.v,
        StateField::U => s.u,
        StateField::W1 => s.w1,
        StateField::W2 => s.w2,
        StateField::SynE => s.syn_e,
        StateField::SynI => s.syn_i,
        StateField::Aux => s.aux as f32,
    }
}

/// The unit of a probe's variable, from its model's table (for plot axes).
pub fn state_unit(net: &Network, probe: &Probe) -> String {
    let model = &net.populations[probe.population.index()].model;
    if let crate::neurons::NeuronModel::Equation(eq) = model {
        return match eq.variable_unit(&probe.variable) {
            crate::neurons::Dim::None => probe.variable.clone(),
            dim => format!("{} ({})", probe.variable, dim.canonical()),
        };
    }
    let spec = model.spec();
    spec.state
        .iter()
        .find(|s| ProbeField::State(s.field) == probe.field)
        .map_or_else(
            || probe.variable.clone(),
            |s| format!("{} ({})", probe.variable, s.dim.canonical()),
        )
}

/// A recorded population's entry in `summary.json`: its spikes, rate and CV of ISI over its
/// recorded neurons and window, and every spike of the population counted.
pub fn recorded_summary(
    pop: &Population,
    population_spikes: u64,
    recorded_spikes: u64,
    cv_isi: Option<f64>,
    duration_ms: f64,
) -> serde_json::Value {
    let rec = &pop.spike_recording;
    let start = rec.start_ms.min(duration_ms);
    let stop = rec.stop_ms.unwrap_or(duration_ms).min(duration_ms);
    let recorded = rec.neurons.count(pop.size);
    serde_json::json!({
        "name": pop.name,
        "neurons": pop.size,
        "recorded_neurons": recorded,
        "start_ms": start,
        "stop_ms": stop,
        "spikes": recorded_spikes,
        "rate_hz": stats::mean_rate_hz(recorded_spikes as usize, u64::from(recorded), stop - start),
        "cv_isi": cv_isi,
        "population_spikes": population_spikes,
        "population_rate_hz": stats::mean_rate_hz(population_spikes as usize, u64::from(pop.size), duration_ms),
    })
}

/// The populations whose spikes were not kept, with their counted spikes and rate.
pub fn unrecorded_summary(sim: &Simulator, duration_ms: f64) -> serde_json::Value {
    let counts = sim.population_spike_counts();
    sim.plan()
        .populations
        .iter()
        .zip(counts)
        .filter(|(p, _)| !p.record)
        .map(|(p, &count)| {
            serde_json::json!({
                "name": p.name,
                "neurons": p.gpu.size,
                "population_spikes": count,
                "population_rate_hz": stats::mean_rate_hz(count as usize, u64::from(p.gpu.size), duration_ms),
            })
        })
        .collect()
}

/// Writes each population rate record (`rate_<pop>.npy`: Hz per bin, `_times_ms.npy`: bin
/// starts, `_counts.npy`) and draws them together (`rates.png`).
pub fn write_rates(net: &Network, sim: &Simulator, out: &mut OutputDir) -> Result<()> {
    let mut series = Vec::new();
    for (id, pop) in net.population_ids().into_iter().zip(&net.populations) {
        let Some(record) = sim.rate_record(id)? else {
            continue;
        };
        let rates = record.rates_hz();
        let stem = format!("rate_{}", pop.name);
        let path = out.file(&format!("{stem}.npy"))?;
        write_npy(&path, &[rates.len()], &rates)?;
        let times = out.file(&format!("{stem}_times_ms.npy"))?;
        write_npy(&times, &[rates.len()], &record.bin_starts_ms())?;
        let counts = out.file(&format!("{stem}_counts.npy"))?;
        write_npy(&counts, &[rates.len()], &record.counts)?;
        series.push((pop.name.as_str(), record.bin_ms, rates));
    }
    if !series.is_empty() {
        let png = out.file("rates.png")?;
        let duration_ms = sim.ticks() as f64 * sim.dt_ms();
        plots::rates_png(&png, "population rates", &series, duration_ms)?;
    }
    Ok(())
}

/// Writes the exports `record.connections` and `record.positions` ask for.
pub fn write_exports(model: &ModelFile, sim: &Simulator, out: &mut OutputDir) -> Result<()> {
    for &p in &model.export_connections {
        write_connections(&model.network, sim, p, out)?;
    }
    if model.export_positions {
        for pop in &model.network.populations {
            let Some(positions) = &pop.positions else {
                continue;
            };
            let xyz: Vec<f32> = positions.iter().flat_map(|p| p.to_array()).collect();
            let path = out.file(&format!("positions_{}.npy", pop.name))?;
            write_npy(&path, &[positions.len(), 3], &xyz)?;
        }
    }
    Ok(())
}

/// Writes one projection's synapses as `connections_<pre>_<post>[_k]_{pre,post,weight,
/// delay_ms}.npy` (local indices; weights at the end of the run).
fn write_connections(net: &Network, sim: &Simulator, id: ProjectionId, out: &mut OutputDir) -> Result<()> {
    let k = id.index();
    let proj = &net.projections[k];
    let (pre_name, post_name) = (
        &net.populations[proj.pre.index()].name,
        &net.populations[proj.post.index()].name,
    );
    let twins = net
        .projections
        .iter()
        .filter(|p| p.pre == proj.pre && p.post == proj.post)
        .count();
    let stem = if twins > 1 {
        format!("connections_{pre_name}_{post_name}_{k}")
    } else {
        format!("connections_{pre_name}_{post_name}")
    };
    let plan = sim.plan();
    let (pre, post, weight, delay_ms) = if plan.projections[k].procedural {
        procedural_synapses(net, sim, k)
    } else if plan.projections[k].device {
        return Err(invalid(
            format!("record.connections (projection {k}, {pre_name}->{post_name})"),
            "generated on the GPU",
            "its synapses exist only on the device: run without --generate-on-device to export them",
        ));
    } else {
        let w = sim.weights(id)?;
        let delays = plan
            .projection_synapses(k)
            .iter()
            .map(|&s| f64::from(plan.synapses[s as usize].delay()) * plan.dt_ms)
            .collect();
        (w.pre, w.post, w.weights, delays)
    };
    let n = pre.len();
    for (suffix, path) in [("pre", &pre), ("post", &post)] {
        let file = out.file(&format!("{stem}_{suffix}.npy"))?;
        write_npy(&file, &[n], path)?;
    }
    let file = out.file(&format!("{stem}_weight.npy"))?;
    write_npy(&file, &[n], &weight)?;
    let file = out.file(&format!("{stem}_delay_ms.npy"))?;
    write_npy(&file, &[n], &delay_ms)?;
    Ok(())
}

/// The synapses of procedural projection `k`, regenerated row by row from the seed.
fn procedural_synapses(net: &Network, sim: &Simulator, k: usize) -> (Vec<u32>, Vec<u32>, Vec<f32>, Vec<f64>) {
    let plan = sim.plan();
    let nth = plan.projections[..k].iter().filter(|p| p.procedural).count();
    let spec = &plan.procedural[nth];
    let proj = &net.projections[k];
    let WeightDist::Constant(w) = proj.weight else {
        unreachable!("procedural projections have a constant weight")
    };
    let (mut pre, mut post) = (Vec::new(), Vec::new());
    for row in 0..spec.pre_size {
        crate::plan::procedural_row(plan.key, spec, row, |j| {
            pre.push(row);
            post.push(j);
        });
    }
    let n = pre.len();
    let delay = f64::from(spec.delay) * plan.dt_ms;
    (pre, post, vec![w as f32; n], vec![delay; n])
}

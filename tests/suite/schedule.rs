//! The tick schedule is written once: both backends run exactly its stages, in its order.

use crate::common;

use spikegpu::cpu::CpuBackend;
use spikegpu::plan::Plan;
use spikegpu::sim::schedule::{TickStage, tick_schedule};
use spikegpu::{Backend, Network, NetworkBuilder, Simulator, networks};

/// Every standard bench model at a small scale, plus a reward-modulated and a procedural
/// network, so that every stage of [`TickStage::ALL`] is scheduled by at least one.
fn networks_under_test() -> Vec<(String, Network)> {
    let mut nets: Vec<(String, Network)> = networks::default_bench_models()
        .map(|name| {
            // The Song, Miller & Abbott model exists at scale 1 only (one neuron, 1,000 inputs).
            let scale = if name == "stdp" { 1.0 } else { 0.05 };
            (name.to_string(), networks::by_name(name, 7, scale).unwrap())
        })
        .collect();
    nets.push(("reward".into(), networks::reward::network(7).unwrap().net));
    let cuba = networks::cuba(7, 0.05).unwrap();
    let ids = cuba.projection_ids();
    let mut b = NetworkBuilder::from_network(cuba);
    for id in ids {
        b.procedural(id).unwrap();
    }
    nets.push(("procedural cuba".into(), b.build().unwrap()));
    nets
}

#[test]
fn the_cpu_backend_runs_exactly_the_scheduled_stages() {
    let mut scheduled_somewhere = Vec::new();
    for (name, net) in networks_under_test() {
        let plan = Plan::new(&net).unwrap();
        let schedule = tick_schedule(&plan);
        let mut cpu = CpuBackend::new(&plan);
        cpu.log_stages(true);
        let mut spikes = Vec::new();
        cpu.run_ticks(3, &mut spikes);
        let expected: Vec<TickStage> = schedule
            .iter()
            .copied()
            .cycle()
            .take(3 * schedule.len())
            .collect();
        assert_eq!(cpu.stages_run(), expected, "{name}");
        scheduled_somewhere.extend(schedule);
    }
    for stage in TickStage::ALL {
        assert!(
            scheduled_somewhere.contains(&stage),
            "no network under test schedules {}",
            stage.name()
        );
    }
}

/// Each stage's CPU twin is a method bearing the stage's name.
#[test]
fn every_stage_has_a_cpu_method_of_its_name() {
    let sources = [
        include_str!("../../src/cpu/mod.rs"),
        include_str!("../../src/cpu/inputs.rs"),
        include_str!("../../src/cpu/neuron_update.rs"),
        include_str!("../../src/cpu/propagate.rs"),
        include_str!("../../src/cpu/stdp.rs"),
        include_str!("../../src/cpu/modulated_update.rs"),
    ]
    .concat();
    let body = &sources[sources.find("fn run_stage(").expect("CpuBackend::run_stage")..];
    let run_stage = &body[..body.find("\n    }\n").unwrap()];
    for stage in TickStage::ALL {
        let name = stage.name();
        assert!(
            sources.contains(&format!("fn {name}(&mut self)")),
            "no CPU method `{name}`"
        );
        assert!(
            run_stage.contains(&format!("self.{name}()")),
            "`{name}` is not called from the CPU's `run_stage`"
        );
    }
}

#[test]
fn the_gpu_dispatches_as_many_stages_per_tick_as_the_schedule_has() {
    let Some(_ctx) = common::gpu() else { return };
    for (name, net) in networks_under_test() {
        let sim = Simulator::new(&net, Backend::Gpu).unwrap();
        let (counters, _) = sim.gpu_details().unwrap();
        assert_eq!(
            counters.dispatches_per_tick as usize,
            tick_schedule(sim.plan()).len(),
            "{name}"
        );
    }
}

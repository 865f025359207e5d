//! Current sources: the sine source against its formula, sources into some neurons of a
//! population only, sources changed between runs (`Simulator::set_current`), both backends
//! giving the same spikes and states, and bad input refused with the field named.

use spikegpu::app::modelfile;
use spikegpu::cpu::current_amplitude;
use spikegpu::plan::Plan;
use spikegpu::sim::{Backend, Simulator};
use spikegpu::{CurrentSource, InitialValue, LifParams, Network, NetworkBuilder, NeuronModel, PopulationId};

use crate::common;

const DT: f64 = 0.1;

fn sine(
    amplitude: f64,
    offset: f64,
    frequency_hz: f64,
    phase_deg: f64,
    start_ms: f64,
    stop_ms: f64,
) -> CurrentSource {
    CurrentSource::Sine {
        amplitude,
        offset,
        frequency_hz,
        phase_deg,
        start_ms,
        stop_ms,
    }
}

fn lif_population(b: &mut NetworkBuilder, size: u32) -> PopulationId {
    let lif = LifParams {
        v_rest_mv: -60.0,
        ..LifParams::default()
    };
    let pop = b
        .population("a", size, NeuronModel::Lif(lif), InitialValue::Constant(-60.0))
        .unwrap();
    b.record_spikes(pop, true).unwrap();
    pop
}

/// Twelve LIF neurons: a sine into all of them, a DC into neurons 1-3, 7 and 10 (three runs
/// of consecutive targets), noise into neurons 3, 4 and 9.
fn mixed_network() -> Network {
    let mut b = NetworkBuilder::new(DT, 7);
    let pop = lif_population(&mut b, 12);
    b.current_input(pop, sine(8.0, 12.0, 40.0, 90.0, 5.0, 80.0))
        .unwrap();
    b.current_input_to(pop, vec![10, 1, 2, 3, 7], CurrentSource::Dc { amplitude: 4.0 })
        .unwrap();
    b.current_input_to(pop, vec![9, 3, 4], CurrentSource::Noise { mean: 0.0, std: 3.0 })
        .unwrap();
    b.build().unwrap()
}

/// The sine's value at `tick` from the f64 formula (PyNN's `ACSource`: phase relative to
/// the start).
fn sine_formula(
    tick: u64,
    amplitude: f64,
    offset: f64,
    f_hz: f64,
    phase_deg: f64,
    start: u64,
    stop: u64,
) -> f64 {
    if tick < start || tick >= stop {
        return 0.0;
    }
    let t_ms = (tick - start) as f64 * DT;
    offset + amplitude * (std::f64::consts::TAU * f_hz * t_ms * 1e-3 + phase_deg.to_radians()).sin()
}

#[test]
fn sine_current_follows_its_formula_at_every_tick() {
    let mut b = NetworkBuilder::new(DT, 1);
    let pop = lif_population(&mut b, 1);
    b.current_input(pop, sine(2.5, 0.5, 130.0, 30.0, 2.0, 20.0))
        .unwrap();
    b.current_input(pop, sine(1.0, 0.0, 7.0, -45.0, 0.0, f64::INFINITY))
        .unwrap();
    let plan = Plan::new(&b.build().unwrap()).unwrap();
    let (bounded, endless) = (&plan.currents[0], &plan.currents[1]);
    let mut worst = 0.0f64;
    for tick in 0..260u64 {
        let got = f64::from(current_amplitude(bounded, &plan, tick, 0));
        let want = sine_formula(tick, 2.5, 0.5, 130.0, 30.0, 20, 200);
        worst = worst.max((got - want).abs());
        if !(20..200).contains(&tick) {
            assert_eq!(got, 0.0, "tick {tick}: no current outside [start, stop)");
        }
    }
    assert!(worst < 3.0 * 2e-7 * 3.0, "largest error {worst}");
    // The phase is an integer fraction of a cycle: far into a run it still follows the
    // formula (the frequency is rounded to 2^-32 cycles per tick: < 2e-4 cycles in 10^6 ticks).
    for tick in [1_000_000u64, (3u64 << 32) + 17] {
        let got = f64::from(current_amplitude(endless, &plan, tick, 0));
        let cycles = ((tick as f64) * 7.0 * DT * 1e-3 - 45.0 / 360.0).rem_euclid(1.0);
        let want = (std::f64::consts::TAU * cycles).sin();
        let drift = 4.0e-4 * (tick as f64 / 1e6);
        assert!(
            (got - want).abs() < 1e-3f64.max(drift),
            "tick {tick}: {got} vs {want}"
        );
    }
}

#[test]
fn sources_go_only_into_the_listed_neurons() {
    let net = mixed_network();
    let plan = Plan::new(&net).unwrap();
    assert_eq!(
        plan.currents.len(),
        1 + 3 + 2,
        "the DC has three runs, the noise two"
    );
    // Total injected current per neuron at one tick inside the sine's window.
    let mut injected = [0.0f32; 12];
    for c in &plan.currents {
        for k in 0..c.target_count {
            injected[(c.target_start + k) as usize] += current_amplitude(c, &plan, 100, k);
        }
    }
    let sine_only = injected[0];
    for i in [0, 5, 6, 8, 11] {
        assert_eq!(injected[i], sine_only, "neuron {i} gets the sine alone");
    }
    for i in [1, 2, 7, 10] {
        assert_eq!(
            injected[i],
            sine_only + 4.0,
            "neuron {i} gets the sine and the DC"
        );
    }
    let noisy = [injected[3] - 4.0, injected[4], injected[9]];
    assert!(
        noisy.iter().all(|&x| x != sine_only) && noisy[0] != noisy[1] && noisy[1] != noisy[2],
        "neurons 3, 4 and 9 draw their own noise: {noisy:?}"
    );
    // The engine agrees: neurons fed alike stay alike, on the CPU and on the GPU.
    let mut cpu = Simulator::new(&net, Backend::Cpu).unwrap();
    cpu.run_ticks(1000).unwrap();
    let v = cpu.membrane_potentials(net.population_ids()[0]).unwrap();
    assert!(
        cpu.spike_records().len() > 20,
        "the sine drives spikes ({})",
        cpu.spike_records().len()
    );
    assert!([5, 6, 8, 11].iter().all(|&i| v[i] == v[0]) && [2, 7, 10].iter().all(|&i| v[i] == v[1]));
    assert!(v[1] != v[0] && v[3] != v[4] && v[4] != v[9]);
    if let Some(_ctx) = common::gpu() {
        let mut gpu = Simulator::new(&net, Backend::Gpu).unwrap();
        gpu.run_ticks(1000).unwrap();
        assert_eq!(
            gpu.spike_records(),
            cpu.spike_records(),
            "same spikes on both backends"
        );
        // The sine is the same f32 polynomial on both: the states agree exactly where the
        // driver does not fuse multiply-adds (lavapipe does not), as for the neuron update.
        assert_eq!(gpu.pull_state().unwrap(), cpu.pull_state().unwrap());
    }
}

/// One LIF population of four neurons driven by a DC of 2 into neurons 0 and 2.
fn drive(source: CurrentSource) -> Network {
    let mut b = NetworkBuilder::new(DT, 3);
    let pop = lif_population(&mut b, 4);
    b.current_input_to(pop, vec![0, 2], source).unwrap();
    b.current_input(pop, CurrentSource::Dc { amplitude: 1.0 })
        .unwrap();
    b.build().unwrap()
}

#[test]
fn set_current_changes_the_drive_from_the_next_tick() {
    // Changed after 300 ticks to steps (absolute times) then to a sine; the reference network
    // has the same drive described from the start.
    let steps = CurrentSource::Step {
        times_ms: vec![0.0, 45.0],
        amplitudes: vec![30.0, 3.0],
    };
    let wave = sine(12.0, 14.0, 60.0, 0.0, 60.0, f64::INFINITY);
    let reference = |backend| {
        let mut b = NetworkBuilder::new(DT, 3);
        let pop = lif_population(&mut b, 4);
        let first = CurrentSource::Step {
            times_ms: vec![0.0, 30.0, 45.0],
            amplitudes: vec![2.0, 30.0, 3.0],
        };
        b.current_input_to(pop, vec![0, 2], first).unwrap();
        b.current_input(pop, CurrentSource::Dc { amplitude: 1.0 })
            .unwrap();
        let mut sim = Simulator::new(&b.build().unwrap(), backend).unwrap();
        sim.run_ticks(600).unwrap();
        sim
    };
    let mut backends = vec![Backend::Cpu];
    if common::gpu().is_some() {
        backends.push(Backend::Gpu);
    }
    for backend in backends {
        let net = drive(CurrentSource::Dc { amplitude: 2.0 });
        let sim_pop = net.population_ids()[0];
        let mut sim = Simulator::new(&net, backend).unwrap();
        sim.run_ticks(300).unwrap();
        sim.set_current(0, steps.clone()).unwrap();
        sim.run_ticks(300).unwrap();
        let want = reference(backend);
        assert!(
            want.spike_records().len() >= 2,
            "{backend:?}: the steps drive spikes"
        );
        assert_eq!(sim.spike_records(), want.spike_records(), "{backend:?}");
        assert_eq!(
            sim.pull_state().unwrap(),
            want.pull_state().unwrap(),
            "{backend:?}"
        );
        // Then a sine starting now (60 ms): it drives the listed neurons alike.
        sim.set_current(0, wave.clone()).unwrap();
        let before = sim.spike_records().len();
        sim.run_ticks(400).unwrap();
        let v = sim.membrane_potentials(sim_pop).unwrap();
        assert!(
            sim.spike_records().len() > before,
            "{backend:?}: the sine drives spikes"
        );
        assert!(v[0] == v[2] && v[1] == v[3] && v[0] != v[1], "{backend:?}: {v:?}");
    }
}

#[test]
fn bad_current_inputs_are_refused_with_the_field_named() {
    let mut b = NetworkBuilder::new(DT, 1);
    let pop = lif_population(&mut b, 5);
    let dc = CurrentSource::Dc { amplitude: 1.0 };
    let err = |r: spikegpu::Result<()>| r.expect_err("must be refused").to_string();
    let e = err(b.current_input_to(pop, vec![1, 5], dc.clone()));
    assert!(
        e.contains("neurons[1]") && e.contains("below the population size 5"),
        "{e}"
    );
    let e = err(b.current_input_to(pop, vec![3, 1, 3], dc.clone()));
    assert!(e.contains("neurons") && e.contains("twice"), "{e}");
    let e = err(b.current_input_to(pop, vec![], dc.clone()));
    assert!(e.contains("at least one neuron"), "{e}");
    let e = err(b.current_input(pop, sine(1.0, 0.0, 10.0, 0.0, 50.0, 50.0)));
    assert!(
        e.contains("stop_ms") && e.contains("greater than start_ms"),
        "{e}"
    );
    let e = err(b.current_input(pop, sine(1.0, 0.0, -1.0, 0.0, 0.0, 9.0)));
    assert!(e.contains("frequency_hz") && e.contains(">= 0"), "{e}");
    let e = err(b.current_input(pop, sine(f64::NAN, 0.0, 1.0, 0.0, 0.0, 9.0)));
    assert!(e.contains("amplitude"), "{e}");

    let mut sim = Simulator::new(&drive(dc.clone()), Backend::Cpu).unwrap();
    let e = err(sim.set_current(2, dc.clone()));
    assert!(e.contains("current input") && e.contains("has 2"), "{e}");
    let e = err(sim.set_current(0, CurrentSource::Dc { amplitude: 1e30 }));
    assert!(e.contains("fixed-point"), "{e}");
    let many = CurrentSource::Step {
        times_ms: (0..40).map(f64::from).collect(),
        amplitudes: vec![1.0; 40],
    };
    let e = err(sim.set_current(0, many));
    assert!(e.contains("steps may total at most"), "{e}");
    let e = err(sim.set_current(1, sine(1.0, 0.0, 5.0, 0.0, 3.0, 1.0)));
    assert!(e.contains("stop_ms"), "{e}");
    // A refused change leaves the input as it was.
    sim.run_ticks(10).unwrap();
    let mut fresh = Simulator::new(&drive(dc), Backend::Cpu).unwrap();
    fresh.run_ticks(10).unwrap();
    assert_eq!(sim.pull_state().unwrap(), fresh.pull_state().unwrap());
}

#[test]
fn model_files_describe_sine_sources_and_neuron_lists() {
    let head = "dt = \"0.1 ms\"\n[[population]]\nname = \"a\"\nsize = 5\nmodel = \"lif\"\n";
    let text = format!(
        "{head}[[current]]\ntarget = \"a\"\nneurons = [4, 0]\nsine_amplitude = \"2 mV\"\nsine_offset = 1\n\
         sine_frequency = \"25 Hz\"\nsine_phase = 90\nsine_start = \"1 ms\"\nsine_stop = \"0.5 s\"\n"
    );
    let file = modelfile::parse(&text, "m.toml", None).unwrap();
    let input = &file.network.current_inputs[0];
    assert_eq!(input.neurons, Some(vec![0, 4]));
    assert_eq!(input.source, sine(2.0, 1.0, 25.0, 90.0, 1.0, 500.0));
    let endless = format!("{head}[[current]]\ntarget = \"a\"\nsine_amplitude = 1\n");
    let file = modelfile::parse(&endless, "m.toml", None).unwrap();
    assert_eq!(
        file.network.current_inputs[0].source,
        sine(1.0, 0.0, 0.0, 0.0, 0.0, f64::INFINITY)
    );
    for (bad, needle) in [
        ("neurons = [-1]\ndc = 1\n", "current[0].neurons"),
        ("neurons = [5]\ndc = 1\n", "below the population size 5"),
        ("dc = 1\nsine_amplitude = 1\n", "give exactly one of"),
    ] {
        let e = modelfile::parse(
            &format!("{head}[[current]]\ntarget = \"a\"\n{bad}"),
            "m.toml",
            None,
        )
        .expect_err(bad)
        .to_string();
        assert!(e.contains(needle), "{bad}: {e}");
    }
}

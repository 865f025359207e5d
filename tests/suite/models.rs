//! Neuron models against closed forms and their papers' published behaviour (CPU reference;
//! the GPU is compared with it in `gpu_models.rs`).

use spikegpu::{
    AdExPattern, Backend, Connectivity, CurrentSource, CurrentSynapse, InitialValue, IzhikevichType,
    LifCondParams, LifParams, NetworkBuilder, NeuronModel, Receptor, Simulator, StateVar, WeightDist,
};

/// Spike times (ms) of one neuron of `model` under a step current, over `duration_ms`.
fn step_response(model: NeuronModel, v0: f64, steps: &[(f64, f64)], dt: f64, duration_ms: f64) -> Vec<f64> {
    let mut b = NetworkBuilder::new(dt, 1);
    let p = b.population("n", 1, model, InitialValue::Constant(v0)).unwrap();
    let (times_ms, amplitudes) = steps.iter().cloned().unzip();
    b.current_input(p, CurrentSource::Step { times_ms, amplitudes })
        .unwrap();
    let mut sim = Simulator::new(&b.build().unwrap(), Backend::Cpu).unwrap();
    sim.run_ms(duration_ms).unwrap();
    sim.spikes(p).unwrap().times_ms
}

fn isis(t: &[f64]) -> Vec<f64> {
    t.windows(2).map(|w| w[1] - w[0]).collect()
}

/// LIF f-I curve (Dayan & Abbott 2001, eq. 5.11): with a constant input R*I (mV), rate
/// 1 / (t_ref + tau_m ln((R I + E_L - V_reset) / (R I + E_L - V_th))) above rheobase, 0 below.
#[test]
fn lif_f_i_curve_matches_the_closed_form() {
    let lif = LifParams {
        v_rest_mv: -70.0,
        v_reset_mv: -70.0,
        v_thresh_mv: -50.0,
        refractory_ms: 2.0,
        ..LifParams::default()
    };
    let dt = 0.01;
    for ri in [15.0, 21.0, 25.0, 40.0, 80.0] {
        let t = step_response(NeuronModel::Lif(lif.clone()), -70.0, &[(0.0, ri)], dt, 500.0);
        let v_inf = lif.v_rest_mv + ri;
        if v_inf <= lif.v_thresh_mv {
            assert!(
                t.is_empty(),
                "below rheobase (R I = {ri} mV) there must be no spike"
            );
            continue;
        }
        let period =
            lif.refractory_ms + lif.tau_m_ms * ((v_inf - lif.v_reset_mv) / (v_inf - lif.v_thresh_mv)).ln();
        for isi in isis(&t) {
            // The crossing is registered in the tick during which it happens, so the discrete
            // ISI lies in (period - dt, period]; 1.5 dt allows for f32 rounding of v when the
            // crossing falls on a tick boundary.
            assert!(
                (isi - period).abs() <= 1.5 * dt,
                "R I = {ri}: ISI {isi} ms, closed form {period} ms"
            );
        }
        assert!(t.len() >= 2, "R I = {ri}: {} spikes", t.len());
    }
}

/// Conductance LIF with a constant excitatory conductance G relaxes to
/// (g_L E_L + G E_e) / (g_L + G) (a decay time constant of 1e9 ms keeps G constant).
#[test]
fn conductance_lif_settles_at_the_conductance_weighted_reversal() {
    let p = LifCondParams {
        tau_syn_exc_ms: 1e9,
        ..LifCondParams::default()
    };
    let g = 2.0; // nS, small enough to stay below threshold
    let mut b = NetworkBuilder::new(0.1, 1);
    let pop = b
        .population(
            "n",
            1,
            NeuronModel::LifCond(p.clone()),
            InitialValue::Constant(-60.0),
        )
        .unwrap();
    b.initial_value(pop, StateVar::SynExc, InitialValue::Constant(g))
        .unwrap();
    let mut sim = Simulator::new(&b.build().unwrap(), Backend::Cpu).unwrap();
    sim.run_ms(400.0).unwrap();
    let v = f64::from(sim.membrane_potentials(pop).unwrap()[0]);
    let expected = (p.g_leak_ns * p.e_leak_mv + g * p.e_exc_mv) / (p.g_leak_ns + g);
    assert!((v - expected).abs() < 1e-3, "v = {v}, expected {expected}");
    assert!(sim.spikes(pop).unwrap().times_ms.is_empty());
}

/// Izhikevich 2003, Fig. 2: regular spiking adapts, intrinsically bursting fires an initial
/// burst then tonic spikes, chattering fires repeated bursts, fast spiking fires at high rate
/// with little adaptation; step current I = 10 from 100 ms.
#[test]
fn izhikevich_named_sets_show_the_published_firing_patterns() {
    let run = |ty: IzhikevichType| {
        step_response(
            NeuronModel::Izhikevich(ty.params()),
            -65.0,
            &[(100.0, 10.0)],
            0.1,
            1100.0,
        )
    };

    let rs = isis(&run(IzhikevichType::RegularSpiking));
    let rs_last = *rs.last().unwrap();
    assert!(
        rs[0] < 0.5 * rs_last,
        "RS adapts: first ISI {} vs steady {rs_last}",
        rs[0]
    );
    assert!(1000.0 / rs_last < 30.0, "RS fires at a low steady rate");

    let ib = isis(&run(IzhikevichType::IntrinsicallyBursting));
    assert!(
        ib[0] < 5.0 && ib[1] < 5.0,
        "IB starts with a burst: {:?}",
        &ib[..3]
    );
    assert!(
        ib[2..].iter().all(|&x| x > 20.0),
        "IB then fires tonically: {:?}",
        &ib[2..]
    );

    let ch = isis(&run(IzhikevichType::Chattering));
    let gaps = ch.iter().filter(|&&x| x > 30.0).count();
    let short = ch.iter().filter(|&&x| x < 10.0).count();
    assert!(
        gaps >= 10 && short >= 3 * gaps,
        "CH fires repeated bursts: {gaps} gaps, {short} short ISIs"
    );

    let fs = isis(&run(IzhikevichType::FastSpiking));
    let tail = &fs[fs.len() - 50..];
    let fs_steady = tail.iter().sum::<f64>() / tail.len() as f64;
    assert!(1000.0 / fs_steady > 100.0, "FS fires above 100 Hz");
    assert!(
        fs[0] > 0.5 * fs_steady,
        "FS hardly adapts: first ISI {} vs steady {fs_steady}",
        fs[0]
    );
    // Periodic up to the 0.1 ms tick resolution.
    assert!(
        tail.iter().all(|&x| (x - fs_steady).abs() < 0.05 * fs_steady),
        "FS is periodic: {tail:?}"
    );
}

/// Izhikevich 2003, Fig. 2: low-threshold spiking and thalamo-cortical neurons (b = 0.25)
/// fire a rebound after release from hyperpolarisation; RS, IB, CH and FS (b = 0.2) do not.
#[test]
fn izhikevich_low_threshold_and_thalamocortical_sets_rebound_after_hyperpolarisation() {
    for ty in IzhikevichType::ALL {
        if ty == IzhikevichType::Resonator {
            continue;
        }
        let t = step_response(
            NeuronModel::Izhikevich(ty.params()),
            -65.0,
            &[(100.0, -15.0), (300.0, 0.0)],
            0.1,
            600.0,
        );
        let during = t.iter().filter(|&&x| (100.0..300.0).contains(&x)).count();
        let rebound = t.iter().filter(|&&x| (300.0..350.0).contains(&x)).count();
        assert_eq!(during, 0, "{}: no spike while hyperpolarised", ty.short_name());
        let expects_rebound = matches!(
            ty,
            IzhikevichType::LowThresholdSpiking | IzhikevichType::ThalamoCortical
        );
        assert_eq!(
            rebound > 0,
            expects_rebound,
            "{}: rebound spikes {rebound}",
            ty.short_name()
        );
    }
}

/// Naud, Marcille, Clopath & Gerstner 2008, Table 1 / Fig. 4: tonic, adapting, initial burst
/// and regular bursting regimes of the AdEx model under the paper's step currents.
#[test]
fn adex_parameter_sets_of_naud_2008_give_their_regimes() {
    let run = |pattern: AdExPattern| {
        let (p, current) = pattern.params();
        let v0 = p.e_leak_mv;
        isis(&step_response(
            NeuronModel::AdEx(p),
            v0,
            &[(100.0, current)],
            0.1,
            1100.0,
        ))
    };
    let tonic = run(AdExPattern::Tonic);
    assert!(tonic.len() > 50);
    assert!(
        tonic.last().unwrap() / tonic[0] < 1.1,
        "tonic: no adaptation {:?}",
        &tonic[..3]
    );

    let adapting = run(AdExPattern::Adapting);
    assert!(
        adapting.last().unwrap() / adapting[0] > 3.0,
        "adapting: ISI grows {adapting:?}"
    );
    assert!(
        adapting.windows(2).all(|w| w[1] >= w[0] - 0.2),
        "adapting: ISIs increase monotonically"
    );

    let burst = run(AdExPattern::InitialBurst);
    assert!(burst[0] < 10.0 && burst[1] < 10.0, "initial burst: {burst:?}");
    assert!(burst[2..].iter().all(|&x| x > 40.0), "then slow tonic: {burst:?}");

    let bursting = run(AdExPattern::Bursting);
    let long = bursting.iter().filter(|&&x| x > 100.0).count();
    let short = bursting.iter().filter(|&&x| x < 10.0).count();
    assert!(long >= 4 && short >= long, "regular bursting: {bursting:?}");
}

/// One input spike through each current synapse kind: the delta synapse jumps v by w, the
/// exponential current starts at w, the alpha current peaks at w after tau_syn.
#[test]
fn current_synapse_kinds_have_their_kernels() {
    let w = 2.0;
    let tau_s = 2.0;
    let trace = |kind: CurrentSynapse| {
        let lif = LifParams {
            v_rest_mv: -70.0,
            v_reset_mv: -80.0,
            v_thresh_mv: 0.0,
            tau_syn_exc_ms: tau_s,
            synapse: kind,
            ..LifParams::default()
        };
        let mut b = NetworkBuilder::new(0.1, 1);
        let src = b
            .population(
                "src",
                1,
                NeuronModel::SpikeSource {
                    spike_times_ms: vec![vec![1.0]],
                },
                InitialValue::Constant(0.0),
            )
            .unwrap();
        let n = b
            .population("n", 1, NeuronModel::Lif(lif), InitialValue::Constant(-70.0))
            .unwrap();
        b.projection(
            src,
            n,
            Connectivity::OneToOne,
            WeightDist::Constant(w),
            WeightDist::Constant(0.1),
            Receptor::Excitatory,
        )
        .unwrap();
        let mut sim = Simulator::new(&b.build().unwrap(), Backend::Cpu).unwrap();
        let mut out = Vec::new();
        for _ in 0..200 {
            sim.run_ticks(1).unwrap();
            let s = sim.pull_state().unwrap()[1];
            out.push((s.v, s.syn_e));
        }
        out
    };
    // Spike at tick 10, delivered at the start of tick 11 (index 11 after that tick ran).
    let delta = trace(CurrentSynapse::Delta);
    assert!(
        (delta[11].0 - (-70.0 + w as f32)).abs() < 1e-5,
        "delta: v jumps by w: {:?}",
        &delta[9..13]
    );
    assert_eq!(delta[10].0, -70.0);

    let exp = trace(CurrentSynapse::Exponential);
    let decay = (-0.1f32 / tau_s as f32).exp();
    assert!(
        (exp[11].1 - w as f32 * decay).abs() < 1e-5,
        "exp: current starts at w: {:?}",
        &exp[10..13]
    );

    let alpha = trace(CurrentSynapse::Alpha);
    let (peak_tick, peak) = alpha
        .iter()
        .enumerate()
        .map(|(k, s)| (k, s.1))
        .fold((0, 0.0f32), |a, b| if b.1 > a.1 { b } else { a });
    // Peak at tau_s = 20 ticks after the delivery tick, of height w.
    assert!((peak - w as f32).abs() < 0.01, "alpha peak {peak}");
    assert!(
        (peak_tick as i64 - (10 + 20)).abs() <= 1,
        "alpha peak at tick {peak_tick}"
    );
}

/// A delta input arriving while the neuron is refractory is discarded (NEST iaf_psc_delta,
/// shared/DESIGN.md section 8).
#[test]
fn delta_input_during_refractoriness_is_discarded() {
    let lif = LifParams {
        v_rest_mv: 0.0,
        v_reset_mv: 0.0,
        v_thresh_mv: 10.0,
        refractory_ms: 2.0,
        synapse: CurrentSynapse::Delta,
        ..LifParams::default()
    };
    let mut b = NetworkBuilder::new(0.1, 1);
    // Spikes at 1.0 ms (drives the target over threshold) and 1.5 ms (arrives while refractory).
    let src = b
        .population(
            "src",
            1,
            NeuronModel::SpikeSource {
                spike_times_ms: vec![vec![1.0, 1.5, 5.0]],
            },
            InitialValue::Constant(0.0),
        )
        .unwrap();
    let n = b
        .population("n", 1, NeuronModel::Lif(lif), InitialValue::Constant(0.0))
        .unwrap();
    b.projection(
        src,
        n,
        Connectivity::OneToOne,
        WeightDist::Constant(15.0),
        WeightDist::Constant(0.1),
        Receptor::Excitatory,
    )
    .unwrap();
    let mut sim = Simulator::new(&b.build().unwrap(), Backend::Cpu).unwrap();
    sim.run_ticks(40).unwrap();
    // Spike at tick 11; input at tick 16 is discarded; v is back at rest when refractoriness ends.
    assert_eq!(sim.spikes(n).unwrap().times_ms, vec![1.1]);
    assert_eq!(sim.membrane_potentials(n).unwrap()[0], 0.0);
    sim.run_ticks(20).unwrap();
    assert_eq!(
        sim.spikes(n).unwrap().times_ms.len(),
        2,
        "the spike at 5.0 ms drives it again"
    );
}

#[test]
fn spike_sources_fire_exactly_at_their_times() {
    let times = vec![vec![0.0, 0.35, 12.0], vec![], vec![3.3]];
    let mut b = NetworkBuilder::new(0.1, 1);
    let src = b
        .population(
            "src",
            3,
            NeuronModel::SpikeSource {
                spike_times_ms: times,
            },
            InitialValue::Constant(0.0),
        )
        .unwrap();
    let mut sim = Simulator::new(&b.build().unwrap(), Backend::Cpu).unwrap();
    sim.run_ms(20.0).unwrap();
    let train = sim.spikes(src).unwrap();
    let got: Vec<(u32, i64)> = train
        .neurons
        .iter()
        .zip(&train.times_ms)
        .map(|(&n, &t)| (n, (t * 10.0).round() as i64))
        .collect();
    // Times are rounded to the nearest tick: 0.35 / 0.1 is 3.4999... in f64, so tick 3.
    assert_eq!(got, vec![(0, 0), (0, 3), (2, 33), (0, 120)]);
}

/// Poisson rate schedule: each segment's count lies within a Poisson confidence bound.
#[test]
fn poisson_rate_schedule_switches_rates_at_the_given_times() {
    // A LIF with an effectively infinite membrane time constant, unreachable threshold and
    // delta synapses of 1 mV counts its input spikes in v.
    let schedule = [(0.0, 50.0), (100.0, 400.0), (200.0, 0.0)];
    let lif = LifParams {
        tau_m_ms: 1e12,
        v_thresh_mv: 1e9,
        v_rest_mv: 0.0,
        v_reset_mv: -1.0,
        synapse: CurrentSynapse::Delta,
        ..LifParams::default()
    };
    let mut b2 = NetworkBuilder::new(0.1, 5);
    let counter = b2
        .population("c", 1000, NeuronModel::Lif(lif), InitialValue::Constant(0.0))
        .unwrap();
    b2.poisson_schedule(counter, &schedule, 1.0, Receptor::Excitatory)
        .unwrap();
    let mut sim = Simulator::new(&b2.build().unwrap(), Backend::Cpu).unwrap();
    let mut totals = Vec::new();
    for _ in 0..3 {
        sim.run_ms(100.0).unwrap();
        totals.push(
            sim.membrane_potentials(counter)
                .unwrap()
                .iter()
                .map(|&v| f64::from(v))
                .sum::<f64>(),
        );
    }
    let counts = [totals[0], totals[1] - totals[0], totals[2] - totals[1]];
    for (k, (&(_, rate), count)) in schedule.iter().zip(counts).enumerate() {
        let expected = rate * 0.1 * 1000.0;
        assert!(
            (count - expected).abs() <= 5.0 * expected.sqrt() + 0.5,
            "segment {k}: {count} inputs, expected {expected}"
        );
    }
}

/// Per-neuron thresholds and bias currents: under the same drive, the rate falls as the
/// threshold rises, following the LIF f-I closed form neuron by neuron; a bias current alone
/// drives the neurons that have one.
#[test]
fn per_neuron_thresholds_and_biases_act_neuron_by_neuron() {
    use spikegpu::{NeuronParam, PerNeuron};
    let lif = LifParams {
        v_rest_mv: -70.0,
        v_reset_mv: -70.0,
        v_thresh_mv: -50.0,
        refractory_ms: 0.0,
        ..LifParams::default()
    };
    let mut b = NetworkBuilder::new(0.01, 1);
    let p = b
        .population(
            "p",
            4,
            NeuronModel::Lif(lif.clone()),
            InitialValue::Constant(-70.0),
        )
        .unwrap();
    let thresholds = vec![-60.0, -55.0, -50.0, -45.0];
    b.per_neuron(p, NeuronParam::Threshold, PerNeuron::Values(thresholds.clone()))
        .unwrap();
    b.per_neuron(
        p,
        NeuronParam::Bias,
        PerNeuron::Values(vec![30.0, 30.0, 30.0, 0.0]),
    )
    .unwrap();
    b.current_input(p, CurrentSource::Dc { amplitude: 0.0 }).unwrap();
    let mut sim = Simulator::new(&b.build().unwrap(), Backend::Cpu).unwrap();
    sim.run_ms(500.0).unwrap();
    let train = sim.spikes(p).unwrap();
    for (n, &th) in thresholds.iter().enumerate() {
        let count = train.neurons.iter().filter(|&&x| x == n as u32).count();
        if n == 3 {
            assert_eq!(count, 0, "no bias, no drive: no spike");
            continue;
        }
        let v_inf = lif.v_rest_mv + 30.0;
        let period = lif.tau_m_ms * ((v_inf - lif.v_reset_mv) / (v_inf - th)).ln();
        let expected = (500.0 / period).floor() as usize;
        assert!(
            count.abs_diff(expected) <= 1,
            "neuron {n} (threshold {th}): {count} spikes, closed form {expected}"
        );
    }
}

/// Adaptive threshold (Diehl & Cook 2015): each spike raises the threshold by theta+, which
/// decays with tau_theta; under constant drive the neuron slows down, and with a very long
/// tau_theta the threshold offset is theta+ times the spike count. GPU and CPU agree exactly.
#[test]
fn adaptive_threshold_slows_a_driven_neuron_as_its_spikes_accumulate() {
    let lif = LifParams {
        v_rest_mv: -70.0,
        v_reset_mv: -70.0,
        v_thresh_mv: -52.0,
        refractory_ms: 2.0,
        threshold_adaptation_mv: 0.5,
        tau_threshold_ms: 1e7,
        ..LifParams::default()
    };
    let mut b = NetworkBuilder::new(0.1, 1);
    let p = b
        .population("p", 1, NeuronModel::Lif(lif), InitialValue::Constant(-70.0))
        .unwrap();
    b.current_input(p, CurrentSource::Dc { amplitude: 30.0 }).unwrap();
    let net = b.build().unwrap();
    let mut backends = vec![Backend::Cpu];
    if spikegpu::gpu::GpuContext::new().is_ok() {
        backends.push(Backend::Gpu);
    }
    let mut runs = Vec::new();
    for backend in backends {
        let mut sim = Simulator::new(&net, backend).unwrap();
        sim.run_ms(1000.0).unwrap();
        let t = sim.spikes(p).unwrap().times_ms;
        let isi = isis(&t);
        assert!(
            t.len() > 5 && isi.last().unwrap() > &(2.0 * isi[0]),
            "{backend:?}: ISIs grow: {isi:?}"
        );
        let theta = f64::from(sim.pull_state().unwrap()[0].u);
        assert!(
            (theta - 0.5 * t.len() as f64).abs() < 1e-3,
            "threshold offset {theta} after {} spikes",
            t.len()
        );
        runs.push((t, sim.pull_state().unwrap()));
    }
    if runs.len() == 2 {
        assert_eq!(runs[0], runs[1], "GPU and CPU identical");
    }
}

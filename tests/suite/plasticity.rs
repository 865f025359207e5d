//! STDP: the published windows and frequency dependence, delays, and GPU against CPU.

use crate::common;

use spikegpu::{
    Backend, Connectivity, CurrentSynapse, InitialValue, LifParams, Network, NetworkBuilder, NeuronModel,
    ProjectionId, Receptor, Simulator, StdpParams, WeightDist,
};

const DT: f64 = 0.1;

/// Pairs of neurons, one per entry of `trains`: a pre-synaptic spike source and a
/// post-synaptic LIF forced to fire at the given times by a teacher source (a 100 mV delta
/// input one tick before). The plastic projection pre -> post is one-to-one with `delay_ms`
/// and starts at weight 0.5 in [0, 1]; its input (0.5 mV) cannot make the post neuron fire.
fn pairs(trains: &[(Vec<f64>, Vec<f64>)], rule: StdpParams, delay_ms: f64) -> (Network, ProjectionId) {
    let n = trains.len();
    let mut b = NetworkBuilder::new(DT, 1);
    let pre_times: Vec<Vec<f64>> = trains.iter().map(|t| t.0.clone()).collect();
    let teacher_times: Vec<Vec<f64>> = trains
        .iter()
        .map(|t| t.1.iter().map(|x| x - DT).collect())
        .collect();
    let pre = b
        .population(
            "pre",
            n as u32,
            NeuronModel::SpikeSource {
                spike_times_ms: pre_times,
            },
            InitialValue::Constant(0.0),
        )
        .unwrap();
    let teacher = b
        .population(
            "teacher",
            n as u32,
            NeuronModel::SpikeSource {
                spike_times_ms: teacher_times,
            },
            InitialValue::Constant(0.0),
        )
        .unwrap();
    let lif = LifParams {
        v_rest_mv: -70.0,
        v_reset_mv: -70.0,
        v_thresh_mv: -50.0,
        refractory_ms: 1.0,
        synapse: CurrentSynapse::Delta,
        ..LifParams::default()
    };
    let post = b
        .population(
            "post",
            n as u32,
            NeuronModel::Lif(lif),
            InitialValue::Constant(-70.0),
        )
        .unwrap();
    b.projection(
        teacher,
        post,
        Connectivity::OneToOne,
        WeightDist::Constant(100.0),
        WeightDist::Constant(DT),
        Receptor::Excitatory,
    )
    .unwrap();
    let plastic = b
        .projection(
            pre,
            post,
            Connectivity::OneToOne,
            WeightDist::Constant(0.5),
            WeightDist::Constant(delay_ms),
            Receptor::Excitatory,
        )
        .unwrap();
    b.plasticity(plastic, rule).unwrap();
    (b.build().unwrap(), plastic)
}

fn final_weights(net: &Network, proj: ProjectionId, backend: Backend, duration_ms: f64) -> Vec<f32> {
    let mut sim = Simulator::new(net, backend).unwrap();
    sim.run_ms(duration_ms).unwrap();
    sim.weights(proj).unwrap().weights
}

/// Bi & Poo 1998 / Song et al. 2000 exponential window of pair-based additive STDP:
/// dw = +A+ exp(-lag/tau+) for post after pre, -A- exp(lag/tau-) for pre after post, lag
/// measured at the synapse. Checked for isolated pairs from -50 to +50 ms.
#[test]
fn pair_stdp_follows_the_exponential_window_on_cpu_and_gpu() {
    let (a_plus, a_minus, tau_plus, tau_minus) = (0.01, 0.0105, 20.0, 20.0);
    let lags: Vec<f64> = [
        -50.0, -30.0, -20.0, -10.0, -5.0, -1.0, 1.0, 5.0, 10.0, 20.0, 30.0, 50.0,
    ]
    .to_vec();
    let delay = 1.5;
    // All of the delay is axonal here: the pre spike reaches the synapse `delay` after it leaves.
    let trains: Vec<_> = lags
        .iter()
        .map(|lag| (vec![100.0], vec![100.0 + delay + lag]))
        .collect();
    let (net, proj) = pairs(
        &trains,
        StdpParams::pair(tau_plus, tau_minus, a_plus, a_minus, 0.0, 1.0),
        delay,
    );
    let expected: Vec<f64> = lags
        .iter()
        .map(|&lag| {
            if lag > 0.0 {
                a_plus * (-lag / tau_plus).exp()
            } else {
                -a_minus * (lag / tau_minus).exp()
            }
        })
        .collect();
    let mut backends = vec![Backend::Cpu];
    if common::gpu().is_some() {
        backends.push(Backend::Gpu);
    }
    let mut results = Vec::new();
    for backend in backends {
        let w = final_weights(&net, proj, backend, 250.0);
        for ((lag, dw), &got) in lags.iter().zip(&expected).zip(&w) {
            let change = f64::from(got) - 0.5;
            assert!(
                (change - dw).abs() < 1e-4 * dw.abs() + 1e-7,
                "{backend:?}: lag {lag} ms: dw {change}, window {dw}"
            );
        }
        results.push(w);
    }
    if results.len() == 2 {
        assert_eq!(results[0], results[1], "GPU and CPU weights are bit-identical");
    }
}

/// The change depends on the lag measured at the synapse, however the delay splits into axonal
/// and dendritic parts (pairs at +5 and -5 ms at the synapse, delays 0.1 to 4 ms, dendritic
/// fractions 0, 0.5, 1).
#[test]
fn the_weight_change_depends_only_on_the_lag_at_the_synapse_whatever_the_delay_split() {
    let mut seen: Vec<(f64, f32)> = Vec::new();
    for delay in [0.1, 2.0, 4.0] {
        for fraction in [0.0, 0.5, 1.0] {
            let rule = StdpParams {
                dendritic_fraction: fraction,
                ..StdpParams::pair(20.0, 20.0, 0.01, 0.0105, 0.0, 1.0)
            };
            let d_ticks = (delay / DT).round();
            let d_d = (fraction * d_ticks).round() * DT;
            let d_a = d_ticks * DT - d_d;
            // Pre leaves at 100 ms and reaches the synapse at 100 + d_a; a post spike at t
            // reaches it at t + d_d: choose t for a lag of +/-5 ms at the synapse.
            let trains: Vec<_> = [5.0, -5.0]
                .iter()
                .map(|lag| (vec![100.0], vec![100.0 + d_a + lag - d_d]))
                .collect();
            let (net, proj) = pairs(&trains, rule, delay);
            let w = final_weights(&net, proj, Backend::Cpu, 200.0);
            for (lag, got) in [5.0, -5.0].into_iter().zip(w) {
                seen.push((lag, got));
            }
        }
    }
    for lag in [5.0, -5.0] {
        let values: Vec<f32> = seen.iter().filter(|(l, _)| *l == lag).map(|(_, w)| *w).collect();
        assert!(values.windows(2).all(|v| v[0] == v[1]), "lag {lag}: {values:?}");
        assert!(if lag > 0.0 {
            values[0] > 0.5
        } else {
            values[0] < 0.5
        });
    }
}

/// Pfister & Gerstner 2006, Fig. 4 (visual cortex data of Sjostrom et al. 2001): 60 pairings
/// with the visual-cortex triplet parameters. At low frequency pre-after-post (-10 ms) pairing
/// depresses and post-after-pre (+10 ms) does almost nothing, so the protocols together
/// depress; at high frequency both potentiate.
#[test]
fn triplet_rule_depresses_at_low_and_potentiates_at_high_pairing_frequency() {
    let change = |freq_hz: f64, lag_ms: f64| {
        let period = 1000.0 / freq_hz;
        let pre: Vec<f64> = (0..60).map(|k| 50.0 + k as f64 * period).collect();
        let post: Vec<f64> = pre.iter().map(|t| t + lag_ms).collect();
        let duration = pre.last().unwrap() + 200.0;
        let (net, proj) = pairs(&[(pre, post)], StdpParams::triplet_visual_cortex(0.0, 1.0), DT);
        f64::from(final_weights(&net, proj, Backend::Cpu, duration)[0]) - 0.5
    };
    let (low_plus, low_minus) = (change(1.0, 10.0), change(1.0, -10.0));
    let (high_plus, high_minus) = (change(40.0, 10.0), change(40.0, -10.0));
    assert!(
        low_minus < 0.0,
        "-10 ms at 1 Hz: {low_minus} (expected depression)"
    );
    assert!(
        low_plus.abs() < 0.1 * low_minus.abs(),
        "+10 ms at 1 Hz: {low_plus} (expected almost no change)"
    );
    assert!(low_plus + low_minus < 0.0, "low frequency depresses overall");
    assert!(
        high_plus > 0.0 && high_minus > 0.0,
        "40 Hz potentiates: {high_plus}, {high_minus}"
    );
}

/// A recurrent network with plastic excitatory synapses (Brunel's model scaled to 2,500
/// neurons, STDP on E -> E with heterogeneous delays 0.5-3 ms, half dendritic): after 300 ms
/// the GPU holds bit-identical weights and spikes to the CPU, and a second GPU run the same
/// weights again.
#[test]
fn plastic_recurrent_network_gives_identical_weights_on_gpu_and_cpu_and_reruns() {
    let Some(_ctx) = common::gpu() else { return };
    let build = || {
        let mut b = NetworkBuilder::new(DT, 5);
        let lif = LifParams {
            tau_m_ms: 20.0,
            v_rest_mv: 0.0,
            v_reset_mv: 10.0,
            v_thresh_mv: 20.0,
            refractory_ms: 2.0,
            synapse: CurrentSynapse::Delta,
            ..LifParams::default()
        };
        let exc = b
            .population(
                "exc",
                2000,
                NeuronModel::Lif(lif.clone()),
                InitialValue::Uniform { low: 0.0, high: 20.0 },
            )
            .unwrap();
        let inh = b
            .population(
                "inh",
                500,
                NeuronModel::Lif(lif),
                InitialValue::Uniform { low: 0.0, high: 20.0 },
            )
            .unwrap();
        let conn = Connectivity::FixedInDegree {
            k: 100,
            autapses: false,
        };
        let delay = WeightDist::Uniform { low: 0.5, high: 3.0 };
        let ee = b
            .projection(
                exc,
                exc,
                conn.clone(),
                WeightDist::Uniform {
                    low: 0.05,
                    high: 0.15,
                },
                delay,
                Receptor::Excitatory,
            )
            .unwrap();
        b.projection(
            exc,
            inh,
            conn.clone(),
            WeightDist::Constant(0.1),
            delay,
            Receptor::Excitatory,
        )
        .unwrap();
        for post in [exc, inh] {
            b.projection(
                inh,
                post,
                Connectivity::FixedInDegree {
                    k: 25,
                    autapses: false,
                },
                WeightDist::Constant(-0.5),
                delay,
                Receptor::Inhibitory,
            )
            .unwrap();
            b.poisson_input(post, 20_000.0, 0.1, Receptor::Excitatory)
                .unwrap();
        }
        let rule = StdpParams {
            dendritic_fraction: 0.5,
            ..StdpParams::pair(16.8, 33.7, 0.02, 0.021, 0.0, 0.3)
        };
        b.plasticity(ee, rule).unwrap();
        (b.build().unwrap(), ee)
    };
    let (net, ee) = build();
    let run = |backend| {
        let mut sim = Simulator::new(&net, backend).unwrap();
        sim.run_ms(300.0).unwrap();
        (sim.weights(ee).unwrap().weights, sim.spike_records().to_vec())
    };
    let (wc, sc) = run(Backend::Cpu);
    let (wg, sg) = run(Backend::Gpu);
    let changed = wc
        .iter()
        .zip(&net_initial(&net, ee))
        .filter(|(a, b)| a != b)
        .count();
    assert!(
        changed > wc.len() / 2,
        "STDP changed {changed} of {} weights",
        wc.len()
    );
    assert!(sc.len() > 10_000, "the network is active ({} spikes)", sc.len());
    assert_eq!(sg, sc, "spikes");
    assert_eq!(wg, wc, "weights");
    let (wg2, _) = run(Backend::Gpu);
    assert_eq!(wg2, wg, "GPU rerun");
}

fn net_initial(net: &Network, proj: ProjectionId) -> Vec<f32> {
    Simulator::new(net, Backend::Cpu)
        .unwrap()
        .weights(proj)
        .unwrap()
        .weights
}

/// Song, Miller & Abbott 2000 (Brian2's `STDP` example, whose parameters these are): 1,000
/// Poisson inputs at 15 Hz onto one conductance LIF neuron through additive STDP synapses
/// with A- / A+ = 1.05. Competition drives the weights to the bounds: after 100 s the
/// distribution is U-shaped. Reference: Brian2 2.11 standalone, `shared/peers/brian2_bench.py
/// --model stdp --duration 100` (seed 1234) on this machine: 23.2% of weights below 0.1 g_max,
/// 19.0% above 0.9 g_max, mean 0.478 g_max, output rate 28.3 Hz.
#[test]
fn song_miller_abbott_weights_split_to_the_bounds_as_in_brian2() {
    let net = spikegpu::networks::song_miller_abbott(3).unwrap();
    let proj = net.projection_ids()[0];
    let w = final_weights(&net, proj, Backend::Cpu, 100_000.0);
    let g_max = 0.1f64;
    let frac = |f: &dyn Fn(f64) -> bool| {
        w.iter().filter(|&&x| f(f64::from(x) / g_max)).count() as f64 / w.len() as f64
    };
    let (low, high) = (frac(&|x| x < 0.1), frac(&|x| x > 0.9));
    let mean = w.iter().map(|&x| f64::from(x) / g_max).sum::<f64>() / w.len() as f64;
    let h = spikegpu::app::stats::histogram(&w, 0.0, g_max, 10);
    let middle = h[3..7].iter().sum::<u64>() as f64 / 4.0;
    eprintln!(
        "SMA after 100 s: {low:.3} below 0.1 g_max, {high:.3} above 0.9, mean {mean:.3}, deciles {h:?}"
    );
    assert!(
        (low - 0.232).abs() < 0.06 && (high - 0.19).abs() < 0.06,
        "ends: {low}, {high}"
    );
    assert!((mean - 0.478).abs() < 0.1, "mean {mean}");
    assert!(
        h[0] as f64 > 2.0 * middle && h[9] as f64 > 2.0 * middle,
        "U-shaped: {h:?}"
    );
}

/// Reward-modulated STDP (Izhikevich 2007, eqs. for c and s): pair credit goes to the
/// eligibility trace `c` (the pair window), `c` decays with `tau_c`, and the weight only moves
/// while the neuromodulator `d` is non-zero, by `integral of c d dt`. Isolated pairs at +10 and
/// -10 ms: with `d = 0` the weights stay put and `c` holds the window value decayed since the
/// pair; then with `d` held at 2 (and -2 for punishment) for 0.5 s the change matches
/// `c0 d tau_c (1 - exp(-0.5 s / tau_c))`. GPU and CPU agree bit for bit.
#[test]
fn reward_modulated_stdp_moves_weights_by_the_integral_of_eligibility_times_modulator() {
    use spikegpu::{ModulatorChannel, RewardModulation};
    let (a_plus, a_minus, tau) = (0.01, 0.0105, 20.0);
    let tau_c = 1000.0;
    let rule = StdpParams {
        modulation: Some(RewardModulation {
            tau_eligibility_ms: tau_c,
            update_interval_ms: 1.0,
            channel: ModulatorChannel::Global,
        }),
        ..StdpParams::pair(tau, tau, a_plus, a_minus, 0.0, 1.0)
    };
    let delay = 1.0;
    let lags = [10.0, -10.0];
    let trains: Vec<_> = lags
        .iter()
        .map(|lag| (vec![100.0], vec![100.0 + delay + lag]))
        .collect();
    let (net, proj) = pairs(&trains, rule, delay);
    let mut backends = vec![Backend::Cpu];
    if common::gpu().is_some() {
        backends.push(Backend::Gpu);
    }
    let mut results = Vec::new();
    for backend in backends {
        for sign in [1.0, -1.0] {
            let mut sim = Simulator::new(&net, backend).unwrap();
            sim.run_ms(300.0).unwrap();
            let w0 = sim.weights(proj).unwrap().weights;
            assert_eq!(w0, vec![0.5, 0.5], "{backend:?}: no modulator, no weight change");
            let c0 = sim.eligibility(proj).unwrap();
            for (&lag, &c) in lags.iter().zip(&c0) {
                // The later spike of the pair is at 100 + delay + max(lag, 0) ms at the synapse.
                let age = 300.0 - (100.0 + delay + lag.max(0.0));
                let window = if lag > 0.0 {
                    a_plus * (-lag / tau).exp()
                } else {
                    -a_minus * (lag / tau).exp()
                };
                let expected = window * (-age / tau_c).exp();
                assert!(
                    (f64::from(c) - expected).abs() < 0.01 * expected.abs(),
                    "{backend:?}: lag {lag}: eligibility {c}, expected {expected}"
                );
            }
            let d = 2.0 * sign;
            sim.set_modulator(ModulatorChannel::Global, d).unwrap();
            assert_eq!(sim.modulator(ModulatorChannel::Global).unwrap(), d);
            sim.run_ms(500.0).unwrap();
            let w = sim.weights(proj).unwrap().weights;
            for ((&lag, &c), &got) in lags.iter().zip(&c0).zip(&w) {
                let expected = f64::from(c) * d * (tau_c * 1e-3) * (1.0 - (-0.5f64 / (tau_c * 1e-3)).exp());
                let change = f64::from(got) - 0.5;
                assert!(
                    (change - expected).abs() < 2e-3 * expected.abs() + 1e-7,
                    "{backend:?}: lag {lag}, d {d}: dw {change}, expected {expected}"
                );
                assert_eq!(change > 0.0, (lag > 0.0) == (sign > 0.0), "sign of the change");
            }
            results.push((w, sim.eligibility(proj).unwrap()));
        }
    }
    if results.len() == 4 {
        assert_eq!(results[..2], results[2..], "GPU and CPU are bit-identical");
    }
}

/// Neuromodulator channels: a declared channel relaxes to its baseline with its time constant
/// (Izhikevich 2007: dopamine decays with 0.2 s), a per-population channel gates only the
/// projections that read it, and an undeclared channel holds its level.
#[test]
fn neuromodulator_channels_relax_to_baseline_and_gate_only_their_projections() {
    use spikegpu::{ModulatorChannel, Neuromodulator, RewardModulation};
    let mut b = NetworkBuilder::new(DT, 3);
    let src = b
        .population(
            "src",
            1,
            NeuronModel::SpikeSource {
                spike_times_ms: vec![vec![10.0]],
            },
            InitialValue::Constant(0.0),
        )
        .unwrap();
    let teacher = b
        .population(
            "teacher",
            1,
            NeuronModel::SpikeSource {
                spike_times_ms: vec![vec![14.9]],
            },
            InitialValue::Constant(0.0),
        )
        .unwrap();
    let lif = LifParams {
        v_rest_mv: -70.0,
        v_reset_mv: -70.0,
        v_thresh_mv: -50.0,
        synapse: CurrentSynapse::Delta,
        ..LifParams::default()
    };
    let targets: Vec<_> = ["a", "b"]
        .iter()
        .map(|name| {
            b.population(
                name,
                1,
                NeuronModel::Lif(lif.clone()),
                InitialValue::Constant(-70.0),
            )
            .unwrap()
        })
        .collect();
    let mut plastic = Vec::new();
    for &t in &targets {
        let one = |w: f64| {
            (
                Connectivity::OneToOne,
                WeightDist::Constant(w),
                WeightDist::Constant(DT),
            )
        };
        let (c, w, d) = one(100.0);
        b.projection(teacher, t, c, w, d, Receptor::Excitatory).unwrap();
        let (c, w, d) = one(0.5);
        let p = b.projection(src, t, c, w, d, Receptor::Excitatory).unwrap();
        let rule = StdpParams {
            modulation: Some(RewardModulation {
                tau_eligibility_ms: 1000.0,
                update_interval_ms: 1.0,
                channel: ModulatorChannel::Population(t),
            }),
            ..StdpParams::pair(20.0, 20.0, 0.01, 0.01, 0.0, 1.0)
        };
        b.plasticity(p, rule).unwrap();
        plastic.push(p);
    }
    let (a, b_pop) = (targets[0], targets[1]);
    b.neuromodulator(
        ModulatorChannel::Population(a),
        Neuromodulator {
            tau_ms: 200.0,
            baseline: 0.1,
        },
    )
    .unwrap();
    let net = b.build().unwrap();
    let mut backends = vec![Backend::Cpu];
    if common::gpu().is_some() {
        backends.push(Backend::Gpu);
    }
    for backend in backends {
        let mut sim = Simulator::new(&net, backend).unwrap();
        let level = |sim: &Simulator, c| sim.modulator(c).unwrap();
        assert!(
            (level(&sim, ModulatorChannel::Population(a)) - 0.1).abs() < 1e-7,
            "starts at baseline"
        );
        sim.run_ms(50.0).unwrap();
        sim.set_modulator(ModulatorChannel::Population(a), 1.1).unwrap();
        sim.run_ms(200.0).unwrap();
        let relaxed = level(&sim, ModulatorChannel::Population(a));
        let expected = 0.1 + (-1.0f64).exp();
        assert!(
            (relaxed - expected).abs() < 1e-5,
            "{backend:?}: level after tau: {relaxed}, expected {expected}"
        );
        assert_eq!(
            level(&sim, ModulatorChannel::Population(b_pop)),
            0.0,
            "undeclared channel holds 0"
        );
        let wa = sim.weights(plastic[0]).unwrap().weights[0];
        let wb = sim.weights(plastic[1]).unwrap().weights[0];
        assert!(wa > 0.5, "{backend:?}: channel a gates projection a up: {wa}");
        assert_eq!(wb, 0.5, "{backend:?}: channel b is 0: projection b stays");
        sim.add_modulator(ModulatorChannel::Population(b_pop), -1.0)
            .unwrap();
        sim.run_ms(10.0).unwrap();
        assert_eq!(
            level(&sim, ModulatorChannel::Population(b_pop)),
            -1.0,
            "a held level"
        );
        assert!(
            sim.weights(plastic[1]).unwrap().weights[0] < 0.5,
            "punishment depresses"
        );
    }
}

/// Izhikevich 2007, Fig. 1 ("reinforcing a synapse"): in the randomly firing 1,000-neuron
/// network, rewarding every `n1 -> n2` pair (n2 within 20 ms after n1) 1-3 s later drives the
/// rewarded synapse from 0 towards the maximum, while the other excitatory synapses stay low
/// (the paper: the synapse reaches w_max within tens of minutes). 20 simulated minutes on the
/// CPU: over the last 5 minutes the rewarded weight averages above 0.5 w_max and above three
/// times the mean of the others.
#[test]
fn distal_reward_reinforces_the_rewarded_synapse() {
    use spikegpu::networks::reward::{DistalReward, W_MAX};
    let mut exp = DistalReward::new(1, Backend::Cpu).unwrap();
    exp.run_ms(15.0 * 60_000.0).unwrap();
    let (mut rewarded, mut others) = (0.0, 0.0);
    for _ in 0..5 {
        exp.run_ms(60_000.0).unwrap();
        let (w, o) = exp.weights().unwrap();
        rewarded += f64::from(w) / 5.0;
        others += f64::from(o) / 5.0;
    }
    println!(
        "rewards {}, rewarded {rewarded:.3}, others {others:.3}",
        exp.rewards
    );
    assert!(exp.rewards > 20, "rewards were delivered: {}", exp.rewards);
    assert!(
        rewarded > 0.5 * f64::from(W_MAX) && rewarded > 3.0 * others,
        "rewarded synapse {rewarded:.3} vs mean of the others {others:.3}"
    );
}

/// The closed-loop reward experiment runs bit-identically on the GPU and the CPU (same
/// spikes, hence the same rewards, eligibility and weights) for 3 s with rewards.
#[test]
fn distal_reward_is_bit_identical_on_gpu_and_cpu() {
    use spikegpu::networks::reward::DistalReward;
    let Some(_ctx) = common::gpu() else { return };
    let run = |backend| {
        let mut exp = DistalReward::new(3, backend).unwrap();
        exp.run_ms(3000.0).unwrap();
        let spikes = exp.simulator().counters().spikes;
        (exp.all_weights().unwrap(), exp.rewards, spikes)
    };
    let (cpu, gpu) = (run(Backend::Cpu), run(Backend::Gpu));
    assert!(cpu.2 > 1000, "the network fires: {} spikes", cpu.2);
    assert_eq!(cpu.1, gpu.1, "rewards");
    assert_eq!(cpu.2, gpu.2, "spikes");
    assert!(cpu.0 == gpu.0, "weights differ");
}

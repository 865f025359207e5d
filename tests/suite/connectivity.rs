//! Each connectivity rule and distribution, checked against its exact invariant.

use spikegpu::model::{grid_positions_2d, random_positions};
use spikegpu::plan::Plan;
use spikegpu::{
    Connection, Connectivity, InitialValue, LifParams, Network, NetworkBuilder, NeuronModel, Receptor,
    WeightDist,
};

const N_PRE: u32 = 300;
const N_POST: u32 = 200;

/// Two populations (or one, if `same`) and one projection with the given rule.
fn build(rule: Connectivity, same: bool, weight: WeightDist) -> (Network, Plan) {
    let mut b = NetworkBuilder::new(0.1, 77);
    let lif = || NeuronModel::Lif(LifParams::default());
    let v0 = InitialValue::Constant(-60.0);
    let pre = b.population("pre", N_PRE, lif(), v0.clone()).unwrap();
    let post = if same {
        pre
    } else {
        b.population("post", N_POST, lif(), v0.clone()).unwrap()
    };
    let delay = WeightDist::Uniform { low: 0.1, high: 3.0 };
    b.projection(pre, post, rule, weight, delay, Receptor::Excitatory)
        .unwrap();
    let net = b.build().unwrap();
    let plan = Plan::new(&net).unwrap();
    (net, plan)
}

/// (pre, post) pairs with post local to the target population.
fn pairs(plan: &Plan, post_start: u32) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for pre in 0..N_PRE {
        for s in plan.row(pre) {
            out.push((pre, plan.synapses[s].post - post_start));
        }
    }
    out
}

fn in_degrees(p: &[(u32, u32)], n: u32) -> Vec<u32> {
    let mut d = vec![0; n as usize];
    p.iter().for_each(|&(_, j)| d[j as usize] += 1);
    d
}

#[test]
fn fixed_in_degree_gives_every_target_exactly_k_distinct_sources() {
    let (_, plan) = build(
        Connectivity::FixedInDegree {
            k: 37,
            autapses: true,
        },
        false,
        WeightDist::Constant(1.0),
    );
    let p = pairs(&plan, N_PRE);
    assert!(in_degrees(&p, N_POST).iter().all(|&d| d == 37));
    let mut sorted = p.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), p.len(), "no multapses");
}

#[test]
fn fixed_in_degree_without_autapses_never_connects_a_neuron_to_itself() {
    let (_, plan) = build(
        Connectivity::FixedInDegree {
            k: 299,
            autapses: false,
        },
        true,
        WeightDist::Constant(1.0),
    );
    let p = pairs(&plan, 0);
    assert!(p.iter().all(|&(i, j)| i != j));
    assert!(in_degrees(&p, N_PRE).iter().all(|&d| d == 299));
}

#[test]
fn fixed_out_degree_gives_every_source_exactly_k_distinct_targets() {
    let (_, plan) = build(
        Connectivity::FixedOutDegree {
            k: 25,
            autapses: false,
        },
        true,
        WeightDist::Constant(1.0),
    );
    for pre in 0..N_PRE {
        let targets: Vec<u32> = plan.row(pre).map(|s| plan.synapses[s].post).collect();
        assert_eq!(targets.len(), 25);
        assert!(targets.windows(2).all(|w| w[0] < w[1]), "distinct and sorted");
        assert!(!targets.contains(&pre));
    }
}

#[test]
fn fixed_total_gives_exactly_n_synapses() {
    let (_, plan) = build(
        Connectivity::FixedTotal {
            n: 12_345,
            autapses: true,
        },
        false,
        WeightDist::Constant(1.0),
    );
    assert_eq!(plan.synapse_count(), 12_345);
}

#[test]
fn one_to_one_and_all_to_all_give_exactly_their_pairs() {
    let (_, plan) = build(Connectivity::OneToOne, true, WeightDist::Constant(1.0));
    assert_eq!(pairs(&plan, 0), (0..N_PRE).map(|i| (i, i)).collect::<Vec<_>>());
    let (_, plan) = build(
        Connectivity::AllToAll { autapses: false },
        true,
        WeightDist::Constant(1.0),
    );
    assert_eq!(plan.synapse_count(), u64::from(N_PRE * (N_PRE - 1)));
    assert!(pairs(&plan, 0).iter().all(|&(i, j)| i != j));
}

#[test]
fn fixed_probability_count_lies_within_a_binomial_confidence_bound() {
    let p = 0.1;
    let (_, plan) = build(
        Connectivity::FixedProbability { p, autapses: true },
        false,
        WeightDist::Constant(1.0),
    );
    let n = f64::from(N_PRE * N_POST);
    let (mean, sd) = (n * p, (n * p * (1.0 - p)).sqrt());
    let got = plan.synapse_count() as f64;
    // 5 standard deviations: a false failure has probability below 1e-6.
    assert!(
        (got - mean).abs() < 5.0 * sd,
        "{got} synapses, expected {mean} +/- {sd}"
    );
}

#[test]
fn explicit_connections_are_kept_with_their_weights_and_delays() {
    let list = vec![
        Connection {
            pre: 5,
            post: 7,
            weight: 0.5,
            delay_ms: 1.0,
        },
        Connection {
            pre: 2,
            post: 1,
            weight: 0.25,
            delay_ms: 0.3,
        },
        Connection {
            pre: 5,
            post: 3,
            weight: 1.5,
            delay_ms: 2.0,
        },
    ];
    let (_, plan) = build(Connectivity::Explicit(list), false, WeightDist::Constant(9.0));
    let mut got: Vec<(u32, u32, f32, u32)> = Vec::new();
    for pre in 0..N_PRE {
        for s in plan.row(pre) {
            let syn = plan.synapses[s];
            got.push((pre, syn.post - N_PRE, plan.weights[s], syn.delay()));
        }
    }
    assert_eq!(got, vec![(2, 1, 0.25, 3), (5, 3, 1.5, 20), (5, 7, 0.5, 10)]);
}

#[test]
fn explicit_connections_out_of_range_are_rejected_with_the_index() {
    let mut b = NetworkBuilder::new(0.1, 1);
    let a = b
        .population(
            "a",
            4,
            NeuronModel::Lif(LifParams::default()),
            InitialValue::Constant(-60.0),
        )
        .unwrap();
    let err = b
        .projection(
            a,
            a,
            Connectivity::Explicit(vec![Connection {
                pre: 1,
                post: 4,
                weight: 1.0,
                delay_ms: 1.0,
            }]),
            WeightDist::Constant(1.0),
            WeightDist::Constant(1.0),
            Receptor::Excitatory,
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("connections[0].post") && err.contains("must be < 4"),
        "{err}"
    );
}

#[test]
fn gaussian_distance_rule_on_a_grid_follows_the_kernel() {
    // 20 x 20 grid, spacing 1, sigma 2, p0 = 0.8: compare the empirical connection
    // probability at each distance with p0 exp(-d^2 / 2 sigma^2).
    let mut b = NetworkBuilder::new(0.1, 3);
    let pop = b
        .population(
            "g",
            400,
            NeuronModel::Lif(LifParams::default()),
            InitialValue::Constant(-60.0),
        )
        .unwrap();
    b.positions(pop, grid_positions_2d(20, 20, 1.0)).unwrap();
    let (p0, sigma) = (0.8, 2.0);
    b.projection(
        pop,
        pop,
        Connectivity::DistanceGaussian {
            p0,
            sigma,
            autapses: false,
        },
        WeightDist::Constant(1.0),
        WeightDist::Constant(1.0),
        Receptor::Excitatory,
    )
    .unwrap();
    let plan = Plan::new(&b.build().unwrap()).unwrap();
    let pos = grid_positions_2d(20, 20, 1.0);
    let mut connected = std::collections::HashSet::new();
    for pre in 0..400u32 {
        for s in plan.row(pre) {
            connected.insert((pre, plan.synapses[s].post));
        }
    }
    for d2 in [1.0f32, 2.0, 4.0, 8.0, 16.0] {
        let (mut n, mut hits) = (0.0f64, 0.0f64);
        for i in 0..400u32 {
            for j in 0..400u32 {
                if i != j && (pos[i as usize].distance_squared(pos[j as usize]) - d2).abs() < 1e-3 {
                    n += 1.0;
                    hits += f64::from(u8::from(connected.contains(&(i, j))));
                }
            }
        }
        let p = p0 * (-f64::from(d2) / (2.0 * sigma * sigma)).exp();
        let sd = (p * (1.0 - p) / n).sqrt();
        assert!(
            (hits / n - p).abs() < 5.0 * sd + 1e-9,
            "d^2 = {d2}: {} vs {p} (n = {n})",
            hits / n
        );
    }
}

#[test]
fn distance_rule_without_positions_is_rejected() {
    let mut b = NetworkBuilder::new(0.1, 1);
    let a = b
        .population(
            "a",
            4,
            NeuronModel::Lif(LifParams::default()),
            InitialValue::Constant(-60.0),
        )
        .unwrap();
    let err = b
        .projection(
            a,
            a,
            Connectivity::DistanceGaussian {
                p0: 0.5,
                sigma: 1.0,
                autapses: true,
            },
            WeightDist::Constant(1.0),
            WeightDist::Constant(1.0),
            Receptor::Excitatory,
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("needs positions"), "{err}");
    assert_eq!(random_positions(5, glam::Vec3::new(1.0, 1.0, 0.0), 3).len(), 5);
}

#[test]
fn weight_distributions_have_their_moments_and_ranges() {
    let cases = [
        (
            WeightDist::Uniform { low: 0.5, high: 1.5 },
            1.0,
            (1.0f64 / 12.0).sqrt(),
        ),
        (
            WeightDist::Normal {
                mean: 2.0,
                std: 0.3,
                low: 0.0,
                high: 10.0,
            },
            2.0,
            0.3,
        ),
        // Lognormal: mean exp(mu + s^2/2), sd mean * sqrt(exp(s^2) - 1).
        (
            WeightDist::LogNormal {
                mu: 0.0,
                sigma: 0.5,
                max: 1e6,
                sign: 1.0,
            },
            (0.125f64).exp(),
            (0.125f64).exp() * ((0.25f64).exp() - 1.0).sqrt(),
        ),
    ];
    for (dist, mean, sd) in cases {
        let (_, plan) = build(Connectivity::AllToAll { autapses: true }, false, dist);
        let w: Vec<f64> = plan.weights.iter().map(|&x| f64::from(x)).collect();
        let n = w.len() as f64;
        let m = w.iter().sum::<f64>() / n;
        let s = (w.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt();
        let (lo, hi) = dist.range();
        assert!(
            w.iter().all(|&x| x >= lo - 1e-6 && x <= hi + 1e-6),
            "{dist:?} out of range"
        );
        assert!(
            (m - mean).abs() < 5.0 * sd / n.sqrt(),
            "{dist:?}: mean {m} vs {mean}"
        );
        assert!((s - sd).abs() < 0.05 * sd, "{dist:?}: sd {s} vs {sd}");
    }
}

#[test]
fn delays_are_rounded_to_ticks_and_at_least_one() {
    let (_, plan) = build(
        Connectivity::AllToAll { autapses: true },
        false,
        WeightDist::Constant(1.0),
    );
    let delays: Vec<u32> = plan.synapses.iter().map(|s| s.delay()).collect();
    assert!(delays.iter().all(|&d| (1..=30).contains(&d)));
    assert!(delays.contains(&1) && delays.contains(&30));
}

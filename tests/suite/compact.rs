//! Compact synapse storage (src/compact.rs): lossless against the wide plan, and refused with
//! the reason where a network does not qualify. No GPU needed; tests/gpu_vs_cpu.rs runs it.

use spikegpu::networks::{self, microcircuit};
use spikegpu::plan::compact::CompactSynapses;
use spikegpu::plan::{Plan, to_fixed};

/// Every synapse decodes to the wide plan's target, delay and the fixed-point integer the
/// accumulator adds, projection by projection; storage is 4 bytes per synapse plus as many
/// bits of target as the largest post population needs (15 for the microcircuit: 5.875
/// bytes), plus the row pointers (4 bytes per pre-synaptic neuron and projection).
#[test]
fn compact_encoding_decodes_to_the_wide_plan_exactly() {
    for (name, net) in [
        ("brunel", networks::brunel(3, 0.05, 5.0, 2.0).unwrap()),
        ("cuba", networks::cuba(3, 0.5).unwrap()),
        ("microcircuit", microcircuit::microcircuit(3, 0.02, 0.05).unwrap()),
    ] {
        let plan = Plan::new(&net).unwrap();
        let c = CompactSynapses::encode(&plan, &plan.weights).unwrap();
        assert_eq!(c.len(), plan.synapses.len(), "{name}");
        let mut s = 0;
        for (t, proj) in c.projections.iter().enumerate() {
            let k = (0..plan.projections.len())
                .find(|&k| {
                    let p = &plan.projections[k];
                    plan.populations[p.pre].gpu.start == proj.pre_start
                        && plan.populations[p.post].gpu.start == proj.post_start
                        && p.port == proj.port
                        && c.first(t) as usize == s
                        && c.row_ptr[proj.row_base as usize] == 0
                })
                .expect("projection");
            for wide in plan.projection_synapses(k) {
                let syn = plan.synapses[wide as usize];
                let (target, delay, weight) = c.decode(s);
                assert_eq!(proj.post_start + target, syn.post, "{name} synapse {s}");
                assert_eq!(delay, syn.delay(), "{name} synapse {s}");
                assert_eq!(weight, to_fixed(plan.weights[wide as usize], plan.fixed_scale));
                s += 1;
            }
        }
        assert_eq!(s, c.len(), "{name}: every synapse visited");
        // 4 bytes and target_bits bits per synapse (under one word of padding); row pointers
        // come on top.
        let largest = plan.populations.iter().map(|p| p.gpu.size).max().unwrap();
        assert_eq!(c.target_bits, 32 - (largest - 1).leading_zeros(), "{name}");
        let n = c.len() as f64;
        let own = (c.words.len() + c.targets.len()) as f64 * 4.0 / n;
        let bound = 4.0 + f64::from(c.target_bits) / 8.0 + 4.0 / n;
        assert!(own <= bound, "{name}: {own} bytes per synapse");
        let index = c.row_ptr.len() as f64 * 4.0 / n;
        assert!(
            (c.bytes_per_synapse() - own - index).abs() < 1e-9,
            "{name}: reported bytes"
        );
    }
}

#[test]
fn networks_that_do_not_qualify_say_why() {
    let plastic = networks::brunel_stdp(1, 0.05).unwrap();
    let plan = Plan::new(&plastic).unwrap();
    let why = CompactSynapses::encode(&plan, &plan.weights).unwrap_err();
    assert!(why.contains("plastic"), "{why}");
}

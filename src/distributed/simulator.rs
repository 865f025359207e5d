//! Building one rank's [`Simulator`]: every step that can fail is one every rank takes
//! together ([`Comm::agree`]), so a failure on any rank (bad input, a missing adapter, too
//! little memory) fails every rank with the same message instead of leaving the others
//! waiting. The network is checked before anything is generated or allocated.

use std::time::Instant;

use super::comm::Comm;
use super::rank_engine::RankEngine;
use crate::error::{Result, invalid};
use crate::model::Network;
use crate::plan::Plan;
use crate::plan::rank::RankFacts;
use crate::sim::{Backend, SimOptions, Simulator};

/// This rank's simulator of `net`, its neurons on `backend`, exchanging over `comm`. Every
/// rank of the run must call it with the same network and options.
pub fn rank_simulator(
    net: &Network,
    backend: Backend,
    mut options: SimOptions,
    comm: Comm,
) -> Result<Simulator> {
    let t0 = Instant::now();
    comm.agree(check_options(net, backend, &options))?;
    let mut plan = comm.agree(Plan::for_rank(net, comm.rank(), comm.size()))?;
    let mine = plan.rank_facts();
    let words = [
        mine.fixed_scale.to_bits(),
        mine.max_delay,
        mine.min_delay,
        mine.synapses as u32,
        (mine.synapses >> 32) as u32,
    ];
    let all: Vec<RankFacts> = comm
        .all_gather(Ok(&words), 0)?
        .parts
        .iter()
        .map(|w| RankFacts {
            fixed_scale: f32::from_bits(w[0]),
            max_delay: w[1],
            min_delay: w[2],
            synapses: u64::from(w[3]) | u64::from(w[4]) << 32,
        })
        .collect();
    let facts = RankFacts::combine(&all);
    comm.agree(plan.agree(&facts))?;
    if facts.min_delay == 1 && comm.rank() == 0 {
        log::warn!(
            "the smallest delay is one tick, so the {} ranks exchange spikes every tick: two \
             collectives per tick (longer delays exchange less often)",
            comm.size()
        );
    }
    let plan_s = t0.elapsed().as_secs_f64();
    let view = plan.global_view().expect("a rank's plan");
    // Ranks usually share a machine's cores: one thread each unless asked for more.
    options.threads.get_or_insert(1);
    // `auto` decides as one process does, on each rank: a hardware adapter if one opens, the
    // CPU backend otherwise (and for plastic networks, which GPU ranks do not run). Ranks
    // on different backends give the same spikes.
    let backend = if cpu_only(net).is_some() && backend == Backend::Auto {
        Backend::Cpu
    } else {
        backend
    };
    let inner = comm.agree(crate::sim::engine::open(&mut plan, backend, options))?;
    let mut engine = RankEngine::new(inner, &plan, comm, facts.min_delay, facts.synapses)?;
    engine.keep_state_plan(plan);
    Ok(Simulator::from_engine(
        net,
        view,
        Box::new(engine),
        t0.elapsed().as_secs_f64(),
        plan_s,
    ))
}

/// Refuses the options a rank cannot run.
fn check_options(net: &Network, backend: Backend, options: &SimOptions) -> Result<()> {
    if options.generate_on_device {
        return Err(invalid(
            "generate_on_device",
            true,
            "a distributed run generates each rank's synapses on the host",
        ));
    }
    if let (Backend::Gpu, Some((i, what))) = (backend, cpu_only(net)) {
        return Err(invalid(
            "--backend",
            "gpu",
            &format!(
                "cpu: projection {i}.{what} runs distributed on CPU ranks only (as do all \
                 plasticity, short-term plasticity and stochastic release)"
            ),
        ));
    }
    Ok(())
}

/// The first projection with what only CPU ranks run, and its field.
fn cpu_only(net: &Network) -> Option<(usize, &'static str)> {
    net.projections.iter().enumerate().find_map(|(i, p)| {
        let what = if p.plasticity.is_some() {
            "plasticity"
        } else if p.short_term.is_some() {
            "short_term"
        } else if p.release.is_some() {
            "release_probability"
        } else {
            return None;
        };
        Some((i, what))
    })
}

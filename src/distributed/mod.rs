//! Distributed simulation over MPI (feature `mpi`): `mpirun -np N spikegpu run FILE`. Each
//! rank plans its share of the neurons (dealt round-robin within each population) and the
//! synapses onto them ([`crate::plan::rank`]), runs them on its own engine wrapped in a
//! [`RankEngine`], and exchanges every rank's spikes once per communication interval, the
//! smallest delay of the network (NEST's min-delay scheme), with `MPI_Allgatherv` of compact
//! spike lists. The spike trains are those of a single process for any number of ranks:
//! synaptic input is summed in fixed point, and integer sums do not depend on where or in
//! which order their terms are added.
//!
//! The parts: `comm` (the collectives, with failures shared by every rank), `rank_engine`
//! (the exchange), `simulator` (building a rank's simulator with the steps every rank takes
//! together) and `report` (the per-rank report).
//!
//! Interruption: every exchange carries each rank's SIGINT / SIGTERM, if it has seen one, so
//! the ranks stop at the same tick ([`RankEngine::agreed_stop`]) and end as an interrupted
//! single process does.
//!
//! How the interval meets the rest:
//! - **GPU batches**: an exchange needs the spikes on the host, so a batch of ticks
//!   submitted at once never spans a boundary: the rank engine asks its inner engine for at
//!   most `interval` ticks at a time, which a GPU rank runs as one submission (15 ticks for
//!   Brunel's 1.5 ms at dt 0.1 ms) whose spikes are read back at the boundary; the exchanged
//!   spikes then go up as one list and the `deliver` stage (`src/gpu/deliver.rs`) adds them
//!   into the ring, a second submission queued ahead of the next interval's ticks. A
//!   one-tick smallest delay means two submissions, one read-back and two collectives per
//!   tick. A GPU rank stores its synapses wide (rows by global neuron) and draws its inputs'
//!   random numbers by index in the whole population (`SimParams::input_first`); it opens
//!   adapter `local rank mod count` of the best kind (`SPIKEGPU_ADAPTER_INDEX` overrides,
//!   `SPIKEGPU_ADAPTER` filters by name), and `--backend auto` decides on each rank as one
//!   process does. Plasticity, user-defined neuron models and `generate_on_device` run on
//!   CPU ranks only.
//! - **STDP** (pair and triplet; reward-modulated is refused, [`crate::plan::rank`]): a rank
//!   owns the synapses onto its neurons, so post-synaptic spikes are local, but the
//!   pre-synaptic spikes of other ranks' neurons arrive only at the exchange. A rank therefore
//!   keeps pre-synaptic traces by global neuron and post-synaptic ones by local neuron (its
//!   plan's plastic tables), its tick schedule leaves the STDP stages out, and its engine
//!   runs them with the delivery of each exchange (`cpu/deliver.rs`), tick by tick over the
//!   exchanged span in one process's order: deliver the tick's spikes, advance the traces
//!   (from every rank's spikes of the tick), walk the spikes of `tick - lag`. The lag is the
//!   network's largest delay, agreed by every rank ([`crate::plan::Plan::agree`]), which is
//!   at least the interval, so the spikes a walk needs are from an earlier exchange and the
//!   traces it reads are of earlier ticks. Every synapse thus sees the same weight at each
//!   delivery and the same changes in the same order as in one process: weights equal bit for
//!   bit. [`RankEngine::projection_weights`] gathers a plastic projection's weights from every
//!   rank in one process's order (each synapse carries its index in its projection).
//!
//! Checkpoints are per rank: a rank exports its inner engine's state (its neurons, its
//! synapses' weights, the exchanged spike history by global neuron); nothing of the exchange
//! is pending between `run_ticks` calls. The file's fingerprint includes the rank and the
//! rank count, and restoring is agreed by every rank ([`Comm::agree`]), so another rank count
//! or a missing or corrupt rank file fails every rank with one message.

mod comm;
mod rank_engine;
mod report;
mod simulator;

pub use comm::{Comm, CommStats};
pub use rank_engine::{RankEngine, RankReport};
pub use report::{RANKS_FILE, rank_table, write_rank_reports};
pub use simulator::rank_simulator;

use std::sync::OnceLock;

/// This process's (rank, ranks) once [`init`] has joined an MPI run.
static WORLD: OnceLock<(u32, u32)> = OnceLock::new();

/// Environment variables that MPI launchers (Open MPI's, MPICH's Hydra, PMIx) set.
const LAUNCHER_VARS: [&str; 4] = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"];

/// Whether an MPI launcher (`mpirun`) started this process.
pub fn launched_by_mpirun() -> bool {
    LAUNCHER_VARS.iter().any(|v| std::env::var_os(v).is_some())
}

/// Joins the MPI run when an MPI launcher started this process (`None` otherwise, and then
/// nothing about the process changes). Keep the universe until the end of `main`: dropping
/// it finalises MPI.
pub fn init() -> Option<mpi::environment::Universe> {
    if !launched_by_mpirun() {
        return None;
    }
    let universe = mpi::initialize()?;
    let comm = Comm::world();
    let _ = WORLD.set((comm.rank(), comm.size()));
    Some(universe)
}

/// (this rank, ranks) of the MPI run this process joined ([`init`]); `None` in a single
/// process.
pub fn world() -> Option<(u32, u32)> {
    WORLD.get().copied()
}

/// Ends every rank of the run with `code` (`MPI_Abort`) when this process joined one; a
/// rank that failed where the others cannot learn of it calls this so that none waits for
/// it forever.
pub fn abort_if_distributed(code: i32) {
    if world().is_some() {
        Comm::abort(code);
    }
}

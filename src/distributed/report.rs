//! The per-rank report of a distributed run: every rank's time in computation, in
//! communication and waiting, and bytes exchanged per biological second, gathered on rank 0
//! and written as `ranks.json` beside the run's other outputs.

use std::path::Path;

use super::comm::{decode_text, encode_text};
use super::rank_engine::RankReport;
use crate::error::{Error, Result};
use crate::sim::Simulator;

/// The file rank 0 writes the reports to, in the output folder.
pub const RANKS_FILE: &str = "ranks.json";

/// Gathers every rank's report (a collective: every rank calls it) and, on rank 0, writes
/// them to `path` (the output folder's [`RANKS_FILE`]); returns them in rank order. Nothing
/// in a single process.
pub fn write_rank_reports(sim: &Simulator, path: &Path) -> Result<Vec<RankReport>> {
    let Some(rank) = sim.engine().rank_engine() else {
        return Ok(Vec::new());
    };
    let bio_s = sim.ticks() as f64 * sim.dt_ms() / 1000.0;
    let text = serde_json::to_string(&rank.report(bio_s)).map_err(|e| Error::Output(e.to_string()))?;
    let gathered = rank.comm().all_gather(Ok(&encode_text(&text)), 0)?;
    let reports = gathered
        .parts
        .iter()
        .enumerate()
        .map(|(r, words)| {
            serde_json::from_str(&decode_text(words)).map_err(|e| Error::RankFailed {
                rank: r as u32,
                message: format!("its report did not parse: {e}"),
                input: false,
            })
        })
        .collect::<Result<Vec<RankReport>>>()?;
    if rank.comm().rank() == 0 {
        let json = serde_json::json!({ "ranks": reports });
        let text = serde_json::to_string_pretty(&json).map_err(|e| Error::Output(e.to_string()))?;
        crate::app::atomic::write_file(path, text.as_bytes())?;
    }
    Ok(reports)
}

/// The per-rank figures of a run as a console table, a line per rank (empty for none).
pub fn rank_table(reports: &[RankReport]) -> String {
    if reports.is_empty() {
        return String::new();
    }
    let mut text = String::from(
        "rank  neurons   synapses  exchanges  compute s  communication s  waiting s  kB sent per bio s\n",
    );
    for r in reports {
        text += &format!(
            "{:>4} {:>8} {:>10} {:>10} {:>10.3} {:>16.3} {:>10.3} {:>18.1}\n",
            r.rank,
            r.neurons,
            r.synapses,
            r.exchanges,
            r.compute_s,
            r.communication_s,
            r.wait_s,
            r.bytes_sent_per_bio_s / 1000.0
        );
    }
    text
}

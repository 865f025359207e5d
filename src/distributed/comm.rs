//! The collectives of a distributed run over MPI's world communicator. Every exchange is two
//! all-gathers: first a header per rank (`MPI_Allgather`: its status, how many words it
//! sends and one 64-bit figure), where the ranks also wait for one another, then the words
//! (`MPI_Allgatherv`). A rank that failed sends its error message instead of its words, so
//! every rank learns of the failure at the same collective and returns
//! [`Error::RankFailed`] with the same message, instead of waiting for a rank that will
//! never come.

use std::cell::Cell;
use std::time::Instant;

use mpi::datatype::PartitionMut;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator, CommunicatorCollectives};

use crate::error::{Error, Result, invalid};

/// Words of one rank's header: status, word count, figure (low, high).
const HEADER: usize = 4;
/// A header's status word: this rank's part is its words.
const OK: u32 = 0;
/// A header's status word: this rank failed; its words are the message.
const FAILED: u32 = 1;
/// A header's status word: this rank failed on bad input; its words are the message.
const FAILED_ON_INPUT: u32 = 2;

/// Time and bytes a rank spent in collectives.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct CommStats {
    /// Collectives run.
    pub collectives: u64,
    /// Seconds in the header all-gathers: mostly waiting for the slowest rank.
    pub wait_s: f64,
    /// Seconds moving the words (the variable-count all-gathers).
    pub transfer_s: f64,
    /// Bytes this rank sent (its header and words, once per collective).
    pub bytes_sent: u64,
    /// Bytes this rank received (every rank's headers and words).
    pub bytes_received: u64,
}

/// What one all-gather brought: every rank's words and figure, in rank order.
pub struct Gathered {
    /// Each rank's words.
    pub parts: Vec<Vec<u32>>,
    /// Each rank's 64-bit figure.
    pub figures: Vec<u64>,
}

/// A rank's end of the collectives (MPI must be initialised, [`super::init`]).
pub struct Comm {
    rank: u32,
    size: u32,
    stats: Cell<CommStats>,
}

/// The world communicator. It is made afresh for each collective (a handle, not a copy):
/// MPI's handles are not `Send`, and an engine must be.
fn world() -> SimpleCommunicator {
    SimpleCommunicator::world()
}

impl Comm {
    /// The collectives of `MPI_COMM_WORLD`.
    pub fn world() -> Self {
        let w = world();
        Self {
            rank: w.rank() as u32,
            size: w.size() as u32,
            stats: Cell::new(CommStats::default()),
        }
    }

    /// This rank.
    pub fn rank(&self) -> u32 {
        self.rank
    }

    /// Ranks in all.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Time and bytes so far.
    pub fn stats(&self) -> CommStats {
        self.stats.get()
    }

    /// Every rank's words and figure, in rank order. `Err(message)` from this rank, or from
    /// any other, makes every rank return [`Error::RankFailed`] with the lowest failing
    /// rank's message.
    pub fn all_gather(&self, mine: std::result::Result<&[u32], &str>, figure: u64) -> Result<Gathered> {
        match mine {
            Ok(words) => self.gather(OK, words, figure),
            Err(text) => self.gather(FAILED, &encode_text(text), figure),
        }
    }

    /// Tells every rank, at the collective they are all in, that this rank failed with `e`:
    /// they fail with its message, and with exit code 2 where it is an input error.
    pub fn share_failure(&self, e: &Error) {
        let status = if e.is_input_error() {
            FAILED_ON_INPUT
        } else {
            FAILED
        };
        let _ = self.gather(status, &encode_text(&e.to_string()), 0);
    }

    fn gather(&self, status: u32, words: &[u32], figure: u64) -> Result<Gathered> {
        let w = world();
        let n = self.size as usize;
        let t0 = Instant::now();
        let header = [status, words.len() as u32, figure as u32, (figure >> 32) as u32];
        let mut headers = vec![0u32; HEADER * n];
        w.all_gather_into(&header[..], &mut headers[..]);
        let t1 = Instant::now();
        let counts: Vec<i32> = headers.chunks_exact(HEADER).map(|h| h[1] as i32).collect();
        let displs: Vec<i32> = counts
            .iter()
            .scan(0i32, |at, &c| {
                let d = *at;
                *at += c;
                Some(d)
            })
            .collect();
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        let mut flat = vec![0u32; total];
        {
            let mut partition = PartitionMut::new(&mut flat[..], &counts[..], &displs[..]);
            w.all_gather_varcount_into(words, &mut partition);
        }
        let mut stats = self.stats.get();
        stats.collectives += 1;
        stats.wait_s += (t1 - t0).as_secs_f64();
        stats.transfer_s += t1.elapsed().as_secs_f64();
        stats.bytes_sent += 4 * (HEADER + words.len()) as u64;
        stats.bytes_received += 4 * (headers.len() + flat.len()) as u64;
        self.stats.set(stats);
        let mut parts = Vec::with_capacity(n);
        for (&c, &d) in counts.iter().zip(&displs) {
            parts.push(flat[d as usize..(d + c) as usize].to_vec());
        }
        let figures = headers
            .chunks_exact(HEADER)
            .map(|h| u64::from(h[2]) | u64::from(h[3]) << 32)
            .collect();
        match headers.chunks_exact(HEADER).position(|h| h[0] != OK) {
            Some(r) => Err(Error::RankFailed {
                rank: r as u32,
                message: decode_text(&parts[r]),
                input: headers[r * HEADER] == FAILED_ON_INPUT,
            }),
            None => Ok(Gathered { parts, figures }),
        }
    }

    /// A step every rank takes together, `result` this rank's outcome. If any rank failed,
    /// every rank fails: with its own error if it failed itself (the same input error reads
    /// the same on every rank), else with the failing rank's message.
    pub fn agree<T>(&self, result: Result<T>) -> Result<T> {
        match result {
            Ok(value) => {
                self.all_gather(Ok(&[]), 0)?;
                Ok(value)
            }
            Err(e) => {
                self.share_failure(&e);
                Err(e)
            }
        }
    }

    /// Checks that every rank was given the same input (`hash`, e.g. of the model file's text
    /// and overrides) before anything is built: the same message on every rank if not, with
    /// `advice` on how to fix it.
    pub fn check_same_input(&self, what: &str, hash: u64, advice: &str) -> Result<()> {
        let figures = self.all_gather(Ok(&[]), hash)?.figures;
        match figures.iter().position(|&h| h != figures[0]) {
            Some(r) => Err(invalid(
                what,
                format!("hash {:016x} on rank {r}", figures[r]),
                &format!(
                    "must be the same on every rank (rank 0 has {:016x}): {advice}",
                    figures[0]
                ),
            )),
            None => Ok(()),
        }
    }

    /// Ends every rank of the run with `code` (`MPI_Abort`).
    pub fn abort(code: i32) -> ! {
        world().abort(code)
    }
}

/// A UTF-8 message as words (its byte length first).
pub(super) fn encode_text(text: &str) -> Vec<u32> {
    let bytes = text.as_bytes();
    let mut words = vec![bytes.len() as u32];
    words.extend(bytes.chunks(4).map(|c| {
        let mut w = [0u8; 4];
        w[..c.len()].copy_from_slice(c);
        u32::from_le_bytes(w)
    }));
    words
}

/// The message of [`encode_text`].
pub(super) fn decode_text(words: &[u32]) -> String {
    let Some((&len, rest)) = words.split_first() else {
        return "(no message)".into();
    };
    let bytes: Vec<u8> = rest.iter().flat_map(|w| w.to_le_bytes()).collect();
    String::from_utf8_lossy(&bytes[..(len as usize).min(bytes.len())]).into_owned()
}

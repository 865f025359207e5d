//! The application: the command line's model files, runs, benchmark suite, outputs and statistics.

pub mod atomic;
pub mod bench;
pub mod checkpoints;
pub mod modelfile;
pub mod outdir;
pub mod output;
pub mod plots;
pub mod probe_stream;
pub(crate) mod recording;
pub mod records;
pub mod reference;
pub mod resolved;
pub mod run;
pub mod signals;
pub mod sparsity;
pub mod spike_stream;
pub mod stats;
pub mod sweep;

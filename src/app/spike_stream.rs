//! A run's recorded spikes, on disk as the run goes: `spikegpu run` moves the simulator's
//! spike records into an append-only file after every chunk, so host memory holds one
//! chunk's spikes whatever the run's length, and a run killed by SIGKILL or a crash leaves
//! every spike up to its last chunk readable. The file (`.stream-spikes.bin`) holds 12-byte
//! records in (tick, neuron) order: the tick as a little-endian u64, then the global neuron
//! index as a little-endian u32 (`numpy.fromfile(f, dtype=[("tick", "<u8"), ("neuron",
//! "<u4")])`). At the end the per-population `.npy` files are assembled from it and it is
//! removed. The spike hash and the CV of ISI are computed as the spikes pass.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::app::plots::{DrawResult, SpikeBatches};
use crate::app::stats::{CvAccumulator, SpikeHasher};
use crate::error::{Error, Result};
use crate::sim::Spike;

/// The stream's file name in the output folder.
pub const FILE_NAME: &str = ".stream-spikes.bin";
/// Bytes per spike in the file.
pub const RECORD_BYTES: usize = 12;
/// Spikes read back at a time.
const BATCH: usize = 1 << 16;

/// The spike file being written, with the figures computed as spikes pass.
pub struct SpikeStream {
    path: PathBuf,
    writer: BufWriter<std::fs::File>,
    spikes: u64,
    hasher: SpikeHasher,
    cv: CvAccumulator,
    /// Spikes per population (by global neuron ranges, see [`SpikeStream::add`]).
    per_population: Vec<u64>,
}

fn failed(path: &Path, e: std::io::Error) -> Error {
    Error::Output(format!("writing {} failed: {e}", path.display()))
}

impl SpikeStream {
    /// Creates the file at `path` (exclusively: nothing there is written through) for a
    /// network of `n_neurons` in `populations` populations.
    pub fn create(path: PathBuf, n_neurons: u32, populations: usize) -> Result<Self> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| failed(&path, e))?;
        Ok(SpikeStream {
            writer: BufWriter::with_capacity(1 << 20, file),
            path,
            spikes: 0,
            hasher: SpikeHasher::default(),
            cv: CvAccumulator::new(n_neurons),
            per_population: vec![0; populations],
        })
    }

    /// Takes back the stream at `path` for a resumed run: cuts it to `bytes` (its length at
    /// the checkpoint; what a killed run wrote after it is dropped), recomputes the figures
    /// from what stays and appends from there.
    pub fn reopen(
        path: PathBuf,
        bytes: u64,
        n_neurons: u32,
        populations: usize,
        population_of: impl Fn(u32) -> usize,
    ) -> Result<Self> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| failed(&path, e))?;
        let len = file.metadata().map_err(|e| failed(&path, e))?.len();
        if len < bytes || !bytes.is_multiple_of(RECORD_BYTES as u64) {
            return Err(Error::Checkpoint {
                path: path.display().to_string(),
                why: format!("holds {len} bytes; the checkpoint needs the first {bytes} in whole records"),
            });
        }
        file.set_len(bytes).map_err(|e| failed(&path, e))?;
        let mut stream = SpikeStream {
            writer: BufWriter::with_capacity(1 << 20, file),
            path,
            spikes: 0,
            hasher: SpikeHasher::default(),
            cv: CvAccumulator::new(n_neurons),
            per_population: vec![0; populations],
        };
        let (mut hasher, mut cv, mut counts) = (
            SpikeHasher::default(),
            CvAccumulator::new(n_neurons),
            vec![0u64; populations],
        );
        let mut spikes = 0u64;
        stream.reader().for_each_batch(|batch| {
            for r in batch {
                if r.neuron >= n_neurons {
                    return Err(Error::Output(format!(
                        "{} holds neuron {} of {n_neurons}",
                        stream.path.display(),
                        r.neuron
                    )));
                }
                hasher.add(r);
                cv.add(r);
                counts[population_of(r.neuron)] += 1;
            }
            spikes += batch.len() as u64;
            Ok(())
        })?;
        (stream.hasher, stream.cv, stream.per_population, stream.spikes) = (hasher, cv, counts, spikes);
        use std::io::Seek;
        stream
            .writer
            .seek(std::io::SeekFrom::End(0))
            .map_err(|e| failed(&stream.path, e))?;
        Ok(stream)
    }

    /// Appends a chunk of spikes (in (tick, neuron) order, after every earlier chunk's);
    /// `population_of` maps a global neuron to its population. The chunk reaches the
    /// operating system before this returns, so a killed process loses none of it.
    pub fn add(&mut self, chunk: &[Spike], population_of: impl Fn(u32) -> usize) -> Result<()> {
        for r in chunk {
            self.hasher.add(r);
            self.cv.add(r);
            self.per_population[population_of(r.neuron)] += 1;
            let mut bytes = [0u8; RECORD_BYTES];
            bytes[..8].copy_from_slice(&r.tick.to_le_bytes());
            bytes[8..].copy_from_slice(&r.neuron.to_le_bytes());
            self.writer.write_all(&bytes).map_err(|e| failed(&self.path, e))?;
        }
        self.spikes += chunk.len() as u64;
        self.writer.flush().map_err(|e| failed(&self.path, e))
    }

    /// Spikes written.
    pub fn spikes(&self) -> u64 {
        self.spikes
    }

    /// Spikes written of population `pi`.
    pub fn population_spikes(&self, pi: usize) -> u64 {
        self.per_population[pi]
    }

    /// The spike hash of everything written ([`crate::app::stats::spike_hash`]).
    pub fn hash(&self) -> u64 {
        self.hasher.finish()
    }

    /// The CV-of-ISI accumulator of everything written.
    pub fn cv(&self) -> &CvAccumulator {
        &self.cv
    }

    /// Reads the spikes back in batches (for assembling `.npy` files and drawing).
    pub fn reader(&self) -> StreamReader<'_> {
        StreamReader { path: &self.path }
    }

    /// Removes the file (once its contents are in the final outputs).
    pub fn remove(self) -> Result<()> {
        drop(self.writer);
        std::fs::remove_file(&self.path).map_err(|e| failed(&self.path, e))
    }
}

/// Reads a spike file back in batches.
pub struct StreamReader<'a> {
    path: &'a Path,
}

impl StreamReader<'_> {
    /// Calls `visit` with every spike in order, a batch at a time.
    pub fn for_each_batch(&self, mut visit: impl FnMut(&[Spike]) -> Result<()>) -> Result<()> {
        let read_failed =
            |e: std::io::Error| Error::Output(format!("reading {} failed: {e}", self.path.display()));
        let file = std::fs::File::open(self.path).map_err(read_failed)?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut bytes = vec![0u8; BATCH * RECORD_BYTES];
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            let got = read_full(&mut reader, &mut bytes).map_err(read_failed)?;
            if got % RECORD_BYTES != 0 {
                return Err(Error::Output(format!(
                    "{} ends inside a record",
                    self.path.display()
                )));
            }
            batch.clear();
            batch.extend(bytes[..got].chunks_exact(RECORD_BYTES).map(|b| Spike {
                tick: u64::from_le_bytes(b[..8].try_into().expect("8 bytes")),
                neuron: u32::from_le_bytes(b[8..].try_into().expect("4 bytes")),
            }));
            if !batch.is_empty() {
                visit(&batch)?;
            }
            if got < bytes.len() {
                return Ok(());
            }
        }
    }
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

impl SpikeBatches for StreamReader<'_> {
    fn each_batch(&self, visit: &mut dyn FnMut(&[Spike]) -> DrawResult) -> DrawResult {
        let mut failure = None;
        let read = self.for_each_batch(|batch| {
            visit(batch).map_err(|e| {
                failure = Some(e);
                Error::Output("drawing stopped".into())
            })
        });
        match failure {
            Some(e) => Err(e),
            None => read.map_err(Into::into),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spikes_read_back_in_order_with_the_hash_and_cv_of_the_list_in_memory() {
        let path = std::env::temp_dir().join(format!("spikegpu-stream-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let spikes: Vec<Spike> = (0..200_000u64)
            .map(|k| Spike {
                tick: k / 3 + (1 << 32) * u64::from(k > 150_000),
                neuron: (k % 3) as u32 * 2,
            })
            .collect();
        let mut stream = SpikeStream::create(path.clone(), 6, 2).unwrap();
        for chunk in spikes.chunks(7777) {
            stream.add(chunk, |n| usize::from(n >= 3)).unwrap();
        }
        let mut back = Vec::new();
        stream
            .reader()
            .for_each_batch(|b| {
                back.extend_from_slice(b);
                Ok(())
            })
            .unwrap();
        assert_eq!(back, spikes);
        assert_eq!(stream.hash(), crate::app::stats::spike_hash(&spikes));
        assert_eq!(stream.cv().mean_cv(), crate::app::stats::mean_cv_isi(&spikes, 6));
        assert_eq!(
            stream.population_spikes(1),
            spikes.iter().filter(|s| s.neuron >= 3).count() as u64
        );
        stream.remove().unwrap();
        assert!(!path.exists());
    }
}

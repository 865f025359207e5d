//! A probe's samples on disk as the run takes them, so that host memory does not grow with
//! the run's length and a killed run leaves its samples readable. One file per probe,
//! `.stream-probe-<k>.bin`: one record per sample, the sample's time (ms, little-endian f64)
//! then the value of each probed neuron (little-endian f32). The `.npy` files are assembled
//! from it at the end.

use std::io::{BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Samples read back at a time.
const BATCH: usize = 4096;

/// One probe's sample file.
pub struct ProbeStream {
    path: PathBuf,
    writer: BufWriter<std::fs::File>,
    neurons: usize,
    samples: u64,
}

fn failed(path: &Path, e: std::io::Error) -> Error {
    Error::Output(format!("writing {} failed: {e}", path.display()))
}

impl ProbeStream {
    /// The file name of probe `k`.
    pub fn file_name(k: usize) -> String {
        format!(".stream-probe-{k}.bin")
    }

    /// Creates the file (exclusively) for samples of `neurons` values.
    pub fn create(path: PathBuf, neurons: usize) -> Result<Self> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| failed(&path, e))?;
        Ok(ProbeStream {
            writer: BufWriter::new(file),
            path,
            neurons,
            samples: 0,
        })
    }

    /// Takes back the file of a resumed run, cut to its first `samples` samples.
    pub fn reopen(path: PathBuf, neurons: usize, samples: u64) -> Result<Self> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|e| failed(&path, e))?;
        let bytes = samples.saturating_mul(Self::record_bytes(neurons) as u64);
        let len = file.metadata().map_err(|e| failed(&path, e))?.len();
        if len < bytes {
            return Err(Error::Checkpoint {
                path: path.display().to_string(),
                why: format!("holds {len} bytes; the checkpoint needs {samples} samples ({bytes} bytes)"),
            });
        }
        file.set_len(bytes).map_err(|e| failed(&path, e))?;
        let mut writer = BufWriter::new(file);
        writer
            .seek(std::io::SeekFrom::End(0))
            .map_err(|e| failed(&path, e))?;
        Ok(ProbeStream {
            writer,
            path,
            neurons,
            samples,
        })
    }

    fn record_bytes(neurons: usize) -> usize {
        8 + 4 * neurons
    }

    /// Appends one sample (`values.len()` equals the probe's neurons).
    pub fn push(&mut self, time_ms: f64, values: &[f32]) -> Result<()> {
        debug_assert_eq!(values.len(), self.neurons);
        let path = &self.path;
        self.writer
            .write_all(&time_ms.to_le_bytes())
            .map_err(|e| failed(path, e))?;
        self.writer
            .write_all(bytemuck::cast_slice(values))
            .map_err(|e| failed(path, e))?;
        self.samples += 1;
        Ok(())
    }

    /// Hands what was pushed to the operating system (once per chunk).
    pub fn flush(&mut self) -> Result<()> {
        self.writer.flush().map_err(|e| failed(&self.path, e))
    }

    /// Samples so far.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Calls `visit(times, values)` for the samples in order, a batch at a time (values
    /// sample after sample, neuron after neuron).
    pub fn for_each_batch(&mut self, mut visit: impl FnMut(&[f64], &[f32]) -> Result<()>) -> Result<()> {
        self.flush()?;
        let read_failed =
            |e: std::io::Error| Error::Output(format!("reading {} failed: {e}", self.path.display()));
        let file = std::fs::File::open(&self.path).map_err(read_failed)?;
        let mut reader = BufReader::new(file);
        let record = Self::record_bytes(self.neurons);
        let mut left = self.samples;
        let mut bytes = vec![0u8; BATCH * record];
        while left > 0 {
            let n = left.min(BATCH as u64) as usize;
            reader.read_exact(&mut bytes[..n * record]).map_err(read_failed)?;
            let mut times = Vec::with_capacity(n);
            let mut values = Vec::with_capacity(n * self.neurons);
            for r in bytes[..n * record].chunks_exact(record) {
                times.push(f64::from_le_bytes(r[..8].try_into().expect("8 bytes")));
                values.extend(
                    r[8..]
                        .chunks_exact(4)
                        .map(|v| f32::from_le_bytes(v.try_into().expect("4 bytes"))),
                );
            }
            visit(&times, &values)?;
            left -= n as u64;
        }
        Ok(())
    }

    /// Removes the file (its samples are in the final outputs).
    pub fn remove(self) -> Result<()> {
        drop(self.writer);
        std::fs::remove_file(&self.path).map_err(|e| failed(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_come_back_in_order_and_a_reopened_stream_is_cut_to_the_checkpoint() {
        let path = std::env::temp_dir().join(format!("spikegpu-probe-stream-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let mut stream = ProbeStream::create(path.clone(), 3).unwrap();
        for k in 0..10_000u32 {
            let x = k as f32;
            stream.push(f64::from(k) * 0.5, &[x, -x, f32::NAN]).unwrap();
        }
        let mut back = (Vec::new(), Vec::new());
        stream
            .for_each_batch(|t, v| {
                back.0.extend_from_slice(t);
                back.1.extend_from_slice(v);
                Ok(())
            })
            .unwrap();
        assert_eq!(back.0.len(), 10_000);
        assert_eq!(back.0[9_999], 4999.5);
        assert_eq!((back.1[3 * 7], back.1[3 * 7 + 1]), (7.0, -7.0));
        assert!(back.1[3 * 7 + 2].is_nan());
        stream.flush().unwrap();
        drop(stream);
        let mut again = ProbeStream::reopen(path.clone(), 3, 100).unwrap();
        again.push(50.0, &[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(again.samples(), 101);
        let mut times = Vec::new();
        again
            .for_each_batch(|t, _| {
                times.extend_from_slice(t);
                Ok(())
            })
            .unwrap();
        assert_eq!((times.len(), times[99], times[100]), (101, 49.5, 50.0));
        assert!(
            ProbeStream::reopen(path.clone(), 3, 1_000).is_err(),
            "longer than the file"
        );
        again.remove().unwrap();
    }
}

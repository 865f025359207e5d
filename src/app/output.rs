//! Results people can open: `.npy` arrays (numpy.load). The PNGs are drawn in `plots`.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// An element type `.npy` files can hold.
pub trait NpyElement: bytemuck::Pod {
    /// numpy dtype descriptor, little-endian.
    const DESCR: &'static str;
}

impl NpyElement for f64 {
    const DESCR: &'static str = "<f8";
}
impl NpyElement for f32 {
    const DESCR: &'static str = "<f4";
}
impl NpyElement for u32 {
    const DESCR: &'static str = "<u4";
}

/// Writes a C-order `.npy` file (format version 1.0) with the given shape.
pub fn write_npy<T: NpyElement>(path: &Path, shape: &[usize], data: &[T]) -> Result<()> {
    assert_eq!(
        shape.iter().product::<usize>(),
        data.len(),
        "shape does not match the data"
    );
    let header = npy_header::<T>(shape);
    let mut bytes = Vec::with_capacity(header.len() + std::mem::size_of_val(data));
    bytes.extend_from_slice(&header);
    bytes.extend_from_slice(bytemuck::cast_slice(data));
    crate::app::atomic::write_file(path, &bytes)
}

/// Writes a `.npy` file of `shape` whose elements `fill` hands over piece by piece (for arrays
/// assembled from a run's stream files without holding them whole). Fails, leaving no file,
/// when the pieces do not add up to the shape.
pub fn write_npy_pieces<T: NpyElement>(
    path: &Path,
    shape: &[usize],
    fill: impl FnOnce(&mut dyn FnMut(&[T]) -> Result<()>) -> Result<()>,
) -> Result<()> {
    let expected = shape.iter().product::<usize>();
    let failed = |e: std::io::Error| Error::Output(format!("writing {} failed: {e}", path.display()));
    crate::app::atomic::write_via_temporary(path, |temp| {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(temp)
            .map_err(failed)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        w.write_all(&npy_header::<T>(shape)).map_err(failed)?;
        let mut written = 0usize;
        fill(&mut |piece: &[T]| {
            written += piece.len();
            w.write_all(bytemuck::cast_slice(piece)).map_err(failed)
        })?;
        if written != expected {
            return Err(Error::Output(format!(
                "writing {}: {written} elements for a shape of {expected}",
                path.display()
            )));
        }
        w.flush().map_err(failed)
    })
}

/// The magic, version, header length and header of a C-order `.npy` file of `shape`.
fn npy_header<T: NpyElement>(shape: &[usize]) -> Vec<u8> {
    let dims = match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
        ),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {dims}, }}",
        T::DESCR
    );
    // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64,
    // ending in a newline.
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat(total.div_ceil(64) * 64 - total));
    header.push('\n');
    let mut bytes = Vec::with_capacity(10 + header.len());
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes
}

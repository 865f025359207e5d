//! Results people can open: `.npy` arrays (numpy.load). The PNGs are drawn in `plots`.

use std::path::Path;

use crate::error::Result;

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
    let mut bytes = Vec::with_capacity(10 + header.len() + std::mem::size_of_val(data));
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(bytemuck::cast_slice(data));
    crate::app::atomic::write_file(path, &bytes)
}

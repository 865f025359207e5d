//! Results people can open: `.npy` arrays (numpy.load), `summary.json`, and a raster PNG.

use std::io::Write;
use std::path::Path;

use plotters::prelude::*;

use crate::error::{Error, Result};
use crate::plan::layout::SpikeRecord;

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

fn io_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Output(format!("writing {} failed: {e}", path.display()))
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
    let mut f = std::fs::File::create(path).map_err(|e| io_error(path, e))?;
    f.write_all(&bytes).map_err(|e| io_error(path, e))
}

/// One population's place in the raster.
pub struct RasterPopulation<'a> {
    /// Name (legend).
    pub name: &'a str,
    /// First global neuron index.
    pub start: u32,
    /// Neurons.
    pub size: u32,
}

fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The embedded DejaVu Sans, so PNGs render text without system fonts.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
    });
}

/// What drawing returns: plotters' errors are boxed, then reported with the file's path.
type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// A part of a PNG being drawn.
type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

/// The colour of population `i` in the raster and its rate plot.
fn population_colour(i: usize) -> RGBAColor {
    Palette99::pick(i).to_rgba()
}

/// Draws a spike raster (population colours) with the population rates below.
pub fn raster_png(
    path: &Path,
    title: &str,
    records: &[SpikeRecord],
    pops: &[RasterPopulation<'_>],
    dt_ms: f64,
    duration_ms: f64,
    size: (u32, u32),
) -> Result<()> {
    register_font();
    let draw = || -> DrawResult {
        let root = BitMapBackend::new(path, size).into_drawing_area();
        root.fill(&WHITE)?;
        let (top, bottom) = root.split_vertically(size.1 * 7 / 10);
        draw_spikes(&top, title, records, pops, dt_ms, duration_ms)?;
        let (bin_ms, rates) = binned_rates(records, pops, dt_ms, duration_ms);
        draw_rates(&bottom, &rates, bin_ms, duration_ms)?;
        root.present()?;
        Ok(())
    };
    draw().map_err(|e| Error::Output(format!("drawing {} failed: {e}", path.display())))
}

/// The raster itself: one dot per spike, time against global neuron index, with a legend.
fn draw_spikes(
    area: &Area<'_>,
    title: &str,
    records: &[SpikeRecord],
    pops: &[RasterPopulation<'_>],
    dt_ms: f64,
    duration_ms: f64,
) -> DrawResult {
    let n_total = pops.iter().map(|p| p.start + p.size).max().unwrap_or(1);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..duration_ms, 0u32..n_total)?;
    chart
        .configure_mesh()
        .x_desc("time (ms)")
        .y_desc("neuron")
        .disable_mesh()
        .draw()?;
    for (i, pop) in pops.iter().enumerate() {
        let range = pop.start..pop.start + pop.size;
        let points = records
            .iter()
            .filter(|r| range.contains(&r.neuron))
            .map(|r| Pixel::new((f64::from(r.tick) * dt_ms, r.neuron), population_colour(i)));
        chart.draw_series(points)?.label(pop.name).legend(move |(x, y)| {
            Rectangle::new([(x, y - 4), (x + 10, y + 4)], population_colour(i).filled())
        });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// Population rates (Hz) in 1 ms bins (or one tick if dt is longer): the bin width and, per
/// population, the rate in every bin.
fn binned_rates(
    records: &[SpikeRecord],
    pops: &[RasterPopulation<'_>],
    dt_ms: f64,
    duration_ms: f64,
) -> (f64, Vec<Vec<f64>>) {
    let bin_ms = dt_ms.max(1.0);
    let bins = (duration_ms / bin_ms).ceil().max(1.0) as usize;
    let mut rates = vec![vec![0.0f64; bins]; pops.len()];
    for r in records {
        if let Some(i) = pops
            .iter()
            .position(|p| (p.start..p.start + p.size).contains(&r.neuron))
        {
            let b = ((f64::from(r.tick) * dt_ms) / bin_ms) as usize;
            if b < bins {
                rates[i][b] += 1000.0 / (bin_ms * f64::from(pops[i].size));
            }
        }
    }
    (bin_ms, rates)
}

/// The population rates as lines, one colour per population.
fn draw_rates(area: &Area<'_>, rates: &[Vec<f64>], bin_ms: f64, duration_ms: f64) -> DrawResult {
    let peak = rates.iter().flatten().cloned().fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..duration_ms, 0.0..peak * 1.05)?;
    chart
        .configure_mesh()
        .x_desc("time (ms)")
        .y_desc("rate (Hz)")
        .disable_mesh()
        .draw()?;
    for (i, series) in rates.iter().enumerate() {
        chart.draw_series(LineSeries::new(
            series
                .iter()
                .enumerate()
                .map(|(b, &r)| ((b as f64 + 0.5) * bin_ms, r)),
            population_colour(i),
        ))?;
    }
    Ok(())
}

/// Histograms of the initial and final weights (20 bins over [0, w_max]).
pub fn weights_png(path: &Path, title: &str, initial: &[f32], last: &[f32], w_max: f64) -> Result<()> {
    register_font();
    let bins = 20;
    let (h0, h1) = (
        crate::app::stats::histogram(initial, 0.0, w_max, bins),
        crate::app::stats::histogram(last, 0.0, w_max, bins),
    );
    let top = h0.iter().chain(&h1).cloned().max().unwrap_or(1).max(1);
    let draw = || -> DrawResult {
        let root = BitMapBackend::new(path, (900, 500)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..1.0f64, 0u64..top + top / 10 + 1)?;
        chart
            .configure_mesh()
            .x_desc("w / w_max")
            .y_desc("synapses")
            .disable_mesh()
            .draw()?;
        for (counts, colour, name) in [
            (&h0, RGBColor(150, 150, 150), "initial"),
            (&h1, RGBColor(200, 30, 60), "final"),
        ] {
            let series = counts.iter().enumerate().map(|(b, &c)| {
                let x0 = b as f64 / bins as f64;
                Rectangle::new(
                    [(x0 + 0.005, 0), (x0 + 1.0 / bins as f64 - 0.005, c)],
                    colour.mix(0.6).filled(),
                )
            });
            chart
                .draw_series(series)?
                .label(name)
                .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 10, y + 4)], colour.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperMiddle)
            .border_style(BLACK)
            .draw()?;
        root.present()?;
        Ok(())
    };
    draw().map_err(|e| Error::Output(format!("drawing {} failed: {e}", path.display())))
}

//! The PNGs of a run, one per kind of record: the spike raster with the recorded populations'
//! rates, state traces of probes, population rate records, and weight histograms (initial
//! and final, and over time from the snapshots).

use std::path::Path;

/// Longest title drawn whole into a figure, in characters (titles hold user names; a long one
/// is cut rather than laid out glyph by glyph).
const MAX_TITLE_CHARS: usize = 120;

use plotters::prelude::*;

use crate::app::stats;
use crate::error::{Error, Result};
use crate::model::NeuronSelection;
use crate::sim::Spike;

/// A recorded population's band in the raster: its selected neurons, one row each.
pub struct RasterBand<'a> {
    /// Name (legend and band label).
    pub name: &'a str,
    /// First global neuron index of the population.
    pub start: u32,
    /// Neurons of the population.
    pub size: u32,
    /// The recorded neurons.
    pub neurons: &'a NeuronSelection,
    /// The recording window (ms).
    pub window_ms: (f64, f64),
}

impl RasterBand<'_> {
    /// Rows of the band: the recorded neurons.
    fn rows(&self) -> u32 {
        self.neurons.count(self.size)
    }

    /// The row of global neuron `n` within the band, if it is one of the band's.
    fn row(&self, n: u32) -> Option<u32> {
        (self.start..self.start + self.size)
            .contains(&n)
            .then(|| self.neurons.position(n - self.start))
            .flatten()
    }
}

fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The embedded DejaVu Sans, so PNGs render text without system fonts.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
    });
}

/// What drawing returns: plotters' errors are boxed, then reported with the file's path.
/// The outcome of drawing (plotters' errors and the spike reader's, boxed).
pub type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// Where a raster's spikes come from: a list in memory, or a run's spike file read back in
/// batches (so that drawing a long run needs memory per batch, not per spike).
pub trait SpikeBatches {
    /// Calls `visit` with every spike, in (tick, neuron) order, one batch at a time; stops at
    /// the first error.
    fn each_batch(&self, visit: &mut dyn FnMut(&[Spike]) -> DrawResult) -> DrawResult;
}

impl SpikeBatches for &[Spike] {
    fn each_batch(&self, visit: &mut dyn FnMut(&[Spike]) -> DrawResult) -> DrawResult {
        visit(self)
    }
}

/// A part of a PNG being drawn.
type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

/// Draws `draw` into a PNG of `size` at `path`.
fn png(path: &Path, size: (u32, u32), draw: impl FnOnce(&Area<'_>) -> DrawResult) -> Result<()> {
    register_font();
    let run = |temp: &Path| -> DrawResult {
        let root = BitMapBackend::new(temp, size).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
        Ok(())
    };
    // Drawn into a temporary file and renamed, so an interrupted run leaves no half PNG.
    crate::app::atomic::write_via_temporary(path, |temp| {
        run(temp).map_err(|e| Error::Output(format!("drawing {} failed: {e}", path.display())))
    })
}

/// The colour of series `i`.
fn colour(i: usize) -> RGBAColor {
    Palette99::pick(i).to_rgba()
}

/// The spike raster of the recorded populations only, one band of rows per population (its
/// recorded neurons), with each population's rate per recorded neuron below; `size` in pixels
/// (`spikegpu run` draws 1200 x 800).
pub fn raster_png(
    path: &Path,
    title: &str,
    records: &dyn SpikeBatches,
    bands: &[RasterBand<'_>],
    dt_ms: f64,
    duration_ms: f64,
    size: (u32, u32),
) -> Result<()> {
    png(path, size, |root| {
        let (top, bottom) = root.split_vertically(size.1 * 7 / 10);
        draw_raster(&top, title, records, bands, dt_ms, duration_ms)?;
        let bin_ms = dt_ms.max((duration_ms / 200.0).max(1.0).round());
        let rates = band_rates(records, bands, dt_ms, duration_ms, bin_ms)?;
        let names: Vec<&str> = bands.iter().map(|b| b.name).collect();
        draw_lines(
            &bottom,
            "",
            &names,
            bin_ms,
            &rates,
            duration_ms,
            "rate per recorded neuron (Hz)",
        )
    })
}

/// The raster: one panel per recorded population, one dot per spike at its neuron's index
/// in the population; panel heights follow the recorded neurons, none below half an even
/// share.
fn draw_raster(
    area: &Area<'_>,
    title: &str,
    records: &dyn SpikeBatches,
    bands: &[RasterBand<'_>],
    dt_ms: f64,
    duration_ms: f64,
) -> DrawResult {
    let area = area.titled(&crate::error::capped(title, MAX_TITLE_CHARS), ("sans-serif", 22))?;
    if bands.is_empty() {
        return Ok(());
    }
    let height = f64::from(area.dim_in_pixel().1);
    let rows: Vec<f64> = bands.iter().map(|b| f64::from(b.rows().max(1))).collect();
    let total: f64 = rows.iter().sum();
    let floor = 0.5 / bands.len() as f64;
    let shares: Vec<f64> = rows.iter().map(|r| (r / total).max(floor)).collect();
    let norm: f64 = shares.iter().sum();
    let mut breaks = Vec::new();
    let mut at = 0.0;
    for share in &shares[..shares.len() - 1] {
        at += share / norm * height;
        breaks.push(at as i32);
    }
    let panels = area.split_by_breakpoints::<i32, i32, _, _>([], breaks);
    for (i, (band, panel)) in bands.iter().zip(panels.iter()).enumerate() {
        let neurons = band.neurons.indices(band.size);
        let (lo, hi) = (
            neurons.first().copied().unwrap_or(0),
            neurons.last().copied().unwrap_or(0) + 1,
        );
        let last = i + 1 == bands.len();
        let mut chart = ChartBuilder::on(panel)
            .margin(6)
            .x_label_area_size(if last { 30 } else { 0 })
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..duration_ms, lo..hi)?;
        let desc = format!("{} ({} of {})", band.name, band.rows(), band.size);
        let mut mesh = chart.configure_mesh();
        mesh.y_desc(desc)
            .y_labels(4)
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 14))
            .disable_mesh();
        if last {
            mesh.x_desc("time (ms)");
        } else {
            mesh.disable_x_axis();
        }
        mesh.draw()?;
        // Few rows get visible dots; many rows one pixel per spike.
        let dots = f64::from(panel.dim_in_pixel().1) >= 4.0 * f64::from(hi - lo);
        records.each_batch(&mut |batch| {
            let spikes = batch
                .iter()
                .filter(|r| band.row(r.neuron).is_some())
                .map(|r| (r.tick as f64 * dt_ms, r.neuron - band.start));
            if dots {
                chart.draw_series(spikes.map(|p| Circle::new(p, 2, colour(i).filled())))?;
            } else {
                chart.draw_series(spikes.map(|p| Pixel::new(p, colour(i))))?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// Rate (Hz per recorded neuron) of each band in bins of `bin_ms`, over its window.
fn band_rates(
    records: &dyn SpikeBatches,
    bands: &[RasterBand<'_>],
    dt_ms: f64,
    duration_ms: f64,
    bin_ms: f64,
) -> std::result::Result<Vec<Vec<f64>>, Box<dyn std::error::Error>> {
    let bins = (duration_ms / bin_ms).ceil().max(1.0) as usize;
    let mut rates = vec![vec![0.0f64; bins]; bands.len()];
    records.each_batch(&mut |batch| {
        for r in batch {
            if let Some(i) = bands.iter().position(|b| b.row(r.neuron).is_some()) {
                let b = (r.tick as f64 * dt_ms / bin_ms) as usize;
                if b < bins {
                    rates[i][b] += 1000.0 / (bin_ms * f64::from(bands[i].rows().max(1)));
                }
            }
        }
        Ok(())
    })?;
    for (band, series) in bands.iter().zip(&mut rates) {
        // Bins outside the recording window hold no data, not silence.
        for (b, x) in series.iter_mut().enumerate() {
            let t = b as f64 * bin_ms;
            if t + bin_ms <= band.window_ms.0 || t >= band.window_ms.1 {
                *x = f64::NAN;
            }
        }
    }
    Ok(rates)
}

/// Lines of `series` (one per name) at bin starts `k * bin_ms`; NaN values are gaps.
fn draw_lines(
    area: &Area<'_>,
    title: &str,
    names: &[&str],
    bin_ms: f64,
    series: &[Vec<f64>],
    duration_ms: f64,
    y_desc: &str,
) -> DrawResult {
    let peak = series
        .iter()
        .flatten()
        .cloned()
        .filter(|x| x.is_finite())
        .fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption(crate::error::capped(title, MAX_TITLE_CHARS), ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..duration_ms.max(bin_ms), 0.0..peak * 1.05)?;
    chart
        .configure_mesh()
        .x_desc("time (ms)")
        .y_desc(y_desc)
        .disable_mesh()
        .draw()?;
    for (i, values) in series.iter().enumerate() {
        let mut drawn = false;
        for run in values
            .iter()
            .enumerate()
            .collect::<Vec<_>>()
            .split(|(_, x)| !x.is_finite())
            .filter(|run| !run.is_empty())
        {
            let points = run.iter().map(|&(b, &x)| ((b as f64 + 0.5) * bin_ms, x));
            let s = chart.draw_series(LineSeries::new(points, colour(i)))?;
            if !drawn && !names.is_empty() {
                s.label(crate::error::capped(names[i], MAX_TITLE_CHARS / 3))
                    .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 10, y + 4)], colour(i).filled()));
                drawn = true;
            }
        }
    }
    if names.len() > 1 || !title.is_empty() {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
    }
    Ok(())
}

/// Population rate records: each population's rate (Hz per neuron) per bin.
pub fn rates_png(path: &Path, title: &str, series: &[(&str, f64, Vec<f64>)], duration_ms: f64) -> Result<()> {
    png(path, (1200, 500), |root| {
        let area = root.clone();
        let bin = series.iter().map(|s| s.1).fold(f64::INFINITY, f64::min);
        // Every series on the grid of the finest bin, so that they share one x axis.
        let on_grid: Vec<Vec<f64>> = series
            .iter()
            .map(|(_, bin_ms, rates)| {
                let bins = (duration_ms / bin).ceil().max(1.0) as usize;
                (0..bins)
                    .map(|b| {
                        let k = ((b as f64 + 0.5) * bin / bin_ms) as usize;
                        rates.get(k).copied().unwrap_or(f64::NAN)
                    })
                    .collect()
            })
            .collect();
        let names: Vec<&str> = series.iter().map(|s| s.0).collect();
        draw_lines(
            &area,
            title,
            &names,
            bin,
            &on_grid,
            duration_ms,
            "population rate (Hz)",
        )
    })
}

/// State traces of a probe: values (samples x neurons) against time, up to `MAX_TRACES`
/// neurons (the first ones).
pub fn traces_png(
    path: &Path,
    title: &str,
    times_ms: &[f64],
    values: &[f32],
    neurons: &[u32],
    unit: &str,
) -> Result<()> {
    const MAX_TRACES: usize = 10;
    let n = neurons.len().max(1);
    let shown = neurons.len().min(MAX_TRACES);
    let finite = values.iter().filter(|x| x.is_finite()).map(|&x| f64::from(x));
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.05).max(1e-6);
    let t_end = times_ms.last().copied().unwrap_or(1.0).max(1e-9);
    let t_start = times_ms.first().copied().unwrap_or(0.0).min(t_end - 1e-9);
    let title = if neurons.len() > shown {
        format!("{title} (first {shown} of {} neurons)", neurons.len())
    } else {
        title.to_string()
    };
    png(path, (1200, 500), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(crate::error::capped(&title, MAX_TITLE_CHARS), ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(70)
            .build_cartesian_2d(t_start..t_end, lo - pad..hi + pad)?;
        chart
            .configure_mesh()
            .x_desc("time (ms)")
            .y_desc(unit)
            .disable_mesh()
            .draw()?;
        for k in 0..shown {
            let points = times_ms
                .iter()
                .enumerate()
                .map(|(s, &t)| (t, f64::from(values[s * n + k])));
            chart
                .draw_series(LineSeries::new(points, colour(k)))?
                .label(format!("neuron {}", neurons[k]))
                .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 10, y + 4)], colour(k).filled()));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    })
}

/// Histograms of the initial and final weights (20 bins over [0, w_max]).
pub fn weights_png(path: &Path, title: &str, initial: &[f32], last: &[f32], w_max: f64) -> Result<()> {
    let bins = 20;
    let (h0, h1) = (
        stats::histogram(initial, 0.0, w_max, bins),
        stats::histogram(last, 0.0, w_max, bins),
    );
    let top = h0.iter().chain(&h1).cloned().max().unwrap_or(1).max(1);
    png(path, (900, 500), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(crate::error::capped(title, MAX_TITLE_CHARS), ("sans-serif", 20))
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
                .label(crate::error::capped(name, MAX_TITLE_CHARS / 3))
                .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 10, y + 4)], colour.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperMiddle)
            .border_style(BLACK)
            .draw()?;
        Ok(())
    })
}

/// Weight histograms over time: a column per snapshot from its time to the next (the first
/// usually the initial weights at 0), 40 bins over [w_min, w_max], shaded by the fraction of
/// synapses in each.
pub fn weight_snapshots_png(
    path: &Path,
    title: &str,
    times_ms: &[f64],
    snapshots: &[&[f32]],
    w_min: f64,
    w_max: f64,
) -> Result<()> {
    let bins = 40;
    let columns: Vec<Vec<u64>> = snapshots
        .iter()
        .map(|w| stats::histogram(w, w_min, w_max, bins))
        .collect();
    let last_gap = match times_ms {
        [.., a, b] => b - a,
        _ => 1.0,
    };
    let t_end = times_ms.last().copied().unwrap_or(0.0) + last_gap.max(1e-9);
    png(path, (1200, 500), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(crate::error::capped(title, MAX_TITLE_CHARS), ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(70)
            .build_cartesian_2d(times_ms.first().copied().unwrap_or(0.0)..t_end, w_min..w_max)?;
        chart
            .configure_mesh()
            .x_desc("time (ms)")
            .y_desc("weight")
            .disable_mesh()
            .draw()?;
        let dw = (w_max - w_min) / bins as f64;
        for (k, counts) in columns.iter().enumerate() {
            let total = counts.iter().sum::<u64>().max(1) as f64;
            let (t0, t1) = (times_ms[k], times_ms.get(k + 1).copied().unwrap_or(t_end));
            let cells = counts.iter().enumerate().map(|(b, &c)| {
                let shade = (c as f64 / total).sqrt();
                let level = (255.0 * (1.0 - shade)) as u8;
                let y0 = w_min + b as f64 * dw;
                Rectangle::new([(t0, y0), (t1, y0 + dw)], RGBColor(level, level, 255).filled())
            });
            chart.draw_series(cells)?;
        }
        Ok(())
    })
}

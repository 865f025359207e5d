//! `spikegpu sweep`: one model file run at every point of a grid of overrides (and seeds),
//! in one process, each point into its own folder, with one table (CSV and JSON) of the
//! summary figures. Points can run in parallel on the CPU backend.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::app::modelfile::{self, ModelFile, Override};
use crate::app::run;
use crate::error::{Error, Result};
use crate::sim::{Backend, SimOptions};

/// One axis of the grid: a key and its values (`key=v1,v2,...`).
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The dotted model-file key.
    pub key: String,
    /// Its values, as written (expanded from ranges).
    pub values: Vec<String>,
}

impl std::str::FromStr for Axis {
    type Err = Error;
    /// `key=v1,v2,...`; commas inside brackets, braces or quotes do not split. A value
    /// `A..B` of whole numbers stands for every number from A to B; `A..B:S` for A, A + S, ...
    /// up to B (plain numbers, in the field's canonical unit).
    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: &str| Error::InvalidParameter {
            field: "--set-values".into(),
            value: format!("'{s}'"),
            allowed: format!(
                "{why}; write KEY=V1,V2,... (e.g. 'population.exc.params.tau_m=5 ms,10 ms,20 ms') or a range \
                 KEY=A..B or KEY=A..B:STEP (e.g. 'current.neuron.dc=10..20:0.5')"
            ),
        };
        let Some((key, list)) = s.split_once('=') else {
            return Err(bad("no '=' between the key and its values"));
        };
        let mut values = Vec::new();
        for item in split_top_level(list) {
            match expand_range(item.trim()) {
                Some(Ok(range)) => values.extend(range),
                Some(Err(why)) => return Err(bad(&why)),
                None if item.trim().is_empty() => return Err(bad("an empty value")),
                None => values.push(item.trim().to_string()),
            }
        }
        if key.trim().is_empty() {
            return Err(bad("an empty key"));
        }
        Ok(Axis {
            key: key.trim().to_string(),
            values,
        })
    }
}

/// Splits at commas outside brackets, braces and quotes.
fn split_top_level(list: &str) -> Vec<&str> {
    let (mut depth, mut quoted, mut start) = (0i32, false, 0);
    let mut parts = Vec::new();
    for (i, c) in list.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '[' | '{' if !quoted => depth += 1,
            ']' | '}' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&list[start..]);
    parts
}

/// `A..B` (whole numbers, inclusive) or `A..B:S` (numbers, inclusive within rounding) as
/// values; `None` when `text` is no range.
fn expand_range(text: &str) -> Option<std::result::Result<Vec<String>, String>> {
    let (range, step) = match text.split_once(':') {
        Some((r, s)) => (r, Some(s.trim())),
        None => (text, None),
    };
    let (a, b) = range.split_once("..")?;
    let (a, b) = (a.trim(), b.trim());
    let number = |s: &str| s.parse::<f64>().ok().filter(|x| x.is_finite());
    let (Some(lo), Some(hi)) = (number(a), number(b)) else {
        return Some(Err(format!("'{text}' is not a range of numbers")));
    };
    let step = match step {
        Some(s) => match number(s) {
            Some(s) if s > 0.0 => s,
            _ => return Some(Err(format!("the step of '{text}' must be a number > 0"))),
        },
        None if a.parse::<i64>().is_ok() && b.parse::<i64>().is_ok() => 1.0,
        None => return Some(Err(format!("'{text}' needs a step: A..B:STEP"))),
    };
    if hi < lo {
        return Some(Err(format!("'{text}' ends below its start")));
    }
    let count = ((hi - lo) / step + 1e-9).floor() as u64 + 1;
    if count > 100_000 {
        return Some(Err(format!("'{text}' has {count} values (at most 100,000)")));
    }
    Some(Ok((0..count)
        .map(|k| {
            let x = lo + k as f64 * step;
            // Twelve significant digits hide the binary noise of lo + k * step.
            format!("{}", (x * 1e12).round() / 1e12)
        })
        .collect()))
}

/// The seeds of `--seeds`: `1..10` (inclusive), `1,5,9` or `7`.
pub fn parse_seeds(text: &str) -> Result<Vec<u64>> {
    let axis: Axis = format!("seed={text}").parse()?;
    axis.values
        .iter()
        .map(|v| {
            v.parse::<u64>().map_err(|_| Error::InvalidParameter {
                field: "--seeds".into(),
                value: format!("'{text}'"),
                allowed: "whole numbers >= 0: a range 1..10 (inclusive), a list 1,5,9 or one seed".into(),
            })
        })
        .collect()
}

/// What a sweep runs.
#[derive(Clone, Debug)]
pub struct SweepConfig {
    /// The model file.
    pub model: PathBuf,
    /// Overrides applied at every point.
    pub fixed: Vec<Override>,
    /// The grid's axes (every combination runs).
    pub axes: Vec<Axis>,
    /// Backend of every point.
    pub backend: Backend,
    /// Simulator options of every point.
    pub options: SimOptions,
    /// Biological time (ms); the file's duration when `None`, else 1000.
    pub duration_ms: Option<f64>,
    /// The folder of the points' folders and the table.
    pub out: PathBuf,
    /// Points run at once (CPU backend only).
    pub jobs: usize,
}

/// One point of the grid.
#[derive(Clone, Debug)]
pub struct Point {
    /// Its number (0-based), in grid order (the last axis fastest).
    pub index: usize,
    /// Its overrides: the fixed ones, then one per axis.
    pub overrides: Vec<Override>,
    /// Its output folder.
    pub dir: PathBuf,
}

/// One row of the sweep's table.
#[derive(Clone, Debug)]
pub struct Row {
    /// The point's number.
    pub point: usize,
    /// Its folder.
    pub dir: String,
    /// The value of each axis at this point, by key.
    pub values: Vec<(String, String)>,
    /// The run's figures (`summary.json`'s).
    pub spikes: u64,
    /// Mean rate over every neuron (Hz).
    pub rate_hz: f64,
    /// Mean CV of ISI of the recorded neurons.
    pub cv_isi: Option<f64>,
    /// Rate of each population over all its neurons (Hz), by name.
    pub population_rates_hz: Vec<(String, f64)>,
    /// The spike hash of the recorded spikes.
    pub spike_hash: String,
    /// Wall-clock seconds of the run.
    pub run_s: f64,
}

/// Every point of the grid, in order (the last axis varies fastest).
pub fn points(config: &SweepConfig) -> Vec<Point> {
    let mut grid: Vec<Vec<Override>> = vec![Vec::new()];
    for axis in &config.axes {
        grid = grid
            .into_iter()
            .flat_map(|head| {
                axis.values.iter().map(move |v| {
                    let mut point = head.clone();
                    point.push(Override::new(axis.key.clone(), v.clone()));
                    point
                })
            })
            .collect();
    }
    let width = grid.len().to_string().len().max(3);
    grid.into_iter()
        .enumerate()
        .map(|(index, varied)| Point {
            index,
            overrides: config.fixed.iter().cloned().chain(varied).collect(),
            dir: config.out.join(format!("point{index:0width$}")),
        })
        .collect()
}

/// Loads every point's model first, so that a bad value stops the sweep before anything runs.
fn load_all(config: &SweepConfig, points: &[Point]) -> Result<Vec<ModelFile>> {
    points
        .iter()
        .map(|p| modelfile::load_with(&config.model, &p.overrides))
        .collect()
}

/// Runs every point (`jobs` at a time on the CPU backend), writes `sweep.csv` and
/// `sweep.json` into `config.out` and returns the rows; `done(row)` is called as each
/// point finishes.
pub fn run(config: &SweepConfig, done: &(dyn Fn(&Row) + Sync)) -> Result<Vec<Row>> {
    if config.jobs > 1 && config.backend != Backend::Cpu {
        return Err(Error::InvalidParameter {
            field: "--jobs".into(),
            value: config.jobs.to_string(),
            allowed: "points run in parallel on the CPU backend only: add --backend cpu, or use --jobs 1"
                .into(),
        });
    }
    let points = points(config);
    let models = load_all(config, &points)?;
    run::prepare_out_dir(&config.out)?;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let rows = std::sync::Mutex::new(Vec::with_capacity(points.len()));
    let failure = std::sync::Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..config.jobs.clamp(1, points.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if k >= points.len() || failure.lock().expect("lock").is_some() {
                        break;
                    }
                    match run_point(config, &points[k], &models[k]) {
                        Ok(row) => {
                            done(&row);
                            rows.lock().expect("lock").push(row);
                        }
                        Err(e) => {
                            failure.lock().expect("lock").get_or_insert((k, e));
                        }
                    }
                }
            });
        }
    });
    if let Some((k, e)) = failure.into_inner().expect("lock") {
        return Err(context(e, &points[k]));
    }
    let mut rows = rows.into_inner().expect("lock");
    rows.sort_by_key(|r| r.point);
    write_table(&config.out, config, &rows)?;
    Ok(rows)
}

/// An error of one point, naming the point and its overrides.
fn context(e: Error, point: &Point) -> Error {
    let which: Vec<String> = point.overrides.iter().map(|o| o.to_string()).collect();
    match e {
        Error::Output(msg) => Error::Output(format!("point {} ({}): {msg}", point.index, which.join(", "))),
        other => other,
    }
}

/// Runs one point into its folder.
fn run_point(config: &SweepConfig, point: &Point, model: &ModelFile) -> Result<Row> {
    let duration = config.duration_ms.or(model.duration_ms).unwrap_or(1000.0);
    let mut out = crate::app::outdir::OutputDir::create(&point.dir, false)?;
    let result = run::run_model(
        model,
        config.backend,
        config.options.clone(),
        duration,
        &mut out,
        None,
        |_, _, _| {},
    )?;
    let r = &result.report;
    let varied = &point.overrides[config.fixed.len()..];
    Ok(Row {
        point: point.index,
        dir: point.dir.display().to_string(),
        values: varied.iter().map(|o| (o.key.clone(), o.value.clone())).collect(),
        spikes: r.spikes,
        rate_hz: r.rate_hz,
        cv_isi: r.cv_isi,
        population_rates_hz: r
            .populations
            .iter()
            .map(|p| (p.name.clone(), p.rate_hz.unwrap_or(f64::NAN)))
            .collect(),
        spike_hash: r.spike_hash.clone(),
        run_s: r.run_s,
    })
}

/// Writes `sweep.csv` (one row per point, one column per axis and figure) and `sweep.json`.
fn write_table(out: &Path, config: &SweepConfig, rows: &[Row]) -> Result<()> {
    let csv = table_csv(config, rows);
    let path = out.join("sweep.csv");
    std::fs::write(&path, csv)
        .map_err(|e| Error::Output(format!("writing {} failed: {e}", path.display())))?;
    let json = serde_json::json!({
        "model": config.model.display().to_string(),
        "fixed": config.fixed.iter().map(|o| o.to_string()).collect::<Vec<_>>(),
        "axes": config.axes.iter().map(|a| serde_json::json!({"key": a.key, "values": a.values})).collect::<Vec<_>>(),
        "points": rows.iter().map(row_json).collect::<Vec<_>>(),
    });
    let path = out.join("sweep.json");
    std::fs::write(&path, serde_json::to_string_pretty(&json).expect("json"))
        .map_err(|e| Error::Output(format!("writing {} failed: {e}", path.display())))
}

/// One row as JSON, the axes' values and the population rates as objects.
fn row_json(r: &Row) -> serde_json::Value {
    let object =
        |pairs: Vec<(String, serde_json::Value)>| serde_json::Value::Object(pairs.into_iter().collect());
    serde_json::json!({
        "point": r.point,
        "dir": r.dir,
        "values": object(r.values.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect()),
        "spikes": r.spikes,
        "rate_hz": r.rate_hz,
        "cv_isi": r.cv_isi,
        "population_rates_hz": object(r.population_rates_hz.iter().map(|(k, v)| (k.clone(), (*v).into())).collect()),
        "spike_hash": r.spike_hash,
        "run_s": r.run_s,
    })
}

/// The table as CSV: point, the axes' values, then the figures and each population's rate.
pub fn table_csv(config: &SweepConfig, rows: &[Row]) -> String {
    let mut s = String::from("point");
    for axis in &config.axes {
        let _ = write!(s, ",{}", csv_field(&axis.key));
    }
    s.push_str(",spikes,rate_hz,cv_isi");
    if let Some(first) = rows.first() {
        for (name, _) in &first.population_rates_hz {
            let _ = write!(s, ",{}", csv_field(&format!("rate_hz_{name}")));
        }
    }
    s.push_str(",spike_hash,run_s,dir\n");
    for r in rows {
        let _ = write!(s, "{}", r.point);
        for (_, v) in &r.values {
            let _ = write!(s, ",{}", csv_field(v));
        }
        let cv = r.cv_isi.map_or(String::new(), |c| format!("{c}"));
        let _ = write!(s, ",{},{},{cv}", r.spikes, r.rate_hz);
        for (_, rate) in &r.population_rates_hz {
            let _ = write!(s, ",{rate}");
        }
        let _ = writeln!(s, ",{},{:.3},{}", r.spike_hash, r.run_s, csv_field(&r.dir));
    }
    s
}

/// A CSV field, quoted when it holds a comma, a quote or a newline.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_split_at_top_level_commas_and_expand_ranges() {
        let a: Axis = "population.exc.params.tau_m=5 ms,10 ms,20 ms".parse().unwrap();
        assert_eq!(a.values, ["5 ms", "10 ms", "20 ms"]);
        let a: Axis = "record.spikes=[\"a\", \"b\"],[\"a\"]".parse().unwrap();
        assert_eq!(a.values, ["[\"a\", \"b\"]", "[\"a\"]"]);
        let a: Axis = "seed=1..4".parse().unwrap();
        assert_eq!(a.values, ["1", "2", "3", "4"]);
        let a: Axis = "current.n.dc=15..16:0.2".parse().unwrap();
        assert_eq!(a.values, ["15", "15.2", "15.4", "15.6", "15.8", "16"]);
        assert!("x=1.5..2".parse::<Axis>().is_err());
        assert_eq!(parse_seeds("3,7").unwrap(), vec![3, 7]);
        assert!(parse_seeds("1..x").is_err());
    }
}

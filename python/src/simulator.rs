//! `Simulator`: a model instantiated on a backend. Runs release the GIL and can be continued;
//! spikes, probes and weights leave as numpy arrays.

use std::sync::{Arc, Mutex, MutexGuard};

use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use spikegpu::app::modelfile::ModelFile;
use spikegpu::{Backend, CurrentSource, ModulatorChannel, PopulationId, SimOptions, StateVar};

use crate::model::Model;
use crate::{guarded, to_py};

/// A one-dimensional numpy array handed to Python.
type Array<'py, T> = Bound<'py, PyArray1<T>>;
/// Two parallel arrays (times and neurons, ticks and neurons).
type Pair<'py, A, B> = (Array<'py, A>, Array<'py, B>);
/// A probe as (population, variable, neurons, interval_ms).
type ProbeRow = (String, &'static str, Vec<u32>, f64);

/// A state variable a probe or `state()` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variable {
    V,
    U,
    W1,
    W2,
    SynE,
    SynI,
}

impl Variable {
    const NAMES: &'static str = "v, u, w1, w2, syn_e, syn_i";

    fn parse(name: &str) -> PyResult<Self> {
        Ok(match name {
            "v" => Self::V,
            "u" => Self::U,
            "w1" => Self::W1,
            "w2" => Self::W2,
            "syn_e" => Self::SynE,
            "syn_i" => Self::SynI,
            _ => {
                return Err(PyValueError::new_err(format!(
                    "variable = '{name}' is out of range: known variables: {}",
                    Self::NAMES
                )));
            }
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::V => "v",
            Self::U => "u",
            Self::W1 => "w1",
            Self::W2 => "w2",
            Self::SynE => "syn_e",
            Self::SynI => "syn_i",
        }
    }

    fn read(self, s: &spikegpu::plan::layout::NeuronState) -> f32 {
        match self {
            Self::V => s.v,
            Self::U => s.u,
            Self::W1 => s.w1,
            Self::W2 => s.w2,
            Self::SynE => s.syn_e,
            Self::SynI => s.syn_i,
        }
    }
}

/// Samples of one variable of some neurons of one population, every `interval` ticks.
struct Probe {
    population: String,
    first: usize,
    variable: Variable,
    neurons: Vec<u32>,
    interval: u64,
    times_ms: Vec<f64>,
    values: Vec<f32>,
}

/// What a run mutates, behind one lock (the GIL is released while the engine runs).
struct State {
    sim: spikegpu::Simulator,
    probes: Vec<Probe>,
    /// Neuromodulator pulses of the model file, (tick, channel, amount), by tick.
    pulses: Vec<(u64, ModulatorChannel, f64)>,
    next_pulse: usize,
}

impl State {
    /// Global index of population `pop`'s first neuron.
    fn first_neuron(&self, pop: PopulationId) -> usize {
        self.sim.plan().populations[pop.index()].gpu.start as usize
    }

    fn sample_due(&mut self) -> PyResult<()> {
        let now = self.sim.ticks();
        if !self.probes.iter().any(|p| now.is_multiple_of(p.interval)) {
            return Ok(());
        }
        let state = self.sim.pull_state().map_err(to_py)?;
        let t = now as f64 * self.sim.dt_ms();
        for p in self.probes.iter_mut().filter(|p| now.is_multiple_of(p.interval)) {
            if p.times_ms.last() == Some(&t) {
                continue;
            }
            p.times_ms.push(t);
            p.values.extend(
                p.neurons
                    .iter()
                    .map(|&n| p.variable.read(&state[p.first + n as usize])),
            );
        }
        Ok(())
    }

    fn apply_pulses(&mut self) -> PyResult<()> {
        let now = self.sim.ticks();
        while let Some(&(tick, channel, amount)) = self.pulses.get(self.next_pulse) {
            if tick > now {
                break;
            }
            self.sim.add_modulator(channel, amount).map_err(to_py)?;
            self.next_pulse += 1;
        }
        Ok(())
    }

    /// The tick at which the next run chunk must stop (a probe sample or a pulse), at most `end`.
    fn next_stop(&self, end: u64) -> u64 {
        let now = self.sim.ticks();
        let probe = self.probes.iter().map(|p| (now / p.interval + 1) * p.interval);
        let pulse = self.pulses.get(self.next_pulse).map(|p| p.0.max(now + 1));
        probe.chain(pulse).fold(end, u64::min)
    }
}

/// A network instantiated on a backend (`"auto"`, `"gpu"` or `"cpu"`).
///
/// `run(ms)` advances the simulation and can be called again to continue; it releases the GIL
/// while the engine works and stops early (raising KeyboardInterrupt) on Ctrl-C.
#[pyclass(subclass, module = "spikegpu._spikegpu")]
pub struct Simulator {
    model: Arc<ModelFile>,
    state: Mutex<State>,
    progress: bool,
}

/// Ticks run between checks for Ctrl-C (and progress updates) when nothing else splits a run.
const CHUNK_TICKS: u64 = 2000;

impl Simulator {
    fn lock(&self) -> PyResult<MutexGuard<'_, State>> {
        self.state.try_lock().map_err(|_| {
            PyRuntimeError::new_err(
                "the simulator is busy: another thread is running it (one call at a time per Simulator)",
            )
        })
    }

    fn population(&self, key: &Bound<'_, PyAny>) -> PyResult<PopulationId> {
        Model {
            file: self.model.clone(),
        }
        .population(key)
    }

    fn projection(&self, index: i64) -> PyResult<spikegpu::ProjectionId> {
        Model {
            file: self.model.clone(),
        }
        .projection(index)
    }

    fn channel(&self, key: &Bound<'_, PyAny>) -> PyResult<ModulatorChannel> {
        if key.extract::<String>().is_ok_and(|s| s == "global") {
            return Ok(ModulatorChannel::Global);
        }
        Ok(ModulatorChannel::Population(self.population(key)?))
    }

    fn run_ticks(&self, py: Python<'_>, ticks: u64, progress: bool) -> PyResult<()> {
        let mut st = self.lock()?;
        let end = st.sim.ticks() + ticks;
        let bar = progress.then(|| progress_bar(ticks, st.sim.dt_ms()));
        let chunk = if progress {
            (ticks / 100).max(1)
        } else {
            CHUNK_TICKS
        };
        st.apply_pulses()?;
        while st.sim.ticks() < end {
            let now = st.sim.ticks();
            let stop = st.next_stop(end).min(now + chunk);
            let step = stop - now;
            let sim = &mut st.sim;
            py.detach(|| sim.run_ticks(step)).map_err(to_py)?;
            st.apply_pulses()?;
            st.sample_due()?;
            if let Some(bar) = &bar {
                bar.set_position(st.sim.ticks() + ticks - end);
                bar.set_message(format!("{} spikes", st.sim.counters().spikes));
            }
            py.check_signals()?;
        }
        if let Some(bar) = bar {
            bar.finish();
        }
        Ok(())
    }
}

fn progress_bar(ticks: u64, dt_ms: f64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(ticks);
    let template =
        format!("{{bar:40}} {{pos}}/{{len}} ticks ({dt_ms} ms) {{elapsed_precise}} eta {{eta}} {{msg}}");
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

#[pymethods]
impl Simulator {
    /// Plans `model` and instantiates it on `backend`: `"auto"` (the GPU if an adapter opens,
    /// else the CPU reference with a warning), `"gpu"` or `"cpu"`. `progress` is the default
    /// of `run(progress=...)`. `threads`: the CPU backend's threads (1 to 1024; default one
    /// per core, at most `SPIKEGPU_THREADS`, fewer for small networks); the results do not
    /// depend on it.
    #[new]
    #[pyo3(signature = (model, backend="auto", progress=false, threads=None))]
    fn new(
        py: Python<'_>,
        model: &Model,
        backend: &str,
        progress: bool,
        threads: Option<i64>,
    ) -> PyResult<Self> {
        guarded(|| {
            let backend: Backend = backend.parse().map_err(to_py)?;
            let threads = threads
                .map(|n| {
                    usize::try_from(n).map_err(|_| {
                        PyValueError::new_err(format!(
                            "threads = {n} is out of range: must be between 1 and {}",
                            spikegpu::cpu::MAX_THREADS
                        ))
                    })
                })
                .transpose()?;
            let options = SimOptions {
                threads,
                ..SimOptions::default()
            };
            let file = model.file.clone();
            let sim = py
                .detach(|| spikegpu::Simulator::with_options(&file.network, backend, options))
                .map_err(to_py)?;
            let dt = file.network.dt_ms;
            let pulses = file
                .modulator_pulses
                .iter()
                .map(|&(ms, channel, amount)| ((ms / dt).round() as u64, channel, amount))
                .collect();
            let mut state = State {
                sim,
                probes: Vec::new(),
                pulses,
                next_pulse: 0,
            };
            for p in &file.probes {
                let first = state.first_neuron(p.population);
                state.probes.push(Probe {
                    population: p.population_name.clone(),
                    first,
                    variable: Variable::parse(&p.variable)?,
                    neurons: p.neurons.clone(),
                    interval: (p.interval_ms / dt).round() as u64,
                    times_ms: Vec::new(),
                    values: Vec::new(),
                });
            }
            state.sample_due()?;
            Ok(Self {
                model: file,
                state: Mutex::new(state),
                progress,
            })
        })
    }

    /// Runs for `ms` of biological time (rounded to whole ticks), continuing from where the
    /// last run stopped. `progress` shows a progress bar on stderr (default: the
    /// simulator's). Probes sample and model-file neuromodulator pulses apply on their ticks.
    #[pyo3(signature = (ms, progress=None))]
    fn run(&self, py: Python<'_>, ms: f64, progress: Option<bool>) -> PyResult<()> {
        guarded(|| {
            let ticks = {
                let st = self.lock()?;
                let ticks = spikegpu::limits::duration_ticks("ms", ms, st.sim.dt_ms()).map_err(to_py)?;
                spikegpu::limits::check_run_end(st.sim.ticks(), ticks).map_err(to_py)?;
                ticks
            };
            self.run_ticks(py, ticks, progress.unwrap_or(self.progress))
        })
    }

    /// Runs `ticks` time steps.
    #[pyo3(name = "run_ticks", signature = (ticks, progress=None))]
    fn run_ticks_py(&self, py: Python<'_>, ticks: u32, progress: Option<bool>) -> PyResult<()> {
        guarded(|| self.run_ticks(py, u64::from(ticks), progress.unwrap_or(self.progress)))
    }

    /// Biological time simulated so far (ms).
    #[getter]
    fn t(&self) -> PyResult<f64> {
        guarded(|| {
            let st = self.lock()?;
            Ok(st.sim.ticks() as f64 * st.sim.dt_ms())
        })
    }

    /// Ticks simulated so far.
    #[getter]
    fn ticks(&self) -> PyResult<u64> {
        guarded(|| Ok(self.lock()?.sim.ticks()))
    }

    /// Time step (ms).
    #[getter]
    fn dt(&self) -> f64 {
        self.model.network.dt_ms
    }

    /// `"cpu"` or `"gpu"`: the backend that runs.
    #[getter]
    fn backend(&self) -> PyResult<&'static str> {
        guarded(|| Ok(self.lock()?.sim.backend_name()))
    }

    /// The adapter that runs (`"cpu reference"` on the CPU backend).
    #[getter]
    fn adapter(&self) -> PyResult<String> {
        guarded(|| Ok(self.lock()?.sim.adapter_name()))
    }

    /// Seconds spent planning, uploading and compiling.
    #[getter]
    fn build_seconds(&self) -> PyResult<f64> {
        guarded(|| Ok(self.lock()?.sim.build_seconds()))
    }

    /// The model this simulator runs.
    #[getter]
    fn model(&self) -> Model {
        Model {
            file: self.model.clone(),
        }
    }

    /// Ticks, spikes (all populations) and synaptic events so far, and the synapse count.
    fn counters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guarded(|| {
            let st = self.lock()?;
            let c = st.sim.counters();
            let d = PyDict::new(py);
            d.set_item("ticks", c.ticks)?;
            d.set_item("spikes", c.spikes)?;
            d.set_item("syn_events", c.syn_events)?;
            d.set_item("synapses", st.sim.synapse_count())?;
            Ok(d)
        })
    }

    /// Spikes of one population (a name or an index) as `(times_ms, neurons)`: float64 times
    /// (tick x dt, the start of the step in which the threshold was crossed) and uint32 indices
    /// within the population, sorted by time, then neuron.
    fn spikes<'py>(&self, py: Python<'py>, population: &Bound<'py, PyAny>) -> PyResult<Pair<'py, f64, u32>> {
        guarded(|| {
            let pop = self.population(population)?;
            let train = self.lock()?.sim.spikes(pop).map_err(to_py)?;
            Ok((
                PyArray1::from_vec(py, train.times_ms),
                PyArray1::from_vec(py, train.neurons),
            ))
        })
    }

    /// Every recorded spike as `(ticks, neurons)` arrays (uint64 ticks, uint32 global neuron
    /// indices), sorted: the list `spike_hash` is computed over.
    fn spike_records<'py>(&self, py: Python<'py>) -> PyResult<Pair<'py, u64, u32>> {
        guarded(|| {
            let st = self.lock()?;
            let records = st.sim.spike_records();
            let ticks: Vec<u64> = records.iter().map(|r| r.tick).collect();
            let neurons: Vec<u32> = records.iter().map(|r| r.neuron).collect();
            Ok((PyArray1::from_vec(py, ticks), PyArray1::from_vec(py, neurons)))
        })
    }

    /// Forgets the spikes recorded so far (to bound memory in long or closed-loop runs).
    fn clear_spikes(&self) -> PyResult<()> {
        guarded(|| {
            self.lock()?.sim.take_spike_records();
            Ok(())
        })
    }

    /// The engine's spike hash (FNV-1a 64 over the sorted (tick, global neuron) records), the
    /// figure `spikegpu bench` prints: equal hashes mean equal spike trains.
    fn spike_hash(&self) -> PyResult<u64> {
        guarded(|| Ok(spikegpu::app::stats::spike_hash(self.lock()?.sim.spike_records())))
    }

    /// Current values of `variable` (v, u, w1, w2, syn_e, syn_i) of every neuron of a
    /// population, float32 (read back from the GPU).
    fn state<'py>(
        &self,
        py: Python<'py>,
        population: &Bound<'py, PyAny>,
        variable: &str,
    ) -> PyResult<Bound<'py, PyArray1<f32>>> {
        guarded(|| {
            let pop = self.population(population)?;
            let var = Variable::parse(variable)?;
            let st = self.lock()?;
            let first = st.first_neuron(pop);
            let size = self.model.network.populations[pop.index()].size as usize;
            let all = st.sim.pull_state().map_err(to_py)?;
            let values = all[first..first + size].iter().map(|s| var.read(s)).collect();
            Ok(PyArray1::from_vec(py, values))
        })
    }

    /// Records `variable` of `neurons` (default: all) of a population every `interval` ms
    /// (default: every tick) from now on, the current value included when now falls on the
    /// interval; returns the probe's id for `probe()`.
    #[pyo3(signature = (population, variable, neurons=None, interval=None))]
    fn add_probe(
        &self,
        population: &Bound<'_, PyAny>,
        variable: &str,
        neurons: Option<Vec<i64>>,
        interval: Option<f64>,
    ) -> PyResult<usize> {
        guarded(|| {
            let pop = self.population(population)?;
            let variable = Variable::parse(variable)?;
            let p = &self.model.network.populations[pop.index()];
            let neurons = match neurons {
                None => (0..p.size).collect(),
                Some(list) => list
                    .into_iter()
                    .map(|n| {
                        u32::try_from(n).ok().filter(|&n| n < p.size).ok_or_else(|| {
                            PyValueError::new_err(format!(
                                "probe neurons: neuron {n} is out of range (< {} in '{}')",
                                p.size, p.name
                            ))
                        })
                    })
                    .collect::<PyResult<Vec<u32>>>()?,
            };
            let dt = self.model.network.dt_ms;
            let ms = interval.unwrap_or(dt);
            let ticks = (ms / dt).round();
            if !(1.0..1e12).contains(&ticks) {
                return Err(PyValueError::new_err(format!(
                    "probe interval = {ms} is out of range: must be at least one tick ({dt} ms)"
                )));
            }
            let mut st = self.lock()?;
            let first = st.first_neuron(pop);
            st.probes.push(Probe {
                population: p.name.clone(),
                first,
                variable,
                neurons,
                interval: ticks as u64,
                times_ms: Vec::new(),
                values: Vec::new(),
            });
            st.sample_due()?;
            Ok(st.probes.len() - 1)
        })
    }

    /// Samples of probe `id` as `(times_ms, values)`: float64 times and a float32 array of
    /// shape (samples, neurons). The model file's probes have ids 0, 1, ... in file order.
    fn probe<'py>(
        &self,
        py: Python<'py>,
        id: usize,
    ) -> PyResult<(Array<'py, f64>, Bound<'py, PyArray2<f32>>)> {
        guarded(|| {
            let st = self.lock()?;
            let p = st.probes.get(id).ok_or_else(|| {
                PyValueError::new_err(format!("probe {id} does not exist ({} probes)", st.probes.len()))
            })?;
            let values = PyArray1::from_slice(py, &p.values).reshape([p.times_ms.len(), p.neurons.len()])?;
            Ok((PyArray1::from_slice(py, &p.times_ms), values))
        })
    }

    /// The probes, as (population, variable, neurons, interval_ms) tuples, in id order.
    #[getter]
    fn probes(&self) -> PyResult<Vec<ProbeRow>> {
        guarded(|| {
            let st = self.lock()?;
            let dt = st.sim.dt_ms();
            let row = |p: &Probe| {
                (
                    p.population.clone(),
                    p.variable.name(),
                    p.neurons.clone(),
                    p.interval as f64 * dt,
                )
            };
            Ok(st.probes.iter().map(row).collect())
        })
    }

    /// The synapses of projection `projection` (its index) as `(pre, post, weights)`: uint32
    /// indices within the populations and float32 weights, row by row.
    fn weights<'py>(
        &self,
        py: Python<'py>,
        projection: i64,
    ) -> PyResult<(Array<'py, u32>, Array<'py, u32>, Array<'py, f32>)> {
        guarded(|| {
            let proj = self.projection(projection)?;
            let w = self.lock()?.sim.weights(proj).map_err(to_py)?;
            Ok((
                PyArray1::from_vec(py, w.pre),
                PyArray1::from_vec(py, w.post),
                PyArray1::from_vec(py, w.weights),
            ))
        })
    }

    /// Delays (ms, whole ticks) of projection `projection`'s synapses, in the order of
    /// `weights()`.
    fn delays<'py>(&self, py: Python<'py>, projection: i64) -> PyResult<Bound<'py, PyArray1<f64>>> {
        guarded(|| {
            let proj = self.projection(projection)?;
            let delays = self.lock()?.sim.delays(proj).map_err(to_py)?;
            Ok(PyArray1::from_vec(py, delays))
        })
    }

    /// Replaces the delays (ms) of projection `projection`'s synapses, in the order of
    /// `weights()`, from the next tick: whole ticks from one to the network's longest delay
    /// at build; plastic projections are refused.
    fn set_delays(&self, projection: i64, delays: Vec<f64>) -> PyResult<()> {
        guarded(|| {
            let proj = self.projection(projection)?;
            self.lock()?.sim.set_delays(proj, &delays).map_err(to_py)
        })
    }

    /// Sets `variable` of every neuron of a population (one finite value per neuron) from
    /// the next tick: `v`, `u`, `syn_e` or `syn_i` of a built-in model, any variable of a
    /// user-defined model by its name.
    fn set_state(
        &self,
        population: &Bound<'_, PyAny>,
        variable: &str,
        values: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        guarded(|| {
            let pop = self.population(population)?;
            let array = as_f32_array(values)?;
            let mut guard = self.lock()?;
            let equations = &guard.sim.plan().equations;
            if equations.iter().any(|e| e.population == pop.index()) {
                return guard
                    .sim
                    .set_equation_variable(pop, variable, array.as_slice()?)
                    .map_err(to_py);
            }
            let var = match variable {
                "v" => StateVar::V,
                "u" => StateVar::U,
                "syn_e" => StateVar::SynExc,
                "syn_i" => StateVar::SynInh,
                _ => {
                    return Err(PyValueError::new_err(format!(
                        "variable = '{variable}' is out of range: set_state takes v, u, syn_e or syn_i (populations of user-defined models: any of their variables)"
                    )));
                }
            };
            guard.sim.set_state(pop, var, array.as_slice()?).map_err(to_py)
        })
    }

    /// Replaces the spike times (ms, one list per neuron, strictly increasing, none before
    /// now) of a spike source population from the next tick.
    fn set_spike_times(&self, population: &Bound<'_, PyAny>, times: Vec<Vec<f64>>) -> PyResult<()> {
        guarded(|| {
            let pop = self.population(population)?;
            self.lock()?.sim.set_spike_times(pop, times).map_err(to_py)
        })
    }

    /// Sets the rates (Hz, one per neuron, rate x dt <= 1) of a Poisson source population
    /// from the next tick.
    fn set_source_rates(&self, population: &Bound<'_, PyAny>, rates: Vec<f64>) -> PyResult<()> {
        guarded(|| {
            let pop = self.population(population)?;
            self.lock()?.sim.set_source_rates(pop, &rates).map_err(to_py)
        })
    }

    /// Replaces the rate (and any schedule) of Poisson input `index` (the network's `poisson`
    /// entries in order) by `rate_hz` from the next tick.
    fn set_poisson_rate(&self, index: i64, rate_hz: f64) -> PyResult<()> {
        guarded(|| {
            let input = usize::try_from(index)
                .map_err(|_| PyValueError::new_err(format!("poisson input index {index} must be >= 0")))?;
            self.lock()?.sim.set_poisson_rate(input, rate_hz).map_err(to_py)
        })
    }

    /// Replaces the weights of projection `projection` (one per synapse, in the order of
    /// `weights()`); they take effect from the next tick.
    fn set_weights(&self, projection: i64, weights: &Bound<'_, PyAny>) -> PyResult<()> {
        guarded(|| {
            let proj = self.projection(projection)?;
            let array = as_f32_array(weights)?;
            let values = array.as_slice()?;
            self.lock()?.sim.set_weights(proj, values).map_err(to_py)
        })
    }

    /// Replaces the source of current input `index` (the network's `current` entries in
    /// order) from the next tick: exactly one of `dc`, `step_times` with `step_amplitudes`
    /// (ms, absolute), `noise_mean` (with `noise_std`), or `sine_amplitude` (with
    /// `sine_offset`, `sine_frequency` in Hz, `sine_phase` in degrees, `sine_start` and
    /// `sine_stop` in ms), in the target model's current unit.
    #[pyo3(signature = (
        index, dc=None, step_times=None, step_amplitudes=None, noise_mean=None, noise_std=0.0,
        sine_amplitude=None, sine_offset=0.0, sine_frequency=0.0, sine_phase=0.0,
        sine_start=0.0, sine_stop=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn set_current(
        &self,
        index: i64,
        dc: Option<f64>,
        step_times: Option<Vec<f64>>,
        step_amplitudes: Option<Vec<f64>>,
        noise_mean: Option<f64>,
        noise_std: f64,
        sine_amplitude: Option<f64>,
        sine_offset: f64,
        sine_frequency: f64,
        sine_phase: f64,
        sine_start: f64,
        sine_stop: Option<f64>,
    ) -> PyResult<()> {
        guarded(|| {
            let input = usize::try_from(index)
                .map_err(|_| PyValueError::new_err(format!("current input index {index} must be >= 0")))?;
            let mut sources = Vec::new();
            if let Some(amplitude) = dc {
                sources.push(CurrentSource::Dc { amplitude });
            }
            if step_times.is_some() || step_amplitudes.is_some() {
                sources.push(CurrentSource::Step {
                    times_ms: step_times.unwrap_or_default(),
                    amplitudes: step_amplitudes.unwrap_or_default(),
                });
            }
            if let Some(mean) = noise_mean {
                sources.push(CurrentSource::Noise { mean, std: noise_std });
            }
            if let Some(amplitude) = sine_amplitude {
                sources.push(CurrentSource::Sine {
                    amplitude,
                    offset: sine_offset,
                    frequency_hz: sine_frequency,
                    phase_deg: sine_phase,
                    start_ms: sine_start,
                    stop_ms: sine_stop.unwrap_or(f64::INFINITY),
                });
            }
            if sources.len() != 1 {
                return Err(PyValueError::new_err(format!(
                    "set_current takes exactly one of dc, step_times (+ step_amplitudes), noise_mean \
                     (+ noise_std), sine_amplitude (+ sine_*); got {}",
                    sources.len()
                )));
            }
            let source = sources.remove(0);
            self.lock()?.sim.set_current(input, source).map_err(to_py)
        })
    }

    /// Sets a neuromodulator channel (`"global"` or a population) to `level`; it takes effect
    /// from the next tick and then relaxes towards the channel's baseline.
    fn set_modulator(&self, channel: &Bound<'_, PyAny>, level: f64) -> PyResult<()> {
        guarded(|| {
            let ch = self.channel(channel)?;
            self.lock()?.sim.set_modulator(ch, level).map_err(to_py)
        })
    }

    /// Adds `amount` to a neuromodulator channel's level (a reward pulse).
    fn add_modulator(&self, channel: &Bound<'_, PyAny>, amount: f64) -> PyResult<()> {
        guarded(|| {
            let ch = self.channel(channel)?;
            self.lock()?.sim.add_modulator(ch, amount).map_err(to_py)
        })
    }

    /// The current level of a neuromodulator channel.
    fn modulator(&self, channel: &Bound<'_, PyAny>) -> PyResult<f64> {
        guarded(|| {
            let ch = self.channel(channel)?;
            self.lock()?.sim.modulator(ch).map_err(to_py)
        })
    }

    /// Eligibility traces of a reward-modulated projection, in the order of `weights()`.
    fn eligibility<'py>(&self, py: Python<'py>, projection: i64) -> PyResult<Bound<'py, PyArray1<f32>>> {
        guarded(|| {
            let proj = self.projection(projection)?;
            let e = self.lock()?.sim.eligibility(proj).map_err(to_py)?;
            Ok(PyArray1::from_vec(py, e))
        })
    }

    /// Draws the recorded spikes as a raster PNG at `path` (population colours and rates
    /// below, the engine's `spikegpu run` raster), `size` pixels wide and high.
    #[pyo3(signature = (path, title=None, size=(1200, 800)))]
    fn raster(
        &self,
        py: Python<'_>,
        path: std::path::PathBuf,
        title: Option<String>,
        size: (u32, u32),
    ) -> PyResult<()> {
        guarded(|| {
            let st = self.lock()?;
            let net = &self.model.network;
            let dt = st.sim.dt_ms();
            let ticks = st.sim.ticks();
            let bands: Vec<spikegpu::app::plots::RasterBand<'_>> = net
                .population_ids()
                .into_iter()
                .filter(|p| net.populations[p.index()].record_spikes)
                .map(|p| {
                    let pop = &net.populations[p.index()];
                    let (start, stop) = pop.spike_recording.ticks(dt);
                    spikegpu::app::plots::RasterBand {
                        name: &pop.name,
                        start: st.first_neuron(p) as u32,
                        size: pop.size,
                        neurons: &pop.spike_recording.neurons,
                        window_ms: (start as f64 * dt, stop.min(ticks) as f64 * dt),
                    }
                })
                .collect();
            let duration = ticks as f64 * dt;
            let title = title.unwrap_or_else(|| {
                format!(
                    "{}: {} neurons, {duration:.0} ms, {}",
                    self.model.name,
                    net.neuron_count(),
                    st.sim.adapter_name()
                )
            });
            let records = st.sim.spike_records();
            py.detach(|| {
                spikegpu::app::plots::raster_png(&path, &title, &records, &bands, dt, duration, size)
            })
            .map_err(to_py)
        })
    }

    fn __repr__(&self) -> String {
        match self.lock() {
            Ok(st) => format!(
                "<spikegpu.Simulator '{}' on {} ({}), t = {} ms>",
                self.model.name,
                st.sim.backend_name(),
                st.sim.adapter_name(),
                st.sim.ticks() as f64 * st.sim.dt_ms()
            ),
            Err(_) => format!("<spikegpu.Simulator '{}' (running)>", self.model.name),
        }
    }
}

/// `numpy.asarray(x, dtype=float32)`, one-dimensional and contiguous.
fn as_f32_array<'py>(x: &Bound<'py, PyAny>) -> PyResult<PyReadonlyArray1<'py, f32>> {
    let np = x.py().import("numpy")?;
    let kwargs = PyDict::new(x.py());
    kwargs.set_item("dtype", np.getattr("float32")?)?;
    let array = np.call_method("ascontiguousarray", (x,), Some(&kwargs))?;
    let array = array
        .cast_into::<PyArray1<f32>>()
        .map_err(|_| PyValueError::new_err("values must be a one-dimensional sequence of numbers"))?;
    Ok(array.readonly())
}

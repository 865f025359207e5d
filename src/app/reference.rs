//! `docs/model-files.md`, the model-file reference, generated here: every table of a model
//! file with every key it accepts (unit, default, allowed values, meaning), then every neuron
//! model's parameters from the same tables the loader reads (`neurons::BUILTIN`). The key
//! tables below are checked against the loader's own structs (`app::modelfile::keys`): a key the
//! loader accepts that is not documented here, or one documented that it does not accept, fails
//! [`undocumented_and_unknown_keys`]'s test; a second test compares the document with
//! [`model_files_markdown`], so it cannot fall out of date.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::neurons::{BUILTIN, Dim, ModelSpec, ParamKind, ParamSpec, Range, Value};

/// One key of a table: its name, aliases, unit, default, allowed values and meaning.
struct Key {
    name: &'static str,
    aliases: &'static [&'static str],
    unit: &'static str,
    default: &'static str,
    allowed: &'static str,
    meaning: &'static str,
}

/// One table of a model file: its path as written (`projection.connectivity`; "" is the top
/// level), a heading, a paragraph, and its keys.
struct Table {
    path: &'static str,
    heading: &'static str,
    about: &'static str,
    keys: &'static [Key],
}

/// A key without aliases.
const fn key(
    name: &'static str,
    unit: &'static str,
    default: &'static str,
    allowed: &'static str,
    meaning: &'static str,
) -> Key {
    Key {
        name,
        aliases: &[],
        unit,
        default,
        allowed,
        meaning,
    }
}

/// A key with aliases (the same key with the unit in its name).
const fn aliased(
    name: &'static str,
    aliases: &'static [&'static str],
    unit: &'static str,
    default: &'static str,
    allowed: &'static str,
    meaning: &'static str,
) -> Key {
    Key {
        aliases,
        ..key(name, unit, default, allowed, meaning)
    }
}

/// "required": a key without a default.
const REQUIRED: &str = "required";
/// The unit column of a time: replaced by the units of [`Dim::Time`].
const TIME: &str = "@time";
/// The unit column of a rate: replaced by the units of [`Dim::Rate`].
const RATE: &str = "@rate";
/// The unit column of a Poisson weight or a current: the target model's.
const MODEL_UNIT: &str = "the target model's (listed per model below)";
/// A distribution's forms, in short.
const DIST: &str = "a value or a distribution";

#[rustfmt::skip]
const TABLES: &[Table] = &[
    Table { path: "", heading: "Top level", about: "The file's first lines, before any table.", keys: &[
        key("name", "-", "the file's name without .toml", "any text", "Model name, shown in summaries and plots"),
        aliased("dt", &["dt_ms"], TIME, REQUIRED, "> 0", "Time step"),
        key("seed", "-", "0", "a whole number >= 0, or the table `seed` below", "One seed for connectivity, initial values and inputs, or separate seeds"),
        aliased("duration", &["duration_ms"], TIME, "1 s (`--duration` overrides)", "> 0", "How long `spikegpu run` simulates"),
        key("conventions", "-", "\"spikegpu\"", "\"spikegpu\", \"nest\", \"brian2\"", "Refractory count, synaptic latency, spike stamps and threshold comparison of that simulator (README: Conventions)"),
        key("population", "-", "none", "tables `[[population]]`", "The populations, in order"),
        key("encoder", "-", "none", "tables `[[encoder]]`", "Source populations fed by input encoders (rate, latency, delta, receptive_field, events)"),
        key("projection", "-", "none", "tables `[[projection]]`", "The projections between populations"),
        key("poisson", "-", "none", "tables `[[poisson]]`", "Independent Poisson inputs"),
        key("current", "-", "none", "tables `[[current]]`", "Injected currents"),
        key("neuromodulator", "-", "none", "tables `[[neuromodulator]]`", "Neuromodulator channels for reward-modulated plasticity"),
        key("record", "-", "spikes of every population", "the table `[record]`", "What a run writes"),
        key("neuron_model", "-", "none", "tables `[[neuron_model]]`", "User-defined neuron models (equations)"),
    ]},
    Table { path: "seed", heading: "`seed = { ... }`", about: "Separate seeds; `seed = N` sets all three to N (the same streams as before the split).", keys: &[
        key("connectivity", "-", "0", "whole number >= 0", "Connections, weights, delays, random positions, heterogeneity, per-neuron values drawn from distributions"),
        key("initial", "-", "0", "whole number >= 0", "Initial values of the state variables"),
        key("inputs", "-", "0", "whole number >= 0", "Poisson inputs, Poisson sources and noise currents"),
    ]},
    Table { path: "population", heading: "`[[population]]`", about: "A group of neurons of one model.", keys: &[
        key("name", "-", REQUIRED, "unique text", "Name other tables refer to"),
        key("size", "-", REQUIRED, "whole number >= 1", "Number of neurons"),
        key("model", "-", REQUIRED, "a built-in model (below) or a `[[neuron_model]]` name", "The neuron model"),
        key("preset", "-", "none", "the model's presets (below)", "Named parameter set, applied before `params`"),
        key("params", "-", "the model's defaults", "the model's parameters (below)", "Parameters: `{ tau_m = \"20 ms\" }`, `{ tau_m_ms = 20 }` or `{ tau_m = 20 }` (canonical unit)"),
        key("init", "-", "the model's resting state", "the model's state variables (below)", "Initial values: a value, a distribution or a list of one value per neuron, per variable"),
        key("spike_times_ms", "ms", REQUIRED, "one list of times >= 0 per neuron", "`spike_source` only: each neuron's spike times"),
        key("heterogeneity", "-", "none", "izhikevich2003-excitatory, izhikevich2003-inhibitory", "`izhikevich` only: per-neuron (a, b, c, d) as in Izhikevich 2003, drawn with the connectivity seed"),
        key("izhikevich_abcd", "-", "none", "one [a, b, c, d] per neuron", "`izhikevich` only: explicit per-neuron parameters"),
        key("per_neuron", "threshold: mV; bias: the model's current unit", "none", "threshold (or v_thresh), bias: a list of `size` values or a distribution", "Per-neuron thresholds and bias currents"),
        key("positions", "-", "none", "the table `population.positions`", "Neuron positions, for distance-dependent connectivity"),
    ]},
    Table { path: "population.positions", heading: "`positions = { ... }`", about: "Give either `grid` or `random`. Positions have no unit: `sigma` of the gaussian rule is in the same units.", keys: &[
        key("grid", "-", "none", "[nx, ny] with nx * ny = size", "A 2-D grid, row-major (neuron i at x = i mod nx, y = i div nx)"),
        key("spacing", "-", "1.0", "> 0", "Grid spacing"),
        key("random", "-", "none", "[x, y, z] >= 0 (0 for a flat axis)", "Uniform in the box [0, x) x [0, y) x [0, z), drawn with the connectivity seed"),
    ]},
    Table { path: "projection", heading: "`[[projection]]`", about: "Synapses from `pre` to `post`. Overrides name one as `projection.pre->post`.", keys: &[
        key("pre", "-", REQUIRED, "a population's name", "Pre-synaptic population"),
        key("post", "-", REQUIRED, "a population's name", "Post-synaptic population"),
        key("connectivity", "-", REQUIRED, "the table `projection.connectivity`", "Which pairs connect"),
        key("weight", "the post-synaptic model's weight unit (listed per model below)", "required (explicit rule: each connection's own)", DIST, "Synaptic weight; its sign must match the receptor"),
        key("delay", TIME, "required (explicit rule: each connection's own)", DIST, "Transmission delay, rounded to whole steps, at least one step"),
        key("receptor", "-", REQUIRED, "excitatory (exc), inhibitory (inh)", "Which input port of the post-synaptic neuron"),
        key("plasticity", "-", "none (static)", "the table `projection.plasticity`", "STDP"),
        key("procedural", "-", "false", "true, false", "Regenerate each row when its neuron spikes instead of storing synapses (static projections)"),
        key("short_term", "-", "none (static)", "the table `projection.short_term`", "Tsodyks-Markram short-term plasticity (not with plasticity)"),
        key("release_probability", "-", "none (every spike transmitted)", "[0, 1], or one row per pre-synaptic neuron of one value per post-synaptic neuron", "Stochastic release: each synapse transmits each spike with this probability, drawn independently (PyNN's SimpleStochasticSynapse; not with plasticity or short_term)"),
    ]},
    Table { path: "projection.connectivity", heading: "`connectivity = { ... }`", about: "`rule` picks the rule; each rule needs the keys named with it.", keys: &[
        key("rule", "-", REQUIRED, "fixed_probability, fixed_indegree, fixed_outdegree, fixed_total, one_to_one, all_to_all, gaussian, explicit", "The connection rule"),
        key("p", "-", "required by fixed_probability", "[0, 1]", "Probability of each pair"),
        key("k", "-", "required by fixed_indegree, fixed_outdegree", "whole number <= the other population's size", "Inputs per post-synaptic neuron (indegree) or outputs per pre-synaptic one (outdegree), distinct"),
        key("n", "-", "required by fixed_total", "whole number >= 0", "Total number of synapses"),
        key("p0", "-", "required by gaussian", "[0, 1]", "Probability at distance 0: p(d) = p0 exp(-d^2 / (2 sigma^2))"),
        key("sigma", "position units", "required by gaussian", "> 0", "Width of the distance rule; both populations need `positions`"),
        key("autapses", "-", "false", "true, false", "Whether a neuron may connect to itself (pre = post)"),
        key("multapses", "-", "false", "true, false", "fixed_indegree, fixed_outdegree: draw with replacement, so a pair may repeat (NEST's allow_multapses); fixed_total always does"),
        key("connections", "-", "required by explicit", "a list of [pre, post, weight, delay_ms]", "The synapses, one by one"),
    ]},
    Table { path: "projection.plasticity", heading: "`plasticity = { ... }`", about: "Spike-timing-dependent plasticity (pair rule, or Pfister & Gerstner 2006 triplet rules); the rule sets the defaults the other keys change.", keys: &[
        key("rule", "-", REQUIRED, "pair, triplet_visual_cortex, triplet_hippocampal", "The rule and its defaults"),
        aliased("tau_plus", &["tau_plus_ms"], TIME, "pair: 20 ms; triplet: 16.8 ms", "> 0", "Pre-synaptic trace time constant"),
        aliased("tau_minus", &["tau_minus_ms"], TIME, "pair: 20 ms; triplet: 33.7 ms", "> 0", "Post-synaptic trace time constant"),
        aliased("tau_x", &["tau_x_ms"], TIME, "pair: 100 ms; visual cortex 101 ms; hippocampal 946 ms", "> 0", "Slow pre-synaptic trace (triplet)"),
        aliased("tau_y", &["tau_y_ms"], TIME, "pair: 100 ms; visual cortex 125 ms; hippocampal 27 ms", "> 0", "Slow post-synaptic trace (triplet)"),
        aliased("a2_plus", &["a_plus"], "fraction of w_max - w_min", "pair: 0.01; visual cortex 5e-10; hippocampal 6.1e-3", ">= 0", "Pair potentiation"),
        aliased("a2_minus", &["a_minus"], "fraction of w_max - w_min", "pair: 0.0105; visual cortex 7e-3; hippocampal 1.6e-3", ">= 0", "Pair depression"),
        key("a3_plus", "fraction of w_max - w_min", "pair: 0; visual cortex 6.2e-3; hippocampal 6.7e-3", ">= 0", "Triplet potentiation"),
        key("a3_minus", "fraction of w_max - w_min", "pair: 0; visual cortex 2.3e-4; hippocampal 1.4e-3", ">= 0", "Triplet depression"),
        key("w_min", "the weight's unit", "0", "below w_max", "Lower weight bound"),
        key("w_max", "the weight's unit", REQUIRED, "above w_min", "Upper weight bound"),
        key("pairing", "-", "all_to_all", "all_to_all, nearest", "Which spike pairs count"),
        key("dependence", "-", "additive", "additive, multiplicative, power_law", "How updates depend on the weight"),
        key("mu", "-", "0.5", ">= 0", "Exponent of power_law dependence"),
        key("dendritic_fraction", "-", "0", "[0, 1]", "Part of each delay that is dendritic (the rule sees spikes at the synapse)"),
        key("modulation", "-", "none", "the table `projection.plasticity.modulation`", "Reward modulation: eligibility traces gated by a neuromodulator"),
    ]},
    Table { path: "projection.short_term", heading: "`short_term = { ... }`", about: "Tsodyks-Markram short-term depression and facilitation, as NEST's tsodyks2_synapse: at each pre-synaptic spike h after the last, x relaxes towards 1 with tau_rec (using the old u), then u decays with tau_facil and jumps by U (1 - u); the spike delivers w u x. The first spike delivers w U.", keys: &[
        key("u", "-", REQUIRED, "(0, 1], or a list of such (one per synapse: explicit connections in their order, others in the order of the projection's weights)", "Utilisation increment U"),
        aliased("tau_rec", &["tau_rec_ms"], TIME, REQUIRED, "> 0", "Recovery (depression) time constant"),
        aliased("tau_facil", &["tau_facil_ms"], TIME, "0 (no facilitation)", ">= 0", "Facilitation time constant"),
    ]},
    Table { path: "projection.plasticity.modulation", heading: "`modulation = { ... }`", about: "Izhikevich 2007 reward-modulated STDP: pairs charge an eligibility trace; the weight moves by its product with the neuromodulator level.", keys: &[
        aliased("tau_eligibility", &["tau_eligibility_ms"], TIME, REQUIRED, "> 0", "Eligibility trace time constant"),
        aliased("interval", &["interval_ms"], TIME, "dt", "> 0", "How often weights are updated"),
        key("channel", "-", "global", "global or a population's name (a declared `[[neuromodulator]]`)", "The neuromodulator channel"),
    ]},
    Table { path: "encoder", heading: "`[[encoder]]`", about: "A source population fed by an input encoder; later tables refer to it by `name` like any population. Stimulus k is shown from `start + k (present + rest)` for `present`, then `rest` of silence. Keys per kind: rate (stimuli, max_rate, present, rest, start): Poisson trains at max_rate x intensity, drawn on the device; latency (stimuli, scale, t_max or tau, threshold, present, rest, start): one spike per neuron and stimulus after t_max (1 - x) or tau ln(x / (x - threshold)); delta (signals, sample, threshold, start): ON neuron 2c and OFF neuron 2c + 1 of channel c fire per crossing of +/- threshold (send-on-delta); receptive_field (stimuli, neurons, low, high, field_width, max_rate, present, rest, start): Gaussian fields per scalar, Poisson at max_rate x activation; events (width, height, events, start): event (t, x, y, p) on neuron (y width + x) 2 + p, same-tick events of a neuron merged.", keys: &[
        key("name", "-", REQUIRED, "unique text", "Name of the source population"),
        key("kind", "-", REQUIRED, "rate, latency, delta, receptive_field, events", "The encoder"),
        key("stimuli", "-", "required for rate, latency, receptive_field", "rows of one length; intensities in [0, 1] (rate, latency), finite scalars (receptive_field)", "One row per stimulus"),
        aliased("max_rate", &["max_rate_hz"], RATE, "required for rate, receptive_field", ">= 0, max_rate x dt <= 1", "Rate of intensity 1 (of a field's centre)"),
        aliased("present", &["present_ms"], TIME, "required for rate, latency, receptive_field", ">= one tick", "How long each stimulus is shown"),
        aliased("rest", &["rest_ms"], TIME, "0", ">= 0", "Silence after each stimulus"),
        aliased("start", &["start_ms"], TIME, "0", ">= 0", "Start of the first stimulus (delta: time of the first sample; events: added to every event time)"),
        key("scale", "-", "linear", "linear, log", "Latency scale"),
        aliased("t_max", &["t_max_ms"], TIME, "required for linear latency", "> 0", "Latency of intensity 0"),
        aliased("tau", &["tau_ms"], TIME, "required for log latency", "> 0", "Membrane time constant of the log latency"),
        key("threshold", "-", "0 (latency); required for delta", "latency: [0, 1) ((0, 1) for log); delta: > 0", "Latency: intensities at or below it do not fire; delta: the crossing step"),
        key("signals", "-", "required for delta", "rows of one length, finite", "One row of samples per channel"),
        aliased("sample", &["sample_ms"], TIME, "required for delta", ">= one tick", "Sampling interval"),
        key("neurons", "-", "required for receptive_field", "whole number >= 2", "Fields per scalar"),
        key("low", "-", "required for receptive_field", "finite", "Centre of the first field"),
        key("high", "-", "required for receptive_field", "finite, > low", "Centre of the last field"),
        key("field_width", "-", "1", "> 0", "Width (sigma) of each field in units of the centre spacing"),
        key("width", "-", "required for events", "whole number >= 1", "Sensor width"),
        key("height", "-", "required for events", "whole number >= 1", "Sensor height"),
        key("events", "[t_ms, x, y, polarity] rows", "required for events", "sorted by time, t >= 0, x < width, y < height, polarity 0 or 1", "The address events"),
    ]},
    Table { path: "poisson", heading: "`[[poisson]]`", about: "One independent Poisson train per neuron of `target`. Give `rate` or `schedule`.", keys: &[
        key("target", "-", REQUIRED, "a population's name", "Driven population"),
        key("rate", RATE, "one of rate, schedule", ">= 0", "Constant rate of each train"),
        key("schedule", "[time, rate] pairs", "one of rate, schedule", "times increasing from 0, rates >= 0", "Piecewise-constant rate"),
        key("weight", MODEL_UNIT, REQUIRED, "finite", "Weight of each input spike"),
        key("receptor", "-", REQUIRED, "excitatory (exc), inhibitory (inh)", "Input port"),
    ]},
    Table { path: "current", heading: "`[[current]]`", about: "A current into every neuron of `target` (or the listed `neurons`), in the model's current unit (mV for lif, pA for lif_cond, adex and hh, the paper's unit for izhikevich). Give exactly one of `dc`, `step_times` (with `step_amplitudes`), noise (`noise_mean`, with `noise_std_per_step` or with `noise_sigma` and `noise_tau`), `sine_amplitude` (with the other `sine_` keys).", keys: &[
        key("target", "-", REQUIRED, "a population's name", "Population"),
        key("dc", MODEL_UNIT, "one of dc, step_times, noise, sine_amplitude", "finite", "Constant current"),
        key("step_times", TIME, "one of dc, step_times, noise, sine_amplitude", "increasing, >= 0", "Switch times of a piecewise-constant current (0 before the first)"),
        key("step_amplitudes", MODEL_UNIT, "required with step_times", "one per step time", "Amplitude from each switch time on"),
        key("noise_mean", MODEL_UNIT, "0 (a noise key chooses noise)", "finite", "Mean of a noise current drawn anew every step, per neuron"),
        aliased("noise_std_per_step", &["noise_std"], MODEL_UNIT, "0", ">= 0", "Standard deviation of each step's draw (the membrane's standard deviation then shrinks as sqrt(dt))"),
        key("noise_sigma", MODEL_UNIT, "none (instead of noise_std_per_step)", ">= 0", "Brian2's white noise `sigma * sqrt(tau) * xi`: each step draws with sd `sigma * sqrt(tau / dt)`, so the membrane's sd does not depend on dt (lif with noise_tau = tau_m: sigma / sqrt(2))"),
        key("noise_tau", TIME, "required with noise_sigma", "> 0", "The `tau` of that term (usually the membrane time constant)"),
        key("sine_amplitude", MODEL_UNIT, "one of dc, step_times, noise, sine_amplitude", "finite", "Amplitude of a sine current `offset + amplitude sin(2 pi f (t - start) + phase)`, 0 outside [start, stop); `t` is a step's start"),
        key("sine_offset", MODEL_UNIT, "0", "finite", "Offset of that sine"),
        key("sine_frequency", RATE, "0", ">= 0", "Its frequency"),
        key("sine_phase", "degrees", "0", "finite", "Its phase at `sine_start`"),
        key("sine_start", TIME, "0", ">= 0 (rounded to a step)", "When it starts"),
        key("sine_stop", TIME, "never", "> sine_start (rounded to a step)", "When it stops"),
        key("neurons", "-", "all of the target", "distinct indices, 0 <= i < the target's size", "The target's neurons the current goes into"),
    ]},
    Table { path: "neuromodulator", heading: "`[[neuromodulator]]`", about: "A neuromodulator channel for reward-modulated plasticity.", keys: &[
        key("channel", "-", REQUIRED, "global or a population's name", "The channel"),
        aliased("tau", &["tau_ms"], TIME, "infinite (the level holds)", "> 0", "Relaxation time constant towards the baseline"),
        key("baseline", "-", "0", "finite", "Resting level, also the level at time 0"),
        key("pulses", "-", "none", "a list of [time, amount], times >= 0", "Amounts added to the level during `spikegpu run`"),
    ]},
    Table { path: "record", heading: "`[record]`", about: "What `spikegpu run` writes. Without `spikes`, every population's spikes are recorded.", keys: &[
        key("spikes", "-", "every population", "a list of: a name (\"exc\"), a slice (\"exc[0:100]\", \"exc[::10]\"), \"all\", or the table `record.spikes`", "Spike recordings"),
        key("rates", "-", "none", "a list of: a name, \"all\", or the table `record.rates`", "Population rate records (every spike counted, recorded or not)"),
        key("rate_bin", TIME, "the larger of dt and 1 ms", "a whole number of steps", "Bin width of rate records that give none"),
        key("weight_interval", TIME, "none", "a whole number of steps", "Interval of weight snapshots of every plastic projection"),
        key("state", "-", "none", "tables `[[record.state]]`", "State-variable probes"),
        key("connections", "-", "none", "a list of \"pre->post\" names or indices, or \"all\"", "Projections whose synapses are written out"),
        key("positions", "-", "false", "true, false", "Whether the positions of the populations that have them are written out"),
    ]},
    Table { path: "record.spikes", heading: "`record.spikes` entries written as tables", about: "`{ population = \"inh\", neurons = [0, 1, 2], start = \"100 ms\", stop = \"1 s\" }`.", keys: &[
        key("population", "-", REQUIRED, "a population's name", "Population"),
        key("neurons", "-", "all", "a list of indices or a slice (\"0:100\", \"::10\")", "Which neurons"),
        key("start", TIME, "0", ">= 0", "Record from this time ..."),
        key("stop", TIME, "the end of the run", "> start", "... until this one"),
    ]},
    Table { path: "record.rates", heading: "`record.rates` entries written as tables", about: "`{ population = \"exc\", bin = \"5 ms\" }`.", keys: &[
        key("population", "-", REQUIRED, "a population's name", "Population"),
        key("bin", TIME, "record.rate_bin", "a whole number of steps", "Bin width"),
    ]},
    Table { path: "record.state", heading: "`[[record.state]]`", about: "A probe of one state variable of some neurons.", keys: &[
        key("population", "-", REQUIRED, "a population's name", "Population"),
        key("variable", "-", REQUIRED, "the model's state variables (below)", "Variable"),
        key("neurons", "-", REQUIRED, "a list of indices, a slice (\"0:100\") or \"all\"", "Which neurons"),
        key("interval", TIME, REQUIRED, "a whole number of steps (errors name the nearest valid ones)", "Sampling interval"),
        key("start", TIME, "0", ">= 0", "Sample from this time ..."),
        key("stop", TIME, "the end of the run", "> start", "... until this one"),
    ]},
    Table { path: "distribution", heading: "Distributions", about: "Where a key takes a distribution (`weight`, `delay`, `init`, `per_neuron`), write a value or one table of these; quantities take units as the key does.", keys: &[
        key("uniform", "the key's", "-", "[low, high], low <= high", "Uniform on [low, high]"),
        key("normal", "the key's", "-", "the table `normal` below", "Normal, clipped or truncated"),
        key("lognormal", "the key's", "-", "the table `lognormal` below", "Log-normal magnitude, capped"),
    ]},
    Table { path: "distribution.normal", heading: "`{ normal = { ... } }`", about: "", keys: &[
        key("mean", "the key's", REQUIRED, "finite", "Mean"),
        key("std", "the key's", REQUIRED, ">= 0", "Standard deviation"),
        key("low", "the key's", "no bound", "<= high", "Lower bound"),
        key("high", "the key's", "no bound", ">= low", "Upper bound"),
        key("truncate", "-", "false", "true, false", "Draw again outside [low, high] instead of clipping"),
    ]},
    Table { path: "distribution.lognormal", heading: "`{ lognormal = { ... } }`", about: "", keys: &[
        key("mu", "-", REQUIRED, "finite", "Mean of the underlying normal (log of the canonical unit)"),
        key("sigma", "-", REQUIRED, ">= 0", "Standard deviation of the underlying normal"),
        key("max", "the key's", REQUIRED, "non-zero", "Largest magnitude; a negative max gives negative values"),
    ]},
    Table { path: "neuron_model", heading: "`[[neuron_model]]`", about: "A user-defined model in the equation language; populations use it with `model = \"<name>\"`.", keys: &[
        key("name", "-", REQUIRED, "text, unique in the file", "The model's name"),
        key("equations", "-", REQUIRED, "differential equations, one per line", "The state variables' dynamics"),
        key("threshold", "-", "none", "a condition", "Spike condition"),
        key("reset", "-", "none", "statements", "What a spike does"),
        key("refractory", "-", "none", "a time (\"2 ms\") or a condition", "Refractory period"),
        key("method", "-", "automatic", "a method name, or { variable = \"method\", default = \"method\" }", "Integration method (docs/equations.md)"),
        key("update", "-", "none", "statements", "Statements run every step"),
        key("params", "-", "none", "a table of quantities (\"20 ms\")", "Parameters and their values"),
        key("inputs", "-", "none", "{ excitatory, inhibitory, current } = variable", "Which variable each input port adds to"),
        key("initial", "-", "none", "a table of quantities or expressions", "Initial values of the state variables"),
    ]},
];

/// The whole document.
pub fn model_files_markdown() -> String {
    let mut s = String::new();
    s.push_str(
        "# Model files: reference\n\n\
         Generated from the loader's tables by `spikegpu::app::reference::model_files_markdown`;\n\
         `tests/suite/workflow.rs` fails when this file differs (regenerate it with\n\
         `SPIKEGPU_BLESS=1 cargo test --release --test suite reference`) or when the loader accepts a\n\
         key that is not listed here. Worked examples: `examples/models/*.toml`;\n\
         `spikegpu validate --print FILE` prints any file fully resolved, and `--set KEY=VALUE`\n\
         overrides any key below (`population.exc.params.tau_m`, `projection.exc->inh.weight`).\n\n\
         Quantities are written as a string with a unit (`\"20 ms\"`), as a bare number in the key's\n\
         canonical unit (the first unit listed), or, where a key has an alias with the unit in its\n\
         name, as a bare number under that alias (`dt_ms = 0.1`).\n",
    );
    for table in TABLES {
        table_section(&mut s, table);
    }
    s.push_str(
        "\n# Neuron models\n\n\
         A parameter goes in a population's `params = { ... }` as a number in the canonical unit\n\
         (`tau_m = 20`), a quantity with a unit (`tau_m = \"20 ms\"`), or a number with the unit in\n\
         the key (`tau_m_ms = 20`). `init = { v = ... }` sets initial state variables (a value, a\n\
         distribution, or a list of one value per neuron: `v = [-65, -60, \"-58 mV\"]`); the\n\
         variables below are also the names `[[record.state]]` probes take.\n",
    );
    for spec in BUILTIN.iter() {
        model(&mut s, spec);
    }
    s
}

/// One table's section.
fn table_section(s: &mut String, table: &Table) {
    let _ = write!(s, "\n## {}\n\n", table.heading);
    if !table.about.is_empty() {
        let _ = write!(s, "{}\n\n", table.about);
    }
    s.push_str("| key | unit | default | allowed | meaning |\n|---|---|---|---|---|\n");
    for k in table.keys {
        let names: Vec<String> = std::iter::once(k.name)
            .chain(k.aliases.iter().copied())
            .map(|n| format!("`{n}`"))
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            names.join(" or "),
            unit_text(k.unit),
            k.default,
            k.allowed,
            k.meaning
        );
    }
}

/// A key's unit column: the markers of times and rates as their units, canonical first.
fn unit_text(unit: &str) -> String {
    match unit {
        TIME => format!("{} (bare number: ms)", unit_list(Dim::Time)),
        RATE => format!("{} (bare number: Hz)", unit_list(Dim::Rate)),
        other => other.to_string(),
    }
}

/// The differences between the keys documented here and the keys the loader accepts
/// (`app::modelfile::keys::tables`), one line each; empty when they agree.
pub fn undocumented_and_unknown_keys() -> Vec<String> {
    let mut out = Vec::new();
    let accepted = crate::app::modelfile::keys::tables();
    for (path, fields) in &accepted {
        let loader: BTreeSet<&str> = fields.iter().copied().collect();
        let Some(table) = TABLES.iter().find(|t| t.path == *path) else {
            out.push(format!("table '{path}' is not documented"));
            continue;
        };
        let documented: BTreeSet<&str> = table
            .keys
            .iter()
            .flat_map(|k| std::iter::once(k.name).chain(k.aliases.iter().copied()))
            .collect();
        for k in loader.difference(&documented) {
            out.push(format!("'{path}' accepts '{k}', which is not documented"));
        }
        for k in documented.difference(&loader) {
            out.push(format!(
                "'{path}' documents '{k}', which the loader does not accept"
            ));
        }
    }
    for t in TABLES {
        if !accepted.iter().any(|(path, _)| *path == t.path) {
            out.push(format!("table '{}' is documented but not read", t.path));
        }
    }
    out
}

/// One model's section.
fn model(s: &mut String, spec: &ModelSpec) {
    let _ = write!(s, "\n## `model = \"{}\"`\n\n{}\n\n", spec.name, spec.summary);
    let _ = write!(
        s,
        "Weights in {}; currents in {}.\n\n",
        unit_list(spec.weight_unit),
        unit_list(spec.current_unit)
    );
    if spec.params.is_empty() {
        s.push_str("No parameters.\n");
    } else {
        s.push_str("| key | unit | default | allowed | meaning |\n|---|---|---|---|---|\n");
        let defaults = (spec.defaults)();
        for p in spec.params.iter() {
            let (unit, allowed) = kind(p);
            let default = default_text(p, defaults.get(p));
            let _ = writeln!(s, "| `{}` | {unit} | {default} | {allowed} | {} |", p.name, p.doc);
        }
    }
    if !spec.state.is_empty() {
        s.push_str("\nState variables (`init`, `record.state`):\n\n");
        for v in spec.state.iter() {
            let _ = writeln!(s, "- `{}` ({}): {}", v.name, unit_list(v.dim), v.doc);
        }
    }
    if !spec.presets.is_empty() {
        let names: Vec<String> = spec.presets.iter().map(|p| format!("`{}`", p.name)).collect();
        let _ = writeln!(s, "\nPresets (`preset = \"...\"`): {}.", names.join(", "));
    }
}

/// The units a dimension may be written in, canonical first.
fn unit_list(dim: Dim) -> String {
    match dim {
        Dim::None => "plain number".into(),
        d => d.units().iter().map(|(u, _)| *u).collect::<Vec<_>>().join(", "),
    }
}

/// A parameter's unit column and allowed values.
fn kind(p: &ParamSpec) -> (String, String) {
    match &p.kind {
        ParamKind::Quantity { dim, range } => {
            let allowed = match range {
                Range::Finite => "any finite number",
                Range::Positive => "> 0",
                Range::NonNegative => ">= 0",
            };
            (unit_list(*dim), allowed.into())
        }
        ParamKind::Flag => ("-".into(), "true, false".into()),
        ParamKind::Choice(words) => ("-".into(), words.join(", ")),
    }
}

/// A default value as a model file writes it.
fn default_text(p: &ParamSpec, value: Option<Value>) -> String {
    match (&p.kind, value) {
        (ParamKind::Quantity { dim: Dim::None, .. }, Some(Value::Number(x))) => format!("{x}"),
        (ParamKind::Quantity { dim, .. }, Some(Value::Number(x))) => format!("{x} {}", dim.canonical()),
        (ParamKind::Choice(words), Some(Value::Choice(i))) => words[i].to_string(),
        (_, Some(Value::Flag(b))) => b.to_string(),
        _ => "-".into(),
    }
}

//! Unsupervised learning of handwritten digits after Diehl & Cook 2015 ("Unsupervised learning
//! of digit recognition using spike-timing-dependent plasticity", Front. Comput. Neurosci. 9:99),
//! on scikit-learn's 8x8 digits (`examples/data/digits8x8.txt`).
//!
//! Each image is presented as Poisson trains (rate proportional to pixel intensity) from a
//! rate encoder population of 64 inputs, followed by a rest without input. The inputs reach an
//! excitatory layer of conductance LIF neurons with adaptive thresholds (a user-defined
//! equation model: the threshold rises by `theta_plus_mv` at each spike) through pair STDP
//! (nearest-spike traces); each excitatory neuron drives one inhibitory neuron, which inhibits
//! every other excitatory neuron (lateral inhibition, soft winner-take-all). After each image
//! the input weights of every excitatory neuron are scaled back to a fixed sum through the
//! weights API. After training, a second network with the learned weights and thresholds
//! frozen (no plasticity) is shown the training images to label each excitatory neuron with
//! the class it responds to most, then the held-out images, each classified by the class
//! whose neurons spike most on average.
//!
//! The images reach the network through the rate encoder ([`crate::encoders::Encoder::Rate`]):
//! the whole sequence of images and rests is played on the device from one table of rates,
//! with counter-based Poisson draws, so the same seed gives the same spikes, and the same
//! accuracy, on each backend. Training still stops after every image for the weight
//! normalisation (a read-back and a write of the 6,400 input weights).

use crate::encoders::{Encoder, Presentation};
use crate::error::{Error, Result, invalid};
use crate::model::plasticity::{Pairing, StdpParams};
use crate::model::{
    Connection, Connectivity, InitialValue, Network, NetworkBuilder, PopulationId, ProjectionId, Receptor,
    Seeds, WeightDist,
};
use crate::neurons::{EquationNeuron, NeuronModel};
use crate::rng::{PhiloxStream, seed_key};
use crate::sim::{Backend, Simulator};

/// Pixels of one image (8 x 8).
pub const PIXELS: usize = 64;
/// The largest pixel value (the 4x4 block counts of the UCI data).
pub const MAX_PIXEL: u8 = 16;
/// The symbols of the data file's pixel values, 0 to 16.
const SYMBOLS: &[u8; 17] = b"0123456789abcdefg";
/// Philox stream of the split and the training orders.
const TRAIN_STREAM: u32 = 0x00D1_0000;
/// Mixed into the seed of the evaluation network's input trains.
const EVAL_INPUT_SEED: u64 = 0x5EED_E7A1;

/// Labelled 8x8 images.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Digits {
    /// Class of each image (0-9).
    pub labels: Vec<u8>,
    /// Pixels of each image, row by row, 0-16.
    pub pixels: Vec<[u8; PIXELS]>,
}

impl Digits {
    /// Parses the format of `examples/data/digits8x8.txt`: one image a line, the label, a
    /// space, then 64 characters from `0123456789abcdefg`.
    pub fn parse(text: &str) -> Result<Self> {
        let mut digits = Self::default();
        for (k, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let field = || format!("digits line {}", k + 1);
            let allowed = "must be a label 0-9, a space and 64 pixels from 0123456789abcdefg";
            let (label, image) = line
                .trim()
                .split_once(' ')
                .ok_or_else(|| invalid(field(), line, allowed))?;
            let label: u8 = label.parse().map_err(|_| invalid(field(), line, allowed))?;
            let values: Option<Vec<u8>> = image
                .bytes()
                .map(|c| SYMBOLS.iter().position(|&s| s == c).map(|v| v as u8))
                .collect();
            match values {
                Some(v) if label <= 9 && v.len() == PIXELS => {
                    digits.labels.push(label);
                    digits.pixels.push(v.try_into().unwrap_or([0; PIXELS]));
                }
                _ => return Err(invalid(field(), line, allowed)),
            }
        }
        Ok(digits)
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// A seeded shuffle of the image indices split into (training, held-out): the held-out
    /// part is the last `ceil(len * held_out)` of the shuffled order.
    pub fn split(&self, seed: u64, held_out: f64) -> (Vec<usize>, Vec<usize>) {
        let mut order: Vec<usize> = (0..self.len()).collect();
        shuffle(&mut order, seed, TRAIN_STREAM - 1);
        let n_test = ((self.len() as f64) * held_out.clamp(0.0, 1.0)).ceil() as usize;
        let test = order.split_off(self.len() - n_test);
        (order, test)
    }
}

/// Fisher-Yates shuffle drawing from a Philox stream.
fn shuffle(items: &mut [usize], seed: u64, stream: u32) {
    let mut rng = PhiloxStream::new(seed_key(seed), stream, 0);
    for i in (1..items.len()).rev() {
        let j = ((rng.uniform() * (i + 1) as f64) as usize).min(i);
        items.swap(i, j);
    }
}

/// The network and schedule. Defaults: the schedule and parameters stated in
/// `examples/diehl_cook.rs`.
#[derive(Clone, Debug, PartialEq)]
pub struct DiehlCookParams {
    /// Excitatory (and inhibitory) neurons.
    pub excitatory: u32,
    /// Time step (ms).
    pub dt_ms: f64,
    /// Presentation of one image (ms).
    pub present_ms: f64,
    /// Rest without input after each image (ms).
    pub rest_ms: f64,
    /// Passes over the training images.
    pub epochs: u32,
    /// Poisson rate of a pixel at full intensity (16) (Hz).
    pub max_rate_hz: f64,
    /// Sum of the input weights of each excitatory neuron, restored after every image.
    pub weight_sum: f64,
    /// Largest input weight (the STDP bound).
    pub w_max: f64,
    /// Threshold increase per spike (mV).
    pub theta_plus_mv: f64,
    /// Decay time constant of the threshold increase (ms).
    pub tau_theta_ms: f64,
    /// STDP potentiation per post spike, times the pre trace, relative to `w_max`.
    pub a_plus: f64,
    /// STDP depression per pre spike, times the post trace, relative to `w_max`.
    pub a_minus: f64,
    /// STDP trace time constant (ms), pre and post.
    pub tau_stdp_ms: f64,
    /// Excitatory to inhibitory weight (one to one; conductance in units of the leak).
    pub exc_to_inh: f64,
    /// Inhibitory to excitatory weight magnitude (to every other neuron).
    pub inh_to_exc: f64,
    /// Seed of the network, the split, the order and the input trains.
    pub seed: u64,
}

impl Default for DiehlCookParams {
    fn default() -> Self {
        Self {
            excitatory: 100,
            dt_ms: 0.5,
            present_ms: 350.0,
            rest_ms: 150.0,
            epochs: 2,
            max_rate_hz: 128.0,
            weight_sum: 16.0,
            w_max: 1.0,
            theta_plus_mv: 0.1,
            tau_theta_ms: 1e7,
            a_plus: 0.01,
            a_minus: 0.0001,
            tau_stdp_ms: 20.0,
            exc_to_inh: 10.4,
            inh_to_exc: 17.0,
            seed: 1,
        }
    }
}

impl DiehlCookParams {
    /// Refuses values the run cannot use, naming the field.
    pub fn validate(&self) -> Result<()> {
        let positive = [
            ("dt_ms", self.dt_ms),
            ("present_ms", self.present_ms),
            ("max_rate_hz", self.max_rate_hz),
            ("weight_sum", self.weight_sum),
            ("w_max", self.w_max),
            ("tau_theta_ms", self.tau_theta_ms),
            ("tau_stdp_ms", self.tau_stdp_ms),
        ];
        for (name, v) in positive {
            crate::error::check_positive(|| format!("diehl_cook.{name}"), v)?;
        }
        for (name, v) in [
            ("rest_ms", self.rest_ms),
            ("theta_plus_mv", self.theta_plus_mv),
            ("a_plus", self.a_plus),
            ("a_minus", self.a_minus),
            ("exc_to_inh", self.exc_to_inh),
            ("inh_to_exc", self.inh_to_exc),
        ] {
            crate::error::check_non_negative(|| format!("diehl_cook.{name}"), v)?;
        }
        if self.excitatory < 2 || self.excitatory > 10_000 {
            return Err(invalid(
                "diehl_cook.excitatory",
                self.excitatory,
                "must be in 2..=10000",
            ));
        }
        if self.epochs == 0 {
            return Err(invalid("diehl_cook.epochs", 0, "must be >= 1"));
        }
        if self.max_rate_hz * self.dt_ms > 1000.0 {
            return Err(invalid(
                "diehl_cook.max_rate_hz",
                self.max_rate_hz,
                "must be at most one spike per tick (1000 / dt_ms)",
            ));
        }
        Ok(())
    }

    /// Ticks of one presentation and of one presentation plus rest.
    fn ticks(&self) -> (u64, u64) {
        let present = (self.present_ms / self.dt_ms).round() as u64;
        (present, present + (self.rest_ms / self.dt_ms).round() as u64)
    }
}

/// What a run gives: the figures of the example's final JSON line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DiehlCookOutcome {
    /// Image presentations during training (images times epochs).
    pub train_images: usize,
    /// Held-out images classified.
    pub test_images: usize,
    /// Excitatory neurons.
    pub excitatory: u32,
    /// Fraction of held-out images classified correctly.
    pub test_accuracy: f64,
    /// Fraction of training images classified correctly by the same labelling.
    pub train_accuracy: f64,
    /// Wall time of the training phase (s), network building included.
    pub train_seconds: f64,
    /// Wall time of labelling and testing (s).
    pub eval_seconds: f64,
    /// Excitatory neurons that never spiked while labelling (no class).
    pub unlabelled_neurons: u32,
    /// Held-out images to which no excitatory neuron responded (counted as errors).
    pub silent_test_images: usize,
    /// Delivered synaptic events per held-out image (frozen network).
    pub synops_per_sample: f64,
    /// Spikes (all populations) per held-out image.
    pub spikes_per_sample: f64,
    /// Excitatory spikes per held-out image.
    pub excitatory_spikes_per_sample: f64,
    /// The backend's name.
    pub backend: String,
}

/// The model file of the neurons (excitatory and inhibitory share the form): conductances in
/// units of the leak conductance, so `dv/dt = ((v_rest - v) + g_e (E_e - v) + g_i (E_i - v)) /
/// tau_m`; the threshold `v_thresh + theta` rises by `theta_plus` at each spike.
fn model_text(name: &str, neuron: &NeuronConstants) -> String {
    let NeuronConstants {
        tau_m,
        v_rest,
        v_reset,
        v_thresh,
        e_i,
        refractory,
        theta_plus,
        tau_theta,
    } = neuron;
    format!(
        r#"[[neuron_model]]
name = "{name}"
equations = """
dv/dt = ((v_rest - v) + g_e * (E_e - v) + g_i * (E_i - v)) / tau_m : mV (unless refractory)
dtheta/dt = -theta / tau_theta : mV
dg_e/dt = -g_e / tau_e : 1
dg_i/dt = -g_i / tau_i : 1
"""
threshold = "v > v_thresh + theta"
reset = "v = v_reset; theta += theta_plus"
refractory = "{refractory} ms"
method = {{ v = "euler", theta = "exponential_euler", g_e = "exponential_euler", g_i = "exponential_euler" }}
params = {{ tau_m = "{tau_m} ms", v_rest = "{v_rest} mV", v_reset = "{v_reset} mV", v_thresh = "{v_thresh} mV", E_e = "0 mV", E_i = "{e_i} mV", tau_e = "1 ms", tau_i = "2 ms", theta_plus = "{theta_plus} mV", tau_theta = "{tau_theta} ms" }}
inputs = {{ excitatory = "g_e", inhibitory = "-g_i" }}
initial = {{ v = "v_rest" }}
"#
    )
}

/// Constants of one layer's neurons (Diehl & Cook 2015's values, the threshold adaptation
/// from the parameters).
struct NeuronConstants {
    tau_m: f64,
    v_rest: f64,
    v_reset: f64,
    v_thresh: f64,
    e_i: f64,
    refractory: f64,
    theta_plus: f64,
    tau_theta: f64,
}

/// The equation model of one layer; `theta` gives each neuron its starting threshold raise.
fn layer_model(name: &str, neuron: &NeuronConstants, theta: Option<Vec<f64>>) -> Result<NeuronModel> {
    let text = model_text(name, neuron);
    let mut definitions =
        crate::equations::parse_model_file(&text).map_err(|e| Error::InvalidNetwork(e.to_string()))?;
    let mut model = EquationNeuron::new(definitions.remove(0))?;
    if let Some(theta) = theta {
        model = model.per_neuron("theta", theta)?;
    }
    Ok(NeuronModel::Equation(model))
}

/// The handles of a built network.
struct Handles {
    exc: PopulationId,
    input_weights: ProjectionId,
}

/// The rate-coded images (intensity = pixel / 16) shown one after another from time 0.
fn rate_encoder(digits: &Digits, images: &[usize], p: &DiehlCookParams) -> Encoder {
    let stimuli = images
        .iter()
        .map(|&k| {
            digits.pixels[k]
                .iter()
                .map(|&x| f64::from(x) / f64::from(MAX_PIXEL))
                .collect()
        })
        .collect();
    Encoder::Rate {
        stimuli,
        max_rate_hz: p.max_rate_hz,
        presentation: Presentation::new(p.present_ms, p.rest_ms),
    }
}

/// The network presenting `images`: plastic input weights when `frozen` is `None`, else fixed
/// ones with each excitatory neuron's threshold raise from `frozen`.
fn network(
    digits: &Digits,
    images: &[usize],
    p: &DiehlCookParams,
    frozen: Option<Vec<f64>>,
) -> Result<(Network, Handles)> {
    let mut b = NetworkBuilder::new(p.dt_ms, p.seed);
    // The evaluation draws its input trains from other Philox keys than training.
    let input_seed = if frozen.is_some() {
        p.seed ^ EVAL_INPUT_SEED
    } else {
        p.seed
    };
    b.set_seeds(Seeds {
        inputs: input_seed,
        ..Seeds::all(p.seed)
    });
    let inputs = b.encoder("inputs", &rate_encoder(digits, images, p))?;
    let learning = frozen.is_none();
    let exc_neuron = NeuronConstants {
        tau_m: 100.0,
        v_rest: -65.0,
        v_reset: -65.0,
        v_thresh: -52.0,
        e_i: -100.0,
        refractory: 5.0,
        theta_plus: if learning { p.theta_plus_mv } else { 0.0 },
        tau_theta: p.tau_theta_ms,
    };
    let inh_neuron = NeuronConstants {
        tau_m: 10.0,
        v_rest: -60.0,
        v_reset: -45.0,
        v_thresh: -40.0,
        e_i: -85.0,
        refractory: 2.0,
        theta_plus: 0.0,
        tau_theta: 1e7,
    };
    let n = p.excitatory;
    let exc_model = layer_model("diehl_cook_exc", &exc_neuron, frozen)?;
    let exc = b.population("exc", n, exc_model, InitialValue::Constant(-65.0))?;
    let inh_model = layer_model("diehl_cook_inh", &inh_neuron, None)?;
    let inh = b.population("inh", n, inh_model, InitialValue::Constant(-60.0))?;
    let delay = WeightDist::Constant(p.dt_ms);
    let initial = WeightDist::Uniform {
        low: 0.0,
        high: (2.0 * p.weight_sum / PIXELS as f64).min(p.w_max),
    };
    let input_weights = b.projection(
        inputs,
        exc,
        Connectivity::AllToAll { autapses: false },
        initial,
        delay,
        Receptor::Excitatory,
    )?;
    if learning {
        let mut stdp = StdpParams::pair(p.tau_stdp_ms, p.tau_stdp_ms, p.a_plus, p.a_minus, 0.0, p.w_max);
        stdp.pairing = Pairing::Nearest;
        b.plasticity(input_weights, stdp)?;
    }
    let w_ei = WeightDist::Constant(p.exc_to_inh);
    b.projection(
        exc,
        inh,
        Connectivity::OneToOne,
        w_ei,
        delay,
        Receptor::Excitatory,
    )?;
    let lateral = (0..n)
        .flat_map(|pre| {
            (0..n)
                .filter(move |&post| post != pre)
                .map(move |post| (pre, post))
        })
        .map(|(pre, post)| Connection {
            pre,
            post,
            weight: -p.inh_to_exc,
            delay_ms: p.dt_ms,
        })
        .collect();
    let w_ie = WeightDist::Constant(-p.inh_to_exc);
    b.projection(
        inh,
        exc,
        Connectivity::Explicit(lateral),
        w_ie,
        delay,
        Receptor::Inhibitory,
    )?;
    b.record_spikes(inputs, false)?;
    b.record_spikes(inh, false)?;
    Ok((b.build()?, Handles { exc, input_weights }))
}

/// Scales each excitatory neuron's input weights to sum to `weight_sum` (capped at `w_max`).
fn normalise(sim: &mut Simulator, proj: ProjectionId, p: &DiehlCookParams) -> Result<()> {
    let mut w = sim.weights(proj)?;
    let mut sums = vec![0.0f64; p.excitatory as usize];
    for (&post, &x) in w.post.iter().zip(&w.weights) {
        sums[post as usize] += f64::from(x);
    }
    for (&post, x) in w.post.iter().zip(w.weights.iter_mut()) {
        let sum = sums[post as usize];
        if sum > 0.0 {
            *x = ((f64::from(*x) * p.weight_sum / sum).min(p.w_max)) as f32;
        }
    }
    sim.set_weights(proj, &w.weights)
}

/// Trains the network on `order` (image indices, all epochs); returns the learned input
/// weights and each excitatory neuron's threshold raise.
fn train(
    digits: &Digits,
    order: &[usize],
    p: &DiehlCookParams,
    backend: Backend,
) -> Result<(Vec<f32>, Vec<f64>)> {
    let (net, h) = network(digits, order, p, None)?;
    let mut sim = Simulator::new(&net, backend)?;
    let (_, period) = p.ticks();
    normalise(&mut sim, h.input_weights, p)?;
    for _ in order {
        sim.run_ticks(period)?;
        normalise(&mut sim, h.input_weights, p)?;
        sim.take_spike_records();
    }
    let state = sim.pull_state()?;
    let start = sim.plan().populations[h.exc.index].gpu.start as usize;
    let theta = state[start..start + p.excitatory as usize]
        .iter()
        .map(|s| f64::from(s.u))
        .collect();
    Ok((sim.weights(h.input_weights)?.weights, theta))
}

/// Excitatory spike counts per presented image (`counts[image][neuron]`) from the records.
fn responses(
    sim: &mut Simulator,
    exc: PopulationId,
    images: usize,
    period: u64,
    first_tick: u64,
) -> Result<Vec<Vec<u32>>> {
    let n = sim.plan().populations[exc.index].gpu.size as usize;
    let start = sim.plan().populations[exc.index].gpu.start;
    let mut counts = vec![vec![0u32; n]; images];
    for s in sim.take_spike_records() {
        let k = ((s.tick - first_tick) / period) as usize;
        if s.neuron >= start && (s.neuron - start) < n as u32 && k < images {
            counts[k][(s.neuron - start) as usize] += 1;
        }
    }
    Ok(counts)
}

/// Each neuron's class: the one with the highest mean response (`None` if it never spiked).
fn assign_labels(counts: &[Vec<u32>], labels: &[u8]) -> Vec<Option<u8>> {
    let n = counts.first().map_or(0, Vec::len);
    let mut per_class = vec![[0.0f64; 10]; n];
    let mut images = [0u32; 10];
    for (c, &label) in counts.iter().zip(labels) {
        images[label as usize] += 1;
        for (acc, &x) in per_class.iter_mut().zip(c) {
            acc[label as usize] += f64::from(x);
        }
    }
    per_class
        .iter()
        .map(|acc| {
            let mean = |k: usize| acc[k] / f64::from(images[k].max(1));
            let best = (0..10).fold(0, |b, k| if mean(k) > mean(b) { k } else { b });
            (mean(best) > 0.0).then_some(best as u8)
        })
        .collect()
}

/// The class whose labelled neurons respond most on average (`None`: no labelled neuron spiked).
fn classify(count: &[u32], assigned: &[Option<u8>]) -> Option<u8> {
    let mut sum = [0.0f64; 10];
    let mut members = [0u32; 10];
    for (&x, a) in count.iter().zip(assigned) {
        if let Some(c) = a {
            sum[*c as usize] += f64::from(x);
            members[*c as usize] += 1;
        }
    }
    let mean = |k: usize| sum[k] / f64::from(members[k].max(1));
    let best = (0..10).fold(0, |b, k| if mean(k) > mean(b) { k } else { b });
    (mean(best) > 0.0).then_some(best as u8)
}

/// Fraction of `counts` classified as their label.
fn accuracy(counts: &[Vec<u32>], labels: &[u8], assigned: &[Option<u8>]) -> f64 {
    let right = counts
        .iter()
        .zip(labels)
        .filter(|(c, l)| classify(c, assigned) == Some(**l))
        .count();
    right as f64 / counts.len().max(1) as f64
}

/// Trains on `train` (shuffled anew each epoch), labels the neurons on `train` with the
/// learned network frozen, then classifies `test`.
pub fn run(
    digits: &Digits,
    train_set: &[usize],
    test_set: &[usize],
    p: &DiehlCookParams,
    backend: Backend,
) -> Result<DiehlCookOutcome> {
    p.validate()?;
    if train_set.is_empty()
        || test_set.is_empty()
        || train_set.iter().chain(test_set).any(|&i| i >= digits.len())
    {
        return Err(invalid(
            "diehl_cook images",
            "given",
            "need training and test images, each an index into the digits",
        ));
    }
    let clock = std::time::Instant::now();
    let mut order = Vec::new();
    for epoch in 0..p.epochs {
        let mut this = train_set.to_vec();
        shuffle(&mut this, p.seed, TRAIN_STREAM - 2 - epoch);
        order.extend(this);
    }
    let (weights, theta) = train(digits, &order, p, backend)?;
    let train_seconds = clock.elapsed().as_secs_f64();
    let clock = std::time::Instant::now();
    let shown: Vec<usize> = train_set.iter().chain(test_set).copied().collect();
    let (net, h) = network(digits, &shown, p, Some(theta))?;
    let mut sim = Simulator::new(&net, backend)?;
    sim.set_weights(h.input_weights, &weights)?;
    let (_, period) = p.ticks();
    sim.run_ticks(period * train_set.len() as u64)?;
    let label_counts = responses(&mut sim, h.exc, train_set.len(), period, 0)?;
    let before = sim.counters();
    let exc_before = sim.population_spike_counts()[h.exc.index];
    sim.run_ticks(period * test_set.len() as u64)?;
    let test_counts = responses(
        &mut sim,
        h.exc,
        test_set.len(),
        period,
        period * train_set.len() as u64,
    )?;
    let after = sim.counters();
    let labels = |set: &[usize]| set.iter().map(|&i| digits.labels[i]).collect::<Vec<u8>>();
    let assigned = assign_labels(&label_counts, &labels(train_set));
    let n_test = test_set.len() as f64;
    Ok(DiehlCookOutcome {
        train_images: order.len(),
        test_images: test_set.len(),
        excitatory: p.excitatory,
        test_accuracy: accuracy(&test_counts, &labels(test_set), &assigned),
        train_accuracy: accuracy(&label_counts, &labels(train_set), &assigned),
        train_seconds,
        eval_seconds: clock.elapsed().as_secs_f64(),
        unlabelled_neurons: assigned.iter().filter(|a| a.is_none()).count() as u32,
        silent_test_images: test_counts.iter().filter(|c| c.iter().all(|&x| x == 0)).count(),
        synops_per_sample: (after.syn_events - before.syn_events) as f64 / n_test,
        spikes_per_sample: (after.spikes - before.spikes) as f64 / n_test,
        excitatory_spikes_per_sample: (sim.population_spike_counts()[h.exc.index] - exc_before) as f64
            / n_test,
        backend: sim.backend_name().to_string(),
    })
}

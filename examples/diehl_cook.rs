//! Unsupervised learning of handwritten digits after Diehl & Cook 2015, on scikit-learn's 8x8
//! digits (`examples/data/digits8x8.txt`; the network is `spikegpu::networks::diehl_cook`).
//!
//! 100 excitatory conductance LIF neurons with adaptive thresholds learn the 64 Poisson
//! inputs' weights by pair STDP, under lateral inhibition from 100 inhibitory neurons, with
//! the input weights of each neuron scaled back to a fixed sum after every image. Then the
//! network, frozen, labels each neuron by the class it answers most on the training images
//! and classifies the held-out quarter (450 of the 1,797 images).
//!
//! Default schedule: dt 0.5 ms; each image shown for 350 ms (Poisson rates up to 128 Hz at
//! full intensity, 16) followed by 150 ms of rest; 2 epochs over the 1,347 training images
//! (each in its own seeded random order), then labelling on the same 1,347 images and testing
//! on the 450 held out. Threshold rise 0.1 mV per spike (tau 1e7 ms), pair STDP with
//! nearest-spike traces (tau 20 ms, +0.01 / -0.0001 of w_max = 1), input weights of each
//! neuron scaled to sum to 16 after every image.
//!
//! `cargo run --release --example diehl_cook -- [--backend cpu|gpu] [--epochs N]
//! [--train N] [--test N] [--present-ms MS] [--rest-ms MS] [--dt-ms MS] [--rate-hz HZ] [--seed S]
//! [--excitatory N] [--theta-plus-mv MV] [--weight-sum W]`
//!
//! `--train N` / `--test N` keep the first N images of the shuffled training / held-out sets
//! (shorter runs, e.g. to time lavapipe). Prints a progress line and a final JSON line (`train_images, test_images, excitatory,
//! test_accuracy, train_images_per_s, backend, synops_per_sample, ...`).

use anyhow::{Context, bail};
use spikegpu::Backend;
use spikegpu::networks::diehl_cook::{DiehlCookParams, Digits, run};

/// The command line: the network's parameters, the backend and the training images to use.
struct Options {
    params: DiehlCookParams,
    backend: Backend,
    train_limit: Option<usize>,
    test_limit: Option<usize>,
}

fn parse_options() -> anyhow::Result<Options> {
    let mut o = Options {
        params: DiehlCookParams::default(),
        backend: Backend::Cpu,
        train_limit: None,
        test_limit: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().with_context(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<f64>()
                .with_context(|| format!("{flag} {value}: not a number"))
        };
        let p = &mut o.params;
        match flag.as_str() {
            "--backend" => o.backend = value.parse()?,
            "--epochs" => p.epochs = value.parse()?,
            "--train" => o.train_limit = Some(value.parse()?),
            "--test" => o.test_limit = Some(value.parse()?),
            "--present-ms" => p.present_ms = number()?,
            "--rest-ms" => p.rest_ms = number()?,
            "--dt-ms" => p.dt_ms = number()?,
            "--rate-hz" => p.max_rate_hz = number()?,
            "--seed" => p.seed = value.parse()?,
            "--excitatory" => p.excitatory = value.parse()?,
            "--theta-plus-mv" => p.theta_plus_mv = number()?,
            "--weight-sum" => p.weight_sum = number()?,
            "--a-plus" => p.a_plus = number()?,
            "--a-minus" => p.a_minus = number()?,
            "--inh-to-exc" => p.inh_to_exc = number()?,
            "--exc-to-inh" => p.exc_to_inh = number()?,
            "--w-max" => p.w_max = number()?,
            "--tau-stdp-ms" => p.tau_stdp_ms = number()?,
            "--tau-theta-ms" => p.tau_theta_ms = number()?,
            _ => bail!("unknown option {flag} (see the doc comment of examples/diehl_cook.rs)"),
        }
    }
    Ok(o)
}

fn main() -> anyhow::Result<()> {
    let o = parse_options()?;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/digits8x8.txt");
    let digits = Digits::parse(&std::fs::read_to_string(path).with_context(|| path.to_string())?)?;
    let (mut train, mut test) = digits.split(o.params.seed, 0.25);
    train.truncate(o.train_limit.unwrap_or(train.len()));
    test.truncate(o.test_limit.unwrap_or(test.len()));
    let p = &o.params;
    eprintln!(
        "diehl_cook: {} training images x {} epochs, {} test, {} excitatory, dt {} ms, {} ms + {} ms rest",
        train.len(),
        p.epochs,
        test.len(),
        p.excitatory,
        p.dt_ms,
        p.present_ms,
        p.rest_ms
    );
    let r = run(&digits, &train, &test, p, o.backend)?;
    eprintln!(
        "train accuracy {:.4}, {} unlabelled neurons, {} silent test images, train {:.1} s, eval {:.1} s",
        r.train_accuracy, r.unlabelled_neurons, r.silent_test_images, r.train_seconds, r.eval_seconds
    );
    println!(
        "{{\"train_images\": {}, \"test_images\": {}, \"excitatory\": {}, \"test_accuracy\": {:.4}, \
         \"train_images_per_s\": {:.2}, \"backend\": \"{}\", \"synops_per_sample\": {:.1}, \
         \"spikes_per_sample\": {:.1}, \"excitatory_spikes_per_sample\": {:.2}, \"epochs\": {}, \
         \"dt_ms\": {}, \"present_ms\": {}, \"rest_ms\": {}, \"seed\": {}}}",
        r.train_images,
        r.test_images,
        r.excitatory,
        r.test_accuracy,
        r.train_images as f64 / r.train_seconds,
        r.backend,
        r.synops_per_sample,
        r.spikes_per_sample,
        r.excitatory_spikes_per_sample,
        p.epochs,
        p.dt_ms,
        p.present_ms,
        p.rest_ms,
        p.seed
    );
    Ok(())
}

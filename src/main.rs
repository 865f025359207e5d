//! The `spikegpu` command line: one function per subcommand.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use spikegpu::app::bench::{self, BenchConfig, BenchReport};
use spikegpu::app::{modelfile, run};
use spikegpu::{Backend, Error, gpu, networks};

#[derive(Parser)]
#[command(
    name = "spikegpu",
    version,
    about = "Spiking neural networks on any GPU (wgpu/WGSL), with a bit-exact CPU reference",
    after_help = "Examples:\n  spikegpu run examples/models/cuba.toml --out out/cuba\n  spikegpu validate examples/models/brunel.toml\n  spikegpu bench cuba\n  spikegpu bench all --backend both --markdown\n  spikegpu devices\n\nLogging: RUST_LOG=info spikegpu ...   Adapter choice: SPIKEGPU_ADAPTER=<name substring>\nExit codes: 0 success, 2 bad input, 1 runtime failure."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a model file and write spikes (.npy), probes (.npy), summary.json and raster.png.
    #[command(
        after_help = "Examples:\n  spikegpu run examples/models/cuba.toml\n  spikegpu run examples/models/coba.toml --backend cpu --out results/coba --duration-ms 500 --seed 7\n\nOutputs in --out: spikes_<pop>_times_ms.npy and spikes_<pop>_neurons.npy per recorded population,\nstate_<pop>_<var>.npy (samples x neurons) with _times_ms.npy and _neurons.npy per probe,\nsummary.json (the bench figures plus per-population rate and CV of ISI) and raster.png."
    )]
    Run(RunArgs),
    /// Check a model file without running it: parse, build and plan the network.
    #[command(after_help = "Example:\n  spikegpu validate examples/models/brunel.toml")]
    Validate {
        /// The model file (TOML).
        model: PathBuf,
    },
    /// Run standard benchmark networks and print their figures.
    #[command(
        after_help = "Examples:\n  spikegpu bench cuba\n  spikegpu bench all --backend both\n  spikegpu bench cuba --json --seed 7 --duration-ms 500"
    )]
    Bench(BenchArgs),
    /// List the adapters wgpu can see, with backend, type and key limits.
    #[command(after_help = "Example:\n  spikegpu devices")]
    Devices,
}

#[derive(Args)]
struct RunArgs {
    /// The model file (TOML).
    model: PathBuf,
    /// gpu, cpu or auto (GPU if present, else CPU).
    #[arg(long, default_value = "auto")]
    backend: String,
    /// Output directory (created if needed).
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// Biological time (ms); defaults to the file's duration, else 1000.
    #[arg(long, allow_negative_numbers = true)]
    duration_ms: Option<f64>,
    /// Seed; defaults to the file's.
    #[arg(long)]
    seed: Option<u64>,
    /// Generate connectivity on the GPU where it qualifies (fixed-total projections): no
    /// host memory or upload per synapse. GPU backend only.
    #[arg(long)]
    generate_on_device: bool,
    /// Threads of the CPU backend (default: one per core, fewer for small networks); the results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Args)]
struct BenchArgs {
    /// Models to run: cuba, coba, brunel, brunel-ai, izhikevich, cobahh, brunel-stdp, stdp,
    /// microcircuit; `all` runs every one but the full-scale microcircuit.
    #[arg(default_value = "all")]
    models: Vec<String>,
    /// gpu, cpu, auto (GPU if present, else CPU) or both (side by side, with the ratio).
    #[arg(long, default_value = "auto")]
    backend: String,
    /// Seed of connectivity, initial state and inputs.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Biological time to simulate (ms).
    #[arg(long, default_value_t = 1000.0, allow_negative_numbers = true)]
    duration_ms: f64,
    /// Neuron-count multiplier; in-degrees are kept.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    scale: f64,
    /// Generate connectivity on the GPU where it qualifies (fixed-total projections, as in
    /// the microcircuit): no host memory or upload per synapse. GPU runs only.
    #[arg(long)]
    generate_on_device: bool,
    /// Threads of the CPU backend (default: one per core, fewer for small networks); the results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// After each GPU run, time every stage with timestamp queries (up to 2,000 more ticks)
    /// and print the mean time per tick of each stage and of the gaps between them.
    #[arg(long)]
    profile: bool,
    /// One JSON object per run instead of the table.
    #[arg(long)]
    json: bool,
    /// A Markdown table with the adapter, driver, CPU and date (the format of BENCHMARKS.md).
    #[arg(long, conflicts_with = "json")]
    markdown: bool,
}

fn main() -> ExitCode {
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        // Mesa's Vulkan drivers print "XDG_RUNTIME_DIR is invalid or not set" on headless
        // machines when probing for a display; any existing directory silences that noise.
        // SAFETY: nothing else runs yet; no other thread can be reading the environment.
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir()) };
    }
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run_command(args),
        Command::Validate { model } => validate_command(&model),
        Command::Devices => devices_command(),
        Command::Bench(args) => bench_command(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let input_error = e.downcast_ref::<Error>().is_some_and(|e| {
                matches!(
                    e,
                    Error::InvalidParameter { .. }
                        | Error::InvalidNetwork(_)
                        | Error::UnknownBackend(_)
                        | Error::UnknownHandle { .. }
                        | Error::Output(_)
                )
            });
            ExitCode::from(if input_error { 2 } else { 1 })
        }
    }
}

fn parse_backend(name: &str) -> anyhow::Result<Backend> {
    name.parse::<Backend>().map_err(|_| {
        anyhow::Error::new(Error::UnknownBackend(name.to_string()))
            .context("--backend accepts gpu, cpu or auto")
    })
}

/// `spikegpu run`: runs the model file with a progress bar, then lists what it wrote.
fn run_command(args: RunArgs) -> anyhow::Result<()> {
    let backend = parse_backend(&args.backend)?;
    let options = spikegpu::SimOptions {
        generate_on_device: args.generate_on_device,
        threads: args.threads,
        ..spikegpu::SimOptions::default()
    };
    let file = modelfile::load(&args.model, args.seed)?;
    let duration = args.duration_ms.or(file.duration_ms).unwrap_or(1000.0);
    run::prepare_out_dir(&args.out)?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {percent:>3}% {msg}").expect("valid template"),
    );
    let started = std::time::Instant::now();
    let dt = file.network.dt_ms;
    let result = run::run_model(
        &file,
        backend,
        options,
        duration,
        &args.out,
        |done, total, spikes| {
            bar.set_length(total);
            bar.set_position(done);
            let bio_s = done as f64 * dt * 1e-3;
            let wall = started.elapsed().as_secs_f64().max(1e-9);
            bar.set_message(format!(
                "tick {done}/{total}, t = {:.0} ms, real-time factor {:.2}, {:.0} spikes/s",
                bio_s * 1e3,
                wall / bio_s.max(1e-12),
                spikes as f64 / wall
            ));
        },
    )?;
    bar.finish_and_clear();
    print!("{}", bench::table(std::slice::from_ref(&result.report)));
    println!("wrote {} files to {}:", result.files.len(), args.out.display());
    for f in &result.files {
        println!("  {}", f.display());
    }
    Ok(())
}

/// `spikegpu validate`: parses, builds and plans the model file, and says what it holds.
fn validate_command(model: &Path) -> anyhow::Result<()> {
    let file = modelfile::load(model, None)?;
    let plan = spikegpu::plan::Plan::new(&file.network)?;
    println!(
        "{}: valid. {} populations, {} neurons, {} projections, {} synapses, dt {} ms, seed {}",
        model.display(),
        file.network.populations.len(),
        plan.n_neurons,
        file.network.projections.len(),
        plan.synapse_count(),
        file.network.dt_ms,
        file.network.seed
    );
    Ok(())
}

/// `spikegpu devices`: the adapters wgpu sees and their key limits.
fn devices_command() -> anyhow::Result<()> {
    let adapters = gpu::list_adapters();
    if adapters.is_empty() {
        println!("no adapters found (without a GPU: apt-get install mesa-vulkan-drivers)");
    }
    for a in adapters {
        println!(
            "{}\n  backend {}, type {}, driver {}\n  compute {}, max storage binding {} MiB, max buffer {} MiB, storage buffers/stage {}, workgroups/dim {}",
            a.name,
            a.backend,
            a.device_type,
            a.driver,
            a.compute,
            a.max_storage_binding >> 20,
            a.max_buffer >> 20,
            a.max_storage_buffers_per_stage,
            a.max_workgroups_per_dim
        );
    }
    Ok(())
}

/// `spikegpu bench`: runs every named model on every chosen backend, then prints the figures.
fn bench_command(args: BenchArgs) -> anyhow::Result<()> {
    let backends = bench_backends(&args.backend)?;
    let mut reports = Vec::new();
    for model in bench_models(&args.models) {
        for &backend in &backends {
            let report = bench::run(&BenchConfig {
                model: model.clone(),
                backend,
                seed: args.seed,
                duration_ms: args.duration_ms,
                scale: args.scale,
                generate_on_device: args.generate_on_device,
                threads: args.threads,
                profile: args.profile,
            })?;
            if args.json {
                println!("{}", report.to_json());
            }
            reports.push(report);
        }
    }
    if args.markdown {
        print!("{}", bench::markdown(&reports));
    } else if !args.json {
        print_bench_table(&reports);
    }
    if args.profile && !args.json {
        print!("{}", bench::profile_tables(&reports));
    }
    Ok(())
}

/// The backends `--backend` names: `both` is the GPU then the CPU.
fn bench_backends(name: &str) -> anyhow::Result<Vec<Backend>> {
    if name.eq_ignore_ascii_case("both") {
        return Ok(vec![Backend::Gpu, Backend::Cpu]);
    }
    let backend = name.parse::<Backend>().map_err(|_| {
        anyhow::Error::new(Error::UnknownBackend(name.to_string()))
            .context("--backend accepts gpu, cpu, auto or both")
    })?;
    Ok(vec![backend])
}

/// The model names with `all` expanded into the default benchmark models.
fn bench_models(names: &[String]) -> Vec<String> {
    let mut list = Vec::new();
    for name in names {
        if name == "all" {
            list.extend(networks::default_bench_models().map(str::to_string));
        } else {
            list.push(name.clone());
        }
    }
    list
}

/// The readable table, the GPU/CPU comparisons and what the columns mean.
fn print_bench_table(reports: &[BenchReport]) {
    print!("{}", bench::table(reports));
    for (g, c) in bench::gpu_cpu_pairs(reports) {
        println!(
            "{}: cpu run_s / gpu run_s = {:.2}; identical spike trains: {}",
            g.model,
            c.run_s / g.run_s,
            g.spike_hash == c.spike_hash
        );
    }
    println!(
        "rtf = wall-clock seconds per simulated second; events/s = synaptic events delivered per wall-clock second"
    );
}

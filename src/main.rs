//! The `spikegpu` command line: one function per subcommand.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use spikegpu::app::bench::{self, BenchConfig, BenchReport};
use spikegpu::app::modelfile::{self, Override};
use spikegpu::app::{resolved, run, sweep};
use spikegpu::{Backend, Error, gpu, networks};

mod ranks;
use ranks::*;

#[derive(Parser)]
#[command(
    name = "spikegpu",
    version,
    about = "Spiking neural networks on any GPU (wgpu/WGSL), with a bit-exact CPU reference",
    after_help = "Examples:\n  spikegpu run examples/models/cuba.toml --out out/cuba\n  spikegpu run examples/models/cuba.toml --set 'population.exc.params.tau_m=10 ms' --record 'exc[0:100]'\n  spikegpu sweep examples/models/fi-curve.toml --set-values 'current.neuron.dc=16..35:1'\n  spikegpu validate --print examples/models/brunel.toml\n  spikegpu bench cuba\n  spikegpu bench all --backend both --markdown\n  spikegpu devices\n\nModel files: docs/model-files.md lists every key of every table and every neuron model\nparameter (unit, default, range); examples/models/*.toml are worked examples; validate --print\nshows a file resolved.\nLogging: RUST_LOG=info spikegpu ...   Adapter choice: SPIKEGPU_ADAPTER=<name substring>\nExit codes: 0 success, 2 bad input, 1 runtime failure."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Host memory budget (MiB) every network is checked against before anything is built;
    /// default: the available memory (MemAvailable, cgroup, ulimit -v), or SPIKEGPU_MAX_HOST_MIB.
    #[arg(long, global = true, value_parser = clap::value_parser!(u64).range(1..))]
    max_host_mib: Option<u64>,
    /// Device memory budget (MiB) the GPU buffers are checked against before any is allocated;
    /// default: the adapter's limits only, or SPIKEGPU_MAX_DEVICE_MIB.
    #[arg(long, global = true, value_parser = clap::value_parser!(u64).range(1..))]
    max_device_mib: Option<u64>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a model file and write its records (.npy), plots (.png) and summary.json.
    #[command(
        after_help = "Examples:\n  spikegpu run examples/models/cuba.toml\n  spikegpu run examples/models/coba.toml --backend cpu --out results/coba --duration-ms 500 --seed 7\n  spikegpu run examples/models/cuba.toml --set 'population.exc.params.tau_m=10 ms' --record 'exc[::10]' --input-seed 3\n\nOutputs in --out: spikes_<pop>_times_ms.npy and spikes_<pop>_neurons.npy per recorded population,\nstate_<pop>_<var>.npy (samples x neurons) with _times_ms.npy, _neurons.npy and a .png per probe,\nrate_<pop>.npy (Hz per bin) with _times_ms.npy and _counts.npy per rate record, and rates.png,\nweights_projection<k>_*.npy and weight plots for plastic projections, connections_<pre>_<post>_*.npy\nand positions_<pop>.npy when asked for, summary.json (the bench figures plus the recorded and\nunrecorded populations' rates and CV of ISI) and raster.png (recorded populations only)."
    )]
    Run(RunArgs),
    /// Continue a run from its folder's last checkpoint (a run started with
    /// --checkpoint-every), to the end it was started for.
    #[command(
        after_help = "Examples:\n  spikegpu run examples/models/brunel.toml --out runs/brunel --duration-ms 60000 --checkpoint-every '5 s'\n  spikegpu resume runs/brunel\n  spikegpu resume runs/brunel --backend cpu\n\nThe folder keeps checkpoint.json, two checkpoint slots and the spike stream until the run\nends complete; the model file's text and overrides are kept in checkpoint.json, so the\nresumed run does not read the model file again."
    )]
    Resume(ResumeArgs),
    /// Check a model file without running it: parse, build and plan the network.
    #[command(
        after_help = "Examples:\n  spikegpu validate examples/models/brunel.toml\n  spikegpu validate --print examples/models/cuba.toml --set 'population.exc.params.tau_m=10 ms'"
    )]
    Validate(ValidateArgs),
    /// Run a model file at every point of a grid of overrides and seeds, in one process.
    #[command(
        after_help = "Examples:\n  spikegpu sweep examples/models/cuba.toml --set-values 'population.exc.params.tau_m=5 ms,10 ms,20 ms' --seeds 1..10 --backend cpu --jobs 2\n  spikegpu sweep examples/models/fi-curve.toml --set-values 'current.neuron.dc=16..35:1'\n\nEach point runs into <out>/pointNNN/ (the files of `spikegpu run`); <out>/sweep.csv and\n<out>/sweep.json hold one row per point: the values of the axes, spikes, rate_hz, cv_isi,\neach population's rate, the spike hash and the run time. Ranges: A..B (whole numbers,\ninclusive) or A..B:STEP."
    )]
    Sweep(SweepArgs),
    /// Run standard benchmark networks and print their figures.
    #[command(
        after_help = "Examples:\n  spikegpu bench cuba\n  spikegpu bench all --backend both\n  spikegpu bench cuba --json --seed 7 --duration-ms 500"
    )]
    Bench(BenchArgs),
    /// List the adapters wgpu can see, with backend, type and key limits.
    #[command(after_help = "Example:\n  spikegpu devices")]
    Devices,
}

/// The model file and what changes it: overrides, seeds, recordings.
#[derive(Args)]
struct ModelArgs {
    /// The model file (TOML).
    model: PathBuf,
    /// Set any key of the file, as if it were written there: KEY=VALUE, e.g.
    /// 'population.exc.params.tau_m=10 ms', 'projection.exc->inh.weight=0.5 mV',
    /// 'record.spikes=["exc[0:100]"]' (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Record the spikes of these populations or selections only ('exc', 'exc[0:100]',
    /// 'inh[::10]', 'all'), replacing the file's record.spikes (repeatable).
    #[arg(long, value_name = "SELECTION")]
    record: Vec<String>,
    /// Seed of connectivity, initial state and inputs; defaults to the file's.
    #[arg(long)]
    seed: Option<u64>,
    /// Seed of the connectivity (positions, drawn per-neuron parameters) alone.
    #[arg(long)]
    connectivity_seed: Option<u64>,
    /// Seed of the initial state alone.
    #[arg(long)]
    initial_seed: Option<u64>,
    /// Seed of the inputs (Poisson inputs and sources, noise currents) alone.
    #[arg(long)]
    input_seed: Option<u64>,
}

impl ModelArgs {
    /// The overrides these flags make, in order: seeds, then --record, then --set.
    fn overrides(&self) -> anyhow::Result<Vec<Override>> {
        let mut out = Vec::new();
        if let Some(seed) = self.seed {
            out.push(Override::new("seed", seed.to_string()));
        }
        for (part, seed) in [
            ("connectivity", self.connectivity_seed),
            ("initial", self.initial_seed),
            ("inputs", self.input_seed),
        ] {
            if let Some(seed) = seed {
                out.push(Override::new(format!("seed.{part}"), seed.to_string()));
            }
        }
        if !self.record.is_empty() {
            let quoted: Vec<String> = self.record.iter().map(|r| format!("{r:?}")).collect();
            out.push(Override::new("record.spikes", format!("[{}]", quoted.join(", "))));
        }
        for s in &self.set {
            out.push(s.parse::<Override>()?);
        }
        Ok(out)
    }

    /// The model file with the overrides applied.
    fn load(&self) -> anyhow::Result<modelfile::ModelFile> {
        Ok(modelfile::load_with(&self.model, &self.overrides()?)?)
    }
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// gpu, cpu or auto (a hardware GPU if there is one, else the CPU backend).
    #[arg(long, default_value = "auto")]
    backend: String,
    /// Output directory (created if needed). A folder holding an earlier run's outputs has
    /// those files (its spikegpu-manifest.txt) replaced; another non-empty folder is refused
    /// unless --overwrite; a folder another run is writing is refused.
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// Write into a non-empty folder that holds no earlier spikegpu run, beside its files
    /// (none of them is removed).
    #[arg(long)]
    overwrite: bool,
    /// Write a checkpoint every so much biological time ('10 s', '500 ms', '2 min'): a run
    /// stopped by a signal, a crash or SIGKILL continues with `spikegpu resume DIR`, with
    /// spikes and weights bit-identical to a run never stopped.
    #[arg(long, value_name = "TIME")]
    checkpoint_every: Option<String>,
    /// Biological time (ms); defaults to the file's duration, else 1000.
    #[arg(long, allow_negative_numbers = true)]
    duration_ms: Option<f64>,
    /// Generate connectivity on the GPU where it qualifies (fixed-total projections): no
    /// host memory or upload per synapse. GPU backend only.
    #[arg(long)]
    generate_on_device: bool,
    /// Threads of the CPU backend (default: one per free core, at most SPIKEGPU_THREADS, fewer for small networks); the results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// What a neuron state that becomes NaN or infinite does: stop (exit 1 after writing what
    /// was recorded, naming tick, population, neuron and variable) or warn (summary.json
    /// records the event and the run goes on).
    #[arg(long, default_value = "stop")]
    on_nonfinite: String,
}

#[derive(Args)]
struct ResumeArgs {
    /// The output folder of the run to continue.
    dir: PathBuf,
    /// gpu or cpu: the backend to continue on (default: the one the run started on).
    #[arg(long)]
    backend: Option<String>,
}

#[derive(Args)]
struct ValidateArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Print the fully resolved network: every parameter with its unit, defaults marked.
    #[arg(long)]
    print: bool,
}

#[derive(Args)]
struct SweepArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// An axis of the grid: KEY=V1,V2,... or KEY=A..B[:STEP] (repeatable; every
    /// combination runs).
    #[arg(long = "set-values", value_name = "KEY=VALUES")]
    set_values: Vec<String>,
    /// Seeds to run every point with (all three seeds): 1..10 (inclusive), 1,5,9 or 7.
    #[arg(long)]
    seeds: Option<String>,
    /// gpu, cpu or auto (a hardware GPU if there is one, else the CPU backend).
    #[arg(long, default_value = "auto")]
    backend: String,
    /// Output directory: one folder per point, sweep.csv and sweep.json.
    #[arg(long, default_value = "sweep")]
    out: PathBuf,
    /// Biological time (ms); defaults to the file's duration, else 1000.
    #[arg(long, allow_negative_numbers = true)]
    duration_ms: Option<f64>,
    /// Points run at once (CPU backend only).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
}

#[derive(Args)]
struct BenchArgs {
    /// Models to run: cuba, coba, brunel, brunel-ai, izhikevich, cobahh, brunel-stdp, stdp,
    /// microcircuit; `all` runs every one but the full-scale microcircuit.
    #[arg(default_value = "all")]
    models: Vec<String>,
    /// gpu, cpu, auto (a hardware GPU if there is one, else the CPU backend) or both (side
    /// by side, with the ratio).
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
    /// Threads of the CPU backend (default: one per free core, at most SPIKEGPU_THREADS, fewer for small networks); the results do not depend on it.
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

/// The exit code of a command that ended without an error: 0, or 128 + the signal that
/// interrupted a run (130, 143), returned from `main` so that a rank finalises MPI first.
static EXIT_CODE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Ends the command with 128 + `signal`, as a shell reports a process ended by it.
fn exit_interrupted(signal: i32) {
    EXIT_CODE.store((128 + signal) as u8, std::sync::atomic::Ordering::SeqCst);
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
    // A rank of an MPI run (feature `mpi`, started by mpirun): MPI is finalised when this
    // goes, at the end of main.
    #[cfg(feature = "mpi")]
    let _mpi = spikegpu::distributed::init();
    spikegpu::plan::resources::set_host_budget(cli.max_host_mib.map(|mib| mib.saturating_mul(1 << 20)));
    spikegpu::plan::resources::set_device_budget(cli.max_device_mib.map(|mib| mib.saturating_mul(1 << 20)));
    #[cfg(feature = "mpi")]
    if spikegpu::distributed::world().is_some() {
        abort_ranks_on_panic();
        if matches!(cli.command, Command::Sweep(_)) {
            eprintln!(
                "error: under mpirun only `spikegpu run`, `resume` and `bench` are distributed; run sweep without mpirun"
            );
            abort_ranks(2);
            return ExitCode::from(2);
        }
        if let Err(e) = check_same_command(&cli.command) {
            print_error(&e.to_string());
            abort_ranks(2);
            return ExitCode::from(2);
        }
    }
    #[cfg(not(feature = "mpi"))]
    if let Some(ranks) = started_as_mpi_ranks() {
        if matches!(
            cli.command,
            Command::Run(_) | Command::Resume(_) | Command::Bench(_)
        ) {
            eprintln!(
                "error: mpirun started {ranks} copies of a spikegpu built without the `mpi` feature: \
                 each would run the whole network on its own. Build it with `cargo build --release \
                 --features mpi` (the test command leaves it at target/release/spikegpu-mpi)"
            );
            return ExitCode::from(2);
        }
    }
    let result = match cli.command {
        Command::Run(args) => run_command(args),
        Command::Resume(args) => resume_command(&args),
        Command::Validate(args) => validate_command(&args),
        Command::Sweep(args) => sweep_command(&args),
        Command::Devices => devices_command(),
        Command::Bench(args) => bench_command(args),
    };
    match result {
        // 0, or 128 + the signal that interrupted a run; MPI is finalised after this.
        Ok(()) => ExitCode::from(EXIT_CODE.load(std::sync::atomic::Ordering::SeqCst)),
        Err(e) => {
            print_error(&format!("{e:#}"));
            let input_error = e.downcast_ref::<Error>().is_some_and(Error::is_input_error);
            let code: u8 = if input_error { 2 } else { 1 };
            #[cfg(feature = "mpi")]
            abort_ranks(i32::from(code));
            ExitCode::from(code)
        }
    }
}

/// Prints `error: <message>` to stderr in one write, so that the ranks of an MPI run, which
/// often fail together, do not interleave their messages within a line.
fn print_error(message: &str) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(format!("error: {message}\n").as_bytes());
}

fn parse_backend(name: &str) -> anyhow::Result<Backend> {
    name.parse::<Backend>().map_err(|_| {
        anyhow::Error::new(Error::UnknownBackend(name.to_string()))
            .context("--backend accepts gpu, cpu or auto")
    })
}

/// `spikegpu run`: runs the model file with a progress bar, then lists what it wrote.
fn run_command(args: RunArgs) -> anyhow::Result<()> {
    spikegpu::app::signals::install();
    let backend = parse_backend(&args.backend)?;
    let options = spikegpu::SimOptions {
        generate_on_device: args.generate_on_device,
        threads: args.threads,
        nonfinite: args.on_nonfinite.parse()?,
        ..spikegpu::SimOptions::default()
    };
    let file = args.model.load()?;
    let duration = args.duration_ms.or(file.duration_ms).unwrap_or(1000.0);
    let checkpoints = args
        .checkpoint_every
        .as_deref()
        .map(|every| -> anyhow::Result<_> {
            Ok(spikegpu::app::checkpoints::RunSettings {
                model_text: spikegpu::app::modelfile::read_model_text(&args.model.model)?,
                model_origin: args.model.model.display().to_string(),
                model_name: file.name.clone(),
                overrides: args.model.overrides()?.iter().map(|o| o.to_string()).collect(),
                backend: args.backend.clone(),
                duration_ms: duration,
                checkpoint_every_ms: spikegpu::app::checkpoints::parse_interval_ms(every)?,
                generate_on_device: args.generate_on_device,
                on_nonfinite: args.on_nonfinite.clone(),
            })
        })
        .transpose()?;
    #[cfg(feature = "mpi")]
    let rank_dir = rank_out_dir(&args)?;
    #[cfg(not(feature = "mpi"))]
    let rank_dir: Option<PathBuf> = None;
    let out_path = rank_dir.as_ref().unwrap_or(&args.out);
    let mut out = spikegpu::app::outdir::OutputDir::create(out_path, args.overwrite)?;
    let dt = file.network.dt_ms;
    let result = with_progress(Some(dt), |progress| {
        run::run_model(&file, backend, options, duration, &mut out, checkpoints, progress)
    })?;
    if let Some(dir) = rank_dir {
        // Rank 0 wrote the run's outputs; this rank's copy goes, unless it holds the
        // checkpoints to resume from.
        drop(out);
        if !result.resumable {
            std::fs::remove_dir_all(&dir)?;
        }
        if let Some(signal) = result.interrupted_by {
            exit_interrupted(signal);
        }
        return Ok(());
    }
    finish_command(result, out)
}

/// `spikegpu resume`: continues a run from its folder's last checkpoint.
fn resume_command(args: &ResumeArgs) -> anyhow::Result<()> {
    spikegpu::app::signals::install();
    let backend = args.backend.as_deref().map(parse_backend).transpose()?;
    #[cfg(feature = "mpi")]
    let rank_dir = rank_resume_dir(&args.dir)?;
    #[cfg(not(feature = "mpi"))]
    let rank_dir: Option<PathBuf> = None;
    let opened = spikegpu::app::outdir::OutputDir::reopen(rank_dir.as_ref().unwrap_or(&args.dir));
    #[cfg(feature = "mpi")]
    let opened = match spikegpu::distributed::world() {
        Some(_) => spikegpu::distributed::Comm::world().agree(opened),
        None => opened,
    };
    let mut out = opened?;
    let (_, result) = with_progress(None, |progress| run::resume_run(&mut out, backend, progress))?;
    if let Some(dir) = rank_dir {
        drop(out);
        if !result.resumable {
            std::fs::remove_dir_all(&dir)?;
        }
        if let Some(signal) = result.interrupted_by {
            exit_interrupted(signal);
        }
        return Ok(());
    }
    finish_command(result, out)
}

/// Runs `job` with a progress bar fed by its `progress(done, total, spikes)` calls (with the
/// real-time factor where the time step is known beforehand).
fn with_progress<T>(
    dt_ms: Option<f64>,
    job: impl FnOnce(&mut dyn FnMut(u64, u64, u64)) -> spikegpu::Result<T>,
) -> anyhow::Result<T> {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {percent:>3}% {msg}").expect("valid template"),
    );
    let started = std::time::Instant::now();
    let mut first = None;
    let result = job(&mut |done, total, spikes| {
        bar.set_length(total);
        bar.set_position(done);
        let wall = started.elapsed().as_secs_f64().max(1e-9);
        let rtf = dt_ms.map_or_else(String::new, |dt| {
            let from: u64 = *first.get_or_insert(0);
            let bio_s = (done - from) as f64 * dt * 1e-3;
            format!(
                ", t = {:.0} ms, real-time factor {:.2}",
                done as f64 * dt,
                wall / bio_s.max(1e-12)
            )
        });
        bar.set_message(format!(
            "tick {done}/{total}{rtf}, {:.0} spikes/s",
            spikes as f64 / wall
        ));
    });
    bar.finish_and_clear();
    Ok(result?)
}

/// Prints a finished run's figures and files, releases the folder and sets the exit code
/// as the run ended: 0, or 130 / 143 after a signal.
fn finish_command(result: run::RunResult, out: spikegpu::app::outdir::OutputDir) -> anyhow::Result<()> {
    print!("{}", bench::table(std::slice::from_ref(&result.report)));
    print!("{}", result.ranks_table);
    println!("wrote {} files to {}:", result.files.len(), out.path().display());
    for f in &result.files {
        println!("  {}", f.display());
    }
    let dir = out.path().display().to_string();
    // The folder's lock goes before any exit.
    drop(out);
    if let Some(signal) = result.interrupted_by {
        let resume = if result.resumable {
            format!(
                "; `{}spikegpu resume {dir}` continues from the last checkpoint",
                resume_launcher()
            )
        } else {
            String::new()
        };
        eprintln!(
            "interrupted by {}: the files hold what was recorded up to tick {} (summary.json: complete = false){resume}",
            spikegpu::app::signals::name(signal),
            result.report.ticks
        );
        exit_interrupted(signal);
    }
    Ok(())
}

/// `spikegpu validate`: parses, builds and plans the model file, and says what it holds
/// (with `--print`, every resolved value).
fn validate_command(args: &ValidateArgs) -> anyhow::Result<()> {
    let file = args.model.load()?;
    let plan = spikegpu::plan::Plan::new(&file.network)?;
    if args.print {
        print!("{}", resolved::describe(&file));
    }
    println!(
        "{}: valid. {} populations, {} neurons, {} projections, {} synapses, dt {} ms, seed {}",
        args.model.model.display(),
        file.network.populations.len(),
        plan.n_neurons,
        file.network.projections.len(),
        plan.synapse_count(),
        file.network.dt_ms,
        file.network.seeds
    );
    Ok(())
}

/// `spikegpu sweep`: every point of the grid, then the table.
fn sweep_command(args: &SweepArgs) -> anyhow::Result<()> {
    let mut axes = args
        .set_values
        .iter()
        .map(|a| a.parse::<sweep::Axis>())
        .collect::<spikegpu::Result<Vec<_>>>()?;
    if let Some(seeds) = &args.seeds {
        let values = sweep::parse_seeds(seeds)?.iter().map(u64::to_string).collect();
        axes.push(sweep::Axis {
            key: "seed".into(),
            values,
        });
    }
    let config = sweep::SweepConfig {
        model: args.model.model.clone(),
        fixed: args.model.overrides()?,
        axes,
        backend: parse_backend(&args.backend)?,
        options: spikegpu::SimOptions::default(),
        duration_ms: args.duration_ms,
        out: args.out.clone(),
        jobs: args.jobs,
    };
    let total = sweep::points(&config).len();
    let rows = sweep::run(&config, &|row| {
        let values: Vec<String> = row.values.iter().map(|(k, v)| format!("{k}={v}")).collect();
        eprintln!(
            "point {}/{total}: {} -> {} spikes, {:.3} Hz",
            row.point + 1,
            values.join(" "),
            row.spikes,
            row.rate_hz
        );
    })?;
    print!("{}", sweep::table_csv(&config, &rows));
    println!(
        "wrote {} points to {} (sweep.csv, sweep.json)",
        rows.len(),
        args.out.display()
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
        let kind = if a.software {
            "  [software: --backend auto runs the CPU backend instead]"
        } else {
            ""
        };
        println!(
            "{}{kind}\n  backend {}, type {}, driver {}\n  compute {}, max storage binding {} MiB, max buffer {} MiB, storage buffers/stage {}, workgroups/dim {}",
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
            if args.json && is_rank_zero() {
                println!("{}", report.to_json());
            }
            reports.push(report);
        }
    }
    if !is_rank_zero() {
        // Every rank of an MPI run has every figure: rank 0 prints them.
        return Ok(());
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
            "{}: cpu run_s / gpu run_s = {}; identical spike trains: {}",
            g.model,
            bench::ratio_text(c.run_s / g.run_s),
            g.spike_hash == c.spike_hash
        );
    }
    println!(
        "rtf = wall-clock seconds per simulated second; events/s = synaptic events delivered per wall-clock second"
    );
}

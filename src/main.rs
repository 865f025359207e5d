//! The `spikegpu` command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use spikegpu::bench::{self, BenchConfig};
use spikegpu::{Backend, Error, gpu, models};

#[derive(Parser)]
#[command(
    name = "spikegpu",
    version,
    about = "Spiking neural networks on any GPU (wgpu/WGSL), with a bit-exact CPU reference",
    after_help = "Examples:\n  spikegpu bench cuba\n  spikegpu bench cuba --backend both --json\n  spikegpu bench cuba --scale 25 --duration-ms 200\n  spikegpu devices\n\nLogging: RUST_LOG=info spikegpu ...   Adapter choice: SPIKEGPU_ADAPTER=<name substring>"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run standard benchmark networks and print their figures.
    #[command(
        after_help = "Examples:\n  spikegpu bench cuba\n  spikegpu bench all --backend both\n  spikegpu bench cuba --json --seed 7 --duration-ms 500"
    )]
    Bench {
        /// Models to run (`all` for every one). Known: cuba.
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
        /// One JSON object per run instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// List the adapters wgpu can see, with backend, type and key limits.
    #[command(after_help = "Example:\n  spikegpu devices")]
    Devices,
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    match run(cli) {
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
                )
            });
            ExitCode::from(if input_error { 2 } else { 1 })
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Devices => {
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
        Command::Bench {
            models: names,
            backend,
            seed,
            duration_ms,
            scale,
            json,
        } => {
            let backends: Vec<Backend> = if backend.eq_ignore_ascii_case("both") {
                vec![Backend::Gpu, Backend::Cpu]
            } else {
                vec![backend.parse::<Backend>().map_err(|_| {
                    anyhow::Error::new(Error::UnknownBackend(backend.clone()))
                        .context("--backend accepts gpu, cpu, auto or both")
                })?]
            };
            let mut list = Vec::new();
            for name in &names {
                if name == "all" {
                    list.extend(models::BENCH_MODELS.iter().map(|s| s.to_string()));
                } else {
                    list.push(name.clone());
                }
            }
            let mut reports = Vec::new();
            for model in &list {
                for &b in &backends {
                    let report = bench::run(&BenchConfig {
                        model: model.clone(),
                        backend: b,
                        seed,
                        duration_ms,
                        scale,
                    })?;
                    if json {
                        println!("{}", report.to_json());
                    }
                    reports.push(report);
                }
            }
            if !json {
                print!("{}", bench::table(&reports));
                if backends.len() == 2 {
                    for pair in reports.chunks(2) {
                        let (g, c) = (&pair[0], &pair[1]);
                        println!(
                            "{}: cpu run_s / gpu run_s = {:.2}; identical spike trains: {}",
                            g.model,
                            c.run_s / g.run_s,
                            g.spike_hash == c.spike_hash
                        );
                    }
                }
                println!(
                    "rtf = wall-clock seconds per simulated second; events/s = synaptic events delivered per wall-clock second"
                );
            }
            Ok(())
        }
    }
}

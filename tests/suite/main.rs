//! The whole test suite in one binary, so that CI links wgpu once: one module per area.

mod cli;
mod common;
mod compact;
mod connectivity;
mod encoders;
mod equation_peers;
mod equations;
mod equations_engine;
mod examples;
mod generation;
mod gpu_limits;
mod gpu_models;
mod gpu_vs_cpu;
mod microcircuit;
mod model_files;
mod models;
#[cfg(feature = "mpi")]
mod mpi;
mod neuron_tables;
mod plasticity;
mod procedural;
mod reliability;
mod resources;
mod resources_props;
mod run_command;
mod schedule;
mod shaders;
mod sizes;
mod stage_declarations;
mod statistics;
mod threads;
mod validation;
mod weights;
mod workflow;

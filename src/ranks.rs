//! The command line's side of a distributed run (feature `mpi`): what every rank checks
//! before running, where each rank keeps its files, and how a failure or a panic ends every
//! rank; and, without the feature, the refusal to run as several ranks under `mpirun`.

#[cfg(feature = "mpi")]
use std::path::PathBuf;

#[cfg(feature = "mpi")]
use super::{Command, RunArgs};
#[cfg(feature = "mpi")]
use spikegpu::Error;

/// On a rank of an MPI run: checks that every rank was given the same model text and
/// overrides (the same message on every rank if not), and gives each rank but 0 a private
/// folder for its copy of the records (every rank holds every spike; rank 0 writes the
/// run's outputs and the per-rank report).
#[cfg(feature = "mpi")]
pub(super) fn rank_out_dir(args: &RunArgs) -> anyhow::Result<Option<PathBuf>> {
    use std::hash::{Hash, Hasher};
    let Some((rank, _)) = spikegpu::distributed::world() else {
        return Ok(None);
    };
    let mut hasher = std::hash::DefaultHasher::new();
    spikegpu::app::modelfile::read_model_text(&args.model.model)?.hash(&mut hasher);
    for o in args.model.overrides()? {
        o.to_string().hash(&mut hasher);
    }
    spikegpu::distributed::Comm::world().check_same_input(
        "model file",
        hasher.finish(),
        "give every rank the same model file and overrides",
    )?;
    if rank == 0 {
        return Ok(None);
    }
    if args.checkpoint_every.is_some() {
        // Its checkpoints must outlive the process, for `mpirun -np N spikegpu resume`.
        return Ok(Some(rank_sibling(&args.out, rank)));
    }
    let dir = std::env::temp_dir().join(format!("spikegpu-rank{rank}-{}", std::process::id()));
    Ok(Some(dir))
}

/// On a rank of an MPI run: checks that every rank runs the same command with the same
/// options (all but `--backend` and `--threads`, which may differ per rank), so that no rank
/// waits at a collective the others never reach (the same message on every rank if not).
#[cfg(feature = "mpi")]
pub(super) fn check_same_command(command: &Command) -> anyhow::Result<()> {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    match command {
        Command::Run(a) => {
            // The model file's text is compared next (rank_out_dir), wherever it lies.
            (
                "run",
                same_folder(&a.out),
                a.overwrite,
                &a.checkpoint_every,
                &a.on_nonfinite,
            )
                .hash(&mut hasher);
            (a.duration_ms.map(f64::to_bits), a.generate_on_device).hash(&mut hasher);
        }
        Command::Resume(a) => ("resume", same_folder(&a.dir)).hash(&mut hasher),
        Command::Bench(a) => {
            ("bench", &a.models, a.seed, a.generate_on_device, a.profile).hash(&mut hasher);
            (a.duration_ms.to_bits(), a.scale.to_bits()).hash(&mut hasher);
        }
        _ => return Ok(()),
    }
    spikegpu::distributed::Comm::world().check_same_input(
        "command line",
        hasher.finish(),
        "give every rank the same command and options (only --backend and --threads may differ)",
    )?;
    Ok(())
}

/// A folder as every rank names it: absolute, without a trailing separator (`out/`, `./out`
/// and the absolute path of `out` are one folder).
#[cfg(feature = "mpi")]
pub(super) fn same_folder(dir: &std::path::Path) -> PathBuf {
    std::path::absolute(dir).map_or_else(|_| dir.to_path_buf(), |p| p.components().collect())
}

/// On a rank of an MPI run: a panic (a bug) ends every rank with its message (`MPI_Abort`)
/// instead of leaving the others waiting for this rank at their next collective.
#[cfg(feature = "mpi")]
pub(super) fn abort_ranks_on_panic() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report(info);
        abort_ranks(101);
    }));
}

/// The rank count when an MPI launcher started this process as one of several (a binary
/// built without the `mpi` feature cannot join them).
#[cfg(not(feature = "mpi"))]
pub(super) fn started_as_mpi_ranks() -> Option<u32> {
    ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MPI_LOCALNRANKS"]
        .iter()
        .filter_map(|v| std::env::var(v).ok()?.trim().parse::<u32>().ok())
        .find(|&n| n > 1)
}

/// The folder of rank `rank` (not 0) of a checkpointed distributed run writing to `out`:
/// its sibling `<out>.rank<rank>`.
#[cfg(feature = "mpi")]
pub(super) fn rank_sibling(out: &std::path::Path, rank: u32) -> PathBuf {
    // `out/` and `out` name one folder: the sibling is `out.rank<r>`, never `out/.rank<r>`.
    let mut name = out.components().as_path().as_os_str().to_owned();
    name.push(format!(".rank{rank}"));
    PathBuf::from(name)
}

/// On rank r > 0 of an MPI run resuming `dir`: its own folder, `<dir>.rank<r>`, once rank
/// 0's index has been found to be of a run on as many ranks (the same message on every
/// rank if not).
#[cfg(feature = "mpi")]
pub(super) fn rank_resume_dir(dir: &std::path::Path) -> anyhow::Result<Option<PathBuf>> {
    let Some((rank, _)) = spikegpu::distributed::world() else {
        return Ok(None);
    };
    let comm = spikegpu::distributed::Comm::world();
    let own = (rank > 0).then(|| rank_sibling(dir, rank));
    let found = spikegpu::app::checkpoints::latest(dir).and_then(|_| match &own {
        Some(own) if !own.is_dir() => Err(Error::Checkpoint {
            path: own.display().to_string(),
            why: format!(
                "rank {rank}'s checkpoint folder is missing (a distributed run keeps rank r's \
                 checkpoints beside the output folder, in {}.rank<r>)",
                dir.display()
            ),
        }),
        _ => Ok(()),
    });
    comm.agree(found)?;
    Ok(own)
}

/// Whether this process prints a command's results: rank 0 of an MPI run, or any single
/// process.
pub(super) fn is_rank_zero() -> bool {
    #[cfg(feature = "mpi")]
    if let Some((rank, _)) = spikegpu::distributed::world() {
        return rank == 0;
    }
    true
}

/// After an error on a rank of an MPI run: gives the other ranks, which mostly learn of the
/// failure at the same exchange, a moment to print it too, then ends every rank with `code`
/// (`MPI_Abort`), so that none waits forever for this one.
#[cfg(feature = "mpi")]
pub(super) fn abort_ranks(code: i32) {
    if spikegpu::distributed::world().is_some() {
        use std::io::Write;
        let _ = std::io::stderr().flush();
        std::thread::sleep(std::time::Duration::from_millis(300));
        spikegpu::distributed::abort_if_distributed(code);
    }
}

/// What `spikegpu resume` must be launched with: `mpirun -np N ` for a distributed run
/// (its checkpoints resume on as many ranks), nothing for one process.
pub(super) fn resume_launcher() -> String {
    #[cfg(feature = "mpi")]
    if let Some((_, ranks)) = spikegpu::distributed::world() {
        return format!("mpirun -np {ranks} ");
    }
    String::new()
}

//! Resources estimated before allocation: the host bytes a network needs at its peak (planning
//! and running on the CPU backend), computed from the description alone (synapse counts per
//! rule, exact or bounded, neuron state, delay rings, positions), and checked against what the
//! machine has before [`crate::plan::Plan`] builds any array. A network that cannot fit is
//! refused with the numbers instead of ending in an allocation abort or the OOM killer.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};
use crate::model::{Connectivity, Network, Projection};
use crate::plan::PORTS;

/// Host bytes per stored synapse while the plan is held: target and delay word (8) and weight (4).
const PLAN_BYTES_PER_SYNAPSE: u64 = 12;

/// Host bytes per synapse of the projection being generated, on top of the plan's: its edges
/// (16 bytes each) and their growth. Planning a 2e7-synapse fixed in-degree projection and
/// running it on the CPU measured 551 MiB at the peak (29 bytes per synapse); the estimate
/// says 687 MiB.
const GENERATION_BYTES_PER_SYNAPSE: u64 = 24;

/// Host bytes per synapse while the CPU backend runs: the simulator's plan, the engine's copy of
/// it, its working weights and eligibility traces.
const RUN_BYTES_PER_SYNAPSE: u64 = 2 * PLAN_BYTES_PER_SYNAPSE + 8;

/// Host bytes per neuron while the CPU backend runs, ring excluded: initial state (32) and
/// parameters (16) in the plan and in the engine's copy, the working state (32), row pointers,
/// input, last-spike and trace words.
const RUN_BYTES_PER_NEURON: u64 = 2 * (32 + 16 + 4) + 32 + 4 * 4;

/// Host bytes per neuron position (three f32).
const POSITION_BYTES: u64 = 12;

/// Largest number of synapses (and of ring entries) a plan can index with 32 bits.
pub const MAX_SYNAPSES: u64 = u32::MAX as u64;

/// Budget set by the user, in bytes (0: none; then `SPIKEGPU_MAX_HOST_MIB`, then the machine).
static HOST_BUDGET: AtomicU64 = AtomicU64::new(0);

/// Device budget set by the user, in bytes (0: none; then `SPIKEGPU_MAX_DEVICE_MIB`).
static DEVICE_BUDGET: AtomicU64 = AtomicU64::new(0);

/// Sets the device memory budget the GPU backend checks its buffers against before allocating
/// any (`None`: only the adapter's limits, or `SPIKEGPU_MAX_DEVICE_MIB` when set; wgpu does not
/// report an adapter's memory size). The command line's `--max-device-mib` sets it.
pub fn set_device_budget(bytes: Option<u64>) {
    DEVICE_BUDGET.store(bytes.unwrap_or(0), Ordering::Relaxed);
}

/// The device budget and where it comes from, if one is set.
pub fn device_budget() -> Option<(u64, String)> {
    let budget = DEVICE_BUDGET.load(Ordering::Relaxed);
    if budget > 0 {
        return Some((budget, "the budget set with --max-device-mib".into()));
    }
    let mib = std::env::var("SPIKEGPU_MAX_DEVICE_MIB")
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some((mib.saturating_mul(1 << 20), "SPIKEGPU_MAX_DEVICE_MIB".into()))
}

/// Sets the host memory budget every plan is checked against (`None`: the machine's available
/// memory, or `SPIKEGPU_MAX_HOST_MIB` when set). The command line's `--max-host-mib` sets it.
pub fn set_host_budget(bytes: Option<u64>) {
    HOST_BUDGET.store(bytes.unwrap_or(0), Ordering::Relaxed);
}

thread_local! {
    /// A budget for plans built on this thread only (see [`with_host_budget`]).
    static THREAD_BUDGET: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// Runs `f` with plans built on this thread checked against `bytes` (before any budget set with
/// [`set_host_budget`]); a library or a test can bound one call without touching the others.
pub fn with_host_budget<R>(bytes: u64, f: impl FnOnce() -> R) -> R {
    /// Puts the previous budget back, also when `f` panics.
    struct Restore(Option<u64>);
    impl Drop for Restore {
        fn drop(&mut self) {
            THREAD_BUDGET.with(|b| b.set(self.0));
        }
    }
    let _restore = Restore(THREAD_BUDGET.with(|b| b.replace(Some(bytes))));
    f()
}

/// The synapses of one projection as the description decides them before generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynapseCount {
    /// The count, or an upper bound that holds with overwhelming probability.
    pub count: u64,
    /// Whether `count` is exact (every rule but the random ones).
    pub exact: bool,
}

/// The synapses `proj` will store: exact for the deterministic rules, a bound for fixed
/// probability (mean plus 6 standard deviations) and distance rules (`p0` times every pair:
/// the density of positions is not known before generation). Procedural projections store none.
pub fn synapse_count(net: &Network, proj: &Projection) -> SynapseCount {
    let pre = u64::from(net.populations[proj.pre.index].size);
    let post = u64::from(net.populations[proj.post.index].size);
    let same = proj.pre.index == proj.post.index;
    let pairs = |autapses: bool| {
        let all = pre.saturating_mul(post);
        if same && !autapses { all - pre } else { all }
    };
    let exact = |count: u64| SynapseCount { count, exact: true };
    let bound = |count: f64| SynapseCount {
        count: if count >= u64::MAX as f64 {
            u64::MAX
        } else {
            count.ceil() as u64
        },
        exact: false,
    };
    if proj.procedural {
        return exact(0);
    }
    match &proj.connectivity {
        Connectivity::AllToAll { autapses } => exact(pairs(*autapses)),
        Connectivity::OneToOne => exact(pre),
        Connectivity::FixedInDegree { k, .. } => exact(u64::from(*k).saturating_mul(post)),
        Connectivity::FixedOutDegree { k, .. } => exact(u64::from(*k).saturating_mul(pre)),
        Connectivity::FixedTotal { n, .. } => exact(*n),
        Connectivity::Explicit(list) => exact(list.len() as u64),
        Connectivity::FixedProbability { p, autapses } => {
            let mean = p * pairs(*autapses) as f64;
            if *p >= 1.0 {
                exact(pairs(*autapses))
            } else {
                bound((mean + 6.0 * mean.sqrt() + 6.0).min(pairs(*autapses) as f64))
            }
        }
        Connectivity::DistanceGaussian { p0, autapses, .. } => bound(p0 * pairs(*autapses) as f64),
    }
}

/// One part of an estimate: what it is and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// What holds the bytes, e.g. `population 'exc' (3200 neurons)`.
    pub what: String,
    /// Bytes.
    pub bytes: u64,
}

/// The host memory of a network, estimated from its description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostEstimate {
    /// Bytes at the peak (the larger of planning and running).
    pub peak_bytes: u64,
    /// Stored synapses, exact or bounded (see [`synapse_count`]).
    pub synapses: u64,
    /// Whether `synapses` is exact.
    pub synapses_exact: bool,
    /// The parts of the running peak, one per population and projection, largest first.
    pub parts: Vec<Part>,
}

/// Estimates the host bytes of planning and running `net` on the CPU backend. With
/// `device_generation`, the projections the GPU can generate store nothing on the host.
pub fn estimate_host(net: &Network, device_generation: bool) -> HostEstimate {
    estimate_host_share(net, device_generation, None)
}

/// As [`estimate_host`], for rank `share.0` of `share.1` of a distributed run where given: its
/// neurons (dealt round-robin) and the synapses onto them, while each projection is still
/// generated whole before the rank keeps its share (the planning peak's largest term).
pub fn estimate_host_share(
    net: &Network,
    device_generation: bool,
    share: Option<(u32, u32)>,
) -> HostEstimate {
    let ring_slots = u64::from(max_delay_ticks(net)) + 1;
    let owned = |size: u32| share.map_or(size, |(r, n)| crate::plan::rank::owned_count(size, r, n));
    let mut parts = Vec::new();
    for pop in &net.populations {
        let n = u64::from(owned(pop.size));
        let positions = if pop.positions.is_some() {
            POSITION_BYTES
        } else {
            0
        };
        let per_neuron = RUN_BYTES_PER_NEURON + positions + u64::from(PORTS) * ring_slots * 4;
        parts.push(Part {
            what: format!(
                "population '{}' ({n} neurons)",
                crate::error::capped(&pop.name, 60)
            ),
            bytes: n.saturating_mul(per_neuron),
        });
    }
    let (mut synapses, mut exact, mut largest) = (0u64, true, 0u64);
    for (k, proj) in net.projections.iter().enumerate() {
        let on_device = device_generation
            && matches!(proj.connectivity, Connectivity::FixedTotal { .. })
            && proj.plasticity.is_none()
            && proj.short_term.is_none()
            && proj.release.is_none();
        let whole = if on_device {
            SynapseCount {
                count: 0,
                exact: true,
            }
        } else {
            synapse_count(net, proj)
        };
        largest = largest.max(whole.count);
        let count = rank_share(whole, net.populations[proj.post.index].size, owned);
        synapses = synapses.saturating_add(count.count);
        exact &= count.exact;
        let pre = &net.populations[proj.pre.index].name;
        let post = &net.populations[proj.post.index].name;
        parts.push(Part {
            what: format!(
                "projection {k} '{}' -> '{}' ({}{} synapses)",
                crate::error::capped(pre, 40),
                crate::error::capped(post, 40),
                if count.exact { "" } else { "at most " },
                count.count
            ),
            bytes: count.count.saturating_mul(RUN_BYTES_PER_SYNAPSE),
        });
    }
    let running = parts.iter().fold(0u64, |sum, p| sum.saturating_add(p.bytes));
    let planning = synapses
        .saturating_mul(PLAN_BYTES_PER_SYNAPSE)
        .saturating_add(largest.saturating_mul(GENERATION_BYTES_PER_SYNAPSE));
    parts.sort_by_key(|p| std::cmp::Reverse(p.bytes));
    HostEstimate {
        peak_bytes: running.max(planning),
        synapses,
        synapses_exact: exact,
        parts,
    }
}

/// A rank's share of a projection's `whole` synapse count: those onto its `owned(post)` of
/// the `post` target neurons (exact for fixed in-degrees, in proportion otherwise: a bound
/// for a bound; all of them in a single process).
fn rank_share(whole: SynapseCount, post: u32, owned: impl Fn(u32) -> u32) -> SynapseCount {
    let mine = owned(post);
    if mine == post || post == 0 {
        return whole;
    }
    let count = (whole.count as f64 * f64::from(mine) / f64::from(post)).ceil() as u64;
    SynapseCount {
        count: count.min(whole.count),
        exact: false,
    }
}

/// The largest delay of any projection in whole ticks (1 without projections).
fn max_delay_ticks(net: &Network) -> u32 {
    let ticks = |ms: f64| (ms / net.dt_ms).round().clamp(1.0, f64::from(u32::MAX)) as u32;
    net.projections
        .iter()
        .map(|p| match &p.connectivity {
            Connectivity::Explicit(list) => list.iter().map(|c| ticks(c.delay_ms)).max().unwrap_or(1),
            _ => ticks(p.delay_ms.range().1),
        })
        .max()
        .unwrap_or(1)
}

/// Host memory available to this process: the budget the user set, else the least of the
/// kernel's `MemAvailable`, the cgroup's room and the address-space limit (`ulimit -v`), with
/// where the figure comes from. `None` when nothing can be read (not Linux, no budget).
pub fn available_host_bytes() -> Option<(u64, String)> {
    if let Some(bytes) = THREAD_BUDGET.with(std::cell::Cell::get) {
        return Some((bytes, "the budget set with with_host_budget".into()));
    }
    let budget = HOST_BUDGET.load(Ordering::Relaxed);
    if budget > 0 {
        return Some((budget, "the budget set with --max-host-mib".into()));
    }
    if let Some(mib) = std::env::var("SPIKEGPU_MAX_HOST_MIB")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Some((mib.saturating_mul(1 << 20), "SPIKEGPU_MAX_HOST_MIB".into()));
    }
    let sources = [
        (mem_available(), "MemAvailable in /proc/meminfo"),
        (cgroup_room(), "the cgroup's memory.max"),
        (address_space_room(), "the address-space limit (ulimit -v)"),
    ];
    sources
        .into_iter()
        .filter_map(|(bytes, what)| bytes.map(|b| (b, what)))
        .min_by_key(|&(b, _)| b)
        .map(|(b, what)| {
            (
                b,
                format!("{what}; set --max-host-mib or SPIKEGPU_MAX_HOST_MIB to choose a budget"),
            )
        })
}

/// `MemAvailable` of `/proc/meminfo`, in bytes.
fn mem_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    field_kib(&text, "MemAvailable:").map(|kib| kib.saturating_mul(1024))
}

/// `memory.max - memory.current` of this process's cgroup (v2), if it has a limit.
fn cgroup_room() -> Option<u64> {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = cgroup.lines().find_map(|l| l.strip_prefix("0::"))?;
    let dir = std::path::Path::new("/sys/fs/cgroup").join(path.trim_start_matches('/'));
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .ok()?
            .trim()
            .parse::<u64>()
            .ok()
    };
    let max = read("memory.max")?;
    Some(max.saturating_sub(read("memory.current").unwrap_or(0)))
}

/// The soft address-space limit minus the address space in use, if there is a limit.
fn address_space_room() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max address space"))?;
    let soft: u64 = line.split_whitespace().nth(3)?.parse().ok()?;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let used = field_kib(&status, "VmSize:").unwrap_or(0).saturating_mul(1024);
    Some(soft.saturating_sub(used))
}

/// The number of kB after `name` in a `/proc` file.
fn field_kib(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}

/// Checks `net` before anything is generated: stored synapses within 32-bit indexing, and the
/// estimated host peak within what the machine (or the budget) has.
pub fn check_host(net: &Network, device_generation: bool) -> Result<HostEstimate> {
    check_host_share(net, device_generation, None)
}

/// As [`check_host`], for rank `share.0` of `share.1` of a distributed run where given: the
/// limits and the budget apply to the rank's share ([`estimate_host_share`]), and each
/// projection, generated whole on every rank, must still be within 32-bit indexing.
pub fn check_host_share(
    net: &Network,
    device_generation: bool,
    share: Option<(u32, u32)>,
) -> Result<HostEstimate> {
    let estimate = estimate_host_share(net, device_generation, share);
    if share.is_some() {
        for (k, proj) in net.projections.iter().enumerate() {
            let whole = synapse_count(net, proj).count;
            if whole > MAX_SYNAPSES {
                return Err(Error::LimitExceeded {
                    what: format!("stored synapses of projection {k}, which every rank generates whole"),
                    requested: whole,
                    max: MAX_SYNAPSES,
                });
            }
        }
    }
    if estimate.synapses > MAX_SYNAPSES {
        return Err(Error::LimitExceeded {
            what: format!(
                "stored synapses of {} ({}; largest part: {})",
                if share.is_some() {
                    "this rank's share"
                } else {
                    "all projections"
                },
                if estimate.synapses_exact { "exact" } else { "bound" },
                estimate.parts.first().map_or("none", |p| p.what.as_str())
            ),
            requested: estimate.synapses,
            max: MAX_SYNAPSES,
        });
    }
    check_bytes(
        if share.is_some() {
            "planning and running this rank's share of the network on the host"
        } else {
            "planning and running this network on the host"
        },
        estimate.peak_bytes,
        &estimate.parts,
    )?;
    Ok(estimate)
}

/// Refuses `needed` host bytes when more than available, naming the largest `parts`.
pub fn check_bytes(needs: &str, needed: u64, parts: &[Part]) -> Result<()> {
    let Some((available, source)) = available_host_bytes() else {
        return Ok(());
    };
    if needed <= available {
        return Ok(());
    }
    let breakdown = parts
        .iter()
        .take(3)
        .map(|p| format!("{} {}", p.what, bytes_text(p.bytes)))
        .collect::<Vec<_>>()
        .join(", ");
    Err(Error::MemoryExceeded {
        memory: "host".into(),
        needs: needs.into(),
        needed,
        available,
        breakdown: if breakdown.is_empty() {
            "one array".into()
        } else {
            breakdown
        },
        origin: source,
    })
}

/// A vector of `len` elements with its memory reserved fallibly: an error naming `what`
/// instead of an allocation abort (the second line of defence behind [`check_host`]).
pub fn try_vec<T>(len: usize, what: &str) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| Error::MemoryExceeded {
        memory: "host".into(),
        needs: what.into(),
        needed: (len as u64).saturating_mul(std::mem::size_of::<T>() as u64),
        available: available_host_bytes().map_or(0, |(b, _)| b),
        breakdown: format!("{len} elements of {} bytes", std::mem::size_of::<T>()),
        origin: "the allocation failed".into(),
    })?;
    Ok(v)
}

/// Bytes in a readable unit (`512 B`, `3.2 MiB`, `41.0 GiB`, `1.5e6 TiB`).
pub fn bytes_text(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} B"),
        _ if value >= 1e5 => format!("{value:.1e} {}", UNITS[unit]),
        _ => format!("{value:.1} {}", UNITS[unit]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_text_picks_a_readable_unit() {
        assert_eq!(bytes_text(512), "512 B");
        assert_eq!(bytes_text(3 << 20), "3.0 MiB");
        assert_eq!(bytes_text(41 << 30), "41.0 GiB");
        assert!(bytes_text(u64::MAX).ends_with("TiB"), "{}", bytes_text(u64::MAX));
    }

    #[test]
    fn a_rank_is_estimated_for_its_share_of_the_neurons_and_synapses() {
        // Brunel's in-degrees are fixed: a rank's synapses are exactly its targets' in-degrees.
        let net = crate::networks::brunel(42, 1.0, 5.0, 2.0).unwrap();
        let whole = estimate_host(&net, false);
        let shares: Vec<HostEstimate> = (0..3)
            .map(|r| estimate_host_share(&net, false, Some((r, 3))))
            .collect();
        let sum: u64 = shares.iter().map(|e| e.synapses).sum();
        assert!(
            sum >= whole.synapses && sum <= whole.synapses + 3 * 3,
            "{sum} vs {}",
            whole.synapses
        );
        // Running: a third each; planning still generates each projection whole.
        let running = |e: &HostEstimate| e.parts.iter().map(|p| p.bytes).sum::<u64>();
        for e in &shares {
            assert!(
                running(e) <= running(&whole) / 3 + running(&whole) / 1000,
                "{} vs {}",
                running(e),
                running(&whole)
            );
            assert!(
                e.peak_bytes < whole.peak_bytes,
                "{} vs {}",
                e.peak_bytes,
                whole.peak_bytes
            );
        }
        // Past 32-bit indexing as a whole (3.75 million neurons, in-degree 1,250), within it per rank.
        let big = crate::networks::brunel(42, 300.0, 5.0, 2.0).unwrap();
        assert!(estimate_host(&big, false).synapses > MAX_SYNAPSES);
        assert!(estimate_host_share(&big, false, Some((0, 2))).synapses < MAX_SYNAPSES);
    }

    #[test]
    fn proc_fields_parse() {
        assert_eq!(
            field_kib("MemTotal: 10 kB\nMemAvailable:   2048 kB\n", "MemAvailable:"),
            Some(2048)
        );
        assert_eq!(field_kib("MemTotal: 10 kB\n", "MemAvailable:"), None);
    }
}

//! How the CPU backend's threads keep off each other's input rings: three ways of delivering
//! the same recorded spikes of a network into fixed-point delay rings, timed side by side.
//!
//! - **ownership** (what `spikegpu::cpu` does): each thread owns a range of targets, keeps the
//!   synapses onto them and its own ring, and walks the rows of every spike; one barrier per
//!   tick.
//! - **partial rings**: the spikes are split between the threads, each walks whole rows into a
//!   private ring of every neuron, and the owner of a neuron sums the threads' slots before its
//!   update; two barriers per tick (the sum must end before the next delivery may write there).
//! - **atomics**: the spikes are split, every thread adds into one shared ring with relaxed
//!   `fetch_add`; two barriers per tick, for the same reason.
//!
//! Each tick also takes (reads and clears) the current slot, as the neuron update does. The
//! taken values are checked equal between the three, so a wrong variant fails the bench.
//!
//! Then the whole backend on one thread and on `THREADS`, with its synapses in the compact
//! format and in the plan's wide one: the same spikes, checked, at different speeds.
//!
//! `cargo bench --bench cpu_threads -- [MODEL] [THREADS] [REPS]` (default brunel, every core,
//! 5): prints the median time per tick of each and its ratio to the first.

use std::sync::Mutex;
use std::sync::atomic::AtomicI32;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use spikegpu::cpu::CpuBackend;
use spikegpu::cpu::pool::Pool;
use spikegpu::networks;
use spikegpu::plan::{PORTS, Plan, to_fixed};
use spikegpu::sim::Spike;

/// Ticks of recorded spikes replayed.
const TICKS: u64 = 2000;

/// One synapse ready to deliver: ring offset (port and target) without the slot, delay, weight.
#[derive(Clone, Copy)]
struct Entry {
    offset: u32,
    delay: u32,
    weight: i32,
}

/// Rows of entries by global pre neuron, for targets in `own`; offsets in a ring of `n` neurons.
fn rows(plan: &Plan, own: std::ops::Range<u32>, n: u32) -> Vec<Vec<Entry>> {
    let d = plan.ring_slots;
    (0..plan.n_neurons as usize)
        .map(|g| {
            (plan.row_ptr[g] as usize..plan.row_ptr[g + 1] as usize)
                .filter(|&s| own.contains(&plan.synapses[s].post))
                .map(|s| {
                    let syn = plan.synapses[s];
                    Entry {
                        offset: syn.port() * d * n + (syn.post - own.start),
                        delay: syn.delay(),
                        weight: to_fixed(plan.weights[s], plan.fixed_scale),
                    }
                })
                .collect()
        })
        .collect()
}

/// A checksum of the values taken from a ring slot.
fn mix(sum: &mut u64, neuron: usize, value: i32) {
    *sum = sum.wrapping_add((neuron as u64 + 1).wrapping_mul(value as u32 as u64));
}

struct Bench<'a> {
    plan: &'a Plan,
    spikes: &'a [Vec<u32>],
    pool: &'a Pool,
    bounds: Vec<u32>,
}

impl Bench<'_> {
    fn threads(&self) -> usize {
        self.bounds.len() - 1
    }

    /// This thread's share of a tick's spikes (the partial-ring and atomic variants).
    fn share<'s>(&self, spikes: &'s [u32], t: usize) -> &'s [u32] {
        let k = self.threads();
        &spikes[spikes.len() * t / k..spikes.len() * (t + 1) / k]
    }

    fn ownership(&self) -> (f64, u64) {
        let d = self.plan.ring_slots as usize;
        let parts: Vec<_> = (0..self.threads())
            .map(|t| {
                let own = self.bounds[t]..self.bounds[t + 1];
                let size = (own.end - own.start) as usize;
                Mutex::new((
                    rows(self.plan, own.clone(), own.end - own.start),
                    vec![0i32; PORTS as usize * d * size],
                ))
            })
            .collect();
        self.timed(&|t, sum| {
            let mut part = parts[t].lock().unwrap();
            let (rows, ring) = &mut *part;
            let size = (self.bounds[t + 1] - self.bounds[t]) as usize;
            for (tick, spikes) in self.spikes.iter().enumerate() {
                let now = tick % d;
                for p in 0..PORTS as usize {
                    for (k, x) in ring[(p * d + now) * size..][..size].iter_mut().enumerate() {
                        mix(sum, self.bounds[t] as usize + k, *x);
                        *x = 0;
                    }
                }
                self.pool.barrier().wait(t);
                for &g in spikes {
                    for e in &rows[g as usize] {
                        let i = e.offset as usize + (now + e.delay as usize) % d * size;
                        ring[i] = ring[i].wrapping_add(e.weight);
                    }
                }
            }
        })
    }

    fn partial_rings(&self) -> (f64, u64) {
        let (n, d) = (self.plan.n_neurons as usize, self.plan.ring_slots as usize);
        let all = rows(self.plan, 0..self.plan.n_neurons, self.plan.n_neurons);
        let rings: Vec<Vec<AtomicI32>> = (0..self.threads())
            .map(|_| (0..PORTS as usize * d * n).map(|_| AtomicI32::new(0)).collect())
            .collect();
        self.timed(&|t, sum| {
            let own = self.bounds[t] as usize..self.bounds[t + 1] as usize;
            let mine = &rings[t];
            for (tick, spikes) in self.spikes.iter().enumerate() {
                let now = tick % d;
                for p in 0..PORTS as usize {
                    for k in own.clone() {
                        let i = (p * d + now) * n + k;
                        let total = rings
                            .iter()
                            .fold(0i32, |a, r| a.wrapping_add(r[i].swap(0, Relaxed)));
                        mix(sum, k, total);
                    }
                }
                self.pool.barrier().wait(t);
                for &g in self.share(spikes, t) {
                    for e in &all[g as usize] {
                        // Only this thread writes its ring: a plain load and store.
                        let cell = &mine[e.offset as usize + (now + e.delay as usize) % d * n];
                        cell.store(cell.load(Relaxed).wrapping_add(e.weight), Relaxed);
                    }
                }
                self.pool.barrier().wait(t);
            }
        })
    }

    fn atomics(&self) -> (f64, u64) {
        let (n, d) = (self.plan.n_neurons as usize, self.plan.ring_slots as usize);
        let all = rows(self.plan, 0..self.plan.n_neurons, self.plan.n_neurons);
        let ring: Vec<AtomicI32> = (0..PORTS as usize * d * n).map(|_| AtomicI32::new(0)).collect();
        self.timed(&|t, sum| {
            let own = self.bounds[t] as usize..self.bounds[t + 1] as usize;
            for (tick, spikes) in self.spikes.iter().enumerate() {
                let now = tick % d;
                for p in 0..PORTS as usize {
                    for k in own.clone() {
                        mix(sum, k, ring[(p * d + now) * n + k].swap(0, Relaxed));
                    }
                }
                self.pool.barrier().wait(t);
                for &g in self.share(spikes, t) {
                    for e in &all[g as usize] {
                        ring[e.offset as usize + (now + e.delay as usize) % d * n]
                            .fetch_add(e.weight, Relaxed);
                    }
                }
                self.pool.barrier().wait(t);
            }
        })
    }

    /// Runs `job` on every thread: (seconds per tick, combined checksum).
    fn timed(&self, job: &(dyn Fn(usize, &mut u64) + Sync)) -> (f64, u64) {
        let sums = Mutex::new(0u64);
        let t0 = Instant::now();
        self.pool.run(&|t| {
            let mut sum = 0;
            job(t, &mut sum);
            let mut all = sums.lock().unwrap();
            *all = all.wrapping_add(sum);
        });
        let s = t0.elapsed().as_secs_f64() / self.spikes.len() as f64;
        (s, sums.into_inner().unwrap())
    }
}

/// A variant's run: (seconds per tick, checksum of the inputs taken).
type Variant<'a> = dyn Fn() -> (f64, u64) + 'a;

fn median(mut x: Vec<f64>) -> f64 {
    x.sort_by(f64::total_cmp);
    x[x.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let model = args.first().map_or("brunel", String::as_str);
    let threads = args
        .get(1)
        .map_or_else(spikegpu::cpu::default_threads, |a| a.parse().expect("THREADS"));
    let reps: usize = args.get(2).map_or(5, |a| a.parse().expect("REPS"));
    let plan = Plan::new(&networks::by_name(model, 42, 1.0).expect("model")).expect("plan");
    let mut recorded = Vec::new();
    CpuBackend::with_threads(&plan, threads).run_ticks(TICKS, &mut recorded);
    let mut spikes = vec![Vec::new(); TICKS as usize];
    for r in &recorded {
        spikes[r.tick as usize].push(r.neuron);
    }
    let pool = Pool::new(threads);
    let n = plan.n_neurons;
    let bounds = (0..=threads).map(|t| (n as usize * t / threads) as u32).collect();
    let bench = Bench {
        plan: &plan,
        spikes: &spikes,
        pool: &pool,
        bounds,
    };
    let variants: [(&str, &Variant); 3] = [
        ("ownership", &|| bench.ownership()),
        ("partial rings", &|| bench.partial_rings()),
        ("atomics", &|| bench.atomics()),
    ];
    let mut times = vec![Vec::new(); variants.len()];
    let mut check = None;
    for _ in 0..reps {
        for (i, (name, run)) in variants.iter().enumerate() {
            let (s, sum) = run();
            assert_eq!(
                *check.get_or_insert(sum),
                sum,
                "{name} delivered different inputs"
            );
            times[i].push(s);
        }
    }
    println!(
        "{model}: {} spikes in {TICKS} ticks, {threads} threads, median of {reps} alternating runs",
        recorded.len()
    );
    let reference = median(times[0].clone());
    for ((name, _), t) in variants.iter().zip(times) {
        let m = median(t);
        println!(
            "{name:>14}: {:8.1} us per tick, {:.2}x ownership's time",
            m * 1e6,
            m / reference
        );
    }
    whole_backend(&plan, threads, reps, &recorded);
}

/// The whole backend, `TICKS` ticks, on 1 and `threads` threads with compact and wide
/// synapses, alternately; checks that each gives `recorded`.
fn whole_backend(plan: &Plan, threads: usize, reps: usize, recorded: &[Spike]) {
    let configs = [(1, true), (1, false), (threads, true), (threads, false)];
    let mut times = vec![Vec::new(); configs.len()];
    let mut bytes = vec![0.0; configs.len()];
    for _ in 0..reps {
        for (i, &(t, compact)) in configs.iter().enumerate() {
            let mut cpu = CpuBackend::with_storage(plan, t, compact);
            let mut out = Vec::new();
            let t0 = Instant::now();
            cpu.run_ticks(TICKS, &mut out);
            times[i].push(t0.elapsed().as_secs_f64() / TICKS as f64);
            bytes[i] = cpu.bytes_per_synapse();
            assert!(
                out == recorded,
                "{t} threads, compact {compact}: different spikes"
            );
        }
    }
    println!("whole backend, {TICKS} ticks, median of {reps} alternating runs:");
    let reference = median(times[0].clone());
    for ((&(t, compact), time), b) in configs.iter().zip(times).zip(bytes) {
        let m = median(time);
        let format = if compact { "compact" } else { "wide" };
        println!(
            "{t:>3} threads, {format:>7} synapses ({b:.2} B/synapse): {:8.1} us per tick, {:.2}x the first",
            m * 1e6,
            m / reference
        );
    }
}

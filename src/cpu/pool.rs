//! The CPU backend's threads: a pool created once per backend, whose threads run one job at a
//! time (a whole `run_ticks` call), and the barrier they meet at inside it, once per tick.
//!
//! Waiting spins first (a tick's work is a few microseconds, far less than the time a parked
//! thread needs to wake up), then yields, then parks, so that an idle pool or an oversubscribed
//! machine costs no CPU time. The caller of [`Pool::run`] is thread 0 of the job.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle, Thread};

/// Spins before a waiting thread starts yielding: about 20-60 us on current x86 cores.
const SPINS: u32 = 1 << 12;
/// Yields before a waiting thread parks.
const YIELDS: u32 = 64;

/// A job: called once on every thread with the thread's index.
type Job<'a> = dyn Fn(usize) + Sync + 'a;

/// A pointer to the job in flight. [`Pool::run`] does not return before every worker has
/// finished with it, so it never outlives the job it points to.
#[derive(Clone, Copy)]
struct JobPtr(*const Job<'static>);

// SAFETY: the job is `Sync`, and `Pool::run` keeps it alive until every thread is done with it.
unsafe impl Send for JobPtr {}

/// A counter that threads wait on until it moves (or a condition of theirs holds), spinning,
/// then yielding, then parking; whoever moves it wakes the parked ones.
struct Signal {
    generation: AtomicU64,
    sleeping: Vec<AtomicBool>,
    threads: Vec<Mutex<Option<Thread>>>,
}

impl Signal {
    fn new(threads: usize) -> Self {
        Self {
            generation: AtomicU64::new(0),
            sleeping: (0..threads).map(|_| AtomicBool::new(false)).collect(),
            threads: (0..threads).map(|_| Mutex::new(None)).collect(),
        }
    }

    /// Records the thread that waits as participant `me`, so that it can be woken.
    fn register(&self, me: usize) {
        let mut slot = self.threads[me].lock().unwrap_or_else(PoisonError::into_inner);
        if slot.as_ref().map(Thread::id) != Some(thread::current().id()) {
            *slot = Some(thread::current());
        }
    }

    fn generation(&self) -> u64 {
        self.generation.load(Acquire)
    }

    /// Moves the counter on and wakes every parked waiter.
    fn advance(&self) {
        self.generation.fetch_add(1, SeqCst);
        self.wake();
    }

    /// Wakes every parked waiter (they re-check their condition).
    fn wake(&self) {
        for (sleeping, thread) in self.sleeping.iter().zip(&self.threads) {
            if sleeping.swap(false, SeqCst) {
                let thread = thread.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(t) = thread.as_ref() {
                    t.unpark();
                }
            }
        }
    }

    /// Waits, as participant `me`, until `done()` holds. Whoever makes it hold must then call
    /// [`Signal::advance`] or [`Signal::wake`] (after a `SeqCst` write), or a parked waiter
    /// could sleep through it.
    fn wait_until(&self, me: usize, done: impl Fn() -> bool) {
        for _ in 0..SPINS {
            if done() {
                return;
            }
            std::hint::spin_loop();
        }
        for _ in 0..YIELDS {
            if done() {
                return;
            }
            thread::yield_now();
        }
        loop {
            self.sleeping[me].store(true, SeqCst);
            if done() {
                self.sleeping[me].store(false, Relaxed);
                return;
            }
            thread::park();
        }
    }
}

/// Where every thread of a job waits for the others.
pub struct Barrier {
    threads: usize,
    arrived: AtomicUsize,
    signal: Signal,
    /// Set when a thread of the job panicked: the others stop waiting for it.
    poisoned: AtomicBool,
}

impl Barrier {
    fn new(threads: usize) -> Self {
        Self {
            threads,
            arrived: AtomicUsize::new(0),
            signal: Signal::new(threads),
            poisoned: AtomicBool::new(false),
        }
    }

    /// Waits until all the job's threads have arrived; thread `me` is arriving. Everything a
    /// thread wrote before arriving is visible to every thread after it.
    ///
    /// # Panics
    /// When another thread of the job panicked (instead of waiting for it forever).
    pub fn wait(&self, me: usize) {
        if self.threads == 1 {
            return;
        }
        let generation = self.signal.generation();
        if self.arrived.fetch_add(1, AcqRel) + 1 == self.threads {
            self.arrived.store(0, Relaxed);
            self.signal.advance();
        } else {
            self.signal.wait_until(me, || {
                self.signal.generation() != generation || self.poisoned.load(SeqCst)
            });
        }
        if self.poisoned.load(SeqCst) {
            panic!("another thread of the CPU backend panicked");
        }
    }

    fn poison(&self) {
        self.poisoned.store(true, SeqCst);
        self.signal.wake();
    }
}

/// State shared by the pool's threads.
struct Shared {
    threads: usize,
    /// Moves on when a job is posted (or the pool shuts down).
    start: Signal,
    job: Mutex<Option<JobPtr>>,
    shutdown: AtomicBool,
    barrier: Barrier,
    /// Workers finished with the current job.
    finished: AtomicUsize,
    finish: Signal,
    /// The first panic of the current job.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

impl Shared {
    /// Keeps the first panic of the job (the others' are the barrier's reaction to it) and
    /// releases the threads waiting at the barrier.
    fn fail(&self, payload: Box<dyn Any + Send>) {
        self.panic
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert(payload);
        self.barrier.poison();
    }
}

/// A fixed set of threads that run jobs together: `threads - 1` workers plus the caller.
pub struct Pool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts `threads - 1` worker threads (none for one thread).
    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        let shared = Arc::new(Shared {
            threads,
            start: Signal::new(threads),
            job: Mutex::new(None),
            shutdown: AtomicBool::new(false),
            barrier: Barrier::new(threads),
            finished: AtomicUsize::new(0),
            finish: Signal::new(threads),
            panic: Mutex::new(None),
        });
        let workers = (1..threads)
            .map(|me| {
                let shared = Arc::clone(&shared);
                thread::Builder::new()
                    .name(format!("spikegpu-cpu-{me}"))
                    .spawn(move || worker(&shared, me))
                    .expect("the CPU backend could not start a thread")
            })
            .collect();
        Self { shared, workers }
    }

    /// Threads that run each job, the caller included.
    pub fn threads(&self) -> usize {
        self.shared.threads
    }

    /// The barrier for the threads of a job.
    pub fn barrier(&self) -> &Barrier {
        &self.shared.barrier
    }

    /// Runs `job(t)` on every thread `t` (0 on the caller) and returns when all have finished.
    /// A panic on any thread is raised again here, after the others have stopped.
    pub fn run(&self, job: &Job<'_>) {
        let shared = &*self.shared;
        if shared.threads == 1 {
            job(0);
            return;
        }
        shared.barrier.signal.register(0);
        shared.finish.register(0);
        shared.barrier.arrived.store(0, Relaxed);
        shared.barrier.poisoned.store(false, Relaxed);
        shared.finished.store(0, Relaxed);
        // SAFETY: only the lifetime is erased; this function waits below until every worker
        // has finished calling the job, so the pointer is never used after `job` ends.
        let erased: *const Job<'static> = unsafe { std::mem::transmute(job as *const Job<'_>) };
        *shared.job.lock().unwrap_or_else(PoisonError::into_inner) = Some(JobPtr(erased));
        shared.start.advance();
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| job(0))) {
            shared.fail(payload);
        }
        let workers = shared.threads - 1;
        shared
            .finish
            .wait_until(0, || shared.finished.load(SeqCst) == workers);
        *shared.job.lock().unwrap_or_else(PoisonError::into_inner) = None;
        let first_panic = shared.panic.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(payload) = first_panic {
            panic::resume_unwind(payload);
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, SeqCst);
        self.shared.start.advance();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

/// A worker's life: wait for a job, run its part, report; until the pool shuts down.
fn worker(shared: &Shared, me: usize) {
    shared.start.register(me);
    shared.barrier.signal.register(me);
    let mut seen = 0;
    loop {
        shared.start.wait_until(me, || shared.start.generation() != seen);
        seen = shared.start.generation();
        if shared.shutdown.load(SeqCst) {
            return;
        }
        let job = shared
            .job
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .expect("a job is posted before the start signal");
        // SAFETY: `Pool::run` keeps the job alive until this worker has counted itself
        // finished below.
        let result = panic::catch_unwind(AssertUnwindSafe(|| unsafe { (*job.0)(me) }));
        if let Err(payload) = result {
            shared.fail(payload);
        }
        shared.finished.fetch_add(1, SeqCst);
        shared.finish.wake();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    #[test]
    fn every_thread_runs_the_job_once_and_the_barrier_orders_their_writes() {
        for threads in [1, 2, 3, 4] {
            let pool = Pool::new(threads);
            let cells: Vec<AtomicU32> = (0..threads).map(|_| AtomicU32::new(0)).collect();
            for round in 1..=50u32 {
                pool.run(&|t| {
                    cells[t].store(round, Relaxed);
                    pool.barrier().wait(t);
                    for c in &cells {
                        assert_eq!(c.load(Relaxed), round);
                    }
                    pool.barrier().wait(t);
                });
            }
        }
    }

    #[test]
    fn a_panic_on_a_worker_reaches_the_caller_and_the_pool_still_runs() {
        let pool = Pool::new(3);
        let caught = panic::catch_unwind(AssertUnwindSafe(|| {
            pool.run(&|t| {
                if t == 2 {
                    panic!("worker 2 fails");
                }
                pool.barrier().wait(t);
            })
        }));
        assert!(caught.is_err());
        let ran = AtomicU32::new(0);
        pool.run(&|t| {
            ran.fetch_add(1, Relaxed);
            pool.barrier().wait(t);
        });
        assert_eq!(ran.load(Relaxed), 3);
    }
}

//! Samplers of the connectivity rules: uniform integers, distinct draws (Floyd), Bernoulli
//! selection by geometric skipping, and the chunked parallel loop whose output keeps index
//! order whatever the thread count.

use std::collections::HashSet;

use crate::rng::PhiloxStream;

/// Uniform integer in `0..n` (multiply-shift; bias below n / 2^32).
fn below(rng: &mut PhiloxStream, n: u32) -> u32 {
    crate::plan::fixed_total::below(rng.next_u32(), n)
}

/// `k` distinct values from `0..n`, skipping `exclude`, ascending (Floyd's algorithm).
pub(super) fn distinct(rng: &mut PhiloxStream, n: u32, k: u32, exclude: Option<u32>) -> Vec<u32> {
    let m = n - u32::from(exclude.is_some());
    let mut chosen = HashSet::with_capacity(k as usize);
    for j in m - k..m {
        let t = below(rng, j + 1);
        if !chosen.insert(t) {
            chosen.insert(j);
        }
    }
    let mut out: Vec<u32> = chosen.into_iter().map(|c| past_excluded(c, exclude)).collect();
    out.sort_unstable();
    out
}

/// Index `c` of `0..n - 1` as an index of `0..n` that skips `exclude`.
fn past_excluded(c: u32, exclude: Option<u32>) -> u32 {
    match exclude {
        Some(x) if c >= x => c + 1,
        _ => c,
    }
}

/// `k` independent uniform draws from `0..n` without `exclude`, sorted (multapses).
pub(super) fn with_replacement(rng: &mut PhiloxStream, n: u32, k: u32, exclude: Option<u32>) -> Vec<u32> {
    let m = n - u32::from(exclude.is_some());
    let mut out: Vec<u32> = (0..k).map(|_| past_excluded(below(rng, m), exclude)).collect();
    out.sort_unstable();
    out
}

/// Calls `f` for each index in `0..n` selected independently with probability `p`, in
/// ascending order, by geometric skipping (work proportional to the selected count).
pub(super) fn for_each_bernoulli(
    rng: &mut PhiloxStream,
    n: u32,
    p: f64,
    mut f: impl FnMut(&mut PhiloxStream, u32),
) {
    if p <= 0.0 || n == 0 {
        return;
    }
    if p >= 1.0 {
        for j in 0..n {
            f(rng, j);
        }
        return;
    }
    let log_q = (-p).ln_1p();
    let mut j: i64 = -1;
    loop {
        let skip = (rng.uniform_open0().ln() / log_q).floor();
        if skip >= f64::from(n) {
            return;
        }
        j += skip as i64 + 1;
        if j >= i64::from(n) {
            return;
        }
        f(rng, j as u32);
    }
}

/// Runs `f(index, out)` for every index in `0..n` on `threads` threads in contiguous chunks and
/// concatenates the outputs in index order.
pub(super) fn parallel_chunks<T: Send>(
    n: u32,
    threads: usize,
    f: impl Fn(u32, &mut Vec<T>) + Sync,
) -> Vec<T> {
    let threads = threads.min((n as usize).div_ceil(1024)).max(1);
    let chunk = (n as usize).div_ceil(threads) as u32;
    let parts: Vec<Vec<T>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads as u32)
            .map(|t| {
                let f = &f;
                s.spawn(move || {
                    let mut out = Vec::new();
                    for i in (t * chunk).min(n)..((t + 1) * chunk).min(n) {
                        f(i, &mut out);
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("connectivity worker"))
            .collect()
    });
    parts.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bernoulli_skipping_selects_with_probability_p() {
        let mut rng = PhiloxStream::new([1, 2], 3, 4);
        let mut count = 0u64;
        let n = 1_000_000u32;
        let mut last = None;
        for_each_bernoulli(&mut rng, n, 0.02, |_, j| {
            assert!(last.is_none_or(|l| j > l));
            last = Some(j);
            count += 1;
        });
        // Binomial(1e6, 0.02): mean 20000, sd 140; 5 sd bound.
        assert!((count as f64 - 20_000.0).abs() < 700.0, "{count}");
    }

    #[test]
    fn distinct_draws_are_distinct_sorted_and_skip_the_excluded_value() {
        let mut rng = PhiloxStream::new([5, 6], 7, 8);
        for _ in 0..100 {
            let v = distinct(&mut rng, 50, 49, Some(17));
            assert_eq!(v.len(), 49);
            assert!(v.windows(2).all(|w| w[0] < w[1]));
            assert!(!v.contains(&17) && v.iter().all(|&x| x < 50));
        }
    }
}

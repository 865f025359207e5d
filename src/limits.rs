//! Limits on run lengths and scheduled times, in one place: [`Simulator::run_ticks`]
//! (and through it every way of running), model-file durations, `spikegpu validate` and the
//! plan's schedule tables all check through these functions.
//!
//! Ticks are counted in 64 bits on both backends (the GPU keeps the count as two 32-bit
//! words), so a run may pass 2^32 ticks (5 days at dt = 0.1 ms); it may not pass
//! [`MAX_TICKS`], where ticks stop being exact in an `f64`. Schedules (Poisson rate segments,
//! current steps, spike-source times) are stored as 32-bit ticks in the device tables and
//! must lie before [`MAX_SCHEDULE_TICK`].
//!
//! [`Simulator::run_ticks`]: crate::Simulator::run_ticks

use crate::error::{Error, Result, invalid};

/// Ticks a run may reach in all: 2^53, below which every tick count is exact as an `f64`
/// (spike times `tick * dt` and durations stay monotonic).
pub const MAX_TICKS: u64 = 1 << 53;

/// The latest tick a schedule may name (device tables hold scheduled ticks in 32 bits).
pub const MAX_SCHEDULE_TICK: u64 = u32::MAX as u64;

/// The whole number of ticks in `duration_ms` at `dt_ms` (rounded), refusing a duration that
/// is not finite, negative, or longer than [`MAX_TICKS`].
pub fn duration_ticks(field: &str, duration_ms: f64, dt_ms: f64) -> Result<u64> {
    if !(duration_ms.is_finite() && duration_ms >= 0.0) {
        return Err(invalid(field, duration_ms, "must be finite and >= 0"));
    }
    let ticks = (duration_ms / dt_ms).round();
    if ticks > MAX_TICKS as f64 {
        return Err(invalid(
            field,
            format!("{duration_ms} ms"),
            &format!(
                "is {ticks:.4e} ticks at dt = {dt_ms} ms; a run may last at most 2^53 = {MAX_TICKS} ticks ({:.4e} ms)",
                MAX_TICKS as f64 * dt_ms
            ),
        ));
    }
    Ok(ticks as u64)
}

/// Refuses running `ticks` more ticks from tick `start` if the run would pass [`MAX_TICKS`].
pub fn check_run_end(start: u64, ticks: u64) -> Result<()> {
    match start.checked_add(ticks) {
        Some(end) if end <= MAX_TICKS => Ok(()),
        _ => Err(Error::LimitExceeded {
            what: format!("a run of {ticks} ticks from tick {start}"),
            requested: start.saturating_add(ticks),
            max: MAX_TICKS,
        }),
    }
}

/// The tick of a scheduled time `t_ms` (rounded), refusing one that is not finite, negative,
/// or after [`MAX_SCHEDULE_TICK`]. `field` names it in the error.
pub fn schedule_tick(field: impl FnOnce() -> String, t_ms: f64, dt_ms: f64) -> Result<u32> {
    if !(t_ms.is_finite() && t_ms >= 0.0) {
        return Err(invalid(field(), t_ms, "must be finite and >= 0"));
    }
    let tick = (t_ms / dt_ms).round();
    if tick > MAX_SCHEDULE_TICK as f64 {
        return Err(invalid(
            field(),
            format!("{t_ms} ms"),
            &format!(
                "scheduled times must lie before tick 2^32 - 1 ({:.6e} ms at dt = {dt_ms} ms)",
                MAX_SCHEDULE_TICK as f64 * dt_ms
            ),
        ));
    }
    Ok(tick as u32)
}

/// A tick as the device and the Philox counters see it: (low word, high word).
pub fn tick_words(tick: u64) -> [u32; 2] {
    [tick as u32, (tick >> 32) as u32]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_to_ticks_and_stop_at_two_to_the_53() {
        assert_eq!(duration_ticks("d", 1000.0, 0.1).unwrap(), 10_000);
        assert_eq!(duration_ticks("d", 0.0, 0.1).unwrap(), 0);
        assert!(duration_ticks("d", f64::NAN, 0.1).is_err());
        assert!(duration_ticks("d", -1.0, 0.1).is_err());
        // 4.4e6 ms at 0.1 ms is past 2^32 ticks, which is allowed now.
        assert_eq!(duration_ticks("d", 4.4e6, 0.1).unwrap(), 44_000_000);
        let err = duration_ticks("duration", 1e300, 0.1).unwrap_err().to_string();
        assert!(err.contains("2^53"), "{err}");
    }

    #[test]
    fn run_end_is_checked_without_overflow() {
        assert!(check_run_end(0, MAX_TICKS).is_ok());
        assert!(check_run_end(1, MAX_TICKS).is_err());
        assert!(check_run_end(u64::MAX, u64::MAX).is_err());
    }

    #[test]
    fn schedules_must_fit_32_bit_ticks() {
        assert_eq!(schedule_tick(|| "t".into(), 10.0, 0.1).unwrap(), 100);
        assert!(schedule_tick(|| "t".into(), 4.3e8, 0.1).is_err());
        assert!(schedule_tick(|| "t".into(), -1.0, 0.1).is_err());
    }
}

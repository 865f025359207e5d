// The 64-bit tick of the run control (tick, tick_hi), for the stages that bind `control` and
// `params`: whether this tick runs, schedule comparisons and the lagged tick of the STDP
// stages. The ring, history and modulation slots are counters in `control` (kept by tick_end),
// so no stage needs a 64-bit modulo.

// Whether this tick is one the current run executes: not halted and before the end tick.
fn tick_running() -> bool {
    let before_end = control.tick_hi < control.end_tick_hi
        || (control.tick_hi == control.end_tick_hi && control.tick < control.end_tick);
    return control.halted == 0u && before_end;
}

// Whether a scheduled tick (32-bit in the tables: rate segments, current steps) has begun.
fn scheduled_by_now(scheduled: u32) -> bool {
    return control.tick_hi > 0u || scheduled <= control.tick;
}

// The tick `lag` ticks before this one as (low, high) words (this tick is >= lag).
fn lagged_tick(lag: u32) -> vec2<u32> {
    let borrow = select(0u, 1u, control.tick < lag);
    return vec2<u32>(control.tick - lag, control.tick_hi - borrow);
}

// The history slot of the tick `lag` ticks before this one.
fn lagged_hist_slot(lag: u32) -> u32 {
    return (control.hist_slot + params.hist_len - lag % params.hist_len) % params.hist_len;
}

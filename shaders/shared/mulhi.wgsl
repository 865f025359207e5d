// High word of a 32 x 32-bit product, portable form: WebGPU has no 64-bit integers, so it is
// assembled from 16-bit halves. Adapters with 64-bit shader integers get mulhi_int64.wgsl
// instead (same results, see src/gpu/shaders.rs: Dialect).

fn mulhi32(a: u32, b: u32) -> u32 {
    let a_lo = a & 0xffffu;
    let a_hi = a >> 16u;
    let b_lo = b & 0xffffu;
    let b_hi = b >> 16u;
    let lo_lo = a_lo * b_lo;
    let hi_lo = a_hi * b_lo;
    let lo_hi = a_lo * b_hi;
    // Cannot overflow: at most 0xffff + 0xffff + 0xfffe0001.
    let cross = (lo_lo >> 16u) + (hi_lo & 0xffffu) + lo_hi;
    return a_hi * b_hi + (hi_lo >> 16u) + (cross >> 16u);
}

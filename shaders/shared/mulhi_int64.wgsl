// High word of a 32 x 32-bit product through one 64-bit product, for adapters with 64-bit
// shader integers (wgpu's SHADER_INT64): a single widening multiply on GPUs and on lavapipe's
// vector units, where the portable mulhi.wgsl needs four 32-bit products.

fn mulhi32(a: u32, b: u32) -> u32 {
    return u32((u64(a) * u64(b)) >> 32u);
}

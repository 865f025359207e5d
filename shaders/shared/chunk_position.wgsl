// Where synapse `r` of a projection lies in chunked storage (src/compact.rs, chunk_position):
// the projection's first synapse is at the 64-bit position `first` (lo, hi), chunks hold
// 2^shift words (1 <= shift <= 31). Returns (chunk, index within the chunk). Row pointers
// stay 32-bit and relative to the projection, so only the projection base is 64-bit and no
// sum below exceeds 2^32.
fn chunk_position(first: vec2<u32>, r: u32, shift: u32) -> vec2<u32> {
    let mask = (1u << shift) - 1u;
    let base_chunk = (first.y << (32u - shift)) | (first.x >> shift);
    let within = (first.x & mask) + (r & mask);
    return vec2<u32>(base_chunk + (r >> shift) + (within >> shift), within & mask);
}

// Helpers of the connectivity generation stages, mirrored by src/generate.rs.

// f32 bits of 1 / sqrt(4 (2^32 - 1) / 12), as generate::INV_SUM4_SD_BITS.
const INV_SUM4_SD_BITS: u32 = 0x37ddb3d7u;
// f32 bits of 1 / sqrt(4 (2^16 - 1) / 12), as generate::INV_SUM4_BYTES_SD_BITS.
const INV_SUM4_BYTES_SD_BITS: u32 = 0x3bddb446u;

// Standardised sum of the four bytes of a word.
fn normal4_bytes(w: u32) -> f32 {
    let sum = (w & 0xffu) + ((w >> 8u) & 0xffu) + ((w >> 16u) & 0xffu) + (w >> 24u);
    return (f32(sum) - 510.0) * bitcast<f32>(INV_SUM4_BYTES_SD_BITS);
}

// Draws of a truncated normal value after which it is clipped, as model::MAX_REDRAWS.
const MAX_REDRAWS: u32 = 256u;

// The word of the r-th redraw of a truncated normal value, as generate::redraw_word
// (MurmurHash3's 32-bit finaliser of word + r * 0x9e3779b9).
fn redraw_word(word: u32, r: u32) -> u32 {
    var h = word + r * 0x9e3779b9u;
    h ^= h >> 16u;
    h *= 0x85ebca6bu;
    h ^= h >> 13u;
    h *= 0xc2b2ae35u;
    return h ^ (h >> 16u);
}

// A draw from one word (normal: four bytes; truncated normal: before the bounds are
// checked), as GenDist::sample_word.
fn gen_sample_word(d: GenDist, w: u32) -> f32 {
    if (d.kind == 0u) {
        return d.a;
    }
    if (d.kind == 1u) {
        return d.a + d.b * (f32(w >> 8u) * (1.0 / 16777216.0));
    }
    let v = d.a + d.b * normal4_bytes(w);
    if (d.kind == 2u) {
        return min(max(v, d.lo), d.hi);
    }
    return v;
}

// Whether a drawn value must be drawn again (a truncated normal outside its bounds).
fn gen_rejects(d: GenDist, v: f32) -> bool {
    return d.kind == 3u && !(d.lo <= v && v <= d.hi);
}

// A truncated normal value still outside its bounds after MAX_REDRAWS draws is clipped.
fn gen_clip_truncated(d: GenDist, v: f32) -> f32 {
    if (d.kind == 3u) {
        return min(max(v, d.lo), d.hi);
    }
    return v;
}

// Standardised sum of the four 16-bit halves of two words.
fn normal4(w0: u32, w1: u32) -> f32 {
    let sum = (w0 & 0xffffu) + (w0 >> 16u) + (w1 & 0xffffu) + (w1 >> 16u);
    return (f32(sum) - 131070.0) * bitcast<f32>(INV_SUM4_SD_BITS);
}

// A draw from two words, as GenDist::sample.
fn gen_sample(d: GenDist, w0: u32, w1: u32) -> f32 {
    if (d.kind == 0u) {
        return d.a;
    }
    if (d.kind == 1u) {
        return d.a + d.b * (f32(w0 >> 8u) * (1.0 / 16777216.0));
    }
    let v = d.a + d.b * normal4(w0, w1);
    if (d.kind == 2u) {
        return min(max(v, d.lo), d.hi);
    }
    return v;
}

// Local target of synapse t of row `row` (the first word of its block A).
fn gen_target(p: GenProjection, row: u32, word: u32) -> u32 {
    if (p.skip_self == 1u) {
        let j = mulhi32(word, p.post_size - 1u);
        return j + select(0u, 1u, j >= row);
    }
    return mulhi32(word, p.post_size);
}

// The projection owning thread `t` of a pass whose first threads are given by `first`.
fn gen_projection_of(t: u32, row_pass: bool) -> u32 {
    var q = 0u;
    loop {
        if (q + 1u >= gen_params.n_gen) {
            break;
        }
        let next = select(gen_projections[q + 1u].chunk_thread, gen_projections[q + 1u].row_thread, row_pass);
        if (t < next) {
            break;
        }
        q++;
    }
    return q;
}

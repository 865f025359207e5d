//! Neuron positions for distance-dependent connectivity.

use glam::Vec3;

/// Positions on a regular 2-D grid (`nx` by `ny`, row-major, `spacing` apart, z = 0).
pub fn grid_positions_2d(nx: u32, ny: u32, spacing: f32) -> Vec<Vec3> {
    (0..ny)
        .flat_map(|y| (0..nx).map(move |x| Vec3::new(x as f32 * spacing, y as f32 * spacing, 0.0)))
        .collect()
}

/// `n` positions uniform in the box `[0, extent)`, deterministic from `seed` (set a component of
/// `extent` to 0 for 2-D).
pub fn random_positions(n: u32, extent: Vec3, seed: u64) -> Vec<Vec3> {
    (0..n)
        .map(|i| {
            let mut r =
                crate::rng::PhiloxStream::new(crate::rng::seed_key(seed), crate::rng::stream::POSITIONS, i);
            Vec3::new(r.uniform() as f32, r.uniform() as f32, r.uniform() as f32) * extent
        })
        .collect()
}

//! Matrix exponentials on the host, in f64: the propagator `exp(A dt)` of a linear system and
//! the response `integral_0^dt exp(A s) ds b` to a constant input (Van Loan's block trick).
//! The same algorithm as the built-in LIF's propagator (scaling and squaring with a 20-term
//! Taylor series), so the two agree to the last bit where their matrices agree.

/// A dense square matrix.
pub(crate) type Matrix = Vec<Vec<f64>>;

fn identity(n: usize) -> Matrix {
    (0..n)
        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect()
}

fn mul(x: &Matrix, y: &Matrix) -> Matrix {
    let n = x.len();
    (0..n)
        .map(|i| (0..n).map(|j| (0..n).map(|k| x[i][k] * y[k][j]).sum()).collect())
        .collect()
}

/// `exp(a t)`.
pub(crate) fn expm(a: &Matrix, t: f64) -> Matrix {
    let n = a.len();
    let norm = a.iter().flatten().fold(0.0f64, |m, x| m.max(x.abs())) * t * n as f64;
    let squarings = if norm > 0.5 {
        (norm / 0.5).log2().ceil() as i32
    } else {
        0
    };
    let h = t / f64::from(1 << squarings);
    let ah: Matrix = a.iter().map(|row| row.iter().map(|x| x * h).collect()).collect();
    let mut result = identity(n);
    let mut term = identity(n);
    for k in 1..=20 {
        term = mul(&term, &ah);
        term.iter_mut().flatten().for_each(|x| *x /= f64::from(k));
        for i in 0..n {
            for j in 0..n {
                result[i][j] += term[i][j];
            }
        }
    }
    for _ in 0..squarings {
        result = mul(&result, &result);
    }
    result
}

/// `integral_0^t exp(a s) ds b`: the top-right column of `exp([[a, b], [0, 0]] t)`.
pub(crate) fn response(a: &Matrix, b: &[f64], t: f64) -> Vec<f64> {
    let n = a.len();
    let mut m = vec![vec![0.0; n + 1]; n + 1];
    for i in 0..n {
        m[i][..n].copy_from_slice(&a[i]);
        m[i][n] = b[i];
    }
    let e = expm(&m, t);
    (0..n).map(|i| e[i][n]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scalar_decay_and_its_response_match_the_closed_form() {
        let tau = 20.0;
        let a = vec![vec![-1.0 / tau]];
        let p = expm(&a, 0.1)[0][0];
        assert!((p - (-0.1f64 / tau).exp()).abs() < 1e-15);
        let r = response(&a, &[1.0 / tau], 0.1)[0];
        assert!((r - (1.0 - (-0.1f64 / tau).exp())).abs() < 1e-15);
        // A large step takes squarings.
        let p = expm(&a, 100.0)[0][0];
        assert!((p - (-5.0f64).exp()).abs() < 1e-13);
    }
}

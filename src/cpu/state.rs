//! Neuron state as one array per variable (structure of arrays): the update loop reads and
//! writes each variable contiguously, so the compiler vectorises the models whose update has
//! no branches, where the interleaved [`NeuronState`] layout defeats it.

use crate::plan::layout::NeuronState;

/// The state of a range of neurons, one array per variable of [`NeuronState`].
#[derive(Clone, Debug, Default)]
pub(super) struct StateArrays {
    v: Vec<f32>,
    u: Vec<f32>,
    w1: Vec<f32>,
    w2: Vec<f32>,
    syn_e: Vec<f32>,
    syn_i: Vec<f32>,
    refractory: Vec<u32>,
    aux: Vec<u32>,
}

impl StateArrays {
    /// The arrays of `states`.
    pub(super) fn new(states: &[NeuronState]) -> Self {
        let field = |f: fn(&NeuronState) -> f32| states.iter().map(f).collect();
        Self {
            v: field(|s| s.v),
            u: field(|s| s.u),
            w1: field(|s| s.w1),
            w2: field(|s| s.w2),
            syn_e: field(|s| s.syn_e),
            syn_i: field(|s| s.syn_i),
            refractory: states.iter().map(|s| s.refractory).collect(),
            aux: states.iter().map(|s| s.aux).collect(),
        }
    }

    /// Neurons in the arrays.
    pub(super) fn len(&self) -> usize {
        self.v.len()
    }

    /// The state of neuron `k`.
    pub(super) fn get(&self, k: usize) -> NeuronState {
        self.slices_ref(k..k + 1).get(0)
    }

    /// Replaces the state of neuron `k`.
    pub(super) fn set(&mut self, k: usize, s: &NeuronState) {
        self.slices(k..k + 1).set(0, *s);
    }

    /// Appends the states, in order, to `out`.
    pub(super) fn append_to(&self, out: &mut Vec<NeuronState>) {
        out.extend((0..self.v.len()).map(|k| self.get(k)));
    }

    fn slices_ref(&self, range: std::ops::Range<usize>) -> StateRef<'_> {
        StateRef {
            v: &self.v[range.clone()],
            u: &self.u[range.clone()],
            w1: &self.w1[range.clone()],
            w2: &self.w2[range.clone()],
            syn_e: &self.syn_e[range.clone()],
            syn_i: &self.syn_i[range.clone()],
            refractory: &self.refractory[range.clone()],
            aux: &self.aux[range],
        }
    }

    /// Mutable views of the neurons `range` (indices into these arrays).
    pub(super) fn slices(&mut self, range: std::ops::Range<usize>) -> StateSlices<'_> {
        StateSlices {
            v: &mut self.v[range.clone()],
            u: &mut self.u[range.clone()],
            w1: &mut self.w1[range.clone()],
            w2: &mut self.w2[range.clone()],
            syn_e: &mut self.syn_e[range.clone()],
            syn_i: &mut self.syn_i[range.clone()],
            refractory: &mut self.refractory[range.clone()],
            aux: &mut self.aux[range],
        }
    }
}

struct StateRef<'a> {
    v: &'a [f32],
    u: &'a [f32],
    w1: &'a [f32],
    w2: &'a [f32],
    syn_e: &'a [f32],
    syn_i: &'a [f32],
    refractory: &'a [u32],
    aux: &'a [u32],
}

impl StateRef<'_> {
    fn get(&self, k: usize) -> NeuronState {
        NeuronState {
            v: self.v[k],
            u: self.u[k],
            w1: self.w1[k],
            w2: self.w2[k],
            syn_e: self.syn_e[k],
            syn_i: self.syn_i[k],
            refractory: self.refractory[k],
            aux: self.aux[k],
        }
    }
}

/// The views of [`StateSlices::split`]: the float variables, then the integer ones.
pub(super) type FieldSlices<'a> = ([&'a mut [f32]; 6], [&'a mut [u32]; 2]);

/// Equal-length mutable views of every variable of a range of neurons.
pub(super) struct StateSlices<'a> {
    v: &'a mut [f32],
    u: &'a mut [f32],
    w1: &'a mut [f32],
    w2: &'a mut [f32],
    syn_e: &'a mut [f32],
    syn_i: &'a mut [f32],
    refractory: &'a mut [u32],
    aux: &'a mut [u32],
}

impl StateSlices<'_> {
    /// Neurons in the views.
    #[inline(always)]
    pub(super) fn len(&self) -> usize {
        self.v.len()
    }

    /// The state of neuron `k` of the views.
    #[inline(always)]
    pub(super) fn get(&self, k: usize) -> NeuronState {
        NeuronState {
            v: self.v[k],
            u: self.u[k],
            w1: self.w1[k],
            w2: self.w2[k],
            syn_e: self.syn_e[k],
            syn_i: self.syn_i[k],
            refractory: self.refractory[k],
            aux: self.aux[k],
        }
    }

    /// Stores the state of neuron `k` of the views. After inlining, the compiler keeps only
    /// the stores of the variables the update changed.
    #[inline(always)]
    pub(super) fn set(&mut self, k: usize, s: NeuronState) {
        self.v[k] = s.v;
        self.u[k] = s.u;
        self.w1[k] = s.w1;
        self.w2[k] = s.w2;
        self.syn_e[k] = s.syn_e;
        self.syn_i[k] = s.syn_i;
        self.refractory[k] = s.refractory;
        self.aux[k] = s.aux;
    }

    /// The views of the float variables (`v, u, w1, w2, syn_e, syn_i`) and of the integer
    /// ones (`refractory, aux`), cut to their common length.
    #[inline(always)]
    pub(super) fn split(&mut self) -> FieldSlices<'_> {
        let n = self.len();
        (
            [
                &mut self.v[..n],
                &mut self.u[..n],
                &mut self.w1[..n],
                &mut self.w2[..n],
                &mut self.syn_e[..n],
                &mut self.syn_i[..n],
            ],
            [&mut self.refractory[..n], &mut self.aux[..n]],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_survive_the_round_trip_through_the_arrays() {
        let states: Vec<NeuronState> = (0..5)
            .map(|i| NeuronState {
                v: i as f32,
                u: -(i as f32),
                w1: 0.5 * i as f32,
                w2: 2.0,
                syn_e: 3.0 + i as f32,
                syn_i: -1.0,
                refractory: i,
                aux: 7 * i,
            })
            .collect();
        let mut arrays = StateArrays::new(&states);
        let mut out = Vec::new();
        arrays.append_to(&mut out);
        assert_eq!(out, states);
        let mut slices = arrays.slices(1..4);
        let mut s = slices.get(1);
        s.v += 10.0;
        slices.set(1, s);
        out.clear();
        arrays.append_to(&mut out);
        assert_eq!(out[2].v, 12.0);
        assert_eq!(out[1].v, 1.0);
        assert_eq!(out[0].v, 0.0);
        assert_eq!(out[4].v, 4.0);
    }
}

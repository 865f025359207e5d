//! Questions about a built plan: synapse rows and counts, device bytes per synapse, thread
//! counts of the stages, the population of a neuron.

use crate::plan::Plan;

impl Plan {
    /// The time (ms) a spike fired in `tick` is stamped with: the start of its step, or the
    /// end under NEST's convention.
    pub fn spike_time_ms(&self, tick: u64) -> f64 {
        (tick + self.conventions.stamp_offset_ticks()) as f64 * self.dt_ms
    }

    /// Total synapses.
    pub fn synapse_count(&self) -> u64 {
        self.synapses.len() as u64
    }

    /// Bytes of GPU memory per synapse: target and packed delay/port (8), weight (4) and the
    /// row pointers spread over the synapses.
    pub fn bytes_per_synapse(&self) -> f64 {
        if self.synapses.is_empty() {
            return 0.0;
        }
        let bytes = self.synapses.len() * 12 + self.row_ptr.len() * 4;
        bytes as f64 / self.synapses.len() as f64
    }

    /// Device bytes per plastic synapse, if any: the synapse's own 12 bytes plus its transpose
    /// entry (12) and the column pointers, trace histories, spike history and (with reward
    /// modulation) eligibility traces, kept for every synapse, spread over the plastic ones.
    pub fn bytes_per_plastic_synapse(&self) -> Option<f64> {
        let plastic = self.col_entries.len();
        if plastic == 0 {
            return None;
        }
        let shared = self.col_ptr.len() * 4
            + self.trace_len as usize * 4
            + (self.hist_len as usize) * (self.n_neurons as usize + 1) * 4
            + self.n_neurons as usize * 4
            + if self.modulation_interval > 0 {
                self.synapses.len() * 4
            } else {
                0
            };
        Some(12.0 + 12.0 + shared as f64 / plastic as f64)
    }

    /// Population index of a global neuron.
    pub fn population_of(&self, neuron: u32) -> usize {
        self.populations
            .partition_point(|p| p.gpu.start + p.gpu.size <= neuron)
    }

    /// Threads of the Poisson input stage.
    pub fn poisson_threads(&self) -> u32 {
        self.poisson.iter().map(|p| p.target_count).sum()
    }

    /// Threads of the STDP trace stage.
    pub fn trace_threads(&self) -> u32 {
        self.plastic.iter().map(|p| p.pre_size + p.post_size).sum()
    }

    /// Threads of the current input stage.
    pub fn current_threads(&self) -> u32 {
        self.currents.iter().map(|p| p.target_count).sum()
    }

    /// Indices in the merged arrays of projection `k`'s synapses, row by row (pre-synaptic
    /// neuron ascending, then target ascending): the order of `Simulator::weights`.
    pub fn projection_synapses(&self, k: usize) -> Vec<u32> {
        let p = &self.projections[k];
        // A rank's rows are by global neuron: its pre population's start in the whole network.
        let pre_populations = self
            .partition
            .as_ref()
            .map_or(&self.populations, |part| &part.global_populations);
        let start = pre_populations[p.pre].gpu.start as usize;
        let mut out = Vec::with_capacity(p.synapses as usize);
        for i in 0..p.local_row_ptr.len() - 1 {
            let before: u32 = p
                .earlier_siblings
                .iter()
                .map(|&j| self.projections[j].local_row_ptr[i + 1] - self.projections[j].local_row_ptr[i])
                .sum();
            let at = self.row_ptr[start + i] + before;
            out.extend(at..at + (p.local_row_ptr[i + 1] - p.local_row_ptr[i]));
        }
        out
    }

    /// Index range of the synapses of global neuron `pre` in the merged CSR.
    pub fn row(&self, pre: u32) -> std::ops::Range<usize> {
        self.row_ptr[pre as usize] as usize..self.row_ptr[pre as usize + 1] as usize
    }
}

//! Projections: endpoints, connectivity rule, weight and delay distributions, procedural storage.

use crate::error::{Result, check_finite, check_positive, invalid};
use crate::model::builder::NetworkBuilder;
use crate::model::{
    Connection, Connectivity, DelayDist, Population, PopulationId, Projection, ProjectionId, Receptor,
    WeightDist,
};

impl NetworkBuilder {
    /// Adds a projection from `pre` to `post`.
    pub fn projection(
        &mut self,
        pre: PopulationId,
        post: PopulationId,
        connectivity: Connectivity,
        weight: WeightDist,
        delay_ms: DelayDist,
        receptor: Receptor,
    ) -> Result<ProjectionId> {
        let index = self.net.projections.len();
        let pre_pop = self.net.check_population(pre)?;
        let post_pop = self.net.check_population(post)?;
        let owner = format!("projection {index} ({} -> {})", pre_pop.name, post_pop.name);
        if post_pop.model.is_source() {
            return Err(invalid(
                format!("{owner}.post"),
                &post_pop.name,
                "a spike or Poisson source population cannot receive synapses",
            ));
        }
        let same = pre.index == post.index;
        check_connectivity(&owner, &connectivity, (pre_pop, post_pop), same, receptor)?;
        weight.validate(&format!("{owner}.weight"))?;
        check_sign(&format!("{owner}.weight"), weight.range(), receptor)?;
        delay_ms.validate(&format!("{owner}.delay_ms"))?;
        self.net.projections.push(Projection {
            pre,
            post,
            connectivity,
            weight,
            delay_ms,
            receptor,
            plasticity: None,
            short_term: None,
            release: None,
            short_term_u: None,
            procedural: false,
            multapses: false,
        });
        Ok(ProjectionId {
            network: self.net.id,
            index,
        })
    }

    /// Makes projection `proj` procedural: no synapse is stored (0 bytes per synapse); each
    /// spike regenerates its row from the seed. Candidate `j` of row `i` is connected when
    /// word `j` of the Philox stream (seed, projection, row `i`) is below `p * 2^32`, an
    /// integer test that every backend evaluates identically. Only static fixed-probability
    /// projections with a constant weight and delay qualify. The row's work grows with the
    /// post-synaptic population (one 4-candidate draw per thread), not with its synapses.
    pub fn procedural(&mut self, proj: ProjectionId) -> Result<()> {
        self.check_projection(proj)?;
        let p = &self.net.projections[proj.index];
        let field = |f: &str| format!("projection {}.{f}", proj.index);
        if p.short_term.is_some() {
            return Err(invalid(
                field("short_term"),
                "Tsodyks-Markram",
                "a projection with short-term plasticity stores its synapses, so it cannot be procedural",
            ));
        }
        if !matches!(p.connectivity, Connectivity::FixedProbability { .. }) {
            return Err(invalid(
                field("connectivity"),
                format!("{:?}", p.connectivity)
                    .split([' ', '(', '{'])
                    .next()
                    .unwrap_or("")
                    .to_string(),
                "a procedural projection must use FixedProbability",
            ));
        }
        if !matches!(p.weight, WeightDist::Constant(_)) {
            return Err(invalid(
                field("weight"),
                format!("{:?}", p.weight),
                "a procedural projection needs a constant weight",
            ));
        }
        if !matches!(p.delay_ms, WeightDist::Constant(_)) {
            return Err(invalid(
                field("delay_ms"),
                format!("{:?}", p.delay_ms),
                "a procedural projection needs a constant delay",
            ));
        }
        if p.plasticity.is_some() {
            return Err(invalid(
                field("plasticity"),
                "plastic",
                "a plastic projection stores its weights, so it cannot be procedural",
            ));
        }
        self.net.projections[proj.index].procedural = true;
        Ok(())
    }

    /// Lets a fixed in-degree or out-degree projection connect a pair more than once: each
    /// of the `k` sources (targets) is drawn independently, with replacement, as NEST does
    /// with `allow_multapses = true` (its default). Without it the `k` are distinct. Fixed
    /// total always draws with replacement; the other rules never repeat a pair.
    pub fn multapses(&mut self, proj: ProjectionId, allow: bool) -> Result<()> {
        self.check_projection(proj)?;
        let p = &mut self.net.projections[proj.index];
        if let Some(why) = p.connectivity.multapses_refusal(allow) {
            return Err(invalid(
                format!("projection {}.multapses", proj.index),
                allow,
                why,
            ));
        }
        p.multapses = allow;
        Ok(())
    }
}

/// Checks the rule's own numbers against the sizes of the populations it connects.
fn check_connectivity(
    owner: &str,
    connectivity: &Connectivity,
    (pre_pop, post_pop): (&Population, &Population),
    same: bool,
    receptor: Receptor,
) -> Result<()> {
    let (n_pre, n_post) = (pre_pop.size, post_pop.size);
    let field = |name: &str| format!("{owner}.connectivity.{name}");
    match connectivity {
        Connectivity::FixedProbability { p, .. } => check_probability(&field("p"), *p)?,
        Connectivity::DistanceGaussian { p0, sigma, .. } => {
            check_probability(&field("p0"), *p0)?;
            check_positive(|| field("sigma"), *sigma)?;
            for (side, pop) in [("pre", pre_pop), ("post", post_pop)] {
                if pop.positions.is_none() {
                    return Err(invalid(
                        format!("{owner}.{side}"),
                        &pop.name,
                        "distance-dependent connectivity needs positions (NetworkBuilder::positions)",
                    ));
                }
            }
        }
        Connectivity::FixedInDegree { k, autapses } => {
            let max = n_pre - u32::from(same && !autapses);
            if *k > max {
                return Err(invalid(
                    field("k"),
                    k,
                    &format!("must be <= {max} (distinct sources available)"),
                ));
            }
        }
        Connectivity::FixedOutDegree { k, autapses } => {
            let max = n_post - u32::from(same && !autapses);
            if *k > max {
                return Err(invalid(
                    field("k"),
                    k,
                    &format!("must be <= {max} (distinct targets available)"),
                ));
            }
        }
        Connectivity::FixedTotal { n, autapses } => {
            if same && !autapses && n_pre == 1 && *n > 0 {
                return Err(invalid(
                    field("n"),
                    n,
                    "no pair exists without autapses in a one-neuron population",
                ));
            }
            if *n > u64::from(u32::MAX) {
                return Err(invalid(field("n"), n, &format!("must be <= {}", u32::MAX)));
            }
        }
        Connectivity::OneToOne => {
            if n_pre != n_post {
                return Err(invalid(
                    format!("{owner}.connectivity"),
                    "OneToOne",
                    &format!("needs populations of equal size ({n_pre} != {n_post})"),
                ));
            }
        }
        Connectivity::AllToAll { .. } => {}
        Connectivity::Explicit(list) => check_explicit(owner, list, (pre_pop, post_pop), receptor)?,
    }
    Ok(())
}

/// Checks every explicit connection: indices inside the populations, finite weight of the
/// receptor's sign, finite delay.
fn check_explicit(
    owner: &str,
    list: &[Connection],
    (pre_pop, post_pop): (&Population, &Population),
    receptor: Receptor,
) -> Result<()> {
    let (n_pre, n_post) = (pre_pop.size, post_pop.size);
    for (i, c) in list.iter().enumerate() {
        let f = |name: &str| format!("{owner}.connections[{i}].{name}");
        if c.pre >= n_pre {
            return Err(invalid(
                f("pre"),
                c.pre,
                &format!("must be < {n_pre} (size of '{}')", pre_pop.name),
            ));
        }
        if c.post >= n_post {
            return Err(invalid(
                f("post"),
                c.post,
                &format!("must be < {n_post} (size of '{}')", post_pop.name),
            ));
        }
        check_finite(|| f("weight"), c.weight)?;
        check_sign(&f("weight"), (c.weight, c.weight), receptor)?;
        check_finite(|| f("delay_ms"), c.delay_ms)?;
    }
    Ok(())
}

/// Checks that `p` is a probability.
fn check_probability(field: &str, p: f64) -> Result<()> {
    if p.is_finite() && (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(invalid(field, p, "must be a probability in [0, 1]"))
    }
}

/// Checks that weights in `[low, high]` have the sign the receptor expects.
pub(super) fn check_sign(field: &str, (low, high): (f64, f64), receptor: Receptor) -> Result<()> {
    match receptor {
        Receptor::Excitatory if low < 0.0 => Err(invalid(
            field,
            crate::error::shown_bound(low),
            "an excitatory projection needs weights >= 0 (use Receptor::Inhibitory for negative weights)",
        )),
        Receptor::Inhibitory if high > 0.0 => Err(invalid(
            field,
            crate::error::shown_bound(high),
            "an inhibitory projection needs weights <= 0 (the sign selects the port; conductance models add the magnitude)",
        )),
        _ => Ok(()),
    }
}

//! The projections phase: connectivity, weights and delays in the post-synaptic model's units,
//! and plasticity with its optional reward modulation.

use toml::Spanned;

use super::schema::{
    FileConnectivity, FileModulation, FilePlasticity, FileProjection, FileShortTerm, Raw, ShortTermU,
};
use super::{Build, Dim, Loader};
use crate::error::Result;
use crate::model::plasticity::{ModulatorChannel, Pairing, RewardModulation, StdpParams, WeightDependence};
use crate::model::short_term::TsodyksMarkram;
use crate::model::stochastic::ReleaseProbability;
use crate::model::{Connection, Connectivity, ProjectionId, WeightDist};

impl Build<'_> {
    /// Adds projection `i`, with its plasticity; returns its handle.
    pub(super) fn projection(&mut self, i: usize, sp: &Spanned<FileProjection>) -> Result<ProjectionId> {
        let p = sp.get_ref();
        let what = format!("projection[{i}]");
        let (pre, _) = self.find(&p.pre, &format!("{what}.pre"))?;
        let (post, post_model) = self.find(&p.post, &format!("{what}.post"))?;
        let receptor = self.loader.receptor(&p.receptor, &format!("{what}.receptor"))?;
        let connectivity = self.loader.connectivity(&p.connectivity, &what)?;
        let multapses = p.connectivity.multapses;
        if let Some(why) = multapses.and_then(|allow| connectivity.multapses_refusal(allow)) {
            let field = format!("{what}.connectivity.multapses");
            return self.loader.err(p.connectivity.rule.span(), &field, why);
        }
        let explicit = matches!(connectivity, Connectivity::Explicit(_));
        let weight_unit = post_model.weight_unit();
        let weight = match &p.weight {
            Some(w) => self.loader.dist(w, &format!("{what}.weight"), weight_unit)?,
            None if explicit => WeightDist::Constant(0.0),
            None => {
                return self
                    .loader
                    .err(sp.span(), &what, "missing required field 'weight'");
            }
        };
        let delay = match &p.delay {
            Some(d) => self.loader.dist(d, &format!("{what}.delay"), Dim::Time)?,
            None if explicit => WeightDist::Constant(self.dt),
            None => {
                return self
                    .loader
                    .err(sp.span(), &what, "missing required field 'delay'");
            }
        };
        let id = self
            .builder
            .projection(pre, post, connectivity, weight, delay, receptor)?;
        if p.procedural {
            self.builder.procedural(id)?;
        }
        if let Some(allow) = multapses {
            self.builder.multapses(id, allow)?;
        }
        if let Some(sp) = &p.plasticity {
            let what = format!("{what}.plasticity");
            let mut rule = self.loader.plasticity(sp, &what, weight_unit)?;
            if let Some(m) = &sp.get_ref().modulation {
                rule.modulation = Some(self.modulation(m.get_ref(), &format!("{what}.modulation"))?);
            }
            self.builder.plasticity(id, rule)?;
        }
        if let Some(st) = &p.short_term {
            let tm = self.short_term(st.get_ref(), &format!("{what}.short_term"))?;
            match &st.get_ref().u {
                ShortTermU::One(_) => self.builder.short_term(id, tm)?,
                ShortTermU::PerSynapse(u) => self.builder.short_term_per_synapse(id, tm, u.clone())?,
            }
        }
        if let Some(rp) = &p.release_probability {
            let release = self.release(rp, &format!("{what}.release_probability"))?;
            self.builder.release_probability(id, release)?;
        }
        Ok(id)
    }

    /// A release probability: a number, or rows of numbers (one row per pre-synaptic
    /// neuron, one value per post-synaptic one); the builder checks ranges and shape.
    fn release(&self, raw: &Spanned<toml::Value>, what: &str) -> Result<ReleaseProbability> {
        let number = |v: &toml::Value| match v {
            toml::Value::Float(f) => Some(*f),
            toml::Value::Integer(i) => Some(*i as f64),
            _ => None,
        };
        let expected =
            "a probability in [0, 1], or an array of rows of them (one row per pre-synaptic neuron)";
        if let Some(p) = number(raw.get_ref()) {
            return Ok(ReleaseProbability::Uniform(p));
        }
        let toml::Value::Array(rows) = raw.get_ref() else {
            return self.loader.err(raw.span(), what, expected);
        };
        let mut values = Vec::with_capacity(rows.len());
        for row in rows {
            let toml::Value::Array(row) = row else {
                return self.loader.err(raw.span(), what, expected);
            };
            match row.iter().map(number).collect::<Option<Vec<f64>>>() {
                Some(r) => values.push(r),
                None => return self.loader.err(raw.span(), what, expected),
            }
        }
        Ok(ReleaseProbability::PerPair(values))
    }

    /// Tsodyks-Markram parameters (the builder checks their ranges).
    fn short_term(&self, s: &FileShortTerm, what: &str) -> Result<TsodyksMarkram> {
        let time = |raw: &Spanned<Raw>, key: &str| {
            self.loader
                .quantity(raw, &format!("{what}.{key}"), Dim::Time, None)
        };
        Ok(TsodyksMarkram {
            u: match &s.u {
                ShortTermU::One(u) => *u,
                ShortTermU::PerSynapse(u) => u.first().copied().unwrap_or(1.0),
            },
            tau_rec_ms: time(&s.tau_rec, "tau_rec")?,
            tau_facil_ms: match &s.tau_facil {
                Some(raw) => time(raw, "tau_facil")?,
                None => 0.0,
            },
        })
    }

    /// Reward modulation of a plastic projection.
    fn modulation(&self, m: &FileModulation, what: &str) -> Result<RewardModulation> {
        Ok(RewardModulation {
            tau_eligibility_ms: self.loader.quantity(
                &m.tau_eligibility,
                &format!("{what}.tau_eligibility"),
                Dim::Time,
                None,
            )?,
            update_interval_ms: match &m.interval {
                Some(i) => self
                    .loader
                    .quantity(i, &format!("{what}.interval"), Dim::Time, None)?,
                None => self.dt,
            },
            channel: match &m.channel {
                Some(c) => self.channel(c, &format!("{what}.channel"))?,
                None => ModulatorChannel::Global,
            },
        })
    }
}

impl Loader<'_> {
    /// The connectivity rule with the fields it needs.
    fn connectivity(&self, c: &FileConnectivity, what: &str) -> Result<Connectivity> {
        let need = |x: Option<f64>, name: &str| -> Result<f64> {
            x.map_or_else(
                || {
                    self.err(
                        c.rule.span(),
                        &format!("{what}.connectivity"),
                        format!("this rule needs '{name}'"),
                    )
                },
                Ok,
            )
        };
        Ok(match c.rule.get_ref().as_str() {
            "fixed_probability" => Connectivity::FixedProbability {
                p: need(c.p, "p")?,
                autapses: c.autapses,
            },
            "fixed_indegree" => Connectivity::FixedInDegree {
                k: need(c.k.map(f64::from), "k")? as u32,
                autapses: c.autapses,
            },
            "fixed_outdegree" => Connectivity::FixedOutDegree {
                k: need(c.k.map(f64::from), "k")? as u32,
                autapses: c.autapses,
            },
            "fixed_total" => Connectivity::FixedTotal {
                n: need(c.n.map(|n| n as f64), "n")? as u64,
                autapses: c.autapses,
            },
            "one_to_one" => Connectivity::OneToOne,
            "all_to_all" => Connectivity::AllToAll { autapses: c.autapses },
            "gaussian" => Connectivity::DistanceGaussian {
                p0: need(c.p0, "p0")?,
                sigma: need(c.sigma, "sigma")?,
                autapses: c.autapses,
            },
            "explicit" => Connectivity::Explicit(self.explicit_connections(c, what)?),
            _ => {
                return self.err(
                    c.rule.span(),
                    &format!("{what}.connectivity.rule"),
                    "known rules: fixed_probability, fixed_indegree, fixed_outdegree, fixed_total, one_to_one, all_to_all, gaussian, explicit",
                );
            }
        })
    }

    /// The `connections` list of the explicit rule.
    fn explicit_connections(&self, c: &FileConnectivity, what: &str) -> Result<Vec<Connection>> {
        let Some(list) = &c.connections else {
            return self.err(
                c.rule.span(),
                &format!("{what}.connectivity"),
                "this rule needs 'connections'",
            );
        };
        Ok(list
            .iter()
            .map(|&(pre, post, weight, delay_ms)| Connection {
                pre,
                post,
                weight,
                delay_ms,
            })
            .collect())
    }

    /// An STDP rule: a named rule, then the fields the file overrides; weights in `weight`.
    fn plasticity(&self, sp: &Spanned<FilePlasticity>, what: &str, weight: Dim) -> Result<StdpParams> {
        let f = sp.get_ref();
        let w_max = self.quantity(&f.w_max, &format!("{what}.w_max"), weight, None)?;
        let w_min = f
            .w_min
            .as_ref()
            .map(|w| self.quantity(w, &format!("{what}.w_min"), weight, None))
            .transpose()?
            .unwrap_or(0.0);
        let mut rule = match f.rule.get_ref().as_str() {
            "pair" => StdpParams::pair(20.0, 20.0, 0.01, 0.0105, w_min, w_max),
            "triplet_visual_cortex" => StdpParams::triplet_visual_cortex(w_min, w_max),
            "triplet_hippocampal" => StdpParams::triplet_hippocampal(w_min, w_max),
            _ => {
                return self.err(
                    f.rule.span(),
                    &format!("{what}.rule"),
                    "known rules: pair, triplet_visual_cortex, triplet_hippocampal",
                );
            }
        };
        let time = |x: &Option<Spanned<Raw>>, name: &str, into: &mut f64| -> Result<()> {
            if let Some(v) = x {
                *into = self.quantity(v, &format!("{what}.{name}"), Dim::Time, None)?;
            }
            Ok(())
        };
        time(&f.tau_plus, "tau_plus", &mut rule.tau_plus_ms)?;
        time(&f.tau_minus, "tau_minus", &mut rule.tau_minus_ms)?;
        time(&f.tau_x, "tau_x", &mut rule.tau_x_ms)?;
        time(&f.tau_y, "tau_y", &mut rule.tau_y_ms)?;
        for (x, into) in [
            (f.a2_plus, &mut rule.a2_plus),
            (f.a2_minus, &mut rule.a2_minus),
            (f.a3_plus, &mut rule.a3_plus),
            (f.a3_minus, &mut rule.a3_minus),
        ] {
            if let Some(x) = x {
                *into = x;
            }
        }
        self.pairing_and_dependence(f, what, &mut rule)?;
        if let Some(x) = f.dendritic_fraction {
            rule.dendritic_fraction = x;
        }
        Ok(rule)
    }

    /// The `pairing` and `dependence` keywords of an STDP rule.
    fn pairing_and_dependence(&self, f: &FilePlasticity, what: &str, rule: &mut StdpParams) -> Result<()> {
        if let Some(p) = &f.pairing {
            rule.pairing = match p.get_ref().as_str() {
                "all_to_all" => Pairing::AllToAll,
                "nearest" => Pairing::Nearest,
                _ => {
                    return self.err(
                        p.span(),
                        &format!("{what}.pairing"),
                        "must be all_to_all or nearest",
                    );
                }
            };
        }
        if let Some(d) = &f.dependence {
            rule.dependence = match d.get_ref().as_str() {
                "additive" => WeightDependence::Additive,
                "multiplicative" => WeightDependence::Multiplicative,
                "power_law" => WeightDependence::PowerLaw {
                    mu: f.mu.unwrap_or(0.5),
                },
                _ => {
                    return self.err(
                        d.span(),
                        &format!("{what}.dependence"),
                        "must be additive, multiplicative or power_law",
                    );
                }
            };
        }
        Ok(())
    }
}

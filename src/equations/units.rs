//! Physical dimensions and the unit names a neuroscientist writes, with their exact scale to
//! the canonical units the engine computes in (ms, mV, pA, hence nS, pF and 1/ms).

use std::fmt;

/// Number of SI base dimensions: length, mass, time, current, temperature, amount, luminosity.
const BASES: usize = 7;

/// Exponents of the SI base dimensions, counted in halves so that `sqrt` of a time (the unit
/// of Brian2's `xi`) is representable: `[length, mass, time, current, temperature, amount,
/// luminosity]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Dim([i16; BASES]);

/// Power of ten of the canonical unit of each base dimension, relative to SI: micrometre,
/// 1e-12 kg (so that the volt becomes the millivolt), millisecond, picoampere.
const CANONICAL_EXP10: [i32; BASES] = [-6, -12, -3, -12, 0, 0, 0];

impl Dim {
    /// No dimension.
    pub const ONE: Dim = Dim([0; BASES]);
    /// Time.
    pub const TIME: Dim = Dim([0, 0, 2, 0, 0, 0, 0]);
    /// Voltage (kg m^2 s^-3 A^-1).
    pub const VOLTAGE: Dim = Dim([4, 2, -6, -2, 0, 0, 0]);
    /// Current.
    pub const CURRENT: Dim = Dim([0, 0, 0, 2, 0, 0, 0]);

    const fn base(index: usize) -> Dim {
        let mut e = [0; BASES];
        e[index] = 2;
        Dim(e)
    }

    /// Whether this is the dimension of a pure number.
    pub fn is_one(self) -> bool {
        self == Dim::ONE
    }

    /// Product of two dimensions.
    pub fn mul(self, other: Dim) -> Dim {
        Dim(std::array::from_fn(|i| self.0[i] + other.0[i]))
    }

    /// Quotient of two dimensions.
    pub fn div(self, other: Dim) -> Dim {
        Dim(std::array::from_fn(|i| self.0[i] - other.0[i]))
    }

    /// The dimension raised to `halves / 2`, if every exponent stays a multiple of one half.
    pub fn pow_halves(self, halves: i32) -> Option<Dim> {
        let mut out = [0i16; BASES];
        for (o, &e) in out.iter_mut().zip(&self.0) {
            let twice = i32::from(e) * halves;
            if twice % 2 != 0 {
                return None;
            }
            *o = i16::try_from(twice / 2).ok()?;
        }
        Some(Dim(out))
    }

    /// Power of ten (in halves) that converts a value in SI units of this dimension to the
    /// canonical units: `canonical = si * 10^(-exp10_halves / 2)`.
    fn canonical_exp10_halves(self) -> i32 {
        self.0
            .iter()
            .zip(CANONICAL_EXP10)
            .map(|(&e, c)| i32::from(e) * c)
            .sum()
    }
}

/// A unit: a dimension and its size as a power of ten of the canonical unit of that
/// dimension (`mV` is 10^0, `V` is 10^3, `Mohm` is 10^-3 of the canonical gigaohm).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unit {
    /// The dimension.
    pub dim: Dim,
    /// Its size in canonical units, as a power of ten.
    pub exp10: i32,
}

/// Multiplies `value` by `10^exp10` with a single rounding (powers of ten up to 1e22 are
/// exact in f64, and a division by an exact power is correctly rounded).
pub fn scale_pow10(value: f64, exp10: i32) -> f64 {
    if exp10 >= 0 {
        value * 10f64.powi(exp10)
    } else {
        value / 10f64.powi(-exp10)
    }
}

/// Where a unit name may be used: single-letter units (`V`, `s`, `A`, `S`, `F`) would take
/// names that models use for variables, so, as in Brian2, equations do not know them; they
/// are accepted in quantity strings and unit annotations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitContext {
    /// Inside equations, conditions and statements.
    Expression,
    /// In a quantity string (`"10 ms"`) or after the colon of an equation.
    Quantity,
}

/// Base units: (short name, long names, dimension, power of ten of the unit in SI).
struct BaseUnit {
    short: &'static str,
    long: &'static [&'static str],
    dim: Dim,
    si_exp10: i32,
}

fn base_units() -> [BaseUnit; 12] {
    let length = Dim::base(0);
    let time = Dim::TIME;
    let current = Dim::CURRENT;
    let voltage = Dim::VOLTAGE;
    let conductance = current.div(voltage);
    let volume = length.mul(length).mul(length);
    let amount = Dim::base(5);
    [
        BaseUnit {
            short: "V",
            long: &["volt"],
            dim: voltage,
            si_exp10: 0,
        },
        BaseUnit {
            short: "A",
            long: &["amp", "ampere"],
            dim: current,
            si_exp10: 0,
        },
        BaseUnit {
            short: "s",
            long: &["second"],
            dim: time,
            si_exp10: 0,
        },
        BaseUnit {
            short: "S",
            long: &["siemens"],
            dim: conductance,
            si_exp10: 0,
        },
        BaseUnit {
            short: "F",
            long: &["farad"],
            dim: current.mul(time).div(voltage),
            si_exp10: 0,
        },
        BaseUnit {
            short: "ohm",
            long: &["ohm"],
            dim: voltage.div(current),
            si_exp10: 0,
        },
        BaseUnit {
            short: "Hz",
            long: &["hertz"],
            dim: Dim::ONE.div(time),
            si_exp10: 0,
        },
        BaseUnit {
            short: "m",
            long: &["metre", "meter"],
            dim: length,
            si_exp10: 0,
        },
        BaseUnit {
            short: "C",
            long: &["coulomb"],
            dim: current.mul(time),
            si_exp10: 0,
        },
        BaseUnit {
            short: "g",
            long: &["gram"],
            dim: Dim::base(1),
            si_exp10: -3,
        },
        BaseUnit {
            short: "mol",
            long: &["mole"],
            dim: amount,
            si_exp10: 0,
        },
        BaseUnit {
            short: "M",
            long: &["molar"],
            dim: amount.div(volume),
            si_exp10: 3,
        },
    ]
}

const PREFIXES: [(&str, i32); 10] = [
    ("f", -15),
    ("p", -12),
    ("n", -9),
    ("u", -6),
    ("m", -3),
    ("c", -2),
    ("k", 3),
    ("M", 6),
    ("G", 9),
    ("", 0),
];

/// Short names that would shadow common variable names or read ambiguously; they are only
/// known in quantity strings (`C`, `M`, `g`, `m` never, as in Brian2).
fn short_allowed(base: &str, prefix: &str, context: UnitContext) -> bool {
    match (base, prefix) {
        ("C" | "M" | "g" | "m" | "mol", "") => false,
        ("V" | "A" | "s" | "S" | "F", "") => context == UnitContext::Quantity,
        ("C", _) => false,
        // Centi only for lengths; "cm" but not "cs" or "cV".
        (b, "c") => b == "m",
        ("mol", p) => matches!(p, "m" | "u" | "n"),
        ("M", p) => matches!(p, "m" | "u" | "n"),
        _ => true,
    }
}

/// The unit called `name`, if any. Lengths also come squared or cubed (`cm2`, `um3`), as in
/// Brian2.
pub fn lookup(name: &str, context: UnitContext) -> Option<Unit> {
    let (stem, power) = match name.strip_suffix('2').or_else(|| name.strip_suffix('3')) {
        Some(stem) => (stem, if name.ends_with('2') { 2 } else { 3 }),
        None => (name, 1),
    };
    for base in base_units() {
        for (prefix, p10) in PREFIXES {
            let short = stem.strip_prefix(prefix).is_some_and(|rest| rest == base.short)
                && short_allowed(base.short, prefix, context);
            let long = base.long.iter().any(|l| stem.strip_prefix(prefix) == Some(l));
            if !(short || long) {
                continue;
            }
            let is_length = base.short == "m";
            if power != 1 && !is_length {
                continue;
            }
            let dim = base.dim.pow_halves(2 * power)?;
            let si_exp10 = (base.si_exp10 + p10) * power;
            // The canonical conversion of a unit is always an integer power of ten: every
            // base unit has integer exponents.
            let exp10 = si_exp10 - dim.canonical_exp10_halves() / 2;
            return Some(Unit { dim, exp10 });
        }
    }
    None
}

/// Whether `name` is a unit in equations (so that it cannot name a variable; the
/// single-letter units of quantity strings, such as `s`, stay free for variables).
pub fn is_unit_name(name: &str) -> bool {
    lookup(name, UnitContext::Expression).is_some()
}

/// Named dimensions used to print a dimension readably.
fn named_dims() -> Vec<(&'static str, Dim)> {
    let mut named: Vec<(&'static str, Dim)> = base_units()
        .iter()
        .filter(|b| !matches!(b.short, "g" | "mol" | "M" | "C"))
        .map(|b| (b.short, b.dim))
        .collect();
    named.push(("kg", Dim::base(1)));
    named
}

impl fmt::Display for Dim {
    /// SI form: `V`, `V/s`, `A/m^2`, or base units with exponents.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_one() {
            return write!(f, "1 (dimensionless)");
        }
        let whole = self.0.iter().all(|e| e % 2 == 0);
        let named = if whole { named_dims() } else { Vec::new() };
        if let Some((name, _)) = named.iter().find(|(_, d)| d == self) {
            return write!(f, "{name}");
        }
        // A named unit times or over another: `V/s`, `1/V`, then squares: `S/m^2`.
        let mut with_one = vec![("1", Dim::ONE)];
        with_one.extend(named.iter().copied());
        for halves in [[2, -2], [4, -4]] {
            for &(name, dim) in &with_one {
                for &(other, odim) in &named {
                    for h in halves {
                        let skip = other == name || (name == "1" && h > 0);
                        if let Some(p) = odim.pow_halves(h)
                            && !skip
                            && dim.mul(p) == *self
                        {
                            return write!(f, "{name}{}", power_suffix(other, h));
                        }
                    }
                }
            }
        }
        let names = ["m", "kg", "s", "A", "K", "mol", "cd"];
        let parts: Vec<String> = self
            .0
            .iter()
            .zip(names)
            .filter(|(e, _)| **e != 0)
            .map(|(&e, n)| {
                if e == 2 {
                    n.to_string()
                } else if e % 2 == 0 {
                    format!("{n}^{}", e / 2)
                } else {
                    format!("{n}^({}/2)", e)
                }
            })
            .collect();
        write!(f, "{}", parts.join(" "))
    }
}

fn power_suffix(name: &str, halves: i32) -> String {
    match halves {
        2 => format!(" {name}"),
        -2 => format!("/{name}"),
        4 => format!(" {name}^2"),
        _ => format!("/{name}^2"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_canonical_units_are_ms_mv_pa_ns_pf() {
        let q = |n| lookup(n, UnitContext::Quantity).unwrap();
        assert_eq!(q("ms").exp10, 0);
        assert_eq!(q("mV").exp10, 0);
        assert_eq!(q("pA").exp10, 0);
        assert_eq!(q("nS").exp10, 0);
        assert_eq!(q("pF").exp10, 0);
        assert_eq!(q("s").exp10, 3);
        assert_eq!(q("V").exp10, 3);
        assert_eq!(q("nA").exp10, 3);
        assert_eq!(q("uS").exp10, 3);
        assert_eq!(q("Mohm").exp10, -3);
        assert_eq!(q("Gohm").exp10, 0);
        assert_eq!(q("Hz").exp10, -3);
        assert_eq!(q("kHz").exp10, 0);
        assert_eq!(q("um2").exp10, 0);
        assert_eq!(q("cm2").exp10, 8);
        assert_eq!(q("mvolt"), q("mV"));
        assert_eq!(q("pamp"), q("pA"));
        assert_eq!(q("nS").dim.mul(q("mV").dim), q("pA").dim);
    }

    #[test]
    fn single_letter_units_are_only_known_in_quantities() {
        assert!(lookup("s", UnitContext::Expression).is_none());
        assert!(lookup("V", UnitContext::Expression).is_none());
        assert!(lookup("s", UnitContext::Quantity).is_some());
        assert!(lookup("m", UnitContext::Quantity).is_none());
        assert!(lookup("h", UnitContext::Quantity).is_none());
        assert!(lookup("n", UnitContext::Quantity).is_none());
    }

    #[test]
    fn dimensions_print_in_si_form() {
        let q = |n| lookup(n, UnitContext::Quantity).unwrap().dim;
        assert_eq!(q("mV").to_string(), "V");
        assert_eq!(q("mV").div(q("ms")).to_string(), "V/s");
        assert_eq!(q("nS").div(q("cm2")).to_string(), "S/m^2");
        assert_eq!(
            Dim::ONE.div(Dim::TIME).pow_halves(1).unwrap().to_string(),
            "s^(-1/2)"
        );
    }
}

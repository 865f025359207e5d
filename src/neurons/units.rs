//! Physical dimensions of model parameters and state, their canonical units and the units a
//! model file may write them in.

/// Physical dimension of a parameter, a state variable or a model-file field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dim {
    /// Canonical unit ms.
    Time,
    /// Canonical unit mV.
    Voltage,
    /// Canonical unit nS.
    Conductance,
    /// Canonical unit pA.
    Current,
    /// Canonical unit pF.
    Capacitance,
    /// Canonical unit Hz.
    Rate,
    /// Canonical unit MOhm.
    Resistance,
    /// No unit.
    None,
}

impl Dim {
    /// The dimensions that have a unit.
    const WITH_UNIT: [Dim; 7] = [
        Dim::Time,
        Dim::Voltage,
        Dim::Conductance,
        Dim::Current,
        Dim::Capacitance,
        Dim::Rate,
        Dim::Resistance,
    ];

    /// The canonical unit: what a bare number means and what the Rust field holds.
    pub fn canonical(self) -> &'static str {
        match self {
            Dim::Time => "ms",
            Dim::Voltage => "mV",
            Dim::Conductance => "nS",
            Dim::Current => "pA",
            Dim::Capacitance => "pF",
            Dim::Rate => "Hz",
            Dim::Resistance => "MOhm",
            Dim::None => "(no unit)",
        }
    }

    /// The dimension in words, for error messages.
    pub fn name(self) -> &'static str {
        match self {
            Dim::Time => "time",
            Dim::Voltage => "voltage",
            Dim::Conductance => "conductance",
            Dim::Current => "current",
            Dim::Capacitance => "capacitance",
            Dim::Rate => "rate",
            Dim::Resistance => "resistance",
            Dim::None => "plain number",
        }
    }

    /// Factor from `unit` to the canonical unit, or `None` if `unit` is not of this dimension.
    pub fn factor(self, unit: &str) -> Option<f64> {
        self.units().iter().find(|(u, _)| *u == unit).map(|(_, f)| *f)
    }

    /// The units of this dimension a model file may write, with their factors to the
    /// canonical unit.
    pub fn units(self) -> &'static [(&'static str, f64)] {
        match self {
            Dim::Time => &[("ms", 1.0), ("s", 1000.0), ("us", 1e-3), ("min", 60_000.0)],
            Dim::Voltage => &[("mV", 1.0), ("V", 1000.0), ("uV", 1e-3)],
            Dim::Conductance => &[("nS", 1.0), ("uS", 1e3), ("mS", 1e6), ("pS", 1e-3), ("S", 1e9)],
            Dim::Current => &[("pA", 1.0), ("nA", 1e3), ("uA", 1e6), ("fA", 1e-3)],
            Dim::Capacitance => &[("pF", 1.0), ("nF", 1e3), ("uF", 1e6)],
            Dim::Rate => &[("Hz", 1.0), ("kHz", 1e3)],
            Dim::Resistance => &[("MOhm", 1.0), ("GOhm", 1e3), ("kOhm", 1e-3), ("Ohm", 1e-6)],
            Dim::None => &[("", 1.0)],
        }
    }

    /// The factor of the unit a key suffix names in this dimension, letters compared without
    /// case (`us` is microseconds for a time, microsiemens for a conductance).
    pub fn suffix_factor(self, suffix: &str) -> Option<f64> {
        Self::WITH_UNIT
            .contains(&self)
            .then(|| self.units().iter().find(|(u, _)| u.eq_ignore_ascii_case(suffix)))
            .flatten()
            .map(|(_, f)| *f)
    }

    /// Whether `suffix` names a unit of some dimension (letters compared without case).
    pub fn is_unit_suffix(suffix: &str) -> bool {
        Self::WITH_UNIT.iter().any(|d| d.suffix_factor(suffix).is_some())
    }

    /// The dimension and factor a lower-case key suffix names (`ms` -> Time, 1).
    pub fn of_suffix(suffix: &str) -> Option<(Dim, f64)> {
        let unit = match suffix {
            "ms" => "ms",
            "s" => "s",
            "us" => "us",
            "mv" => "mV",
            "v" => "V",
            "ns" => "nS",
            "ps" => "pS",
            "pa" => "pA",
            "na" => "nA",
            "pf" => "pF",
            "nf" => "nF",
            "hz" => "Hz",
            "khz" => "kHz",
            _ => return None,
        };
        Self::WITH_UNIT
            .into_iter()
            .find_map(|d| d.factor(unit).map(|f| (d, f)))
    }
}

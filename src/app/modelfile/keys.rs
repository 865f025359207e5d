//! The keys each table of a model file accepts, read from the loader's own serde structs (their
//! field names with aliases), so that `app::reference` can be checked against what the loader
//! really takes.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::schema::{
    DistTable, FileConnectivity, FileCurrent, FileEncoder, FileModel, FileModulation, FileNeuromodulator,
    FilePlasticity, FilePoisson, FilePopulation, FilePositions, FileProbe, FileProjection, FileRateRecord,
    FileRecord, FileSeeds, FileShortTerm, FileSpikeRecord, LogNormalSpec, NormalSpec,
};

/// The keys of a `[[neuron_model]]` table, read by `equations::ModelDefinition::from_toml`
/// (not a serde struct; a test checks this list against that reader's message).
pub const NEURON_MODEL_KEYS: &[&str] = &[
    "name",
    "equations",
    "threshold",
    "reset",
    "refractory",
    "method",
    "update",
    "params",
    "inputs",
    "initial",
];

/// Every table of a model file, as its path is written (`projection.connectivity`), with the
/// keys it accepts, aliases included.
pub fn tables() -> Vec<(&'static str, &'static [&'static str])> {
    vec![
        ("", fields_of::<FileModel>()),
        ("seed", fields_of::<FileSeeds>()),
        ("population", fields_of::<FilePopulation>()),
        ("population.positions", fields_of::<FilePositions>()),
        ("encoder", fields_of::<FileEncoder>()),
        ("projection", fields_of::<FileProjection>()),
        ("projection.connectivity", fields_of::<FileConnectivity>()),
        ("projection.plasticity", fields_of::<FilePlasticity>()),
        ("projection.plasticity.modulation", fields_of::<FileModulation>()),
        ("projection.short_term", fields_of::<FileShortTerm>()),
        ("poisson", fields_of::<FilePoisson>()),
        ("current", fields_of::<FileCurrent>()),
        ("neuromodulator", fields_of::<FileNeuromodulator>()),
        ("record", fields_of::<FileRecord>()),
        ("record.spikes", fields_of::<FileSpikeRecord>()),
        ("record.rates", fields_of::<FileRateRecord>()),
        ("record.state", fields_of::<FileProbe>()),
        ("distribution", fields_of::<DistTable>()),
        ("distribution.normal", fields_of::<NormalSpec>()),
        ("distribution.lognormal", fields_of::<LogNormalSpec>()),
        ("neuron_model", NEURON_MODEL_KEYS),
    ]
}

/// The field names (with aliases) serde's derive gives `T`'s table.
fn fields_of<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    // The grab stops at the struct's field list, so the result is always an error.
    let _ = T::deserialize(FieldGrab(&mut fields));
    fields
}

/// A deserializer that only records the field list a struct asks for.
struct FieldGrab<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for FieldGrab<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("only a struct's field list is read"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("field list read"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

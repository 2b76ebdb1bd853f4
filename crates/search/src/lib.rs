//! Person matching for Bluelamp search and duplicate detection: the pure part.
//!
//! Apart from [`index`], nothing here does I/O or reads the clock: these are the functions
//! a search API and a duplicate scan are built from.
//!
//! - [`normalise`]: folding names to comparable forms (case, accents, transliteration,
//!   apostrophes, particles, double-barrelled surnames).
//! - [`phonetic`]: American Soundex and Double Metaphone.
//! - [`similarity`]: Jaro-Winkler and Damerau-Levenshtein (optimal string alignment) for
//!   typo tolerance.
//! - [`variants`]: the shipped given-name variant table (Bill/William, Peggy/Margaret,
//!   Sean/John, Mohammed/Muhammad, ...).
//! - [`dob`]: comparing dates of birth (exact, partial, transposed) and matching them
//!   against a date-of-birth query (date, year, month, range, age at a date).
//! - [`features`] and [`score`]: the Fellegi-Sunter match model, its per-field
//!   explanation, and the blocking keys that let a duplicate scan scale.
//! - [`encoding`]: the match features' compact stored form, kept in the index.
//! - [`dedupe`]: the pairwise scan over blocks, and precision, recall and F1 against a
//!   labelled set.
//! - [`query`]: reading the search box (names, dates of birth, postcodes, registrations,
//!   phone numbers, identifiers, words).
//! - [`index`]: the tantivy index those are matched in, with the need-to-know pre-filter
//!   inside it; the one part of this crate that does I/O.

pub mod dedupe;
pub mod dob;
pub mod encoding;
pub mod features;
pub mod index;
pub mod normalise;
pub mod phonetic;
pub mod query;
pub mod score;
pub mod similarity;
mod union;
pub mod variants;

pub use dob::{DobAgreement, DobQuery, DobQueryMatch, compare_dob, matches_query};
pub use features::{NameFeatures, PersonFeatures};
pub use normalise::{fold, name_tokens, surname_keys};
pub use phonetic::{double_metaphone, soundex};
pub use score::{
    DEFAULT_THRESHOLD, FieldScore, Frequencies, MatchScore, blocking_keys, score, score_with,
};
pub use variants::{are_variants, variant_groups};

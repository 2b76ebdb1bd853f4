//! POLE entities and their inputs.
pub mod input;

//! The bundled reference tables the generator draws from: names, places, objects and event
//! scenarios. Plain data; the generator decides how to combine them.

pub mod events;
pub mod names;
pub mod objects;
pub mod places;
pub mod surnames;

//! Use cases: what a person can do with Bluelamp, one module per business area. A use case
//! takes a [`Caller`] (who, from where), checks the input against the domain rules, and
//! writes through the store in one audited change; reads are consultations, audited too.
//!
//! This crate never touches a database, HTTP or HTML directly: it speaks to the store
//! through its port and is called by the web and CLI edges.

pub mod diff;
pub mod error;
pub mod pole;

pub use error::AppError;
pub use pole::{PoleService, RecordInput};

use bluelamp_domain::{Actor, AuditAction, AuditEntry, Clock, RequestContext};
use std::sync::Arc;

/// Who is acting and where the request came from. Today the web edge supplies a fixed demo
/// identity; the Security issue replaces it with the signed-in user, and adds clearance,
/// compartments and roles here for the authorisation checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    pub actor: Actor,
    pub context: RequestContext,
    /// Which edge acted: `bluelamp-web`, `bluelamp-api`, `bluelamp-cli`.
    pub service: &'static str,
}

impl Caller {
    pub fn audit(&self, clock: &Arc<dyn Clock>, action: AuditAction) -> AuditEntry {
        AuditEntry::new(
            clock.now(),
            self.actor.clone(),
            action,
            self.service,
            self.context.clone(),
        )
    }
}

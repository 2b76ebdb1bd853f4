//! Use cases: what a person can do with Bluelamp, one module per business area. A use case
//! takes a [`Caller`] (who, from where), checks the input against the domain rules, and
//! writes through the store in one audited change; reads are consultations, audited too.
//!
//! This crate never touches a database, HTTP or HTML directly: it speaks to the store
//! through its port and is called by the web and CLI edges.

pub mod access;
pub mod audit_log;
pub mod audit_trail;
pub mod break_glass;
pub mod custody;
pub mod diff;
pub mod duplicates;
pub mod error;
pub mod identity;
pub mod merge;
pub mod monitoring;
pub mod passkeys;
pub mod pole;
pub mod search;
pub mod secrets;
pub mod sso;
pub mod totp;

pub use access::Access;
pub use custody::CustodyService;
pub use error::AppError;
pub use pole::{PoleService, RecordInput};

use bluelamp_domain::{Actor, AuditAction, AuditEntry, Clock, Principal, RequestContext};
use std::sync::Arc;

/// On whose authority a use case runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Authority {
    /// A signed-in person: every action is decided by the policies for them.
    User(Principal),
    /// A process acting on an operator's command on the server itself (`bluelamp
    /// demo-data`, a migration): not subject to need to know, still audited. The web edge
    /// never builds one.
    System(&'static str),
}

/// Who is acting and where the request came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    pub authority: Authority,
    pub context: RequestContext,
    /// Which edge acted: `bluelamp-web`, `bluelamp-api`, `bluelamp-cli`.
    pub service: &'static str,
    /// Approved, unexpired break-glass grants the user holds (loaded per request).
    pub grants: Vec<ActiveGrant>,
}

/// A break-glass grant in force: the user may read this one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveGrant {
    pub id: String,
    pub record_id: bluelamp_domain::RecordId,
}

impl Caller {
    pub fn user(principal: Principal, context: RequestContext, service: &'static str) -> Self {
        Self {
            authority: Authority::User(principal),
            context,
            service,
            grants: Vec::new(),
        }
    }

    /// An operator's command-line process.
    pub fn system(process: &'static str) -> Self {
        Self {
            authority: Authority::System(process),
            context: RequestContext::default(),
            service: "bluelamp-cli",
            grants: Vec::new(),
        }
    }

    pub fn principal(&self) -> Option<&Principal> {
        match &self.authority {
            Authority::User(p) => Some(p),
            Authority::System(_) => None,
        }
    }

    pub fn actor(&self) -> Actor {
        match &self.authority {
            Authority::User(p) => p.actor(),
            Authority::System(process) => Actor::system(process),
        }
    }

    pub fn audit(&self, clock: &Arc<dyn Clock>, action: AuditAction) -> AuditEntry {
        AuditEntry::new(
            clock.now(),
            self.actor(),
            action,
            self.service,
            self.context.clone(),
        )
    }
}

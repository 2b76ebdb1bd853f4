//! Black-box tests of the running application over HTTP. One test binary, so the
//! application links once.

// Test code: a failed expectation panics, which is how a test reports it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access_matrix;
mod audit_trail;
mod auditors;
mod bad_input;
mod break_glass;
mod custody;
mod duplicates;
mod helpers;
mod monitoring;
mod pages;
mod records;
mod search;
mod security;
mod sso_bearer;

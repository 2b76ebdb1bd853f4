//! `bluelamp audit feed`: the audit trail and its signed checkpoints, in Merkle log order, to
//! a monitoring centre: JSON lines on standard output, or RFC 5424 syslog messages over TCP
//! (RFC 6587 octet counting). Resumable: start from the tree size of the last checkpoint the
//! centre checked. With `follow`, it keeps sending as new records are sequenced, and after a
//! lost connection it reconnects and carries on from the first line not yet written.

use bluelamp_app::audit_trail::feed_lines;
use bluelamp_domain::{Actor, AuditAction, AuditEntry, Clock, RequestContext};
use bluelamp_store::Store;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// Where the feed goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedTarget {
    /// JSON lines on standard output.
    Stdout,
    /// Syslog over TCP to `host:port`, with this HOSTNAME in each message.
    Syslog { address: String, hostname: String },
}

#[derive(Debug, Clone)]
pub struct FeedOptions {
    pub from_leaf: i64,
    pub follow: bool,
    pub target: FeedTarget,
    /// Lines read from the store at a time.
    pub batch: u32,
    /// How long to wait for new records when following.
    pub poll: Duration,
}

/// What a finished (not following) feed sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedReport {
    pub lines: u64,
    /// The leaf to resume from next time.
    pub next_leaf: i64,
}

async fn write_lines<W: AsyncWrite + Unpin>(
    out: &mut W,
    lines: &[serde_json::Value],
    target: &FeedTarget,
) -> std::io::Result<()> {
    let mut buf = String::new();
    for l in lines {
        match target {
            FeedTarget::Stdout => {
                buf.push_str(&serde_json::to_string(l).unwrap_or_default());
                buf.push('\n');
            }
            FeedTarget::Syslog { hostname, .. } => {
                buf.push_str(&bluelamp_app::audit_trail::syslog_frame(l, hostname));
            }
        }
    }
    out.write_all(buf.as_bytes()).await?;
    out.flush().await
}

/// Sends the feed until it is caught up (or, with `follow`, until `stop` turns true).
pub async fn run(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    options: FeedOptions,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Result<FeedReport, String> {
    // Reading the trail is audited, by the operator process that does it.
    let mut entry = AuditEntry::new(
        clock.now(),
        Actor::system("audit-feed"),
        AuditAction::ReadAudit,
        "bluelamp-cli",
        RequestContext::default(),
    );
    entry.details = json!({ "feed": {
        "from_leaf": options.from_leaf,
        "follow": options.follow,
        "target": match &options.target {
            FeedTarget::Stdout => "stdout".to_string(),
            FeedTarget::Syslog { address, .. } => format!("syslog+tcp://{address}"),
        },
    }});
    store.audit_only(entry).await.map_err(|e| e.to_string())?;

    let mut next = options.from_leaf.max(0);
    let mut sent = 0u64;
    let mut stdout = tokio::io::stdout();
    let mut conn: Option<tokio::net::TcpStream> = None;
    loop {
        if *stop.borrow() {
            break;
        }
        let lines = feed_lines(store.as_ref(), next, options.batch)
            .await
            .map_err(|e| e.to_string())?;
        let last = lines
            .iter()
            .rev()
            .find_map(|l| l.get("leaf_index").and_then(serde_json::Value::as_i64));
        if let Some(last) = last {
            let written = match &options.target {
                FeedTarget::Stdout => write_lines(&mut stdout, &lines, &options.target).await,
                FeedTarget::Syslog { address, .. } => {
                    if conn.is_none() {
                        match tokio::net::TcpStream::connect(address).await {
                            Ok(c) => conn = Some(c),
                            Err(e) if options.follow => {
                                tracing::warn!(error = %e, %address, "cannot reach the syslog collector; retrying");
                                tokio::time::sleep(options.poll).await;
                                continue;
                            }
                            Err(e) => return Err(format!("cannot connect to {address}: {e}")),
                        }
                    }
                    match conn.as_mut() {
                        Some(c) => write_lines(c, &lines, &options.target).await,
                        None => Ok(()),
                    }
                }
            };
            match written {
                Ok(()) => {
                    sent += lines.len() as u64;
                    next = last + 1;
                    continue;
                }
                Err(e) if options.follow => {
                    tracing::warn!(error = %e, "the feed connection failed; resending from leaf {next}");
                    conn = None;
                    tokio::time::sleep(options.poll).await;
                    continue;
                }
                Err(e) => return Err(format!("cannot write the feed: {e}")),
            }
        }
        if !options.follow {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(options.poll) => {}
            _ = stop.changed() => {}
        }
    }
    Ok(FeedReport {
        lines: sent,
        next_leaf: next,
    })
}

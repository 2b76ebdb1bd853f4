//! The outbox relay: after commit, moves events from the outbox to the bus, oldest first,
//! and marks them delivered. Delivery is at least once: if the process stops after
//! publishing but before marking, the events go again on restart, and consumers
//! de-duplicate on `eventId`.
//!
//! A [`Sink`] is a consumer that must not miss an event (the search index): each batch is
//! handed to every sink, and only when all of them say it is durable is it published to the
//! bus and marked delivered. A sink that fails leaves the batch pending, to be offered
//! again on the next round; sinks apply events idempotently, so a repeat does no harm.

use bluelamp_store::{Store, StoreError, StoreResult};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, broadcast, watch};

/// One event on the in-process bus.
#[derive(Debug, Clone)]
pub struct BusMessage {
    pub seq: i64,
    pub event_type: String,
    pub payload: Arc<Value>,
}

/// The in-process bus: every subscriber sees every event published after it subscribed.
/// A subscriber that falls more than `capacity` events behind is told it lagged and must
/// catch up from the store (the search index rebuilds; a live page reloads).
#[derive(Debug, Clone)]
pub struct Bus {
    sender: broadcast::Sender<BusMessage>,
}

impl Bus {
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Self { sender }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<BusMessage> {
        self.sender.subscribe()
    }

    fn publish(&self, msg: BusMessage) {
        // No subscribers is not an error: the outbox row is the durable copy.
        let _ = self.sender.send(msg);
    }
}

impl Default for Bus {
    fn default() -> Self {
        Self::new(4096)
    }
}

/// A consumer that must see every event: it returns only once the batch is durable on its
/// side (see the module documentation).
#[async_trait::async_trait]
pub trait Sink: Send + Sync {
    /// For logs.
    fn name(&self) -> &'static str;
    /// Takes a batch of events, oldest first.
    async fn deliver(&self, batch: &[BusMessage]) -> Result<(), String>;
}

/// Moves outbox events to the sinks and the bus.
#[derive(Clone)]
pub struct Relay {
    store: Arc<dyn Store>,
    bus: Bus,
    wake: Arc<Notify>,
    batch: u32,
    sinks: Vec<Arc<dyn Sink>>,
}

impl Relay {
    pub fn new(store: Arc<dyn Store>, bus: Bus) -> Self {
        Self {
            store,
            bus,
            wake: Arc::new(Notify::new()),
            batch: 500,
            sinks: Vec::new(),
        }
    }

    /// Adds a consumer that must see every event before it counts as delivered.
    pub fn with_sink(mut self, sink: Arc<dyn Sink>) -> Self {
        self.sinks.push(sink);
        self
    }

    /// Call after a commit that wrote outbox rows, so delivery does not wait for the poll.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Delivers everything pending now. Returns how many events were delivered.
    pub async fn drain(&self) -> StoreResult<usize> {
        let mut total = 0;
        loop {
            let pending = self.store.outbox_pending(self.batch).await?;
            if pending.is_empty() {
                return Ok(total);
            }
            let seqs: Vec<i64> = pending.iter().map(|r| r.seq).collect();
            let messages: Vec<BusMessage> = pending
                .into_iter()
                .map(|row| BusMessage {
                    seq: row.seq,
                    event_type: row.event.event_type,
                    payload: Arc::new(row.event.payload),
                })
                .collect();
            for sink in &self.sinks {
                sink.deliver(&messages).await.map_err(|e| {
                    StoreError::Unavailable(format!("{} could not take events: {e}", sink.name()))
                })?;
            }
            for msg in messages {
                self.bus.publish(msg);
            }
            self.store.outbox_mark_delivered(&seqs).await?;
            total += seqs.len();
        }
    }

    /// Deletes events delivered before `cutoff`, in slices of 10,000 with a yield between
    /// them, so the writer (and so every request) is never held for long.
    async fn prune(&self, cutoff: jiff::Timestamp) {
        let mut pruned = 0;
        loop {
            match self.store.outbox_prune(cutoff).await {
                Ok(n) => {
                    pruned += n;
                    if n < 10_000 {
                        break;
                    }
                    tokio::task::yield_now().await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not prune the outbox");
                    break;
                }
            }
        }
        if pruned > 0 {
            tracing::info!(pruned, "pruned delivered outbox events");
        }
    }

    /// Runs until `shutdown` turns true: drains when woken, and at least every `poll`
    /// (covering events committed by another node or before a crash). Once an hour it
    /// deletes events delivered more than `retain` ago (`clock` says when "now" is).
    pub async fn run(
        self,
        poll: Duration,
        retain: jiff::SignedDuration,
        clock: Arc<dyn bluelamp_domain::Clock>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut last_prune: Option<jiff::Timestamp> = None;
        loop {
            if let Err(e) = self.drain().await {
                tracing::error!(error = %e, "outbox relay could not deliver; will retry");
            }
            let now = clock.now();
            if last_prune
                .is_none_or(|t| now.duration_since(t) >= jiff::SignedDuration::from_hours(1))
            {
                last_prune = Some(now);
                self.prune(now.saturating_sub(retain).unwrap_or(now)).await;
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.changed() => {
                    // Deliver what committed before shutdown, then stop.
                    let _ = self.drain().await;
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{RecordChange, record_event};
    use bluelamp_domain::{Actor, AuditAction, AuditEntry, Marking, RecordId, RecordKind};
    use bluelamp_store::{Change, NewRecord, WriteOp};
    use bluelamp_store_sqlite::SqliteStore;

    async fn store() -> Arc<dyn Store> {
        let dir = std::env::temp_dir().join(format!("bluelamp-relay-{}", uuid::Uuid::now_v7()));
        Arc::new(SqliteStore::open(&dir.join("db")).await.unwrap())
    }

    async fn create_person(store: &Arc<dyn Store>) -> RecordId {
        let at: jiff::Timestamp = "2026-05-01T10:00:00Z".parse().unwrap();
        let id = RecordId::new_at(at);
        store
            .apply(Change {
                ops: vec![WriteOp::Insert(NewRecord {
                    id,
                    kind: RecordKind::Person,
                    marking: Marking::official(),
                    summary: "SMITH".into(),
                    subtype: None,
                    body: serde_json::json!({}),
                    link: None,
                })],
                audit: AuditEntry::new(
                    at,
                    Actor::system("test"),
                    AuditAction::Create,
                    "test",
                    Default::default(),
                ),
                events: vec![record_event(
                    id,
                    RecordKind::Person,
                    1,
                    RecordChange::Created,
                    None,
                    at,
                    None,
                )],
            })
            .await
            .unwrap();
        id
    }

    #[tokio::test]
    async fn relay_delivers_each_committed_event_once_in_order() {
        let store = store().await;
        let bus = Bus::new(16);
        let mut rx = bus.subscribe();
        let a = create_person(&store).await;
        let b = create_person(&store).await;
        let relay = Relay::new(store.clone(), bus);
        assert_eq!(relay.drain().await.unwrap(), 2);
        assert_eq!(
            relay.drain().await.unwrap(),
            0,
            "nothing is delivered twice"
        );
        let first = rx.recv().await.unwrap();
        let second = rx.recv().await.unwrap();
        assert_eq!(first.payload["additionalInformation"]["id"], a.to_string());
        assert_eq!(second.payload["additionalInformation"]["id"], b.to_string());
        assert!(first.seq < second.seq);
    }

    /// A sink that fails until told otherwise, recording what it was given.
    #[derive(Default)]
    struct Flaky {
        fail: std::sync::atomic::AtomicBool,
        seen: std::sync::Mutex<Vec<i64>>,
    }

    #[async_trait::async_trait]
    impl Sink for Flaky {
        fn name(&self) -> &'static str {
            "flaky"
        }
        async fn deliver(&self, batch: &[BusMessage]) -> Result<(), String> {
            if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
                return Err("down".into());
            }
            self.seen
                .lock()
                .unwrap()
                .extend(batch.iter().map(|m| m.seq));
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_failing_sink_keeps_events_pending_until_it_takes_them() {
        let store = store().await;
        create_person(&store).await;
        let sink = Arc::new(Flaky::default());
        sink.fail.store(true, std::sync::atomic::Ordering::SeqCst);
        let bus = Bus::new(16);
        let mut rx = bus.subscribe();
        let relay = Relay::new(store.clone(), bus).with_sink(sink.clone());
        let err = relay.drain().await.unwrap_err();
        assert!(err.to_string().contains("flaky"), "{err}");
        assert_eq!(store.outbox_pending(10).await.unwrap().len(), 1);
        assert!(
            rx.try_recv().is_err(),
            "nothing reaches the bus before the sinks"
        );
        sink.fail.store(false, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(relay.drain().await.unwrap(), 1);
        assert_eq!(sink.seen.lock().unwrap().len(), 1);
        assert!(store.outbox_pending(10).await.unwrap().is_empty());
        assert!(rx.try_recv().is_ok());
    }

    #[tokio::test]
    async fn events_committed_while_no_relay_ran_are_delivered_by_the_next() {
        // A crash between commit and delivery: the change committed, no relay ran.
        let store = store().await;
        create_person(&store).await;
        let bus = Bus::new(16);
        let mut rx = bus.subscribe();
        let relay = Relay::new(store.clone(), bus);
        let (tx, shutdown) = watch::channel(false);
        let clock: Arc<dyn bluelamp_domain::Clock> = Arc::new(bluelamp_domain::SystemClock);
        let task = tokio::spawn(relay.clone().run(
            Duration::from_millis(20),
            jiff::SignedDuration::from_hours(24 * 7),
            clock,
            shutdown,
        ));
        let msg = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(msg.event_type, "pole.person.created");
        create_person(&store).await;
        relay.waker().notify_one();
        let msg = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(msg.event_type, "pole.person.created");
        tx.send(true).unwrap();
        task.await.unwrap();
        assert!(store.outbox_pending(10).await.unwrap().is_empty());
    }
}

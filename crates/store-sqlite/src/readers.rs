//! The read-only connections. sqlx's general pool is built for network databases: it pings
//! a connection before lending it and again, from a task it spawns, when it comes back. For
//! SQLite each ping is a round trip to the connection's own thread, so a read cost three
//! trips and a spawned task instead of one trip. These connections are local files with
//! nothing to go stale, so the store keeps them itself: a fixed set, opened with the store,
//! lent to one caller at a time and free again when the caller is done.
//!
//! A caller cancelled part-way through a query (a client that went away) gives its
//! connection back as it is: sqlx's connection thread finishes or abandons the statement
//! and resets it before it takes the next command, and readers never hold a transaction
//! open, so the next borrower finds it clean.

use crate::rows::unavailable;
use bluelamp_store::{StoreError, StoreResult};
use sqlx::ConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

/// How long a read waits for a free connection before it gives up and says so.
const WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub(crate) struct Readers {
    /// As many permits as connections; a borrower holds one while it has a connection, so
    /// with a permit in hand at least one connection is free.
    permits: Arc<Semaphore>,
    conns: Arc<[Arc<Mutex<SqliteConnection>>]>,
}

impl Readers {
    /// Opens `size` connections with `options`.
    pub(crate) async fn open(options: &SqliteConnectOptions, size: usize) -> StoreResult<Self> {
        let mut conns = Vec::with_capacity(size);
        for _ in 0..size {
            let conn = options.connect().await.map_err(unavailable)?;
            conns.push(Arc::new(Mutex::new(conn)));
        }
        Ok(Self {
            permits: Arc::new(Semaphore::new(size)),
            conns: conns.into(),
        })
    }

    /// Lends a free connection, waiting for one if all are out.
    pub(crate) async fn get(&self) -> StoreResult<Reader> {
        let permit = tokio::time::timeout(WAIT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| {
                StoreError::Unavailable(format!(
                    "no database reader was free within {} s",
                    WAIT.as_secs()
                ))
            })?
            .map_err(|_| StoreError::Unavailable("the database is closing".into()))?;
        self.conns
            .iter()
            .find_map(|c| c.clone().try_lock_owned().ok())
            .map(|conn| Reader {
                conn,
                _permit: permit,
            })
            .ok_or_else(|| StoreError::Internal("a reader permit without a free reader".into()))
    }
}

/// A borrowed read-only connection; it is free again when this is dropped.
pub(crate) struct Reader {
    // Declared first so it is released before the permit: a free permit then always has a
    // free connection behind it.
    conn: OwnedMutexGuard<SqliteConnection>,
    _permit: OwnedSemaphorePermit,
}

impl Deref for Reader {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.conn
    }
}

impl DerefMut for Reader {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.conn
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use sqlx::Row;

    async fn readers(size: usize) -> Readers {
        let dir = std::env::temp_dir().join(format!("bluelamp-test-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("readers.db");
        // Create the file first: the readers are read-only.
        let mut w = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .connect()
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (n INTEGER)")
            .execute(&mut w)
            .await
            .unwrap();
        Readers::open(
            &SqliteConnectOptions::new().filename(&path).read_only(true),
            size,
        )
        .await
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn more_readers_than_connections_take_turns() {
        let r = readers(2).await;
        let mut tasks = Vec::new();
        for i in 0..32_i64 {
            let r = r.clone();
            tasks.push(tokio::spawn(async move {
                let mut conn = r.get().await.unwrap();
                let row = sqlx::query("SELECT ? AS n")
                    .bind(i)
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap();
                row.get::<i64, _>("n")
            }));
        }
        for (i, t) in tasks.into_iter().enumerate() {
            assert_eq!(t.await.unwrap(), i as i64);
        }
        assert_eq!(r.permits.available_permits(), 2);
    }

    #[tokio::test]
    async fn a_read_abandoned_half_way_leaves_its_connection_usable() {
        let r = readers(1).await;
        // A query long enough to be cut off: count to two million (most of a second).
        let long = async {
            let mut conn = r.get().await.unwrap();
            sqlx::query(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) \
                 SELECT count(*) FROM c",
            )
            .fetch_one(&mut *conn)
            .await
        };
        assert!(
            tokio::time::timeout(Duration::from_millis(20), long)
                .await
                .is_err(),
            "the long query should have been cut off"
        );
        // The one connection is free again and answers the next caller correctly.
        assert_eq!(r.permits.available_permits(), 1);
        let mut conn = r.get().await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT 42")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(n, 42);
    }
}

//! Loading synthetic demo data through the same use case, validation and audit as any other
//! write, in batches.

use bluelamp_app::pole::BulkItem;
use bluelamp_app::{AppError, Caller, PoleService, RecordInput};
use bluelamp_demo::{DemoConfig, DemoItem, generate};
use std::time::Instant;

fn bulk(item: DemoItem) -> BulkItem {
    match item {
        DemoItem::Person(id, p) => BulkItem::Record(id, RecordInput::Person(p)),
        DemoItem::Object(id, o) => BulkItem::Record(id, RecordInput::Object(o)),
        DemoItem::Location(id, l) => BulkItem::Record(id, RecordInput::Location(l)),
        DemoItem::Event(id, e) => BulkItem::Record(id, RecordInput::Event(e)),
        DemoItem::Link(id, l) => BulkItem::Link(id, l),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadReport {
    pub persons: u64,
    pub records: u64,
    pub seconds: f64,
}

/// Generates the data `config` describes (persons with their objects, locations, events and
/// links) and stores it in batches of about `batch` records. The same config always gives
/// the same records, ids included.
pub async fn load(
    pole: &PoleService,
    config: DemoConfig,
    batch: usize,
    mut progress: impl FnMut(u64),
) -> Result<LoadReport, AppError> {
    let caller = Caller::system("demo-data");
    let started = Instant::now();
    let mut records = 0u64;
    let mut done_persons = 0u64;
    let mut buf = Vec::with_capacity(batch);
    for item in generate(config) {
        if matches!(item, DemoItem::Person(..)) {
            done_persons += 1;
        }
        buf.push(bulk(item));
        if buf.len() >= batch {
            records += pole.bulk_create(&caller, std::mem::take(&mut buf)).await? as u64;
            progress(done_persons);
        }
    }
    if !buf.is_empty() {
        records += pole.bulk_create(&caller, buf).await? as u64;
        progress(done_persons);
    }
    Ok(LoadReport {
        persons: done_persons,
        records,
        seconds: started.elapsed().as_secs_f64(),
    })
}

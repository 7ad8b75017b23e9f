//! The stored form of a snapshot's records, shared by the SQLite and PostgreSQL stores: chunks
//! of [`SNAPSHOT_CHUNK`] records, each LZ4-compressed JSON. One value per snapshot would
//! outgrow SQLite's 1 GB string limit near a million Webex users and cost a copy of the whole
//! snapshot in memory; chunks are written and read one by one, and decoded on every core.

use crate::record::SourceRecord;
use crate::store::StoreError;

/// Records per chunk.
pub const SNAPSHOT_CHUNK: usize = 1000;

/// `records` as compressed chunks, in order.
pub fn encode_chunks(records: &[SourceRecord]) -> Result<Vec<Vec<u8>>, StoreError> {
    records
        .chunks(SNAPSHOT_CHUNK)
        .map(|chunk| {
            serde_json::to_vec(chunk)
                .map(|json| lz4_flex::compress_prepend_size(&json))
                .map_err(|e| StoreError::backend("write the snapshot", e))
        })
        .collect()
}

/// The records of compressed chunks, in order, decoded on up to all cores.
///
/// ```
/// use ucx_sync_core::{ObjectKind, SourceRecord, decode_chunks, encode_chunks};
/// let records: Vec<_> = (0..2500)
///     .map(|i| SourceRecord::new(ObjectKind::User, format!("u{i}@example.com")))
///     .collect();
/// let chunks = encode_chunks(&records).unwrap();
/// assert_eq!(chunks.len(), 3);
/// assert_eq!(decode_chunks(&chunks).unwrap(), records);
/// assert!(decode_chunks(&[b"not lz4".to_vec()]).is_err());
/// ```
pub fn decode_chunks(blobs: &[Vec<u8>]) -> Result<Vec<SourceRecord>, StoreError> {
    fn decode(blob: &[u8]) -> Result<Vec<SourceRecord>, StoreError> {
        let json = lz4_flex::decompress_size_prepended(blob)
            .map_err(|e| StoreError::backend("read the snapshot", e))?;
        serde_json::from_slice(&json).map_err(|e| StoreError::backend("read the snapshot", e))
    }
    on_every_core(blobs, |group| {
        let mut out = Vec::with_capacity(group.len() * SNAPSHOT_CHUNK);
        for blob in group {
            out.extend(decode(blob)?);
        }
        Ok(out)
    })
}

/// `f` over `items` cut into one run per core, side by side, the results joined in order: for
/// a store decoding a million rows or records, which is CPU work.
pub fn on_every_core<T: Sync, U: Send>(
    items: &[T],
    f: impl Fn(&[T]) -> Result<Vec<U>, StoreError> + Sync,
) -> Result<Vec<U>, StoreError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(items.len())
        .max(1);
    let per = items.len().div_ceil(threads).max(1);
    let f = &f;
    let parts: Vec<Result<Vec<U>, StoreError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(per)
            .map(|group| scope.spawn(move || f(group)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(StoreError::backend(
                        "decode",
                        std::io::Error::other("a decoding thread failed"),
                    ))
                })
            })
            .collect()
    });
    let mut out = Vec::with_capacity(items.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

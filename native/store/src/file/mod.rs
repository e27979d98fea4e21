//! The file store: a stream's messages in a directory of append-only segment files.
//!
//! * `record`: the bytes of a segment (header, message and tombstone records, CRC-32C on each).
//! * `segment`: one segment file, its write buffer and what is known about its contents.
//! * `summary`: the per-segment index file written when a segment is sealed, so restarts skip scanning.
//! * `index`: the in-memory indexes by sequence, subject and time.
//! * `recovery`: rebuilding all that at open, cutting torn tails, skipping corrupt ranges, reporting.
//! * `compact`: rewriting a sealed segment without its deleted records.
//! * `archive`: cold storage, moving old sealed segments to an archive directory and replaying them.
//! * `store` / `msg_store`: [`FileStore`] and its [`crate::MsgStore`] implementation.
//! * `io`: the file operations, behind a trait so tests can simulate power loss.
//!
//! Durability: [`crate::MsgStore::store`] appends to a user-space buffer (written to the file at 64 KiB);
//! [`crate::MsgStore::sync`] writes it and fsyncs. What a crash can lose is exactly what no returned `sync`
//! covered; recovery cuts such a torn tail at the last whole record. docs/ARCHITECTURE.md ("JetStream
//! storage") has the whole story.

mod archive;
mod compact;
mod crc;
mod index;
mod io;
mod msg_store;
mod record;
mod recovery;
mod segment;
mod store;
mod summary;

#[cfg(test)]
mod memfs;
#[cfg(test)]
mod tests;

pub use archive::{read_archive_file, replay_archive};
pub use recovery::{RecoveryProblem, RecoveryReport};
pub use store::{FileStore, FileStoreConfig};

//! Myelin core: the data plane of a NATS-compatible broker, in plain Rust with no Node-API.
//!
//! A tour, in the order bytes travel:
//!
//! * [`parser`]: a resumable state machine over received chunks. It finds op words byte by byte, control
//!   lines with `memchr`, and skips payloads by their declared length. It calls an [`parser::OpHandler`]
//!   per op and holds copies only of what spans two chunks.
//! * [`engine`]: the [`engine::Engine`] owns the connection table, the subscriptions and the dirty list.
//!   It is the parser's handler: each publish is matched and framed straight into the outbound buffer of
//!   every destination connection. One `ingest` call per received chunk does all of it.
//! * [`sublist`] and [`subject`]: the subject trie with `*`, `>` and queue groups, and the one definition
//!   of what a valid subject is. Nothing else in the project validates or matches subjects.
//! * [`router`]: what worker engines share: the trie and an inbox per worker, through which a message reaches
//!   subscriptions owned by another worker thread.
//! * [`direct`]: a worker writing a small batch straight to a socket another worker owns, when that
//!   connection is idle (request/reply without thread wake-ups).
//! * [`imports`]: account exports and imports (stream and service imports, response routing) between the
//!   accounts' tries.
//! * [`mapping`] and [`transform`]: account subject mappings, applied to a client's publish before routing,
//!   and the subject transforms they (and stream subject transforms) are made of.
//! * [`permissions`]: a connection's publish/subscribe allow and deny lists, checked on the data path.
//! * [`conn`]: per-connection state (CONNECT options, subscriptions by sid, outbound bytes, counters).
//! * [`wire_error`]: the table of `-ERR` texts and close reasons, copied exactly from nats-server's
//!   behaviour because clients match them.
//!
//! The Node-API binding (`native/binding`) is a thin adapter over [`engine::Engine`].

pub mod conn;
pub mod direct;
pub mod engine;
pub mod imports;
pub mod mapping;
pub mod parser;
pub mod permissions;
pub mod router;
pub mod subject;
pub mod sublist;
pub mod time;
pub mod transform;
pub mod wire_error;

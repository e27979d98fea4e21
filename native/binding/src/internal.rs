//! Internal connections (the server's own clients) on an engine: see `myelin_core::engine::internal`.

use napi_derive::napi;

use crate::NativeEngine;

#[napi]
impl NativeEngine {
    /// Open an internal connection in `account`. The control plane then passes it protocol bytes with
    /// `ingest` (a batch of SUB/PUB/HPUB per call) and takes its deliveries with `takeOutbound`.
    #[napi]
    pub fn open_internal(&mut self, account: String) -> u32 {
        self.inner.open_internal(&account)
    }

    /// Route a batch of length-prefixed records from internal connection `id` (see
    /// `Engine::publish_internal`). Borrows the batch for the call. Returns `ingest`'s result bits.
    #[napi]
    pub fn publish_internal(&mut self, id: u32, batch: &[u8]) -> u32 {
        self.inner.publish_internal(id, batch)
    }

    /// Whether a non-internal subscription in `account` matches `subject`.
    #[napi]
    pub fn has_interest(&mut self, account: String, subject: String) -> bool {
        self.inner.has_interest(&account, subject.as_bytes())
    }
}

//! Account subject mappings on the publish path (the mappings themselves are `crate::mapping`).

use super::Ctx;
use crate::mapping::Mapped;
use crate::parser::Publish;

impl Ctx<'_> {
    /// The subject a client's publish is routed by when its account maps it, taken out of the engine's mapping
    /// view for the length of the publish ([`Ctx::unmap_publish`] gives the buffer back). None when nothing
    /// maps it: with no mappings configured anywhere that is one atomic load and one branch. Internal
    /// deliveries (routed by a deliver subject) are never mapped, as nats-server maps only client publishes.
    #[inline]
    pub(super) fn map_publish(&mut self, m: &Publish<'_>) -> Option<Vec<u8>> {
        if !self.route.is_empty() {
            return None;
        }
        let account = self.t.conn(self.id).account;
        match self.t.mapping.map(self.router.mappings(), account, m.subject) {
            Mapped::Unchanged => None,
            Mapped::To => Some(std::mem::take(&mut self.t.mapping.subject)),
        }
    }

    /// Return the mapped subject's buffer (keeps its capacity for the next mapped publish).
    #[inline]
    pub(super) fn unmap_publish(&mut self, mapped: Option<Vec<u8>>) {
        if let Some(buf) = mapped {
            self.t.mapping.subject = buf;
        }
    }
}

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
            Mapped::To => {
                self.trace_mapping(m.subject);
                Some(std::mem::take(&mut self.t.mapping.subject))
            }
        }
    }

    /// nats-server's protocol trace line for a mapped publish: `<<- [MAPPING src -> dest]`.
    fn trace_mapping(&mut self, from: &[u8]) {
        if self.t.trace.on() {
            let mut arg = Vec::with_capacity(from.len() + 4 + self.t.mapping.subject.len());
            arg.extend_from_slice(from);
            arg.extend_from_slice(b" -> ");
            arg.extend_from_slice(&self.t.mapping.subject);
            self.t.trace.op_in(self.id, "MAPPING", Some(&arg));
        }
    }

    /// The exporter's mappings applied to a service request entering it through an import (nats-server's
    /// processServiceImport maps the request's subject in the exporting account).
    pub(super) fn map_service_request(&mut self, account: u32, subject: &[u8], out: &mut Vec<u8>) -> bool {
        out.clear();
        self.t.mapping.map_into(self.router.mappings(), account, subject, out) == Mapped::To
    }

    /// Return the mapped subject's buffer (keeps its capacity for the next mapped publish).
    #[inline]
    pub(super) fn unmap_publish(&mut self, mapped: Option<Vec<u8>>) {
        if let Some(buf) = mapped {
            self.t.mapping.subject = buf;
        }
    }
}

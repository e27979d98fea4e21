//! Account subject mappings on the publish path (the mappings themselves are `crate::mapping`).

use super::Ctx;
use crate::mapping::Mapped;
use crate::parser::Publish;

impl Ctx<'_> {
    /// The subject a client's publish is routed by when its account maps it, taken out of the engine's mapping
    /// view for the length of the publish ([`Ctx::unmap_publish`] gives the buffer back). None when nothing
    /// maps it: with no mappings configured anywhere that is one atomic load and one branch. Internal
    /// connections and deliveries are never mapped: nats-server maps only its clients' publishes.
    #[inline]
    pub(super) fn map_publish(&mut self, m: &Publish<'_>) -> Option<Vec<u8>> {
        if self.t.mapping.idle(self.router.mappings()) || !self.route.is_empty() {
            return None;
        }
        let c = self.t.conn(self.id);
        if c.internal {
            // The server's own connections (JetStream, the system account) are not clients: not mapped.
            return None;
        }
        let account = c.account;
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

#[cfg(test)]
mod tests {
    use super::super::*;

    const CONNECT: &[u8] = b"CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true}\r\n";

    fn client(e: &mut Engine) -> u32 {
        let id = e.open_conn(b"", None);
        e.ingest(id, CONNECT);
        e.take_events();
        id
    }

    fn drain(e: &mut Engine, id: u32) -> String {
        let mut ids = [0u32; 64];
        let n = e.take_dirty(&mut ids);
        let mut out = String::new();
        for &d in &ids[..n] {
            let bytes = e.take_outbound(d);
            if d == id {
                out = String::from_utf8(bytes).unwrap();
            }
        }
        out
    }

    fn install(e: &Engine, json: &str) {
        crate::mapping::configure(&e.router, json.as_bytes()).unwrap();
    }

    #[test]
    fn a_publish_is_routed_by_its_mapped_subject() {
        let mut e = Engine::new(EngineConfig::default(), 7);
        let s = client(&mut e);
        let p = client(&mut e);
        e.ingest(s, b"SUB in.* 1\r\nSUB out.> 2\r\n");
        install(
            &e,
            r#"{"accounts": [["$G", [{"src": "in.*", "dests": [{"subject": "out.{{partition(10,1)}}.$1", "weight": 100}]}]]]}"#,
        );
        e.ingest(p, b"PUB in.a r 2\r\nhi\r\nHPUB in.b 12 14\r\nNATS/1.0\r\n\r\nyo\r\nPUB other 0\r\n\r\n");
        // FNV-1a("a") % 10 = 0, FNV-1a("b") % 10 = 7.
        assert_eq!(drain(&mut e, s), "MSG out.0.a 2 r 2\r\nhi\r\nHMSG out.7.b 2 12 14\r\nNATS/1.0\r\n\r\nyo\r\n");
        // Replaced by nothing: published subjects are routed as they are again.
        install(&e, r#"{"accounts": []}"#);
        e.ingest(p, b"PUB in.a 0\r\n\r\n");
        assert_eq!(drain(&mut e, s), "MSG in.a 1 0\r\n\r\n");
    }
}

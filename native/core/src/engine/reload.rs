//! Configuration reload on live connections: a connection's permissions are replaced, and every
//! subscription the new permissions deny is removed and reported to the client, as nats-server's
//! `processSubsOnConfigReload` does. Limits are replaced for the whole engine by [`Engine::set_config`].

use super::Engine;
use crate::permissions::Permissions;
use crate::wire_error::write_removed_sub_violation;

/// A subscription removed by [`Engine::set_permissions`], for the control plane's log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedSub {
    pub subject: Vec<u8>,
    pub queue: Option<Vec<u8>>,
    pub sid: Vec<u8>,
}

impl Engine {
    /// Replace connection `id`'s permissions (JSON as for `authorize`; `None` allows everything). Publishes are
    /// checked against them from now on. Each subscription they deny is removed from the trie, and the client
    /// gets `-ERR 'Permissions Violation for Subscription to "s" [using queue "q"] (sid "n")'` for it; the
    /// connection stays open. Returns the removed subscriptions, oldest first.
    pub fn set_permissions(&mut self, id: u32, permissions: Option<&[u8]>) -> Result<Vec<RemovedSub>, String> {
        let perms = permissions.map(Permissions::from_json).transpose()?.map(Box::new);
        let Some(Some(c)) = self.t.conns.get_mut(id as usize) else { return Ok(Vec::new()) };
        if !c.is_open() {
            return Ok(Vec::new());
        }
        c.perms = perms;
        if c.perms.is_some() {
            // Permissions filter deliveries and track replies: the owner delivers everything from now on.
            let slots: Vec<u32> = c.subs.values().copied().collect();
            for slot in slots {
                self.t.unregister_direct(&self.router, slot);
            }
        }
        let Some(c) = self.t.conns.get_mut(id as usize).and_then(Option::as_mut) else { return Ok(Vec::new()) };
        let Some(p) = c.perms.as_mut() else { return Ok(Vec::new()) };
        let subs = &self.t.subs;
        let mut denied: Vec<u32> = c
            .subs
            .values()
            .copied()
            .filter(|&slot| {
                subs[slot as usize].as_ref().is_some_and(|s| !p.can_subscribe(&s.subject, s.queue.as_deref()))
            })
            .collect();
        if denied.is_empty() {
            return Ok(Vec::new());
        }
        // Slots are handed out in subscription order (reused ones aside): report in a stable order.
        denied.sort_unstable();
        let mut removed = Vec::with_capacity(denied.len());
        for slot in denied {
            let Some(sub) = self.t.subs[slot as usize].as_ref() else { continue };
            let r = RemovedSub {
                subject: sub.subject.to_vec(),
                queue: sub.queue.as_deref().map(<[u8]>::to_vec),
                sid: sub.sid.to_vec(),
            };
            self.t.remove_subscription(&self.router, slot);
            write_removed_sub_violation(&mut self.t.conn(id).out, &r.subject, r.queue.as_deref(), &r.sid);
            removed.push(r);
        }
        self.t.mark_dirty_or_cut(id);
        self.finish_loop();
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::{Engine, EngineConfig};

    fn connected(e: &mut Engine) -> u32 {
        let id = e.open_conn(b"INFO {}\r\n", None);
        e.ingest(id, b"CONNECT {\"verbose\":false,\"pedantic\":false}\r\n");
        e.take_outbound(id);
        id
    }

    #[test]
    fn shrinking_permissions_drops_denied_subscriptions_only() {
        let mut e = Engine::new(EngineConfig::default(), 7);
        let sub = connected(&mut e);
        let publisher = connected(&mut e);
        e.ingest(sub, b"SUB foo.x 1\r\nSUB bar q1 2\r\nSUB bar 3\r\n");
        e.take_outbound(sub);
        let perms = br#"{"subscribe":{"allow":["foo.>"]},"publish":{"allow":["x.>"]}}"#;
        let removed = e.set_permissions(sub, Some(perms)).expect("valid permissions");
        let sids: Vec<&[u8]> = removed.iter().map(|r| &r.sid[..]).collect();
        assert_eq!(sids, vec![&b"2"[..], &b"3"[..]]);
        assert_eq!(
            e.take_outbound(sub),
            &b"-ERR 'Permissions Violation for Subscription to \"bar\" using queue \"q1\" (sid \"2\")'\r\n\
               -ERR 'Permissions Violation for Subscription to \"bar\" (sid \"3\")'\r\n"[..]
        );
        assert_eq!(e.conn_sub_count(sub), 1);
        e.ingest(publisher, b"PUB bar 1\r\na\r\nPUB foo.x 1\r\nb\r\n");
        assert_eq!(e.take_outbound(sub), &b"MSG foo.x 1 1\r\nb\r\n"[..]);
        // Publishes are checked against the new permissions.
        e.ingest(sub, b"PUB y 1\r\nc\r\n");
        assert_eq!(e.take_outbound(sub), &b"-ERR 'Permissions Violation for Publish to \"y\"'\r\n"[..]);
    }

    #[test]
    fn clearing_permissions_allows_everything() {
        let mut e = Engine::new(EngineConfig::default(), 7);
        let c = connected(&mut e);
        e.set_permissions(c, Some(br#"{"publish":{"allow":["a"]}}"#)).expect("valid");
        assert!(e.set_permissions(c, None).expect("valid").is_empty());
        e.ingest(c, b"SUB b 1\r\nPUB b 1\r\nx\r\n");
        assert_eq!(e.take_outbound(c), &b"MSG b 1 1\r\nx\r\n"[..]);
    }
}

//! Read-only views of an engine for HTTP monitoring (`/connz`, `/subsz`). Called once per monitoring request
//! per worker, never on the data path; they walk the tables and borrow from them for the duration of a call.

use std::sync::Arc;

use super::{Engine, Subscription};
use crate::router::Account;
use crate::subject;
use crate::sublist::SublistStats;

/// A subscription as monitoring reports it, borrowed from the engine.
pub struct SubscriptionView<'a> {
    pub conn: u32,
    /// Router account id.
    pub account: u32,
    pub subject: &'a [u8],
    pub queue: Option<&'a [u8]>,
    pub sid: &'a [u8],
    /// Messages delivered to it.
    pub msgs: u64,
    /// Auto-unsubscribe limit; 0 = none.
    pub max: u64,
}

impl<'a> SubscriptionView<'a> {
    fn of(s: &'a Subscription) -> Self {
        SubscriptionView {
            conn: s.conn,
            account: s.account,
            subject: &s.subject,
            queue: s.queue.as_deref(),
            sid: &s.sid,
            msgs: s.delivered,
            max: s.max,
        }
    }
}

impl Engine {
    /// Engine clock (ms) of connection `id`'s last PUB, SUB, UNSUB or PING (`/connz` `last_activity`).
    pub fn last_activity_ms(&self, id: u32) -> Option<u64> {
        self.t.conns.get(id as usize)?.as_ref().map(|c| c.last_activity_ms)
    }

    /// Every subscription this engine holds.
    pub fn subscriptions(&self) -> impl Iterator<Item = SubscriptionView<'_>> {
        self.t.subs.iter().flatten().map(SubscriptionView::of)
    }

    /// The subscriptions of connection `id`.
    pub fn conn_subscriptions(&self, id: u32) -> Vec<SubscriptionView<'_>> {
        let Some(c) = self.t.conns.get(id as usize).and_then(|c| c.as_ref()) else {
            return Vec::new();
        };
        c.subs.values().filter_map(|&slot| self.t.subs[slot as usize].as_ref()).map(SubscriptionView::of).collect()
    }

    /// Subscriptions whose subject a message published to the literal `test` would match (all when `None`).
    pub fn subscriptions_matching<'a>(&'a self, test: Option<&'a [u8]>) -> impl Iterator<Item = SubscriptionView<'a>> {
        self.subscriptions().filter(move |s| test.is_none_or(|t| subject::subject_matches(s.subject, t)))
    }

    /// Per account, in router id order: its trie's counters (shared by every engine) with this engine's match
    /// counters for it absorbed. Summing the match part over engines gives the server's numbers.
    pub fn account_stats(&self) -> Vec<(Arc<Account>, SublistStats)> {
        self.router
            .accounts()
            .into_iter()
            .enumerate()
            .map(|(i, account)| {
                let mut stats = account.sublist().stats();
                if let Some(m) = self.accounts.matchers.get(i) {
                    stats.absorb(&m.stats());
                }
                (account, stats)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::{Engine, EngineConfig};

    #[test]
    fn lists_subscriptions_with_delivery_counts() {
        let mut e = Engine::new(EngineConfig::default(), 7);
        let a = e.open_conn(b"INFO {}\r\n", None);
        let b = e.open_conn(b"INFO {}\r\n", None);
        e.ingest(a, b"CONNECT {\"verbose\":false}\r\nSUB foo.* q1 1\r\nSUB bar 2\r\n");
        e.ingest(b, b"CONNECT {\"verbose\":false}\r\nPUB foo.x 2\r\nhi\r\nPUB foo.y 0\r\n\r\n");
        let mut subs = e.conn_subscriptions(a);
        subs.sort_by_key(|s| s.sid.to_vec());
        assert_eq!(subs.len(), 2);
        assert_eq!(subs[0].subject, b"foo.*");
        assert_eq!(subs[0].queue, Some(&b"q1"[..]));
        assert_eq!(subs[0].msgs, 2);
        assert_eq!(subs[1].subject, b"bar");
        assert_eq!(subs[1].msgs, 0);
        assert!(e.conn_subscriptions(b).is_empty());
        assert_eq!(e.subscriptions().count(), 2);
        assert_eq!(e.subscriptions_matching(Some(b"foo.z")).count(), 1);
        assert_eq!(e.subscriptions_matching(Some(b"baz")).count(), 0);
        let stats = e.account_stats();
        assert_eq!(stats.len(), 1);
        assert_eq!(stats[0].1.num_subs, 2);
        assert_eq!(stats[0].1.num_matches, 2);
        assert!(e.last_activity_ms(a).is_some());
    }
}

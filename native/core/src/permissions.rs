//! Per-connection publish and subscribe permissions, enforced on the data path.
//!
//! The control plane decides who a client is and hands the engine that user's permissions as JSON (the shape
//! of `ResolvedPermissions` in `src/auth/permissions.ts`). Semantics follow nats-server's `canPublish` /
//! `canSubscribe`: no allow list means everything is allowed, a deny list overrules the allow list, and a
//! subscription subject (which may hold wildcards) is checked as a literal against the patterns. Subscribe
//! entries may name a queue (`"subject queue"`). `allow_responses` lets a client publish to the reply
//! subjects of messages it received, up to `max` times each and within `expires`.
//!
//! Patterns live in small [`Sublist`]s, the same trie as routing, so there is one definition of matching.

use std::collections::HashMap;

use serde::Deserialize;

use crate::subject;
use crate::sublist::{MatchResult, Sublist};

#[derive(Deserialize, Default)]
struct AllowDenyJson {
    allow: Option<Vec<String>>,
    deny: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResponsesJson {
    max: u32,
    expires_ms: u64,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PermissionsJson {
    publish: Option<AllowDenyJson>,
    subscribe: Option<AllowDenyJson>,
    allow_responses: Option<ResponsesJson>,
}

/// A compiled allow or deny list. Entries are `subject` or `subject queue`.
struct PatternList {
    trie: Sublist<u8>,
}

impl PatternList {
    fn build(entries: &[String]) -> Result<PatternList, String> {
        let mut trie = Sublist::new();
        for e in entries {
            let mut parts = e.split_whitespace();
            let subj = parts.next().unwrap_or("");
            let queue = parts.next();
            trie.insert(subj.as_bytes(), queue.map(str::as_bytes), 0u8)
                .map_err(|_| format!("invalid permission subject {e:?}"))?;
        }
        Ok(PatternList { trie })
    }
}

/// Reply subjects this client may answer (allow_responses).
struct Responses {
    max: u32,
    expires_ms: u64,
    /// reply subject → (responses sent, engine time it was received)
    open: HashMap<Box<[u8]>, (u32, u64)>,
}

/// Bound on remembered reply subjects per connection; the oldest are swept when it is reached.
const MAX_TRACKED_REPLIES: usize = 10_000;

pub struct Permissions {
    pub_allow: Option<PatternList>,
    pub_deny: Option<PatternList>,
    sub_allow: Option<PatternList>,
    sub_deny: Option<PatternList>,
    responses: Option<Responses>,
    scratch: MatchResult<u8>,
}

impl Permissions {
    /// Parse the control plane's JSON. Errors name the offending entry.
    pub fn from_json(json: &[u8]) -> Result<Permissions, String> {
        let p: PermissionsJson = serde_json::from_slice(json).map_err(|e| e.to_string())?;
        let list = |v: &Option<Vec<String>>| v.as_deref().map(PatternList::build).transpose();
        let publish = p.publish.unwrap_or_default();
        let subscribe = p.subscribe.unwrap_or_default();
        let mut pub_allow = list(&publish.allow)?;
        // nats-server: allow_responses without publish permissions means publishing only responses.
        if p.allow_responses.is_some() && publish.allow.is_none() && publish.deny.is_none() {
            pub_allow = Some(PatternList { trie: Sublist::new() });
        }
        Ok(Permissions {
            pub_allow,
            pub_deny: list(&publish.deny)?,
            sub_allow: list(&subscribe.allow)?,
            sub_deny: list(&subscribe.deny)?,
            responses: p.allow_responses.map(|r| Responses {
                max: r.max.max(1),
                expires_ms: r.expires_ms,
                open: HashMap::new(),
            }),
            scratch: MatchResult::default(),
        })
    }

    fn matches(list: &Option<PatternList>, scratch: &mut MatchResult<u8>, subject: &[u8]) -> Option<bool> {
        list.as_ref().map(|l| {
            l.trie.match_into(subject, scratch);
            !scratch.plain.is_empty()
        })
    }

    /// May this client publish to `subject`? Uses up one allowed response when that is what permits it.
    pub fn can_publish(&mut self, subject: &[u8], now_ms: u64) -> bool {
        let mut allowed = Self::matches(&self.pub_allow, &mut self.scratch, subject).unwrap_or(true);
        if allowed && Self::matches(&self.pub_deny, &mut self.scratch, subject) == Some(true) {
            allowed = false;
        }
        if !allowed {
            if let Some(r) = self.responses.as_mut() {
                if let Some((sent, at)) = r.open.get_mut(subject) {
                    let fresh = r.expires_ms == 0 || now_ms.saturating_sub(*at) <= r.expires_ms;
                    if fresh && *sent < r.max {
                        *sent += 1;
                        if *sent >= r.max {
                            r.open.remove(subject);
                        }
                        return true;
                    }
                    r.open.remove(subject);
                }
            }
        }
        allowed
    }

    /// May this client subscribe to `subject` (optionally in `queue`)?
    pub fn can_subscribe(&mut self, subject: &[u8], queue: Option<&[u8]>) -> bool {
        let mut allowed = true;
        if let Some(allow) = &self.sub_allow {
            allow.trie.match_into(subject, &mut self.scratch);
            allowed = !self.scratch.plain.is_empty();
            if let Some(q) = queue {
                if !self.scratch.queue_ids.is_empty() {
                    allowed = queue_listed(&allow.trie, &self.scratch, q);
                }
            }
        }
        if allowed {
            if let Some(deny) = &self.sub_deny {
                deny.trie.match_into(subject, &mut self.scratch);
                allowed = self.scratch.plain.is_empty();
                if let Some(q) = queue {
                    if !self.scratch.queue_ids.is_empty() {
                        allowed = !queue_listed(&deny.trie, &self.scratch, q);
                    }
                }
            }
        }
        allowed
    }

    /// Record a reply subject of a message delivered to this client, if it may answer it.
    pub fn note_reply(&mut self, reply: &[u8], now_ms: u64) {
        let Some(r) = self.responses.as_mut() else { return };
        if r.open.len() >= MAX_TRACKED_REPLIES {
            let expires = r.expires_ms;
            r.open.retain(|_, (_, at)| expires != 0 && now_ms.saturating_sub(*at) <= expires);
            if r.open.len() >= MAX_TRACKED_REPLIES {
                r.open.clear();
            }
        }
        r.open.insert(reply.into(), (0, now_ms));
    }

    /// Whether reply subjects need recording for this client.
    pub fn tracks_replies(&self) -> bool {
        self.responses.is_some()
    }
}

/// Does a matched queue entry of `trie` name `queue` (entries may use wildcards, as in nats-server)?
fn queue_listed(trie: &Sublist<u8>, m: &MatchResult<u8>, queue: &[u8]) -> bool {
    m.queue_ids.iter().any(|id| trie.queue_name(*id).is_some_and(|name| subject::subject_matches(name, queue)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perms(json: &str) -> Permissions {
        Permissions::from_json(json.as_bytes()).expect("valid permissions")
    }

    #[test]
    fn publish_allow_and_deny() {
        let mut p = perms(r#"{"publish":{"allow":["foo.>","bar"],"deny":["foo.secret"]}}"#);
        assert!(p.can_publish(b"foo.a", 0));
        assert!(p.can_publish(b"bar", 0));
        assert!(!p.can_publish(b"baz", 0));
        assert!(!p.can_publish(b"foo.secret", 0));
        let mut open = perms(r#"{"publish":{"deny":["x.*"]}}"#);
        assert!(open.can_publish(b"y", 0));
        assert!(!open.can_publish(b"x.1", 0));
    }

    #[test]
    fn subscribe_checks_wildcards_literally_and_queues() {
        let mut p = perms(r#"{"subscribe":{"allow":["foo.*","bar.> q1"],"deny":["foo.private"]}}"#);
        assert!(p.can_subscribe(b"foo.a", None));
        assert!(p.can_subscribe(b"foo.*", None));
        // The subject is matched as a literal, so `>` is just a token that `*` matches: nats-server 2.12.15
        // accepts `SUB foo.>` under `allow: foo.*` too (checked on the wire).
        assert!(p.can_subscribe(b"foo.>", None));
        assert!(!p.can_subscribe(b"foo.x.y", None));
        assert!(!p.can_subscribe(b"foo.private", None));
        assert!(p.can_subscribe(b"bar.x", Some(b"q1")));
        assert!(!p.can_subscribe(b"bar.x", Some(b"q2")));
    }

    #[test]
    fn responses_allow_replies_up_to_max_within_expiry() {
        let mut p = perms(r#"{"allowResponses":{"max":2,"expiresMs":1000}}"#);
        assert!(!p.can_publish(b"_INBOX.a", 0), "no publish rights of its own");
        p.note_reply(b"_INBOX.a", 0);
        assert!(p.can_publish(b"_INBOX.a", 10));
        assert!(p.can_publish(b"_INBOX.a", 20));
        assert!(!p.can_publish(b"_INBOX.a", 30), "max reached");
        p.note_reply(b"_INBOX.b", 0);
        assert!(!p.can_publish(b"_INBOX.b", 5000), "expired");
    }
}

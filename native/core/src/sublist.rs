//! The subject trie that maps a published subject to its interested
//! subscriptions (nats-server's `Sublist`), plus [`Matcher`], a per-worker
//! front with an optional result cache.
//!
//! # Design
//!
//! * **Trie of tokens.** Each node is a subject prefix. A node has a hash map
//!   of literal children plus two dedicated slots for the `*` child and the
//!   `>` child, so a match never has to look wildcards up by name, and a
//!   published token that happens to be `*` is (as in nats-server) looked up
//!   only as a literal, which no subscription node can be.
//! * **Arena of nodes.** Nodes live in one `Vec` and refer to each other by
//!   `u32` index. This keeps the code free of `unsafe` and of `Box` chasing,
//!   makes removal with pruning a simple walk back up a recorded path, and
//!   lets freed slots be recycled.
//! * **Generic subscriber key `T`.** The trie stores `T: Copy + Eq + Hash` and
//!   nothing else; it never assumes `T` is a local client. Routes and leaf
//!   nodes can be other kinds of `T` (queue weights, for instance, belong to
//!   whoever interprets `T`).
//! * **Queue groups are merged by name across nodes.** nats-server delivers a
//!   message to one member of group `q` even if members subscribed through
//!   different subjects (`foo.bar q` and `foo.* q`), because its result
//!   building looks the group up by name. We do the same: queue names are
//!   interned per sublist into a [`QueueId`], and a [`MatchResult`] has one
//!   group per queue name, with [`MatchResult::queue_ids`] saying which.
//! * **Matching is read-only** (`&self`) so a future engine can share one trie
//!   between worker threads behind a `RwLock`. No counters are bumped while
//!   matching: a shared counter written by every worker on every publish is a
//!   contended cache line, which is exactly what the per-worker [`Matcher`]
//!   exists to avoid. Match counters therefore live in the [`Matcher`].
//! * **Allocation-free matching.** [`Sublist::match_into`] clears and refills
//!   a caller-owned [`MatchResult`], recycling its vectors (including the
//!   inner queue vectors and the walk stack).
//! * **The cache (nats-server's L1 idea) lives outside the trie**, in a
//!   per-worker [`Matcher`]: keyed by subject, bounded, and flushed wholesale
//!   whenever the sublist's [`generation`](Sublist::generation) (bumped on
//!   every change) or identity differs from what it was filled against. Being
//!   per worker it needs no lock; capacity 0 disables it.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

pub use crate::subject::SubjectError;
use crate::subject::{self, SubjectHash, FWC, PWC};

/// "No node" in a child slot.
const NONE: u32 = u32::MAX;
/// The root node (empty prefix) is always slot 0 and is never freed.
const ROOT: u32 = 0;
/// A subscriber set switches from linear scans to a position index above
/// this size (nats-server has the same idea with its `plistMin`), so that
/// removing one of many thousand subscribers on one subject stays O(1).
const INDEX_MIN: usize = 64;

/// Source of [`Sublist`] identities, so a [`Matcher`] used against two
/// sublists (say, two accounts) can never serve one's results for the other.
static NEXT_SUBLIST_ID: AtomicU64 = AtomicU64::new(1);

/// An interned queue group name, valid within the [`Sublist`] that issued it
/// and for as long as that group has members. Resolve it with
/// [`Sublist::queue_name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QueueId(u32);

/// A set of subscribers with cheap iteration (a plain slice, which is what
/// matching copies out) and, once large, O(1) removal.
#[derive(Debug)]
struct SubSet<T> {
    items: Vec<T>,
    /// Position of each item in `items`, only kept when the set is large.
    index: Option<HashMap<T, usize>>,
}

impl<T: Copy + Eq + Hash> SubSet<T> {
    fn new() -> Self {
        SubSet { items: Vec::new(), index: None }
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Adds `t`; false if it was already present.
    fn insert(&mut self, t: T) -> bool {
        match &mut self.index {
            Some(index) => {
                if index.contains_key(&t) {
                    return false;
                }
                index.insert(t, self.items.len());
            }
            None => {
                if self.items.contains(&t) {
                    return false;
                }
                if self.items.len() >= INDEX_MIN {
                    let mut index: HashMap<T, usize> = self.items.iter().enumerate().map(|(i, &x)| (x, i)).collect();
                    index.insert(t, self.items.len());
                    self.index = Some(index);
                }
            }
        }
        self.items.push(t);
        true
    }

    /// Removes `t`; false if it was absent. Order is not preserved.
    fn remove(&mut self, t: T) -> bool {
        let pos = match &mut self.index {
            Some(index) => match index.remove(&t) {
                Some(pos) => pos,
                None => return false,
            },
            None => match self.items.iter().position(|&x| x == t) {
                Some(pos) => pos,
                None => return false,
            },
        };
        self.items.swap_remove(pos);
        if let Some(index) = &mut self.index {
            if let Some(&moved) = self.items.get(pos) {
                index.insert(moved, pos);
            }
            // Drop the index with some hysteresis so a set hovering around
            // the threshold does not rebuild it on every change.
            if self.items.len() < INDEX_MIN / 2 {
                self.index = None;
            }
        }
        true
    }
}

/// The members of one queue group at one node.
#[derive(Debug)]
struct QueueGroup<T> {
    id: u32,
    subs: SubSet<T>,
}

/// One subject prefix.
#[derive(Debug)]
struct Node<T> {
    /// Literal next tokens.
    children: HashMap<Box<[u8]>, u32, SubjectHash>,
    /// The `*` child, or `NONE`.
    pwc: u32,
    /// The `>` child, or `NONE`. It never has children of its own.
    fwc: u32,
    plain: SubSet<T>,
    /// Usually zero or a handful of groups, so a `Vec` searched by id beats a
    /// map (nats-server keeps its results this way for the same reason).
    queues: Vec<QueueGroup<T>>,
}

impl<T: Copy + Eq + Hash> Node<T> {
    fn new(hash: SubjectHash) -> Self {
        Node { children: HashMap::with_hasher(hash), pwc: NONE, fwc: NONE, plain: SubSet::new(), queues: Vec::new() }
    }

    /// Prunable: no subscribers and no children.
    fn is_empty(&self) -> bool {
        self.plain.is_empty()
            && self.queues.is_empty()
            && self.children.is_empty()
            && self.pwc == NONE
            && self.fwc == NONE
    }
}

/// Interning table for queue names, reference-counted by the number of
/// (node, group) pairs using each name so ids can be recycled.
#[derive(Debug, Default)]
struct QueueNames {
    by_name: HashMap<Box<[u8]>, u32>,
    /// `(name, refs)` by id; a freed id has zero refs.
    entries: Vec<(Box<[u8]>, u32)>,
    free: Vec<u32>,
}

impl QueueNames {
    fn lookup(&self, name: &[u8]) -> Option<u32> {
        self.by_name.get(name).copied()
    }

    fn acquire(&mut self, name: &[u8]) -> u32 {
        if let Some(&id) = self.by_name.get(name) {
            self.entries[id as usize].1 += 1;
            return id;
        }
        let boxed: Box<[u8]> = name.into();
        let id = match self.free.pop() {
            Some(id) => {
                self.entries[id as usize] = (boxed.clone(), 1);
                id
            }
            None => {
                self.entries.push((boxed.clone(), 1));
                (self.entries.len() - 1) as u32
            }
        };
        self.by_name.insert(boxed, id);
        id
    }

    fn release(&mut self, id: u32) {
        let entry = &mut self.entries[id as usize];
        entry.1 -= 1;
        if entry.1 == 0 {
            let name = std::mem::take(&mut entry.0);
            self.by_name.remove(&name);
            self.free.push(id);
        }
    }

    fn name(&self, id: u32) -> Option<&[u8]> {
        self.entries.get(id as usize).filter(|e| e.1 > 0).map(|e| &*e.0)
    }
}

/// Counters in the spirit of nats-server's `SublistStats`.
///
/// [`Sublist::stats`] fills the write-side counters; the match-side ones are
/// kept per worker by each [`Matcher`] (see the module doc for why) and are
/// added in with [`SublistStats::absorb`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SublistStats {
    /// Current number of subscriptions.
    pub num_subs: u64,
    /// Successful inserts since creation.
    pub num_inserts: u64,
    /// Successful removes since creation.
    pub num_removes: u64,
    /// Matches served, summed over absorbed matchers.
    pub num_matches: u64,
    /// Of those, answered from a cache.
    pub num_cache_hits: u64,
    /// Cached results currently held, summed over absorbed matchers.
    pub num_cache: u64,
}

impl SublistStats {
    /// Adds one worker's match counters.
    pub fn absorb(&mut self, m: &MatcherStats) {
        self.num_matches += m.matches;
        self.num_cache_hits += m.cache_hits;
        self.num_cache += m.cache_len as u64;
    }

    /// Fraction of matches answered from cache (0 when there were none).
    pub fn cache_hit_rate(&self) -> f64 {
        if self.num_matches == 0 {
            0.0
        } else {
            self.num_cache_hits as f64 / self.num_matches as f64
        }
    }
}

/// The subject trie. See the module documentation.
#[derive(Debug)]
pub struct Sublist<T> {
    nodes: Vec<Node<T>>,
    free_nodes: Vec<u32>,
    queue_names: QueueNames,
    /// Shared by every node's child map.
    hash: SubjectHash,
    id: u64,
    generation: u64,
    count: usize,
    inserts: u64,
    removes: u64,
    /// Scratch for `remove`: (parent node, token start, token end) per level.
    path: Vec<(u32, usize, usize)>,
}

impl<T: Copy + Eq + Hash> Default for Sublist<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Copy + Eq + Hash> Sublist<T> {
    /// An empty sublist with a fresh identity.
    pub fn new() -> Self {
        let hash = SubjectHash::new();
        Sublist {
            nodes: vec![Node::new(hash)],
            free_nodes: Vec::new(),
            queue_names: QueueNames::default(),
            hash,
            id: NEXT_SUBLIST_ID.fetch_add(1, Ordering::Relaxed),
            generation: 0,
            count: 0,
            inserts: 0,
            removes: 0,
            path: Vec::new(),
        }
    }

    /// Adds subscriber `sub` on `subject`, in queue group `queue` if given.
    ///
    /// The subject must pass [`subject::is_valid_subscribe_subject`] (what
    /// nats-server's `SUB` accepts) and the queue [`subject::is_valid_queue`].
    /// Inserting a (subject, queue, sub) triple that is already present is a
    /// no-op (nats-server keeps subscribers in a set too) and does not change
    /// the generation.
    pub fn insert(&mut self, subject: &[u8], queue: Option<&[u8]>, sub: T) -> Result<(), SubjectError> {
        if !subject::is_valid_subscribe_subject(subject) {
            return Err(SubjectError::InvalidSubject);
        }
        if queue.is_some_and(|q| !subject::is_valid_queue(q)) {
            return Err(SubjectError::InvalidQueue);
        }
        let mut n = ROOT;
        for tok in subject::tokens(subject) {
            n = self.child_or_create(n, tok);
        }
        let added = match queue {
            None => self.nodes[n as usize].plain.insert(sub),
            Some(q) => {
                let existing = self.queue_names.lookup(q).and_then(|id| {
                    let node = &self.nodes[n as usize];
                    node.queues.iter().position(|g| g.id == id)
                });
                match existing {
                    Some(gi) => self.nodes[n as usize].queues[gi].subs.insert(sub),
                    None => {
                        let id = self.queue_names.acquire(q);
                        let mut subs = SubSet::new();
                        subs.insert(sub);
                        self.nodes[n as usize].queues.push(QueueGroup { id, subs });
                        true
                    }
                }
            }
        };
        if added {
            self.count += 1;
            self.inserts += 1;
            self.generation += 1;
        }
        Ok(())
    }

    /// Removes subscriber `sub` from `subject` / `queue`, pruning nodes left
    /// empty. Returns false (and changes nothing) if it was not there, which
    /// includes every subject that could not have been inserted.
    pub fn remove(&mut self, subject: &[u8], queue: Option<&[u8]>, sub: T) -> bool {
        self.path.clear();
        let mut n = ROOT;
        let mut start = 0;
        // No validation needed: an empty token or a token after `>` simply
        // finds no child, since insert never creates one.
        for tok in subject::tokens(subject) {
            let child = self.child(n, tok);
            if child == NONE {
                return false;
            }
            self.path.push((n, start, start + tok.len()));
            start += tok.len() + 1;
            n = child;
        }
        let removed = match queue {
            None => self.nodes[n as usize].plain.remove(sub),
            Some(q) => {
                let Some(id) = self.queue_names.lookup(q) else {
                    return false;
                };
                let node = &mut self.nodes[n as usize];
                let Some(gi) = node.queues.iter().position(|g| g.id == id) else {
                    return false;
                };
                let removed = node.queues[gi].subs.remove(sub);
                if removed && node.queues[gi].subs.is_empty() {
                    node.queues.swap_remove(gi);
                    self.queue_names.release(id);
                }
                removed
            }
        };
        if !removed {
            return false;
        }
        self.count -= 1;
        self.removes += 1;
        self.generation += 1;
        // Prune bottom-up while nodes are empty; the root is never in `path`
        // as a child, so it is never freed.
        let mut child = n;
        while let Some((parent, ts, te)) = self.path.pop() {
            if !self.nodes[child as usize].is_empty() {
                break;
            }
            let tok = &subject[ts..te];
            let p = &mut self.nodes[parent as usize];
            if tok == [PWC] {
                p.pwc = NONE;
            } else if tok == [FWC] {
                p.fwc = NONE;
            } else {
                p.children.remove(tok);
            }
            // Replacing the node releases its (now empty) allocations.
            self.nodes[child as usize] = Node::new(self.hash);
            self.free_nodes.push(child);
            child = parent;
        }
        true
    }

    /// The child of `n` for a subscription token, or `NONE`.
    fn child(&self, n: u32, tok: &[u8]) -> u32 {
        let node = &self.nodes[n as usize];
        match tok {
            [PWC] => node.pwc,
            [FWC] => node.fwc,
            _ => node.children.get(tok).copied().unwrap_or(NONE),
        }
    }

    fn child_or_create(&mut self, n: u32, tok: &[u8]) -> u32 {
        let c = self.child(n, tok);
        if c != NONE {
            return c;
        }
        let c = match self.free_nodes.pop() {
            Some(c) => c,
            None => {
                self.nodes.push(Node::new(self.hash));
                (self.nodes.len() - 1) as u32
            }
        };
        let node = &mut self.nodes[n as usize];
        match tok {
            [PWC] => node.pwc = c,
            [FWC] => node.fwc = c,
            _ => {
                node.children.insert(tok.into(), c);
            }
        }
        c
    }

    /// Bumped on every successful insert or remove; a cached match result is
    /// valid exactly while this is unchanged (on the same sublist).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Number of subscriptions.
    pub fn count(&self) -> usize {
        self.count
    }

    /// True when there are no subscriptions.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Number of live trie nodes including the root; 1 when empty. For
    /// diagnostics and for tests that check pruning.
    pub fn node_count(&self) -> usize {
        self.nodes.len() - self.free_nodes.len()
    }

    /// The queue group name behind `id`, while the group has members.
    pub fn queue_name(&self, id: QueueId) -> Option<&[u8]> {
        self.queue_names.name(id.0)
    }

    /// Write-side counters; the match-side fields are zero (see
    /// [`SublistStats::absorb`]).
    pub fn stats(&self) -> SublistStats {
        SublistStats {
            num_subs: self.count as u64,
            num_inserts: self.inserts,
            num_removes: self.removes,
            ..SublistStats::default()
        }
    }

    /// Fills `out` with every subscription interested in the published
    /// `subject` (after clearing it, reusing its capacity).
    ///
    /// `subject` is treated literally token by token: a published `*` or `>`
    /// token is not a wildcard. A subject with an empty token (`""`, `".a"`,
    /// `"a."`, `"a..b"`) matches nothing, as in nats-server. Plain subscribers
    /// go to `out.plain`; queue subscribers to one group per queue name.
    pub fn match_into(&self, subject: &[u8], out: &mut MatchResult<T>) {
        out.clear();
        // One pass over the subject checks it and finds the tokens.
        let mut toks = std::mem::take(&mut out.toks);
        toks.clear();
        if subject::split_well_formed(subject, &mut toks) {
            let mut stack = std::mem::take(&mut out.stack);
            self.walk(subject, &toks, &mut stack, out);
            out.stack = stack;
        }
        out.toks = toks;
    }

    /// Depth-first walk with an explicit stack (reused via the result), so
    /// long subjects cannot exhaust the thread stack. An entry is (node, index
    /// of the next token); index == token count means the node itself matched.
    fn walk(&self, subject: &[u8], toks: &[(usize, usize)], stack: &mut Vec<(u32, usize)>, out: &mut MatchResult<T>) {
        stack.push((ROOT, 0));
        while let Some((n, ti)) = stack.pop() {
            let node = &self.nodes[n as usize];
            let Some(&(start, end)) = toks.get(ti) else {
                out.add_node(node);
                continue;
            };
            // `>` needs at least one more token, which we know there is.
            if node.fwc != NONE {
                out.add_node(&self.nodes[node.fwc as usize]);
            }
            if node.pwc != NONE {
                stack.push((node.pwc, ti + 1));
            }
            if !node.children.is_empty() {
                if let Some(&c) = node.children.get(&subject[start..end]) {
                    stack.push((c, ti + 1));
                }
            }
        }
    }
}

/// The subscriptions matching one published subject.
///
/// Reused across matches: [`Sublist::match_into`] clears it but keeps every
/// allocation, including each inner queue vector.
#[derive(Debug)]
pub struct MatchResult<T> {
    /// Plain (non-queue) subscribers, one entry per subscription.
    pub plain: Vec<T>,
    /// One non-empty vector per matching queue group (by name, merged across
    /// the subjects it was subscribed through); deliver to one member each.
    pub queues: Vec<Vec<T>>,
    /// The group of each entry of `queues`, same order.
    pub queue_ids: Vec<QueueId>,
    /// Cleared inner vectors kept for the next match.
    spare: Vec<Vec<T>>,
    /// Walk stack and token ranges of `match_into`, kept to avoid allocating.
    stack: Vec<(u32, usize)>,
    toks: Vec<(usize, usize)>,
}

impl<T> Default for MatchResult<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> MatchResult<T> {
    /// An empty result.
    pub fn new() -> Self {
        MatchResult {
            plain: Vec::new(),
            queues: Vec::new(),
            queue_ids: Vec::new(),
            spare: Vec::new(),
            stack: Vec::new(),
            toks: Vec::new(),
        }
    }

    /// Empties the result, keeping allocations for reuse.
    pub fn clear(&mut self) {
        self.plain.clear();
        self.queue_ids.clear();
        for mut q in self.queues.drain(..) {
            q.clear();
            self.spare.push(q);
        }
    }

    /// True when nothing matched.
    pub fn is_empty(&self) -> bool {
        self.plain.is_empty() && self.queues.is_empty()
    }

    /// Number of subscriptions, plain plus every queue member.
    pub fn len(&self) -> usize {
        self.plain.len() + self.queues.iter().map(Vec::len).sum::<usize>()
    }

    fn add_node(&mut self, node: &Node<T>)
    where
        T: Copy,
    {
        self.plain.extend_from_slice(&node.plain.items);
        for g in &node.queues {
            let id = QueueId(g.id);
            // Linear, like nats-server's findQSlot: results rarely hold more
            // than a few groups.
            let slot = match self.queue_ids.iter().position(|&q| q == id) {
                Some(i) => i,
                None => {
                    self.queue_ids.push(id);
                    self.queues.push(self.spare.pop().unwrap_or_default());
                    self.queues.len() - 1
                }
            };
            self.queues[slot].extend_from_slice(&g.subs.items);
        }
    }
}

/// Match counters of one [`Matcher`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatcherStats {
    /// Calls to [`Matcher::matches`].
    pub matches: u64,
    /// Of those, answered from the cache.
    pub cache_hits: u64,
    /// Of those, answered without the cache because it was not paying.
    pub cache_bypassed: u64,
    /// Results currently cached.
    pub cache_len: usize,
}

/// Hasher for keys that already are 64-bit hashes.
#[derive(Default)]
struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only used for u64 keys")
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[derive(Debug)]
struct CacheEntry<T> {
    hash: u64,
    key: Vec<u8>,
    result: MatchResult<T>,
}

/// Bounded subject → result cache. Entries (and their buffers) are recycled:
/// after warm-up, neither a hit, a miss, an eviction nor a flush allocates.
#[derive(Debug)]
struct Cache<T> {
    capacity: usize,
    sublist_id: u64,
    generation: u64,
    /// Keyed per matcher so subjects chosen by clients cannot be made to
    /// collide on purpose.
    hasher: SubjectHash,
    /// Subject hash → slot in `entries`. Keyed by hash rather than by the
    /// subject so the key bytes can live in a reused buffer in the entry; the
    /// entry's key is compared on lookup, so a hash collision is only ever a
    /// miss, never a wrong answer.
    index: HashMap<u64, usize, BuildHasherDefault<PreHashed>>,
    entries: Vec<CacheEntry<T>>,
    /// Entries `[..live]` are in use.
    live: usize,
    /// Next victim once full: FIFO-ish, O(1), no bookkeeping on hits.
    clock: usize,
    /// Lookups per evaluation window (see `Matcher::matches`).
    window: u64,
    window_lookups: u64,
    window_hits: u64,
    /// Calls left to answer without the cache.
    bypass_left: u64,
}

/// Below this hit rate (percent) over a window, a cache costs more than it
/// saves: measured, a miss costs ~40 ns more than an uncached walk (hashing,
/// index upkeep, writing a cold entry) and a hit saves ~100 ns.
const MIN_HIT_PERCENT: u64 = 30;
/// How many windows' worth of calls a thrashing cache is bypassed for before
/// it is tried again.
const BYPASS_WINDOWS: u64 = 16;

impl<T> Cache<T> {
    fn flush(&mut self, sublist_id: u64, generation: u64) {
        self.index.clear();
        self.live = 0;
        self.clock = 0;
        self.sublist_id = sublist_id;
        self.generation = generation;
    }

    /// Counts a lookup; at the end of a window, decides whether to bypass.
    fn account(&mut self, hit: bool) {
        self.window_lookups += 1;
        self.window_hits += u64::from(hit);
        if self.window_lookups == self.window {
            if self.window_hits * 100 < self.window * MIN_HIT_PERCENT {
                self.bypass_left = self.window * BYPASS_WINDOWS;
            }
            self.window_lookups = 0;
            self.window_hits = 0;
        }
    }

    fn claim_slot(&mut self) -> usize {
        if self.live < self.capacity {
            let slot = self.live;
            self.live += 1;
            if slot == self.entries.len() {
                self.entries.push(CacheEntry { hash: 0, key: Vec::new(), result: MatchResult::new() });
            }
            slot
        } else {
            let slot = self.clock;
            self.clock = (self.clock + 1) % self.capacity;
            self.index.remove(&self.entries[slot].hash);
            slot
        }
    }
}

/// A per-worker front for matching: a scratch result plus an optional
/// bounded cache keyed by subject, flushed wholesale whenever the sublist's
/// generation (or identity) changes. See the module doc.
#[derive(Debug)]
pub struct Matcher<T> {
    scratch: MatchResult<T>,
    cache: Option<Cache<T>>,
    matches: u64,
    cache_hits: u64,
    bypassed: u64,
}

impl<T> Matcher<T> {
    /// A matcher caching up to `cache_capacity` results; 0 disables caching
    /// (every call walks the trie into a reused scratch result).
    pub fn new(cache_capacity: usize) -> Self {
        let cache = (cache_capacity > 0).then(|| Cache {
            capacity: cache_capacity,
            sublist_id: 0,
            generation: 0,
            hasher: SubjectHash::new(),
            index: HashMap::default(),
            entries: Vec::new(),
            live: 0,
            clock: 0,
            // Twice the capacity, so a working set that fits has time to warm.
            window: (cache_capacity as u64).saturating_mul(2).clamp(256, 1 << 20),
            window_lookups: 0,
            window_hits: 0,
            bypass_left: 0,
        });
        Matcher { scratch: MatchResult::new(), cache, matches: 0, cache_hits: 0, bypassed: 0 }
    }

    /// The cache capacity given at construction (0 = no cache).
    pub fn cache_capacity(&self) -> usize {
        self.cache.as_ref().map_or(0, |c| c.capacity)
    }

    /// Forgets every cached result (keeping the buffers).
    pub fn clear_cache(&mut self) {
        if let Some(c) = &mut self.cache {
            c.flush(0, 0);
        }
    }

    /// This matcher's counters.
    pub fn stats(&self) -> MatcherStats {
        MatcherStats {
            matches: self.matches,
            cache_hits: self.cache_hits,
            cache_bypassed: self.bypassed,
            cache_len: self.cache.as_ref().map_or(0, |c| c.live),
        }
    }

    /// The subscriptions interested in the published `subject`, from the
    /// cache when it holds a result computed against this same sublist at its
    /// current generation, otherwise by walking `sl` (and caching the result).
    ///
    /// The cache steps aside when it does not pay: if fewer than
    /// `MIN_HIT_PERCENT` of a window's lookups hit (subjects that never
    /// repeat, such as unique reply inboxes, or interest changing faster than
    /// the cache warms), the next `BYPASS_WINDOWS` windows' worth of calls
    /// walk the trie directly, then the cache gets another trial window.
    pub fn matches<'a>(&'a mut self, sl: &Sublist<T>, subject: &[u8]) -> &'a MatchResult<T>
    where
        T: Copy + Eq + Hash,
    {
        self.matches += 1;
        let cache = match self.cache.as_mut() {
            Some(cache) if cache.bypass_left == 0 => cache,
            Some(cache) => {
                cache.bypass_left -= 1;
                self.bypassed += 1;
                sl.match_into(subject, &mut self.scratch);
                return &self.scratch;
            }
            None => {
                sl.match_into(subject, &mut self.scratch);
                return &self.scratch;
            }
        };
        if cache.sublist_id != sl.id || cache.generation != sl.generation {
            cache.flush(sl.id, sl.generation);
        }
        let hash = cache.hasher.hash_one(subject);
        let slot = match cache.index.get(&hash).copied() {
            Some(slot) if cache.entries[slot].key == subject => {
                self.cache_hits += 1;
                cache.account(true);
                slot
            }
            Some(_) => {
                // Two subjects with one 64-bit hash: answer without caching.
                sl.match_into(subject, &mut self.scratch);
                return &self.scratch;
            }
            None => {
                let slot = cache.claim_slot();
                let entry = &mut cache.entries[slot];
                entry.hash = hash;
                entry.key.clear();
                entry.key.extend_from_slice(subject);
                sl.match_into(subject, &mut entry.result);
                cache.index.insert(hash, slot);
                cache.account(false);
                slot
            }
        };
        &cache.entries[slot].result
    }
}

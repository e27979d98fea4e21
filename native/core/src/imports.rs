//! Account exports and imports: how a message crosses from one account's trie into another's, as
//! nats-server's stream and service imports do.
//!
//! * **Stream import**: account I imports subject `from` of account E, delivered as `to`. A message
//!   published in E on a subject matching `from` also reaches I's subscribers of the mapped subject. It goes
//!   one hop only (nats-server's shadow subscriptions belong to clients, never to other imports).
//! * **Service import**: account I imports E's subject `to`, published locally as `from`. A request published
//!   in I on a subject matching `from` is published in E on the mapped subject, with its reply replaced by a
//!   fresh `_R_.…` subject of E. A message published in E on that subject is the response: it is published in
//!   I on the original reply (then forgotten for `singleton`, or kept until it is idle for the export's
//!   response threshold for `stream`/`chunked`). Service imports chain (E may import the subject from a
//!   third account), bounded by [`MAX_IMPORT_HOPS`]; the control plane refuses cycles at startup as
//!   nats-server does.
//!
//! Who owns what: [`Imports`] lives in the router and is shared by every worker: the import tables (replaced
//! whole, once at startup and on config change, never per message) and the response map (one mutex, taken
//! only for requests through a service import and for publishes on `_R_.` subjects). Each engine keeps an
//! [`ImportView`]: its snapshot of the tables, refreshed when their generation changes (one atomic load per
//! publish), and scratch buffers. Delivery itself goes through [`Deliver::fan_out`], the engine's ordinary
//! match-and-deliver (or forward to the owning worker), so per-publisher order holds across workers.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use serde::Deserialize;

use crate::parser::Publish;
use crate::subject::{self, SubjectHash};
use crate::sublist::{MatchResult, Sublist};

/// nats-server's prefix of service import reply subjects.
pub const REPLY_PREFIX: &[u8] = b"_R_.";
/// nats-server's DEFAULT_SERVICE_EXPORT_RESPONSE_THRESHOLD.
pub const DEFAULT_RESPONSE_THRESHOLD_MS: u64 = 120_000;
/// How many service imports (and responses) one message may pass through. Cycles are refused at config time;
/// this only bounds the work if one slipped through.
pub const MAX_IMPORT_HOPS: u32 = 8;
/// Expired responses are swept at most this often.
const SWEEP_EVERY_MS: u64 = 1000;

/// One token of a mapped subject.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(Box<[u8]>),
    /// The source subject's token at this index (what a `*` of the source matched).
    Token(usize),
    /// The source subject's tokens from this index on (what its `>` matched).
    Rest(usize),
}

/// A subject rewrite from an import's source pattern to its destination, nats-server's strict import
/// transform: the N-th `*` (or `$N`) of the destination is what the N-th `*` of the source matched, and `>`
/// is what the source's `>` matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectMap {
    /// `None` when the destination is the published subject itself.
    parts: Option<Box<[Part]>>,
}

impl SubjectMap {
    pub fn new(src: &[u8], dest: &[u8]) -> Result<SubjectMap, String> {
        if src == dest {
            return Ok(SubjectMap { parts: None });
        }
        let bad = || {
            format!("bad import mapping from {:?} to {:?}", String::from_utf8_lossy(src), String::from_utf8_lossy(dest))
        };
        let mut pwcs = Vec::new();
        let mut fwc = None;
        for (i, t) in subject::tokens(src).enumerate() {
            match t {
                b"*" => pwcs.push(i),
                b">" => fwc = Some(i),
                _ => {}
            }
        }
        if pwcs.is_empty() && fwc.is_none() {
            // A literal source: the destination is taken as written (nats-server does not transform it).
            return Ok(SubjectMap { parts: Some(subject::tokens(dest).map(|t| Part::Literal(t.into())).collect()) });
        }
        let mut next_pwc = 0;
        let mut parts = Vec::new();
        for t in subject::tokens(dest) {
            let part = match t {
                b"*" => {
                    next_pwc += 1;
                    Part::Token(*pwcs.get(next_pwc - 1).ok_or_else(bad)?)
                }
                b">" => Part::Rest(fwc.ok_or_else(bad)?),
                [b'$', digits @ ..] if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) => {
                    let n: usize = std::str::from_utf8(digits).ok().and_then(|d| d.parse().ok()).ok_or_else(bad)?;
                    Part::Token(*pwcs.get(n.wrapping_sub(1)).ok_or_else(bad)?)
                }
                _ => Part::Literal(t.into()),
            };
            parts.push(part);
        }
        Ok(SubjectMap { parts: Some(parts.into()) })
    }

    /// Write the mapped form of `subject` (which matched the source pattern) into `out`. `toks` is scratch.
    pub fn apply(&self, subject: &[u8], toks: &mut Vec<(usize, usize)>, out: &mut Vec<u8>) {
        out.clear();
        let Some(parts) = &self.parts else {
            out.extend_from_slice(subject);
            return;
        };
        toks.clear();
        subject::split_well_formed(subject, toks);
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                out.push(b'.');
            }
            match part {
                Part::Literal(t) => out.extend_from_slice(t),
                Part::Token(n) => {
                    if let Some(&(s, e)) = toks.get(*n) {
                        out.extend_from_slice(&subject[s..e]);
                    }
                }
                Part::Rest(n) => {
                    if let Some(&(s, _)) = toks.get(*n) {
                        out.extend_from_slice(&subject[s..]);
                    }
                }
            }
        }
    }
}

/// How a service export answers (nats-server's `response_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResponseType {
    Singleton,
    Stream,
    Chunked,
}

/// The import tables as the control plane sends them (JSON). Account names are resolved to router ids.
#[derive(Debug, Default, Deserialize)]
pub struct ImportsConfig {
    #[serde(default)]
    pub streams: Vec<StreamImportConfig>,
    #[serde(default)]
    pub services: Vec<ServiceImportConfig>,
    /// Accounts' `msg_trace` destinations (for messages with a sampled `traceparent` header). They ride
    /// along with the imports because they are account settings every worker reads the same way.
    #[serde(default, rename = "traceDests")]
    pub trace_dests: Vec<TraceDestConfig>,
}

#[derive(Debug, Deserialize)]
pub struct TraceDestConfig {
    pub account: String,
    pub dest: String,
    /// Percentage of sampled `traceparent` messages traced, 1..=100.
    pub sampling: u8,
}

#[derive(Debug, Deserialize)]
pub struct StreamImportConfig {
    /// The account whose messages are imported.
    pub exporter: String,
    pub importer: String,
    /// Subject (pattern) in the exporter.
    pub from: String,
    /// What it becomes in the importer (prefix already applied).
    pub to: String,
    /// `allow_trace`: a traced message is traced on past the import (see [`Deliver::fan_out_imported`]).
    #[serde(default, rename = "allowTrace")]
    pub allow_trace: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceImportConfig {
    pub importer: String,
    /// The account that serves the requests.
    pub exporter: String,
    /// Subject (pattern) requests are published to in the importer.
    pub from: String,
    /// The exporter's subject they are published on.
    pub to: String,
    pub response: ResponseType,
    #[serde(default)]
    pub threshold_ms: Option<u64>,
    /// The export's `allow_trace` (see [`Deliver::trace_service_import`]).
    #[serde(default)]
    pub allow_trace: bool,
}

struct StreamRoute {
    importer: u32,
    map: SubjectMap,
    allow_trace: bool,
}

struct ServiceRoute {
    exporter: u32,
    /// The `Nats-Request-Info` value stamped on requests from the importing account.
    request_info: Box<[u8]>,
    map: SubjectMap,
    response: ResponseType,
    threshold_ms: u64,
    allow_trace: bool,
}

/// Every import, indexed for the publishing side: by exporting account for streams (whose publishes fan out
/// to importers), by importing account for services (whose publishes become requests). Immutable once built.
#[derive(Default)]
pub struct ImportTables {
    /// By exporter account id: a trie of stream import sources whose values index `stream_routes`.
    streams: Vec<Option<Sublist<u32>>>,
    stream_routes: Vec<StreamRoute>,
    /// By importer account id: a trie of service import local subjects whose values index `service_routes`.
    services: Vec<Option<Sublist<u32>>>,
    service_routes: Vec<ServiceRoute>,
    /// By account id: its `msg_trace` destination and sampling percentage.
    trace_dests: Vec<Option<(Box<str>, u8)>>,
}

fn add_route(tries: &mut Vec<Option<Sublist<u32>>>, account: u32, subject: &str, route: usize) -> Result<(), String> {
    let i = account as usize;
    if tries.len() <= i {
        tries.resize_with(i + 1, || None);
    }
    tries[i]
        .get_or_insert_with(Sublist::new)
        .insert(subject.as_bytes(), None, route as u32)
        .map_err(|_| format!("invalid import subject {subject:?}"))
}

impl ImportTables {
    /// Build the tables; `account_id` names accounts (the router creates them on first use).
    pub fn build(cfg: &ImportsConfig, mut account_id: impl FnMut(&str) -> u32) -> Result<ImportTables, String> {
        let mut t = ImportTables::default();
        for s in &cfg.streams {
            let route = StreamRoute {
                importer: account_id(&s.importer),
                map: SubjectMap::new(s.from.as_bytes(), s.to.as_bytes())?,
                allow_trace: s.allow_trace,
            };
            add_route(&mut t.streams, account_id(&s.exporter), &s.from, t.stream_routes.len())?;
            t.stream_routes.push(route);
        }
        for s in &cfg.services {
            let route = ServiceRoute {
                exporter: account_id(&s.exporter),
                request_info: request_info::value_for(&s.importer),
                map: SubjectMap::new(s.from.as_bytes(), s.to.as_bytes())?,
                response: s.response,
                threshold_ms: s.threshold_ms.unwrap_or(DEFAULT_RESPONSE_THRESHOLD_MS),
                allow_trace: s.allow_trace,
            };
            add_route(&mut t.services, account_id(&s.importer), &s.from, t.service_routes.len())?;
            t.service_routes.push(route);
        }
        for d in &cfg.trace_dests {
            let i = account_id(&d.account) as usize;
            if t.trace_dests.len() <= i {
                t.trace_dests.resize(i + 1, None);
            }
            t.trace_dests[i] = Some((d.dest.as_str().into(), d.sampling));
        }
        Ok(t)
    }

    /// No imports (trace destinations alone give `route` nothing to do).
    pub fn is_empty(&self) -> bool {
        self.stream_routes.is_empty() && self.service_routes.is_empty()
    }
}

/// A pending response of a service import: where a publish on its `_R_.` subject goes.
struct Response {
    /// The account the request went to: only a publish there is a response (as in nats-server, where the
    /// `_R_.` subscription lives in the exporter's account alone).
    exporter: u32,
    /// The requesting account and the request's original reply subject.
    account: u32,
    reply: Box<[u8]>,
    singleton: bool,
    threshold_ms: u64,
    /// Last use (creation or a delivered response), engine clock.
    touched_ms: u64,
}

struct Responses {
    map: HashMap<Box<[u8]>, Response, SubjectHash>,
    /// `_R_.` plus 6 random base-62 characters plus `.`: this router's reply prefix.
    prefix: Vec<u8>,
    /// Makes each reply unique.
    next: u64,
    /// xorshift state for the random part of each reply, so replies are not guessable from one another.
    rng: u64,
    last_sweep_ms: u64,
}

/// What the router shares about imports. See the module documentation.
pub struct Imports {
    tables: RwLock<Arc<ImportTables>>,
    /// Bumped each time the tables are replaced, so engines know to take the new ones.
    generation: AtomicU64,
    responses: Mutex<Responses>,
    /// Entries in `responses`, readable without the lock (0 lets `_R_.` publishes skip it).
    outstanding: AtomicUsize,
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn push_base62(out: &mut Vec<u8>, mut n: u64, min_len: usize) {
    let start = out.len();
    let mut len = 0;
    while n > 0 || len < min_len {
        out.push(BASE62[(n % 62) as usize]);
        n /= 62;
        len += 1;
    }
    out[start..].reverse();
}

impl Default for Imports {
    fn default() -> Self {
        let seed = RandomState::new().hash_one(0x5e_u8) | 1;
        let mut prefix = REPLY_PREFIX.to_vec();
        push_base62(&mut prefix, seed % 62u64.pow(6), 6);
        prefix.push(b'.');
        Imports {
            tables: RwLock::new(Arc::new(ImportTables::default())),
            generation: AtomicU64::new(0),
            responses: Mutex::new(Responses {
                map: HashMap::with_hasher(SubjectHash::new()),
                prefix,
                next: 0,
                rng: seed.rotate_left(17) | 1,
                last_sweep_ms: 0,
            }),
            outstanding: AtomicUsize::new(0),
        }
    }
}

impl Imports {
    /// Replace the tables (startup, config change). Pending responses stay valid until they expire.
    pub fn set(&self, tables: ImportTables) {
        *self.tables.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(tables);
        self.generation.fetch_add(1, Ordering::Release);
    }

    fn responses(&self) -> std::sync::MutexGuard<'_, Responses> {
        self.responses.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Responses waiting.
    pub fn outstanding(&self) -> usize {
        self.outstanding.load(Ordering::Relaxed)
    }

    /// A fresh `_R_.` reply subject whose responses go to `reply` in `account`.
    fn track(&self, account: u32, reply: &[u8], route: &ServiceRoute, now_ms: u64, out: &mut Vec<u8>) {
        let mut r = self.responses();
        out.clear();
        out.extend_from_slice(&r.prefix);
        r.next += 1;
        push_base62(out, r.next, 1);
        r.rng ^= r.rng << 13;
        r.rng ^= r.rng >> 7;
        r.rng ^= r.rng << 17;
        push_base62(out, r.rng % 62u64.pow(6), 6);
        let response = Response {
            exporter: route.exporter,
            account,
            reply: reply.into(),
            singleton: route.response == ResponseType::Singleton,
            threshold_ms: route.threshold_ms,
            touched_ms: now_ms,
        };
        r.map.insert(out.as_slice().into(), response);
        self.outstanding.store(r.map.len(), Ordering::Relaxed);
    }

    fn forget(&self, subject: &[u8]) {
        let mut r = self.responses();
        r.map.remove(subject);
        self.outstanding.store(r.map.len(), Ordering::Relaxed);
    }

    /// Where a response published on `subject` in account `from` goes: (account, original reply). A
    /// singleton is forgotten at once (a second response finds nothing); a stream/chunked response stays and
    /// its timer restarts, unless `last` (an empty message, which ends a stream in nats-server).
    fn resolve(&self, from: u32, subject: &[u8], last: bool, now_ms: u64, reply: &mut Vec<u8>) -> Option<u32> {
        let mut r = self.responses();
        let entry = r.map.get_mut(subject).filter(|e| e.exporter == from)?;
        reply.clear();
        reply.extend_from_slice(&entry.reply);
        let account = entry.account;
        entry.touched_ms = now_ms;
        if entry.singleton || last {
            r.map.remove(subject);
            self.outstanding.store(r.map.len(), Ordering::Relaxed);
        }
        Some(account)
    }

    /// Drop responses idle past their threshold. Cheap when none are pending; runs at most once a second.
    pub fn sweep(&self, now_ms: u64) {
        if self.outstanding() == 0 {
            return;
        }
        let mut r = self.responses();
        if now_ms < r.last_sweep_ms + SWEEP_EVERY_MS {
            return;
        }
        r.last_sweep_ms = now_ms;
        r.map.retain(|_, e| now_ms < e.touched_ms + e.threshold_ms);
        self.outstanding.store(r.map.len(), Ordering::Relaxed);
    }
}

/// The engine side of routing: match a message in an account's trie and deliver or forward it.
pub trait Deliver {
    /// Deliver `m` to `account`'s subscribers; true if any subscriber (here or on another worker) takes it.
    fn fan_out(&mut self, account: u32, m: &Publish<'_>) -> bool;
    fn now_ms(&self) -> u64;
    /// `account`'s subject mappings applied to `subject` (a service request entering its exporter, as
    /// nats-server maps it there): true with the mapped subject in `out`.
    fn map_subject(&mut self, _account: u32, _subject: &[u8], _out: &mut Vec<u8>) -> bool {
        false
    }
    /// A stream import delivers `m` (already mapped) into `importer`. The engine adds message tracing's
    /// stream export events and stops tracing there unless `allow_trace`.
    fn fan_out_imported(&mut self, importer: u32, m: &Publish<'_>, _allow_trace: bool) -> bool {
        self.fan_out(importer, m)
    }
    /// A service import is about to carry `m` from subject `from` into `exporter` as `to`: what message
    /// tracing does with it (nothing is traced: [`ImportTrace::Traced`]).
    fn trace_service_import(&mut self, _exporter: u32, _from: &[u8], _to: &[u8], _allow_trace: bool) -> ImportTrace {
        ImportTrace::Traced
    }
    /// After [`ImportTrace::Untraced`]: the message's trace applies again.
    fn resume_trace(&mut self) {}
}

/// How a traced message passes a service import (nats-server's `allow_trace` on the export).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportTrace {
    /// On, traced (or not traced at all).
    Traced,
    /// Not passed on: a trace-only message stops at an import that does not allow tracing.
    Skip,
    /// Passed on without tracing, until [`Deliver::resume_trace`].
    Untraced,
}

/// Scratch reused across messages (owned by one engine), so routing allocates nothing per message once warm.
#[derive(Default)]
struct Scratch {
    matches: MatchResult<u32>,
    toks: Vec<(usize, usize)>,
    /// One set of buffers per import hop: a hop's buffers stay borrowed while the next hop routes. A level
    /// is moved out for the length of its hop and put back (moving a Vec neither allocates nor frees).
    hops: Vec<HopBuffers>,
}

/// What one hop of [`route_in`] builds for the messages it passes on.
#[derive(Default)]
struct HopBuffers {
    /// The matching routes, copied out of `matches` (which the next hop reuses).
    routes: Vec<u32>,
    subject: Vec<u8>,
    /// `subject` after the exporter's subject mappings, when they change it.
    mapped: Vec<u8>,
    reply: Vec<u8>,
    /// The request with its `Nats-Request-Info` header.
    stamped: Vec<u8>,
}

/// One engine's view of the import tables. See the module documentation. `Default` allocates nothing, so
/// the engine can move it out and back around a call that also borrows the engine.
#[derive(Default)]
pub struct ImportView {
    generation: u64,
    /// `None` until the first tables are taken.
    tables: Option<Arc<ImportTables>>,
    scratch: Scratch,
}

impl ImportView {
    /// Take newer tables if the router has them; returns whether [`ImportView::route`] has anything to do
    /// (imports exist or responses are pending). One atomic load when nothing changed.
    pub fn active(&mut self, shared: &Imports) -> bool {
        let generation = shared.generation.load(Ordering::Acquire);
        if generation != self.generation {
            self.tables = Some(shared.tables.read().unwrap_or_else(|e| e.into_inner()).clone());
            self.generation = generation;
        }
        self.tables.as_ref().is_some_and(|t| !t.is_empty()) || shared.outstanding() > 0
    }

    /// `account`'s `msg_trace` destination and sampling percentage, if configured. Off the hot path: asked
    /// only for a message with a sampled `traceparent` header.
    pub fn trace_dest(&mut self, shared: &Imports, account: u32) -> Option<(&str, u8)> {
        self.active(shared);
        let (dest, sampling) = self.tables.as_ref()?.trace_dests.get(account as usize)?.as_ref()?;
        Some((dest, *sampling))
    }

    /// Route what a publish in `account` implies beyond its own trie: stream imports of its subject,
    /// service requests, responses. The engine has already delivered `m` in `account`. Returns whether
    /// anything was delivered.
    pub fn route(&mut self, shared: &Imports, sink: &mut impl Deliver, account: u32, m: &Publish<'_>) -> bool {
        let Some(tables) = &self.tables else { return false };
        route_in(tables, &mut self.scratch, shared, sink, account, m, 0)
    }
}

/// Install the import tables described by `json` (see [`ImportsConfig`]) in `router`.
pub fn configure(router: &crate::router::Router, json: &[u8]) -> Result<(), String> {
    let cfg: ImportsConfig = serde_json::from_slice(json).map_err(|e| format!("bad imports table: {e}"))?;
    let tables = ImportTables::build(&cfg, |name| router.account_id(name))?;
    router.imports().set(tables);
    Ok(())
}

/// The import routes of `subject` in `account`'s trie, copied into `out` so the scratch can be reused while
/// they run.
fn routes_into(tries: &[Option<Sublist<u32>>], account: u32, subject: &[u8], s: &mut Scratch, out: &mut Vec<u32>) {
    out.clear();
    if let Some(Some(trie)) = tries.get(account as usize) {
        trie.match_into(subject, &mut s.matches);
        out.extend_from_slice(&s.matches.plain);
    }
}

fn route_in(
    t: &ImportTables,
    s: &mut Scratch,
    shared: &Imports,
    sink: &mut impl Deliver,
    account: u32,
    m: &Publish<'_>,
    hops: u32,
) -> bool {
    let level = hops as usize;
    if s.hops.len() <= level {
        s.hops.resize_with(level + 1, HopBuffers::default);
    }
    let mut b = std::mem::take(&mut s.hops[level]);
    let delivered = route_hop(t, s, &mut b, shared, sink, account, m, hops);
    s.hops[level] = b;
    delivered
}

#[allow(clippy::too_many_arguments)]
fn route_hop(
    t: &ImportTables,
    s: &mut Scratch,
    b: &mut HopBuffers,
    shared: &Imports,
    sink: &mut impl Deliver,
    account: u32,
    m: &Publish<'_>,
    hops: u32,
) -> bool {
    let mut delivered = false;
    routes_into(&t.streams, account, m.subject, s, &mut b.routes);
    for &r in &b.routes {
        let route = &t.stream_routes[r as usize];
        route.map.apply(m.subject, &mut s.toks, &mut b.subject);
        let mapped = Publish { subject: &b.subject, reply: m.reply, header_len: m.header_len, body: m.body };
        delivered |= sink.fan_out_imported(route.importer, &mapped, route.allow_trace);
    }
    if hops >= MAX_IMPORT_HOPS {
        return delivered;
    }
    routes_into(&t.services, account, m.subject, s, &mut b.routes);
    for &r in &b.routes {
        let route = &t.service_routes[r as usize];
        route.map.apply(m.subject, &mut s.toks, &mut b.subject);
        let trace = sink.trace_service_import(route.exporter, m.subject, &b.subject, route.allow_trace);
        if trace == ImportTrace::Skip {
            delivered = true;
            continue;
        }
        b.reply.clear();
        if !m.reply.is_empty() {
            shared.track(account, m.reply, route, sink.now_ms(), &mut b.reply);
        }
        let to = if sink.map_subject(route.exporter, &b.subject, &mut b.mapped) { &b.mapped } else { &b.subject };
        let mut request = Publish { subject: to, reply: &b.reply, header_len: m.header_len, body: m.body };
        if hops == 0 {
            // Entering the first service import: say which account asks (a chained request keeps it).
            let header_len = request_info::stamp(m, &route.request_info, &mut b.stamped);
            request.header_len = Some(header_len);
            request.body = &b.stamped;
        }
        let took = publish_in(t, s, shared, sink, route.exporter, &request, hops + 1);
        if !took && !b.reply.is_empty() {
            // Nobody will answer: nats-server drops the response mapping at once.
            shared.forget(&b.reply);
        }
        if trace == ImportTrace::Untraced {
            sink.resume_trace();
        }
        delivered |= took;
    }
    if m.subject.starts_with(REPLY_PREFIX) && shared.outstanding() > 0 {
        let last = m.body.is_empty() && m.header_len.is_none();
        if let Some(to) = shared.resolve(account, m.subject, last, sink.now_ms(), &mut b.reply) {
            // The response's own reply subject belongs to the exporter's namespace: it is not passed on.
            let response = Publish { subject: &b.reply, reply: b"", header_len: m.header_len, body: m.body };
            let took = publish_in(t, s, shared, sink, to, &response, hops + 1);
            if !took {
                // The requester is gone: nats-server drops the mapping rather than wait for its threshold.
                shared.forget(m.subject);
            }
            delivered |= took;
        }
    }
    delivered
}

/// A message entering `account` through an import: delivered there, then routed on.
fn publish_in(
    t: &ImportTables,
    s: &mut Scratch,
    shared: &Imports,
    sink: &mut impl Deliver,
    account: u32,
    m: &Publish<'_>,
    hops: u32,
) -> bool {
    let delivered = sink.fan_out(account, m);
    route_in(t, s, shared, sink, account, m, hops) || delivered
}

mod request_info;

#[cfg(test)]
mod tests;

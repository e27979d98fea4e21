//! Account subject mappings (`mappings {}`), as nats-server applies them: a client's publish whose subject
//! matches a mapping's source is routed as if published on one of the mapping's destinations, chosen by
//! weight per message. Applied in the publisher's account before anything else looks at the subject.
//!
//! The control plane installs every account's mappings as JSON ([`configure`]) into the router's
//! [`Mappings`]; each engine keeps a [`MappingView`] (an `Arc` of the tables, refreshed when the generation
//! moves), so a publish in an account without mappings costs one atomic load and one branch.

#[cfg(test)]
mod tests;

use crate::subject;
use crate::transform::{validate_mapping, ErrorKind, Transform};
use serde::Deserialize;
use std::collections::{hash_map::RandomState, HashSet};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// One configured destination: nats-server's `MapDest`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct MapDest {
    pub subject: String,
    pub weight: u8,
    #[serde(default)]
    pub cluster: String,
}

/// One configured mapping: a source and its destinations (a plain `src: dest` is one destination at 100).
#[derive(Clone, Debug, Deserialize)]
pub struct MappingConfig {
    pub src: String,
    pub dests: Vec<MapDest>,
}

/// The JSON [`configure`] reads: each account's mappings, in the order they are tried.
#[derive(Debug, Default, Deserialize)]
pub struct MappingsConfig {
    #[serde(default)]
    pub accounts: Vec<(String, Vec<MappingConfig>)>,
}

/// A destination whose `upto` is its cumulative weight: it is chosen when a draw in 0..100 is below `upto`
/// (and not below the previous one's). `None` is nats-server's nil transform of an empty destination.
#[derive(Debug)]
struct Weighted {
    transform: Option<Transform>,
    upto: u8,
}

/// A compiled mapping (nats-server's `mapping`).
#[derive(Debug)]
pub struct Mapping {
    src: Vec<u8>,
    wildcard: bool,
    dests: Vec<Weighted>,
}

/// What a publish's subject becomes.
#[derive(Debug, PartialEq, Eq)]
pub enum Mapped {
    /// No mapping's source matches: route by the published subject.
    Unchanged,
    /// Route by the subject written to the output buffer. It may be empty: a mapping whose weights leave a
    /// share to its own source listed explicitly drops that share (nats-server's "loss").
    To,
}

fn go_quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

impl Mapping {
    /// nats-server's `AddWeightedMappings`, with its error texts. Destinations scoped to a cluster are
    /// validated and then left out: this server has no cluster name, and nats-server falls back to the
    /// unscoped destinations when its cluster name matches none.
    pub fn new(src: &str, dests: &[MapDest]) -> Result<Mapping, String> {
        if !subject::is_valid_subject(src.as_bytes()) {
            return Err(ErrorKind::BadSubject.text().to_string());
        }
        let wildcard = subject::has_wildcard(src.as_bytes());
        let mut seen = HashSet::new();
        let mut totals: Vec<(&str, u32)> = Vec::new();
        let mut main = Vec::new();
        for d in dests {
            if !seen.insert(d.subject.as_str()) {
                return Err(format!("duplicate entry for {}", go_quote(&d.subject)));
            }
            if d.weight > 100 {
                return Err("individual weights need to be <= 100".into());
            }
            let total = match totals.iter_mut().find(|(c, _)| *c == d.cluster) {
                Some((_, t)) => t,
                None => {
                    totals.push((&d.cluster, 0));
                    &mut totals.last_mut().expect("just pushed").1
                }
            };
            *total += d.weight as u32;
            if *total > 100 {
                return Err("total weight needs to be <= 100".into());
            }
            validate_mapping(src, &d.subject).map_err(|e| e.to_string())?;
            let transform = Transform::new(src, &d.subject, false).map_err(|e| e.to_string())?;
            if d.cluster.is_empty() {
                main.push((transform, d.weight));
            }
        }
        let listed: u32 = main.iter().map(|(_, w)| *w as u32).sum();
        // The share the weights leave goes to the source itself, unless the source is listed (then it is lost).
        if listed != 100 && !seen.contains(src) {
            let own = if wildcard { numbered_wildcards(src) } else { src.to_string() };
            let share = if main.is_empty() { 100 } else { 100 - listed as u8 };
            main.push((Transform::new(src, &own, false).map_err(|e| e.to_string())?, share));
        }
        main.sort_by_key(|(_, w)| *w);
        let mut upto = 0u8;
        let dests = main
            .into_iter()
            .map(|(transform, w)| {
                upto += w;
                Weighted { transform, upto }
            })
            .collect();
        Ok(Mapping { src: src.as_bytes().to_vec(), wildcard, dests })
    }

    fn matches(&self, subject: &[u8]) -> bool {
        if self.wildcard {
            subject::is_subset_match(subject, &self.src)
        } else {
            self.src == subject
        }
    }

    /// Pick a destination with `draw` (0..100 when there is a choice) and write it to `out`.
    fn select(&self, subject: &[u8], draw: &mut impl FnMut() -> u32, out: &mut Vec<u8>) {
        out.clear();
        let chosen = if self.dests.len() == 1 && self.dests[0].upto == 100 {
            Some(&self.dests[0])
        } else {
            let w = (draw() % 100) as u8;
            self.dests.iter().find(|d| w < d.upto)
        };
        if let Some(t) = chosen.and_then(|d| d.transform.as_ref()) {
            let tokens: smallvec_tokens::Tokens = smallvec_tokens::Tokens::new(subject);
            t.apply(tokens.as_slice(), draw, out);
        }
    }
}

/// The tokens of a subject without allocating for the usual short ones.
mod smallvec_tokens {
    pub struct Tokens<'a> {
        inline: [&'a [u8]; 16],
        len: usize,
        spill: Vec<&'a [u8]>,
    }

    impl<'a> Tokens<'a> {
        pub fn new(subject: &'a [u8]) -> Self {
            let mut t = Tokens { inline: [b""; 16], len: 0, spill: Vec::new() };
            for tok in crate::subject::tokens(subject) {
                if t.len < 16 {
                    t.inline[t.len] = tok;
                    t.len += 1;
                } else {
                    if t.spill.is_empty() {
                        t.spill.extend_from_slice(&t.inline);
                    }
                    t.spill.push(tok);
                }
            }
            t
        }

        pub fn as_slice(&self) -> &[&'a [u8]] {
            if self.spill.is_empty() {
                &self.inline[..self.len]
            } else {
                &self.spill
            }
        }
    }
}

/// `foo.*.*` → `foo.$1.$2` (nats-server's `transformTokenize`).
fn numbered_wildcards(src: &str) -> String {
    let mut n = 0;
    src.split('.')
        .map(|t| {
            if t == "*" {
                n += 1;
                format!("${n}")
            } else {
                t.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Every account's mappings, indexed by router account id.
#[derive(Debug, Default)]
pub struct MappingTables {
    accounts: Vec<Vec<Mapping>>,
}

impl MappingTables {
    pub fn build(cfg: &MappingsConfig, mut account_id: impl FnMut(&str) -> u32) -> Result<MappingTables, String> {
        let mut t = MappingTables::default();
        for (name, mappings) in &cfg.accounts {
            let id = account_id(name) as usize;
            if t.accounts.len() <= id {
                t.accounts.resize_with(id + 1, Vec::new);
            }
            for m in mappings {
                let compiled =
                    Mapping::new(&m.src, &m.dests).map_err(|e| format!("mapping {}: {e}", go_quote(&m.src)))?;
                // A repeated source replaces the earlier one, in its place.
                match t.accounts[id].iter_mut().find(|e| e.src == compiled.src) {
                    Some(e) => *e = compiled,
                    None => t.accounts[id].push(compiled),
                }
            }
        }
        Ok(t)
    }

    fn is_empty(&self) -> bool {
        self.accounts.iter().all(Vec::is_empty)
    }

    /// nats-server's `selectMappedSubject`: the first mapping (in order) whose source matches decides.
    pub fn select(&self, account: u32, subject: &[u8], draw: &mut impl FnMut() -> u32, out: &mut Vec<u8>) -> Mapped {
        let Some(mappings) = self.accounts.get(account as usize) else { return Mapped::Unchanged };
        match mappings.iter().find(|m| m.matches(subject)) {
            Some(m) => {
                m.select(subject, draw, out);
                Mapped::To
            }
            None => Mapped::Unchanged,
        }
    }
}

/// The router's copy of the tables, replaced whole on configuration change.
#[derive(Debug, Default)]
pub struct Mappings {
    tables: RwLock<Arc<MappingTables>>,
    generation: AtomicU64,
}

impl Mappings {
    pub fn set(&self, tables: MappingTables) {
        *self.tables.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(tables);
        self.generation.fetch_add(1, Ordering::Release);
    }
}

/// Install the mappings (JSON, [`MappingsConfig`]) in `router`: at startup and on configuration change.
pub fn configure(router: &crate::router::Router, json: &[u8]) -> Result<(), String> {
    let cfg: MappingsConfig = serde_json::from_slice(json).map_err(|e| format!("bad mappings table: {e}"))?;
    let tables = MappingTables::build(&cfg, |name| router.account_id(name))?;
    router.mappings().set(tables);
    Ok(())
}

/// Check one mapping as configured (for configuration errors): nats-server's error text, or None.
pub fn check(src: &str, dests: &[MapDest]) -> Option<String> {
    Mapping::new(src, dests).err()
}

/// [`check`] with the destinations as JSON (a list of [`MapDest`]).
pub fn check_json(src: &str, dests: &[u8]) -> Option<String> {
    match serde_json::from_slice::<Vec<MapDest>>(dests) {
        Ok(dests) => check(src, &dests),
        Err(e) => Some(format!("bad mapping destinations: {e}")),
    }
}

/// One engine's view of the mappings, with the buffer a mapped subject is written to and the random source
/// for weights and `{{random()}}` (spread, not secrecy; seeded from the engine's seed, kept apart from the
/// engine's own generator because the view is borrowed while it draws).
#[derive(Debug)]
pub struct MappingView {
    generation: u64,
    tables: Option<Arc<MappingTables>>,
    rng: u64,
    /// The mapped subject of the publish being routed; owned here, reused.
    pub subject: Vec<u8>,
}

impl Default for MappingView {
    fn default() -> Self {
        MappingView::new(RandomState::new().hash_one(0x3a_u8))
    }
}

impl MappingView {
    /// A view whose random draws start from `seed` (an engine passes its own seed).
    pub fn new(seed: u64) -> Self {
        MappingView { generation: 0, tables: None, rng: seed | 1, subject: Vec::new() }
    }

    /// True when no account has mappings (and the view is current): one atomic load.
    #[inline]
    pub fn idle(&self, shared: &Mappings) -> bool {
        self.tables.is_none() && shared.generation.load(Ordering::Acquire) == self.generation
    }

    /// Map `subject` published in `account`: on [`Mapped::To`] the new subject is in [`MappingView::subject`].
    #[inline]
    pub fn map(&mut self, shared: &Mappings, account: u32, subject: &[u8]) -> Mapped {
        let mut out = std::mem::take(&mut self.subject);
        let mapped = self.map_into(shared, account, subject, &mut out);
        self.subject = out;
        mapped
    }

    /// [`MappingView::map`] writing the new subject to `out`.
    #[inline]
    pub fn map_into(&mut self, shared: &Mappings, account: u32, subject: &[u8], out: &mut Vec<u8>) -> Mapped {
        let generation = shared.generation.load(Ordering::Acquire);
        if generation == self.generation && self.tables.is_none() {
            return Mapped::Unchanged;
        }
        self.map_slow(shared, generation, account, subject, out)
    }

    fn map_slow(
        &mut self,
        shared: &Mappings,
        generation: u64,
        account: u32,
        subject: &[u8],
        out: &mut Vec<u8>,
    ) -> Mapped {
        if generation != self.generation {
            let tables = shared.tables.read().unwrap_or_else(|e| e.into_inner()).clone();
            self.tables = (!tables.is_empty()).then_some(tables);
            self.generation = generation;
        }
        let Some(tables) = self.tables.as_ref() else { return Mapped::Unchanged };
        let rng = &mut self.rng;
        let mut draw = || {
            // xorshift64
            *rng ^= *rng << 13;
            *rng ^= *rng >> 7;
            *rng ^= *rng << 17;
            (*rng >> 32) as u32
        };
        tables.select(account, subject, &mut draw, out)
    }
}

// Merges what every thread reported for one monitoring request into server-wide numbers. The trie of each
// account is shared by all threads, so its counters (subscriptions, inserts, removes) are taken once; the
// match counters and caches are per thread and are summed.

import type { AccountSublistStats } from '../native/index.js';
import type { Options } from '../config/options.js';
import type { ServerIdentity } from '../info.js';
import type { JetStreamView } from './jetstream.js';
import type { AccountTraffic, ConnRecord, HostSnapshot, MonitorQuery, SubRecord } from './snapshot.js';

/** What the monitoring endpoints read from the server. */
export interface MonitorSource {
  readonly identity: ServerIdentity;
  readonly startTime: Date;
  /** When the configuration was last loaded (startup or reload); /varz `config_load_time`. */
  readonly configLoadTime?: Date;
  /** nats-server's digest of the config file ('' without one); /varz `config_digest`. */
  readonly configDigest?: string;
  readonly options: Options;
  readonly connectionCount: number;
  readonly totalConnectionCount: number;
  /** Clients must authenticate (INFO's auth_required). */
  readonly authRequired: boolean;
  /** The system account's name ('' when there is none). */
  readonly systemAccount: string;
  /** Accounts named in the configuration, whether or not a client has used them yet. */
  readonly configuredAccounts: string[];
  /** JetStream when it is enabled (it lives on the main thread: read directly, not per thread). */
  readonly jetStream?: JetStreamView;
  monitorSnapshots(query: MonitorQuery): Promise<HostSnapshot[]>;
}

/** Trie counters summed over accounts and engines. */
export type SublistTotals = Omit<AccountSublistStats, 'name'>;

export interface Collected {
  inMsgs: number;
  inBytes: number;
  outMsgs: number;
  outBytes: number;
  slowConsumers: number;
  staleConnections: number;
  /** Every account known to the router, by name. */
  sublists: Map<string, SublistTotals>;
  traffic: Map<string, AccountTraffic>;
  conns: ConnRecord[];
  closed: ConnRecord[];
  subs: SubRecord[];
}

const NO_QUERY: MonitorQuery = { accounts: false, conns: false, closed: false, connSubs: false, subs: false };

export async function collect(source: MonitorSource, query: Partial<MonitorQuery> = {}): Promise<Collected> {
  const snapshots = await source.monitorSnapshots({ ...NO_QUERY, ...query });
  const out: Collected = {
    inMsgs: 0,
    inBytes: 0,
    outMsgs: 0,
    outBytes: 0,
    slowConsumers: 0,
    staleConnections: 0,
    sublists: new Map(),
    traffic: new Map(),
    conns: [],
    closed: [],
    subs: [],
  };
  for (const snap of snapshots) {
    out.inMsgs += snap.stats.inMsgs;
    out.inBytes += snap.stats.inBytes;
    out.outMsgs += snap.stats.outMsgs;
    out.outBytes += snap.stats.outBytes;
    out.slowConsumers += snap.stats.slowConsumers;
    out.staleConnections += snap.stats.staleConnections;
    for (const a of snap.accounts) addSublist(out.sublists, a);
    for (const t of snap.traffic) {
      const sum = out.traffic.get(t.name);
      if (sum === undefined) out.traffic.set(t.name, { ...t });
      else {
        sum.conns += t.conns;
        sum.inMsgs += t.inMsgs;
        sum.inBytes += t.inBytes;
        sum.outMsgs += t.outMsgs;
        sum.outBytes += t.outBytes;
      }
    }
    out.conns.push(...snap.conns);
    out.closed.push(...snap.closed);
    out.subs.push(...snap.subs);
  }
  // Each thread keeps its own ring; together they keep the most recent ones, oldest first.
  out.closed.sort((a, b) => (a.stop ?? 0) - (b.stop ?? 0) || a.cid - b.cid);
  const max = Math.max(0, source.options.maxClosedClients);
  if (out.closed.length > max) out.closed.splice(0, out.closed.length - max);
  return out;
}

function addSublist(into: Map<string, SublistTotals>, a: AccountSublistStats): void {
  const sum = into.get(a.name);
  if (sum === undefined) {
    into.set(a.name, {
      numSubs: a.numSubs,
      numInserts: a.numInserts,
      numRemoves: a.numRemoves,
      numMatches: a.numMatches,
      numCacheHits: a.numCacheHits,
      numCache: a.numCache,
    });
    return;
  }
  sum.numMatches += a.numMatches;
  sum.numCacheHits += a.numCacheHits;
  sum.numCache += a.numCache;
}

/** Sum of several accounts' sublist counters. */
export function sumSublists(list: Iterable<SublistTotals>): SublistTotals {
  const sum: SublistTotals = { numSubs: 0, numInserts: 0, numRemoves: 0, numMatches: 0, numCacheHits: 0, numCache: 0 };
  for (const s of list) {
    sum.numSubs += s.numSubs;
    sum.numInserts += s.numInserts;
    sum.numRemoves += s.numRemoves;
    sum.numMatches += s.numMatches;
    sum.numCacheHits += s.numCacheHits;
    sum.numCache += s.numCache;
  }
  return sum;
}

/**
 * nats-server's SublistStats JSON. Fan-out figures come from its match cache, which Myelin's caches do not
 * track: they are reported as 0.
 */
export function sublistStatsJson(s: SublistTotals): Record<string, number> {
  return {
    num_subscriptions: s.numSubs,
    num_cache: s.numCache,
    num_inserts: s.numInserts,
    num_removes: s.numRemoves,
    num_matches: s.numMatches,
    cache_hit_rate: s.numMatches > 0 ? s.numCacheHits / s.numMatches : 0,
    max_fanout: 0,
    avg_fanout: 0,
  };
}

/** Account names as /accountz lists them: the system account, configured accounts, then any others in use. */
export function accountNames(source: MonitorSource, c: Collected): string[] {
  const names = new Set<string>();
  if (source.systemAccount !== '') names.add(source.systemAccount);
  for (const n of source.configuredAccounts) names.add(n);
  for (const n of c.sublists.keys()) names.add(n);
  return [...names];
}

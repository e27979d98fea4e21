// What one thread (EngineHost) reports for one monitoring request. Plain data: it is posted from worker
// threads. The HTTP side asks every thread once per request and merges (src/monitor/collect.ts).

import type { TlsSessionInfo } from '../conn/client-connection.js';
import type { AccountSublistStats, EngineStats } from '../native/index.js';

/** What a request needs beyond the counters; everything else is skipped to keep requests cheap. */
export interface MonitorQuery {
  /** Per-account connection counts and traffic (/accountz?acc=, /accstatz, /metrics). */
  accounts: boolean;
  /** Open connections (/connz). */
  conns: boolean;
  /** Closed connections from the ring (/connz?state=closed|all). */
  closed: boolean;
  /** Each listed connection's subscriptions (/connz?subs=1|detail). */
  connSubs: boolean;
  /** Every subscription (/subsz?subs=1), only those matching `test` when it is set. */
  subs: boolean;
  test?: string;
}

export interface SubRecord {
  account: string;
  subject: string;
  queue?: string;
  sid: string;
  msgs: number;
  max: number;
  cid: number;
}

export interface ConnRecord {
  cid: number;
  ip: string;
  port: number;
  /** Epoch ms. */
  start: number;
  lastActivity: number;
  stop?: number;
  reason?: string;
  name: string;
  lang: string;
  version: string;
  user: string;
  account: string;
  inMsgs: number;
  inBytes: number;
  outMsgs: number;
  outBytes: number;
  numSubs: number;
  pending: number;
  /** "nats" or "websocket", as nats-server's /connz `type`. */
  type: string;
  tls?: TlsSessionInfo;
  subs?: SubRecord[];
}

/** Traffic of one account's clients on one thread, closed connections included. */
export interface AccountTraffic {
  name: string;
  conns: number;
  inMsgs: number;
  inBytes: number;
  outMsgs: number;
  outBytes: number;
}

export interface HostSnapshot {
  stats: EngineStats & { connections: number };
  accounts: AccountSublistStats[];
  traffic: AccountTraffic[];
  conns: ConnRecord[];
  closed: ConnRecord[];
  subs: SubRecord[];
}

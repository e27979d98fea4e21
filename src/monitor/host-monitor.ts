// One thread's monitoring bookkeeping: the ring of recently closed connections (nats-server keeps the last
// 10,000 for /connz?state=closed), per-account traffic of closed connections (so /accstatz totals survive
// disconnects), and the snapshot a monitoring request asks this thread for. Nothing here runs per message:
// recordClose runs once per closed connection, snapshot once per monitoring request.

import type { ClientConnection } from '../conn/client-connection.js';
import type { NativeEngine, SubInfo } from '../native/index.js';
import type { AccountTraffic, ConnRecord, HostSnapshot, MonitorQuery, SubRecord } from './snapshot.js';

export class HostMonitor {
  private readonly closedRing: ConnRecord[] = [];
  private closedNext = 0;
  private readonly closedTraffic = new Map<string, AccountTraffic>();

  /**
   * @param enabled whether monitoring is on (closed connections are remembered only then)
   * @param clockOrigin epoch ms of engine time 0
   * @param maxClosed how many closed connections to remember (`max_closed_clients`)
   */
  constructor(
    private readonly engine: NativeEngine,
    private readonly enabled: boolean,
    private readonly clockOrigin: number,
    private readonly maxClosed: number,
  ) {}

  /** A connection's socket is gone; call before its engine slot is freed. */
  recordClose(conn: ClientConnection, reason: string, nowMs: number): void {
    if (!this.enabled) return;
    const record = this.connRecord(conn, true);
    record.stop = this.clockOrigin + nowMs;
    record.reason = reason;
    const t = this.trafficOf(this.closedTraffic, conn.account);
    t.inMsgs += record.inMsgs;
    t.inBytes += record.inBytes;
    t.outMsgs += record.outMsgs;
    t.outBytes += record.outBytes;
    if (this.maxClosed <= 0) return;
    if (this.closedRing.length < this.maxClosed) this.closedRing.push(record);
    else this.closedRing[this.closedNext] = record;
    this.closedNext = (this.closedNext + 1) % this.maxClosed;
  }

  snapshot(query: MonitorQuery, conns: Iterable<ClientConnection>, connections: number): HostSnapshot {
    const open: ConnRecord[] = [];
    const traffic = new Map<string, AccountTraffic>();
    for (const [name, t] of this.closedTraffic) traffic.set(name, { ...t, conns: 0 });
    const bySlot = new Map<number, number>();
    // Only walk the connections (a native call each) when the request needs them.
    const walk = query.conns || query.accounts || query.subs;
    for (const conn of walk ? conns : []) {
      bySlot.set(conn.slot, conn.cid);
      if (!query.conns && !query.accounts) continue;
      const record = this.connRecord(conn, query.connSubs);
      const t = this.trafficOf(traffic, conn.account);
      t.conns++;
      t.inMsgs += record.inMsgs;
      t.inBytes += record.inBytes;
      t.outMsgs += record.outMsgs;
      t.outBytes += record.outBytes;
      if (query.conns) open.push(record);
    }
    const subs: SubRecord[] = [];
    if (query.subs) {
      for (const s of this.engine.subscriptions(query.test ?? null)) {
        const cid = bySlot.get(s.conn);
        if (cid !== undefined) subs.push(subRecord(s, cid));
      }
    }
    return {
      stats: { ...this.engine.stats(), connections },
      accounts: this.engine.accountStats(),
      traffic: query.accounts ? [...traffic.values()] : [],
      conns: open,
      closed: query.closed ? this.closedInOrder() : [],
      subs,
    };
  }

  /** What /connz (and a connect/disconnect event) reports about one open connection. */
  connRecord(conn: ClientConnection, withSubs: boolean): ConnRecord {
    const s = this.engine.connStats(conn.slot);
    const record: ConnRecord = {
      cid: conn.cid,
      ip: conn.ip,
      port: conn.port,
      start: this.clockOrigin + conn.startMs,
      lastActivity: this.clockOrigin + Math.max(conn.startMs, s?.lastActivityMs ?? 0),
      name: conn.name,
      lang: conn.lang,
      version: conn.version,
      user: conn.user,
      account: conn.account,
      inMsgs: s?.inMsgs ?? 0,
      inBytes: s?.inBytes ?? 0,
      outMsgs: s?.outMsgs ?? 0,
      outBytes: s?.outBytes ?? 0,
      numSubs: s?.subscriptions ?? 0,
      pending: (s?.pendingBytes ?? 0) + conn.socket.writableLength,
      type: conn.connectionType === 'WEBSOCKET' ? 'websocket' : 'nats',
    };
    if (conn.tlsSession !== undefined) record.tls = conn.tlsSession;
    if (withSubs && record.numSubs > 0) record.subs = this.engine.connSubs(conn.slot).map((x) => subRecord(x, conn.cid));
    return record;
  }

  private closedInOrder(): ConnRecord[] {
    if (this.closedRing.length < this.maxClosed) return [...this.closedRing];
    return [...this.closedRing.slice(this.closedNext), ...this.closedRing.slice(0, this.closedNext)];
  }

  private trafficOf(map: Map<string, AccountTraffic>, name: string): AccountTraffic {
    let t = map.get(name);
    if (t === undefined) {
      t = { name, conns: 0, inMsgs: 0, inBytes: 0, outMsgs: 0, outBytes: 0 };
      map.set(name, t);
    }
    return t;
  }
}

function subRecord(s: SubInfo, cid: number): SubRecord {
  const r: SubRecord = { account: s.account, subject: s.subject, sid: s.sid, msgs: s.msgs, max: s.max, cid };
  if (s.queue !== undefined && s.queue !== null && s.queue !== '') r.queue = s.queue;
  return r;
}

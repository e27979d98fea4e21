// /connz: open and recently closed client connections, with nats-server's options (sort, auth, subs,
// offset, limit, cid, state, acc, user) and its error texts for bad ones.

import { collect, type MonitorSource } from './collect.js';
import { decodeBool, decodeInt, decodeUint, goDuration, goTime, goUptime, QueryError } from './go-format.js';
import type { ConnRecord, SubRecord } from './snapshot.js';

/** nats-server's DefaultConnListSize. */
const DEFAULT_CONN_LIST_SIZE = 1024;
const GLOBAL_ACCOUNT = '$G';

type State = 'open' | 'closed' | 'all';

/** The sort keys nats-server accepts, each with its order (only cid, start, uptime and reason ascend). */
const SORTS: Record<string, (a: ConnRecord, b: ConnRecord, now: number) => number> = {
  cid: (a, b) => a.cid - b.cid,
  start: (a, b) => a.cid - b.cid,
  subs: (a, b) => b.numSubs - a.numSubs,
  pending: (a, b) => b.pending - a.pending,
  msgs_to: (a, b) => b.outMsgs - a.outMsgs,
  msgs_from: (a, b) => b.inMsgs - a.inMsgs,
  bytes_to: (a, b) => b.outBytes - a.outBytes,
  bytes_from: (a, b) => b.inBytes - a.inBytes,
  last: (a, b) => b.lastActivity - a.lastActivity,
  idle: (a, b, now) => (b.stop ?? now) - b.lastActivity - ((a.stop ?? now) - a.lastActivity),
  uptime: (a, b, now) => (a.stop ?? now) - a.start - ((b.stop ?? now) - b.start),
  stop: (a, b) => (b.stop ?? 0) - (a.stop ?? 0),
  reason: (a, b) => (a.reason ?? '').localeCompare(b.reason ?? ''),
  // Round-trip times are not measured (every connection reports 0s), so this keeps cid order.
  rtt: () => 0,
};

function decodeState(query: URLSearchParams): State {
  const text = query.get('state') ?? '';
  switch (text.toLowerCase()) {
    case '':
    case 'open':
      return 'open';
    case 'closed':
      return 'closed';
    case 'any':
    case 'all':
      return 'all';
  }
  throw new QueryError(`Error decoding state for ${text}`);
}

export async function connz(source: MonitorSource, query: URLSearchParams): Promise<Record<string, unknown>> {
  // Decoded in nats-server's order, so the first bad parameter is the one reported.
  const sort = query.get('sort') ?? '';
  const auth = decodeBool(query, 'auth');
  const subsDetail = (query.get('subs') ?? '').toLowerCase() === 'detail';
  const subs = subsDetail ? false : decodeBool(query, 'subs');
  let offset = decodeInt(query, 'offset');
  let limit = decodeInt(query, 'limit');
  const cid = decodeUint(query, 'cid');
  const state = decodeState(query);
  const user = query.get('user') ?? '';
  const acc = query.get('acc') ?? '';

  const order = sort === '' ? SORTS.cid : SORTS[sort];
  if (order === undefined) throw new QueryError(`invalid sorting option: ${sort}`);
  if (offset < 0) offset = 0;
  if (limit <= 0) limit = DEFAULT_CONN_LIST_SIZE;
  if (sort === 'stop' && state !== 'closed') throw new QueryError('sort by stop only valid on closed connections');
  if (sort === 'reason' && state !== 'closed') throw new QueryError('sort by reason only valid on closed connections');
  if (cid > 0) limit = 1;

  const c = await collect(source, { conns: state !== 'closed', closed: state !== 'open', connSubs: subs || subsDetail });
  // As nats-server: `total` counts the account's connections before the user filter.
  const inAccount = (r: ConnRecord) => acc === '' || r.account === acc;
  const ofUser = (r: ConnRecord) => user === '' || r.user === user;
  let open = state === 'closed' ? [] : c.conns.filter(inAccount);
  let closed = state === 'open' ? [] : c.closed.filter(inAccount);
  const total = open.length + closed.length;
  open = open.filter(ofUser);
  closed = closed.filter(ofUser);
  if (cid > 0) {
    // As nats-server: with state=closed or all, only the closed list is searched.
    if (state !== 'open') {
      closed = closed.filter((r) => r.cid === cid);
      open = [];
    } else {
      open = open.filter((r) => r.cid === cid);
    }
  }
  const now = Date.now();
  const all = [...open, ...closed].sort((a, b) => order(a, b, now) || a.cid - b.cid);
  const page = all.slice(Math.min(offset, all.length), Math.min(offset + limit, all.length));
  return {
    server_id: source.identity.serverId,
    now: goTime(now),
    num_connections: page.length,
    total,
    offset,
    limit,
    connections: page.map((r) => connInfo(r, now, { auth, subs, subsDetail })),
  };
}

function connInfo(r: ConnRecord, now: number, opts: { auth: boolean; subs: boolean; subsDetail: boolean }): Record<string, unknown> {
  const at = r.stop ?? now;
  const ci: Record<string, unknown> = {
    cid: r.cid,
    kind: 'Client',
    type: r.type,
    ip: r.ip,
    port: r.port,
    start: goTime(r.start),
    last_activity: goTime(r.lastActivity),
  };
  if (r.stop !== undefined) ci.stop = goTime(r.stop);
  if (r.reason !== undefined && r.reason !== '') ci.reason = r.reason;
  Object.assign(ci, {
    rtt: goDuration(0),
    uptime: goUptime(at - r.start),
    idle: goUptime(at - r.lastActivity),
    pending_bytes: r.pending,
    in_msgs: r.inMsgs,
    out_msgs: r.outMsgs,
    in_bytes: r.inBytes,
    out_bytes: r.outBytes,
    subscriptions: r.numSubs,
  });
  if (r.name !== '') ci.name = r.name;
  if (r.lang !== '') ci.lang = r.lang;
  if (r.version !== '') ci.version = r.version;
  if (r.tls !== undefined) {
    ci.tls_version = r.tls.version;
    ci.tls_cipher_suite = r.tls.cipherSuite;
    if (r.tls.first) ci.tls_first = true;
  }
  if (opts.auth) {
    if (r.user !== '') ci.authorized_user = r.user;
    if (r.account !== GLOBAL_ACCOUNT && r.account !== '') ci.account = r.account;
  }
  const subs = r.subs ?? [];
  if (subs.length > 0 && opts.subsDetail) ci.subscriptions_list_detail = subs.map(clientSubDetail);
  else if (subs.length > 0 && opts.subs) ci.subscriptions_list = subs.map((s) => s.subject);
  if (opts.auth && r.account !== '') ci.name_tag = r.account;
  return ci;
}

/** A subscription under its connection: nats-server leaves the account out there. */
export function clientSubDetail(s: SubRecord): Record<string, unknown> {
  const d: Record<string, unknown> = { subject: s.subject };
  if (s.queue !== undefined) d.qgroup = s.queue;
  d.sid = s.sid;
  d.msgs = s.msgs;
  if (s.max > 0) d.max = s.max;
  d.cid = s.cid;
  return d;
}

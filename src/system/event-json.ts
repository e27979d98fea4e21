// The JSON the system account publishes, with nats-server's field names and order: the `server` block every
// message carries, the client block of connect/disconnect advisories, and statsz.

import { cpus, availableParallelism } from 'node:os';

import { goTime } from '../monitor/go-format.js';
import type { ConnRecord } from '../monitor/snapshot.js';
import { collect, sumSublists, type MonitorSource } from '../monitor/collect.js';
import { jetStreamStatsz } from '../monitor/jetstream.js';
import { cpuPercent } from '../monitor/varz.js';
import { serverInfoBase } from './server-info.js';
import type { ClientEvent } from './client-event.js';

export const CONNECT_EVENT_TYPE = 'io.nats.server.advisory.v1.client_connect';
export const DISCONNECT_EVENT_TYPE = 'io.nats.server.advisory.v1.client_disconnect';
export const ACCOUNT_CONNS_TYPE = 'io.nats.server.advisory.v1.account_connections';

/** Who sent a message: nats-server's ServerInfo. `seq` counts the messages this server has sent. */
export function serverBlock(source: MonitorSource, seq: number): Record<string, unknown> {
  return {
    ...serverInfoBase(source.identity, source.options),
    seq,
    time: goTime(Date.now()),
  };
}

const ID_DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** An event id shaped like nats-server's (a 22-character base-62 NUID). */
export function eventId(): string {
  let s = '';
  for (let i = 0; i < 22; i++) s += ID_DIGITS[Math.floor(Math.random() * ID_DIGITS.length)];
  return s;
}

/**
 * The head of an account_connections advisory (the `server` block and the account's STATZ entry follow);
 * both subjects it goes to share its id, as in nats-server.
 */
export function accountConnsHead(): Record<string, unknown> {
  return { type: ACCOUNT_CONNS_TYPE, id: eventId(), timestamp: goTime(Date.now()) };
}

/**
 * A connect, disconnect or auth-error advisory (the last two have the same shape); the `server` block is
 * put in when it is sent.
 */
export function clientEventJson(ev: ClientEvent, server: Record<string, unknown>): Record<string, unknown> {
  const c = ev.client;
  const connect = ev.kind === 'connect';
  const out: Record<string, unknown> = {
    type: connect ? CONNECT_EVENT_TYPE : DISCONNECT_EVENT_TYPE,
    id: eventId(),
    timestamp: goTime(connect ? Date.now() : (c.stop ?? Date.now())),
    server,
    client: clientBlock(c, !connect),
  };
  if (!connect) {
    // From the client's side: what it sent is what the server received from it.
    out.sent = { msgs: c.inMsgs, bytes: c.inBytes };
    out.received = { msgs: c.outMsgs, bytes: c.outBytes };
    out.reason = c.reason ?? '';
  }
  return out;
}

/** nats-server's ClientInfo, empty fields left out as its omitempty does. RTT is not measured. */
function clientBlock(c: ConnRecord, stopped: boolean): Record<string, unknown> {
  const b: Record<string, unknown> = { start: goTime(c.start), host: c.ip, id: c.cid, acc: c.account };
  if (c.user !== '') b.user = c.user;
  if (c.name !== '') b.name = c.name;
  if (c.lang !== '') b.lang = c.lang;
  if (c.version !== '') b.ver = c.version;
  if (stopped && c.stop !== undefined) b.stop = goTime(c.stop);
  b.name_tag = c.account;
  b.kind = 'Client';
  b.client_type = 'nats';
  return b;
}

/** nats-server's ServerStats (the `statsz` of PING and of `$SYS.SERVER.<id>.STATSZ`). */
export async function statsz(source: MonitorSource): Promise<Record<string, unknown>> {
  const c = await collect(source, { accounts: true });
  let active = 0;
  for (const t of c.traffic.values()) if (t.conns > 0) active++;
  const sent = { msgs: c.outMsgs, bytes: c.outBytes };
  const received = { msgs: c.inMsgs, bytes: c.inBytes };
  const out: Record<string, unknown> = {
    start: goTime(source.startTime.getTime()),
    mem: process.memoryUsage.rss(),
    cores: cpus().length || availableParallelism(),
    cpu: cpuPercent(),
    connections: source.connectionCount,
    total_connections: source.totalConnectionCount,
    active_accounts: active,
    subscriptions: sumSublists(c.sublists.values()).numSubs,
    sent,
    sent_to_clients: { ...sent },
    received,
    received_from_clients: { ...received },
    slow_consumers: c.slowConsumers,
    active_servers: 1,
  };
  const js = jetStreamStatsz(source);
  if (js !== undefined) out.jetstream = js;
  out.gomaxprocs = source.options.workers;
  return out;
}

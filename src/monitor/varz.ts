// /varz: the server's settings and counters, with nats-server's field names, order and units
// (ping_interval and write_deadline in nanoseconds, auth_timeout and tls_timeout in seconds).

import { availableParallelism, cpus } from 'node:os';

import { NATS_SERVER_LEVEL } from '../version.js';
import { collect, sumSublists, type Collected, type MonitorSource } from './collect.js';
import { goTime, goUptime } from './go-format.js';
import { jetStreamVarz } from './jetstream.js';

const NS_PER_MS = 1_000_000;

/** CPU use between two /varz requests, in percent of one core, as nats-server's pse reports it. */
class CpuMeter {
  private lastUsage = process.cpuUsage();
  private lastAt = Date.now();

  percent(): number {
    const usage = process.cpuUsage();
    const now = Date.now();
    const usedMs = (usage.user - this.lastUsage.user + usage.system - this.lastUsage.system) / 1000;
    const wallMs = now - this.lastAt;
    this.lastUsage = usage;
    this.lastAt = now;
    return wallMs > 0 ? Math.round((usedMs / wallMs) * 1000) / 10 : 0;
  }
}

const cpuMeter = new CpuMeter();

/** CPU use since the last /varz or statsz, in percent of one core. */
export function cpuPercent(): number {
  return cpuMeter.percent();
}

export interface VarzContext {
  source: MonitorSource;
  /** The bound monitoring host and the configured ports (-1 stays -1, as nats-server reports it). */
  httpHost: string;
  httpPort: number;
  httpsPort: number;
  httpBasePath: string;
  httpReqStats: Record<string, number>;
  configLoadTime: Date;
}

export async function varz(ctx: VarzContext): Promise<Record<string, unknown>> {
  const c = await collect(ctx.source);
  return varzFrom(ctx, c);
}

export function varzFrom(ctx: VarzContext, c: Collected): Record<string, unknown> {
  const { source } = ctx;
  const o = source.options;
  const now = Date.now();
  const start = source.startTime.getTime();
  const v: Record<string, unknown> = {
    server_id: source.identity.serverId,
    server_name: source.identity.serverName,
    version: NATS_SERVER_LEVEL,
    proto: 1,
    // No Go runtime here: the field keeps its place and says what runs instead.
    go: `node${process.versions.node}`,
    host: o.host,
    port: source.identity.port,
  };
  if (source.authRequired) v.auth_required = true;
  if (o.tls) v.tls_required = true;
  if (o.tls && o.tlsVerify) v.tls_verify = true;
  v.max_connections = o.maxConnections < 0 ? 0 : o.maxConnections;
  if (o.maxSubscriptions > 0) v.max_subscriptions = o.maxSubscriptions;
  Object.assign(v, {
    ping_interval: o.pingInterval * NS_PER_MS,
    ping_max: o.pingMax,
    http_host: ctx.httpHost,
    http_port: ctx.httpPort,
    http_base_path: ctx.httpBasePath,
    https_port: ctx.httpsPort,
    auth_timeout: o.authTimeout / 1000,
    max_control_line: o.maxControlLine,
    max_payload: o.maxPayload,
    max_pending: o.maxPending,
    cluster: {},
    gateway: {},
    leaf: {},
    mqtt: {},
    websocket: websocketVarz(source),
    jetstream: jetStreamVarz(source),
    tls_timeout: o.tlsTimeout / 1000,
    write_deadline: o.writeDeadline * NS_PER_MS,
    start: goTime(start),
    now: goTime(now),
    uptime: goUptime(now - start),
    mem: process.memoryUsage.rss(),
    cores: cpus().length || availableParallelism(),
    // The nearest thing to GOMAXPROCS: the threads that serve clients.
    gomaxprocs: o.workers,
    cpu: cpuMeter.percent(),
    connections: source.connectionCount,
    total_connections: source.totalConnectionCount,
    routes: 0,
    remotes: 0,
    leafnodes: 0,
    in_msgs: c.inMsgs,
    in_bytes: c.inBytes,
    in_client_msgs: c.inMsgs,
    in_client_bytes: c.inBytes,
    out_msgs: c.outMsgs,
    out_bytes: c.outBytes,
    out_client_msgs: c.outMsgs,
    out_client_bytes: c.outBytes,
    slow_consumers: c.slowConsumers,
    stale_connections: c.staleConnections,
    stalled_clients: 0,
    subscriptions: sumSublists(c.sublists.values()).numSubs,
    http_req_stats: sortedKeys(ctx.httpReqStats),
    config_load_time: goTime(ctx.configLoadTime.getTime()),
    config_digest: ctx.source.configDigest ?? '',
  });
  if (source.systemAccount !== '') v.system_account = source.systemAccount;
  Object.assign(v, {
    slow_consumer_stats: { clients: c.slowConsumers, routes: 0, gateways: 0, leafs: 0 },
    stale_connection_stats: { clients: c.staleConnections, routes: 0, gateways: 0, leafs: 0 },
    disk_io_wait_stats: { waiters: 0, waits: 0, wait_time: 0, max_wait_time: 0 },
  });
  return v;
}

/** Go marshals a map with its keys sorted. */
function sortedKeys(map: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(map).sort()) out[k] = map[k];
  return out;
}

/** nats-server's `websocket` object: the configured options it shows, each left out when unset (`{}` when off). */
function websocketVarz(source: VarzContext['source']): Record<string, unknown> {
  const ws = source.options.websocket;
  const bound = source.identity.websocket;
  if (ws.port === 0 || bound === undefined) return {};
  const out: Record<string, unknown> = { host: bound.host, port: bound.port };
  if (ws.handshakeTimeout > 0) out.handshake_timeout = ws.handshakeTimeout * NS_PER_MS;
  if (ws.noTls) out.no_tls = true;
  if (ws.sameOrigin) out.same_origin = true;
  if (ws.allowedOrigins.length > 0) out.allowed_origins = ws.allowedOrigins;
  if (ws.compression) out.compression = true;
  return out;
}

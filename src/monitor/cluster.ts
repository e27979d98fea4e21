// /routez, /gatewayz, /leafz, /jsz and /healthz. Myelin has no routes, gateways or leaf nodes yet, and
// JetStream is not enabled here: these answer exactly what nats-server answers in that situation, so
// dashboards and probes see a well-formed, empty topology.

import { decodeBool, goTime } from './go-format.js';
import type { MonitorSource } from './collect.js';

export function routez(source: MonitorSource): Record<string, unknown> {
  return {
    server_id: source.identity.serverId,
    server_name: source.identity.serverName,
    now: goTime(Date.now()),
    num_routes: 0,
    routes: [],
  };
}

export function gatewayz(source: MonitorSource): Record<string, unknown> {
  return { server_id: source.identity.serverId, now: goTime(Date.now()), outbound_gateways: {}, inbound_gateways: {} };
}

export function leafz(source: MonitorSource): Record<string, unknown> {
  return { server_id: source.identity.serverId, now: goTime(Date.now()), leafnodes: 0, leafs: [] };
}

/** nats-server's /jsz with JetStream disabled. */
export function jsz(source: MonitorSource): Record<string, unknown> {
  return {
    memory: 0,
    storage: 0,
    reserved_memory: 0,
    reserved_storage: 0,
    accounts: 0,
    ha_assets: 0,
    api: { level: 0, total: 0, errors: 0 },
    server_id: source.identity.serverId,
    now: goTime(Date.now()),
    disabled: true,
    config: { max_memory: 0, max_storage: 0 },
    streams: 0,
    consumers: 0,
    messages: 0,
    bytes: 0,
    total: 0,
  };
}

/**
 * /healthz. Its options are decoded (a bad boolean is a 400, as in nats-server); with JetStream disabled
 * every variant is healthy, as nats-server reports it.
 */
export function healthz(query: URLSearchParams): Record<string, unknown> {
  for (const flag of ['js-enabled-only', 'js-server-only', 'js-meta-only', 'js-enabled', 'details']) decodeBool(query, flag);
  return { status: 'ok' };
}

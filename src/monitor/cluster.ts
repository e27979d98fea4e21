// /routez, /gatewayz and /leafz. Myelin has no routes, gateways or leaf nodes yet: these answer exactly what
// nats-server answers in that situation, so dashboards and probes see a well-formed, empty topology.

import { goTime } from './go-format.js';
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

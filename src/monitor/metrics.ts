// /metrics: the /varz, /subsz and /accstatz numbers in the Prometheus text exposition format (0.0.4), with
// the names prometheus-nats-exporter gives them (gnatsd_varz_*, gnatsd_subsz_*, gnatsd_accstatz_*), so
// dashboards built on the exporter work when scraping Myelin directly. Every sample carries `server_id`.

import { accountNames, collect, sublistStatsJson, sumSublists, type MonitorSource } from './collect.js';
import { varzFrom, type VarzContext } from './varz.js';

type Kind = 'gauge' | 'counter';

/** The /varz fields exported, with their Prometheus type. */
const VARZ_METRICS: [field: string, kind: Kind, help: string][] = [
  ['connections', 'gauge', 'Current client connections'],
  ['total_connections', 'counter', 'Client connections accepted since start'],
  ['subscriptions', 'gauge', 'Current subscriptions'],
  ['in_msgs', 'counter', 'Messages received from clients'],
  ['out_msgs', 'counter', 'Messages sent to clients'],
  ['in_bytes', 'counter', 'Payload bytes received from clients'],
  ['out_bytes', 'counter', 'Payload bytes sent to clients'],
  ['slow_consumers', 'counter', 'Clients closed as slow consumers'],
  ['stale_connections', 'counter', 'Clients closed as stale'],
  ['mem', 'gauge', 'Resident memory of the process, bytes'],
  ['cpu', 'gauge', 'CPU use since the previous sample, percent of one core'],
  ['cores', 'gauge', 'CPU cores'],
  ['max_connections', 'gauge', 'Configured max_connections'],
  ['max_payload', 'gauge', 'Configured max_payload, bytes'],
  ['max_pending', 'gauge', 'Configured max_pending, bytes'],
  ['routes', 'gauge', 'Current routes'],
  ['remotes', 'gauge', 'Current remote servers'],
  ['leafnodes', 'gauge', 'Current leaf node connections'],
];

const SUBSZ_METRICS: [field: string, kind: Kind, help: string][] = [
  ['num_subscriptions', 'gauge', 'Subscriptions in all accounts'],
  ['num_cache', 'gauge', 'Cached match results'],
  ['num_inserts', 'counter', 'Subscriptions inserted since start'],
  ['num_removes', 'counter', 'Subscriptions removed since start'],
  ['num_matches', 'counter', 'Subject matches performed'],
  ['cache_hit_rate', 'gauge', 'Fraction of matches answered from a cache'],
];

export async function metrics(ctx: VarzContext): Promise<string> {
  const { source } = ctx;
  const c = await collect(source, { accounts: true });
  const v = varzFrom(ctx, c);
  const id = label(source.identity.serverId);
  const lines: string[] = [];
  const family = (name: string, kind: Kind, help: string): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${kind}`);
  };
  for (const [field, kind, help] of VARZ_METRICS) {
    family(`gnatsd_varz_${field}`, kind, help);
    lines.push(`gnatsd_varz_${field}{server_id="${id}"} ${num(v[field])}`);
  }
  family('gnatsd_varz_start', 'gauge', 'Start time, seconds since the epoch');
  lines.push(`gnatsd_varz_start{server_id="${id}"} ${source.startTime.getTime() / 1000}`);

  const sub = sublistStatsJson(sumSublists(c.sublists.values()));
  for (const [field, kind, help] of SUBSZ_METRICS) {
    family(`gnatsd_subsz_${field}`, kind, help);
    lines.push(`gnatsd_subsz_${field}{server_id="${id}"} ${num(sub[field])}`);
  }

  const accounts = accountNames(source, c);
  const perAccount: [name: string, kind: Kind, help: string, value: (a: string) => number][] = [
    ['current_connections', 'gauge', 'Client connections of the account', (a) => c.traffic.get(a)?.conns ?? 0],
    ['subscriptions', 'gauge', 'Subscriptions of the account', (a) => c.sublists.get(a)?.numSubs ?? 0],
    ['received_msgs', 'counter', 'Messages received from the account\'s clients', (a) => c.traffic.get(a)?.inMsgs ?? 0],
    ['received_bytes', 'counter', 'Bytes received from the account\'s clients', (a) => c.traffic.get(a)?.inBytes ?? 0],
    ['sent_msgs', 'counter', 'Messages sent to the account\'s clients', (a) => c.traffic.get(a)?.outMsgs ?? 0],
    ['sent_bytes', 'counter', 'Bytes sent to the account\'s clients', (a) => c.traffic.get(a)?.outBytes ?? 0],
  ];
  for (const [name, kind, help, value] of perAccount) {
    family(`gnatsd_accstatz_${name}`, kind, help);
    for (const a of accounts) lines.push(`gnatsd_accstatz_${name}{server_id="${id}",account="${label(a)}"} ${value(a)}`);
  }
  return `${lines.join('\n')}\n`;
}

function num(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : '0';
}

/** A label value, escaped as the exposition format requires. */
function label(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

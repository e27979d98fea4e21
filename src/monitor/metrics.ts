// /metrics: the monitoring numbers in the Prometheus text exposition format (0.0.4), named as
// prometheus-nats-exporter names them when it scrapes nats-server, so dashboards and alerts built on the
// exporter work when Prometheus scrapes Myelin directly:
//   gnatsd_varz_<field>            every numeric /varz field, nested ones joined with '_'
//                                  (gnatsd_varz_slow_consumer_stats_clients), start and config_load_time in
//                                  epoch ms, http_req_stats as gnatsd_varz_http_req_stats_<endpoint>
//   gnatsd_connz_<field>           num_connections, total, offset, limit, and pending_bytes, subscriptions,
//                                  in/out msgs/bytes summed over the first page (1024 by cid), as the exporter does
//   gnatsd_subsz_<field>           the sublist statistics
//   gnatsd_routez_num_routes, gnatsd_leafz_conn_nodes_total, gnatsd_healthz_status (0 = ok)
//   gnatsd_accstatz_<field>        per account: current_connections, total_connections, subscriptions,
//                                  leaf_nodes, sent_messages, sent_bytes, received_messages, received_bytes,
//                                  slow_consumers (labels account, account_id, account_name)
// Every sample carries `server_id` (the server's id; the exporter, which scrapes from outside, uses the URL).
// Cumulative numbers are counters, the rest gauges.

import { accountNames, collect, sublistStatsJson, sumSublists } from './collect.js';
import { healthz } from './healthz.js';
import { varzFrom, type VarzContext } from './varz.js';

type Kind = 'gauge' | 'counter';

const COUNTERS = new Set([
  'total_connections', 'in_msgs', 'in_bytes', 'in_client_msgs', 'in_client_bytes', 'out_msgs', 'out_bytes',
  'out_client_msgs', 'out_client_bytes', 'slow_consumers', 'stale_connections', 'num_inserts', 'num_removes',
  'num_matches', 'sent_messages', 'sent_bytes', 'received_messages', 'received_bytes',
]);

/** nats-server's DefaultConnListSize: the page the exporter sums /connz over. */
const CONNZ_PAGE = 1024;

class Exposition {
  private readonly lines: string[] = [];
  private readonly declared = new Set<string>();

  constructor(private readonly serverId: string) {}

  sample(name: string, value: number, help: string, labels: Record<string, string> = {}, kind?: Kind): void {
    const metric = name.replace(/[^a-zA-Z0-9_:]/g, '_');
    if (!this.declared.has(metric)) {
      this.declared.add(metric);
      const type = kind ?? (COUNTERS.has(metric.replace(/^gnatsd_[a-z]+_/, '')) ? 'counter' : 'gauge');
      this.lines.push(`# HELP ${metric} ${help}`, `# TYPE ${metric} ${type}`);
    }
    const all = { server_id: this.serverId, ...labels };
    const text = Object.entries(all)
      .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
      .join(',');
    this.lines.push(`${metric}{${text}} ${Number.isFinite(value) ? value : 0}`);
  }

  /** Every numeric leaf of `obj`, named prefix_path. */
  numbers(prefix: string, obj: Record<string, unknown>, source: string): void {
    for (const [key, value] of Object.entries(obj)) {
      // http_req_stats keys are paths ("/varz"); the index page ("/") has no name of its own and is left out.
      const name = key.replace(/^\//, '');
      if (name === '') continue;
      if (typeof value === 'number') this.sample(`${prefix}_${name}`, value, `${source} ${key}`);
      else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        this.numbers(`${prefix}_${name}`, value as Record<string, unknown>, `${source} ${key}`);
      }
    }
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

export async function metrics(ctx: VarzContext): Promise<string> {
  const { source } = ctx;
  const c = await collect(source, { accounts: true, conns: true });
  const out = new Exposition(source.identity.serverId);

  const v = varzFrom(ctx, c);
  out.numbers('gnatsd_varz', v, '/varz');
  out.sample('gnatsd_varz_start', source.startTime.getTime(), '/varz start, epoch ms');
  out.sample('gnatsd_varz_config_load_time', Date.parse(v.config_load_time as string), '/varz config_load_time, epoch ms');

  const page = [...c.conns].sort((a, b) => a.cid - b.cid).slice(0, CONNZ_PAGE);
  const sum = (f: (r: (typeof page)[number]) => number) => page.reduce((n, r) => n + f(r), 0);
  out.sample('gnatsd_connz_num_connections', page.length, '/connz num_connections');
  out.sample('gnatsd_connz_total', c.conns.length, '/connz total');
  out.sample('gnatsd_connz_offset', 0, '/connz offset');
  out.sample('gnatsd_connz_limit', CONNZ_PAGE, '/connz limit');
  out.sample('gnatsd_connz_pending_bytes', sum((r) => r.pending), '/connz pending_bytes, summed');
  out.sample('gnatsd_connz_subscriptions', sum((r) => r.numSubs), '/connz subscriptions, summed');
  out.sample('gnatsd_connz_in_msgs', sum((r) => r.inMsgs), '/connz in_msgs, summed', {}, 'counter');
  out.sample('gnatsd_connz_in_bytes', sum((r) => r.inBytes), '/connz in_bytes, summed', {}, 'counter');
  out.sample('gnatsd_connz_out_msgs', sum((r) => r.outMsgs), '/connz out_msgs, summed', {}, 'counter');
  out.sample('gnatsd_connz_out_bytes', sum((r) => r.outBytes), '/connz out_bytes, summed', {}, 'counter');

  out.numbers('gnatsd_subsz', sublistStatsJson(sumSublists(c.sublists.values())), '/subsz');
  out.sample('gnatsd_routez_num_routes', 0, '/routez num_routes');
  out.sample('gnatsd_leafz_conn_nodes_total', 0, '/leafz leafnodes');
  out.sample('gnatsd_healthz_status', healthz(source, new URLSearchParams()).code === 200 ? 0 : 1, '/healthz status: 0 when ok');

  for (const name of accountNames(source, c)) {
    const t = c.traffic.get(name);
    const labels = { account: name, account_id: name, account_name: name };
    const per: [string, number][] = [
      ['current_connections', t?.conns ?? 0],
      ['total_connections', t?.conns ?? 0],
      ['subscriptions', c.sublists.get(name)?.numSubs ?? 0],
      ['leaf_nodes', 0],
      ['sent_messages', t?.outMsgs ?? 0],
      ['sent_bytes', t?.outBytes ?? 0],
      ['received_messages', t?.inMsgs ?? 0],
      ['received_bytes', t?.inBytes ?? 0],
      ['slow_consumers', 0],
    ];
    for (const [field, value] of per) out.sample(`gnatsd_accstatz_${field}`, value, `/accstatz ${field}`, labels);
  }
  return out.text();
}

/** A label value, escaped as the exposition format requires. */
function escapeLabel(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

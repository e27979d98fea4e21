// /accountz (account names, or one account's detail with ?acc=) and /accstatz (per-account connection and
// traffic counters). Myelin has no imports/exports, leaf nodes, routes or gateways yet, so those parts are
// the empty values nats-server reports when it has none.

import { accountNames, collect, sublistStatsJson, type MonitorSource } from './collect.js';
import { decodeBool, goTime, QueryError } from './go-format.js';
import type { AccountTraffic } from './snapshot.js';

export async function accountz(source: MonitorSource, query: URLSearchParams): Promise<Record<string, unknown>> {
  const acc = query.get('acc') ?? '';
  const c = await collect(source, { accounts: acc !== '' });
  const out: Record<string, unknown> = { server_id: source.identity.serverId, now: goTime(Date.now()) };
  if (source.systemAccount !== '') out.system_account = source.systemAccount;
  const names = accountNames(source, c);
  if (acc === '') {
    out.accounts = names;
    return out;
  }
  if (!names.includes(acc)) throw new QueryError(`Account ${acc} does not exist`);
  const sublist = c.sublists.get(acc);
  const stats = sublistStatsJson(
    sublist ?? { numSubs: 0, numInserts: 0, numRemoves: 0, numMatches: 0, numCacheHits: 0, numCache: 0 },
  );
  out.account_detail = {
    account_name: acc,
    update_time: goTime(source.startTime.getTime()),
    expired: false,
    complete: true,
    jetstream_enabled: false,
    leafnode_connections: 0,
    client_connections: c.traffic.get(acc)?.conns ?? 0,
    subscriptions: stats.num_subscriptions,
    name_tag: acc,
    sublist_stats: stats,
  };
  return out;
}

export async function accstatz(source: MonitorSource, query: URLSearchParams): Promise<Record<string, unknown>> {
  const unused = decodeBool(query, 'unused');
  const wanted = (query.get('accounts') ?? '').split(',').filter((a) => a !== '');
  const c = await collect(source, { accounts: true });
  const names = wanted.length > 0 ? wanted.filter((n) => accountNames(source, c).includes(n)) : accountNames(source, c);
  const statz = [];
  for (const name of names) {
    const t: AccountTraffic = c.traffic.get(name) ?? { name, conns: 0, inMsgs: 0, inBytes: 0, outMsgs: 0, outBytes: 0 };
    if (!unused && wanted.length === 0 && t.conns === 0) continue;
    statz.push({
      acc: name,
      name,
      conns: t.conns,
      leafnodes: 0,
      total_conns: t.conns,
      num_subscriptions: c.sublists.get(name)?.numSubs ?? 0,
      sent: traffic(t.outMsgs, t.outBytes),
      received: traffic(t.inMsgs, t.inBytes),
      slow_consumers: 0,
    });
  }
  return { server_id: source.identity.serverId, now: goTime(Date.now()), account_statz: statz };
}

function traffic(msgs: number, bytes: number): Record<string, unknown> {
  const none = { msgs: 0, bytes: 0 };
  return { msgs, bytes, gateways: { ...none }, routes: { ...none }, leafs: { ...none } };
}

// /subsz (and /subscriptionsz): sublist counters over all accounts (or `acc`), and with subs=1 the
// subscriptions themselves, optionally only those a message on the literal subject `test` would reach.

import { isValidLiteralSubject } from '../native/index.js';
import { collect, sublistStatsJson, sumSublists, type MonitorSource } from './collect.js';
import { decodeBool, decodeInt, goTime, QueryError } from './go-format.js';

/** nats-server's DefaultSubListSize. */
const DEFAULT_SUB_LIST_SIZE = 1024;

export async function subsz(source: MonitorSource, query: URLSearchParams): Promise<Record<string, unknown>> {
  const subs = decodeBool(query, 'subs');
  let offset = decodeInt(query, 'offset');
  let limit = decodeInt(query, 'limit');
  const test = query.get('test') ?? '';
  const acc = query.get('acc') ?? '';
  if (offset < 0) offset = 0;
  if (limit <= 0) limit = DEFAULT_SUB_LIST_SIZE;
  if (test !== '' && !isValidLiteralSubject(test)) {
    throw new QueryError(`invalid test subject, must be valid publish subject: ${test}`);
  }

  const c = await collect(source, { subs, ...(test !== '' ? { test } : {}) });
  const sublists = [...c.sublists].filter(([name]) => acc === '' || name === acc).map(([, s]) => s);
  const out: Record<string, unknown> = {
    server_id: source.identity.serverId,
    now: goTime(Date.now()),
    ...sublistStatsJson(sumSublists(sublists)),
    total: 0,
    offset,
    limit,
  };
  if (subs) {
    const list = c.subs.filter((s) => acc === '' || s.account === acc);
    out.total = list.length;
    const page = list.slice(Math.min(offset, list.length), Math.min(offset + limit, list.length));
    if (page.length > 0) {
      out.subscriptions_list = page.map((s) => {
        const d: Record<string, unknown> = { account: s.account, account_tag: s.account, subject: s.subject };
        if (s.queue !== undefined) d.qgroup = s.queue;
        d.sid = s.sid;
        d.msgs = s.msgs;
        if (s.max > 0) d.max = s.max;
        d.cid = s.cid;
        return d;
      });
    }
  }
  return out;
}

// Monitoring with accounts and users: /connz?auth=1 names the user and (non-global) account, /connz?acc=
// filters by account, /accountz lists configured accounts, /accstatz counts per account. Myelin and Go.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from 'nats';

import { checkFor, isGo } from '../helpers/server.js';
import { getJson, startMonitored, type MonitoredServer } from './helpers.js';

const CONFIG = `
http: "127.0.0.1:-1"
accounts {
  A: { users: [ { user: alice, password: pa } ] }
  B: { users: [ { user: bob, password: pb } ] }
}
`;

type Conn = Record<string, unknown> & { name?: string };

/**
 * Subscriptions nats-server's system-account imports add to each account; Myelin serves three of the four
 * (not `$SYS.REQ.USER.INFO`).
 */
const SYSTEM_IMPORT_SUBS = isGo ? 4 : 3;

describe('monitoring with accounts', { timeout: 60_000 }, () => {
  let m: MonitoredServer;
  const clients: NatsConnection[] = [];

  before(async () => {
    m = await startMonitored({ args: [], config: CONFIG });
    const a = await connect({ servers: m.srv.url, name: 'in-a', user: 'alice', pass: 'pa', reconnect: false });
    const b = await connect({ servers: m.srv.url, name: 'in-b', user: 'bob', pass: 'pb', reconnect: false });
    clients.push(a, b);
    a.subscribe('a.sub');
    b.subscribe('b.sub');
    b.subscribe('b.other');
    await a.flush();
    await b.flush();
    a.publish('a.sub', 'xyz');
    await a.flush();
    await checkFor(5000, 20, async () => ((await getJson(m, '/varz')).out_msgs as number) >= 1);
  });
  after(async () => {
    for (const c of clients) await c.close();
    await m?.srv.stop();
  });

  test('/connz?auth=1 names the user and the account', async () => {
    const c = await getJson(m, '/connz?auth=1');
    const conns = c.connections as Conn[];
    const a = conns.find((x) => x.name === 'in-a')!;
    const b = conns.find((x) => x.name === 'in-b')!;
    assert.equal(a.authorized_user, 'alice');
    assert.equal(a.account, 'A');
    assert.equal(b.authorized_user, 'bob');
    assert.equal(b.account, 'B');
    const plain = await getJson(m, '/connz');
    assert.equal((plain.connections as Conn[])[0].authorized_user, undefined, 'only with auth=1');
  });

  test('/connz?acc= filters by account', async () => {
    const c = await getJson(m, '/connz?auth=1&acc=B');
    assert.deepEqual((c.connections as Conn[]).map((x) => x.name), ['in-b']);
    assert.equal(c.total, 1);
  });

  test('/accountz lists the configured accounts; detail per account', async () => {
    const list = (await getJson(m, '/accountz')).accounts as string[];
    for (const name of ['A', 'B', '$G']) assert.ok(list.includes(name), name);
    const detail = (await getJson(m, '/accountz?acc=B')).account_detail as Record<string, unknown>;
    assert.equal(detail.client_connections, 1);
    // The system account's services scoped to each account add subscriptions to it (see SYSTEM_IMPORT_SUBS).
    assert.equal(detail.subscriptions, 2 + SYSTEM_IMPORT_SUBS);
    assert.equal((detail.sublist_stats as Record<string, unknown>).num_subscriptions, 2 + SYSTEM_IMPORT_SUBS);
  });

  test('/accstatz and /subsz per account', async () => {
    const statz = (await getJson(m, '/accstatz')).account_statz as Record<string, unknown>[];
    const a = statz.find((x) => x.acc === 'A')!;
    assert.equal(a.conns, 1);
    assert.equal((a.received as { msgs: number }).msgs, 1);
    assert.equal((a.sent as { msgs: number }).msgs, 1);
    const b = statz.find((x) => x.acc === 'B')!;
    assert.equal(b.num_subscriptions, 2 + SYSTEM_IMPORT_SUBS);
    const subs = await getJson(m, '/subsz?subs=1&acc=B');
    const list = (subs.subscriptions_list as Record<string, unknown>[]).filter((s) => !(s.subject as string).startsWith('$SYS.'));
    assert.deepEqual(list.map((s) => s.subject).sort(), ['b.other', 'b.sub']);
    for (const s of list) assert.equal(s.account, 'B');
  });
});

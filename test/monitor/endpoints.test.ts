// The monitoring endpoints against the fields, types and option handling nats-server v2.12 shows for the
// same setup (see helpers.ts and shapes.ts). Runs against Myelin on both HTTP listeners (uWebSockets.js and
// node:http) and, with NATS_SERVER_BIN, against the Go nats-server.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { isGo } from '../helpers/server.js';
import { assertShape, get, getJson, populate, startMonitored, type MonitoredServer, type Population } from './helpers.js';
import * as S from './shapes.js';

type Conn = Record<string, unknown> & { cid: number; name?: string };

const backends: ('uws' | 'node' | undefined)[] = isGo ? [undefined] : ['uws', 'node'];

for (const backend of backends) {
  describe(`monitoring endpoints${backend !== undefined ? ` (${backend} listener)` : ''}`, { timeout: 60_000 }, () => {
    let m: MonitoredServer;
    let pop: Population;

    before(async () => {
      m = await startMonitored(backend !== undefined ? { backend } : {});
      pop = await populate(m);
    });
    after(async () => {
      await pop?.close();
      await m?.srv.stop();
    });

    test('the ports file lists the monitoring URL', () => {
      assert.equal(m.monitoringUrls.length, 1);
      assert.match(m.monitoringUrls[0], /^http:\/\/127\.0\.0\.1:\d+$/);
    });

    test('the chosen listener serves the requests', { skip: isGo }, async () => {
      const res = await get(m, '/varz');
      // uWS names itself in a response header; node:http does not.
      assert.equal(res.headers.has('uwebsockets'), backend === 'uws');
    });

    test('/varz fields, types and counters', async () => {
      const res = await get(m, '/varz');
      assert.equal(res.status, 200);
      assert.equal(res.type, 'application/json');
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      const v = JSON.parse(res.body) as Record<string, unknown>;
      assertShape(v, S.VARZ);
      assert.equal(v.connections, 2);
      assert.equal(v.total_connections, 3);
      assert.equal(v.in_msgs, 5);
      assert.equal(v.in_bytes, 25);
      assert.equal(v.out_msgs, 10);
      assert.equal(v.out_bytes, 50);
      assert.equal(v.http_port, -1);
      assert.equal(v.http_host, '127.0.0.1');
      assert.equal(v.ping_interval, 120_000_000_000);
      assert.equal(v.write_deadline, 10_000_000_000);
      assert.equal(v.auth_timeout, 2);
      assert.ok((v.subscriptions as number) >= 3);
      assert.match(v.start as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      assert.match(v.uptime as string, /^(\d+[ydhm])*\d+s$/);
      assert.ok(((v.http_req_stats as Record<string, number>)['/varz'] ?? 0) >= 1);
    });

    test('/connz lists open connections with subscriptions', async () => {
      const c = await getJson(m, '/connz?subs=1');
      assertShape(c, S.CONNZ);
      assert.equal(c.num_connections, 2);
      assert.equal(c.total, 2);
      assert.equal(c.limit, 1024);
      const conns = c.connections as Conn[];
      for (const ci of conns) assertShape(ci, S.CONN_INFO);
      assert.deepEqual(conns.map((x) => x.name), ['alpha', 'beta']);
      assert.ok(conns[0].cid < conns[1].cid);
      const [alpha, beta] = conns;
      assert.deepEqual([...(alpha.subscriptions_list as string[])].sort(), ['foo.*', 'foo.bar']);
      assert.deepEqual(beta.subscriptions_list, ['baz.>']);
      assert.equal(alpha.subscriptions, 2);
      assert.equal(alpha.out_msgs, 10);
      assert.equal(alpha.out_bytes, 50);
      assert.equal(beta.in_msgs, 5);
      assert.equal(alpha.kind, 'Client');
      assert.equal(alpha.type, 'nats');
      assert.equal(alpha.lang, 'nats.js');
    });

    test('/connz?subs=detail and auth=1', async () => {
      const c = await getJson(m, '/connz?subs=detail&auth=1');
      const alpha = (c.connections as Conn[]).find((x) => x.name === 'alpha')!;
      assert.equal(alpha.subscriptions_list, undefined);
      const detail = alpha.subscriptions_list_detail as Record<string, unknown>[];
      for (const d of detail) assertShape(d, S.CLIENT_SUB_DETAIL);
      const queued = detail.find((d) => d.subject === 'foo.*')!;
      assert.equal(queued.qgroup, 'q1');
      assert.equal(queued.msgs, 5);
      assert.equal(queued.cid, alpha.cid);
      assert.equal(detail.find((d) => d.subject === 'foo.bar')!.qgroup, undefined);
      assert.equal(alpha.name_tag, '$G');
      assert.equal(alpha.account, undefined, 'the global account is not named');
    });

    test('/connz sort, offset, limit and cid', async () => {
      const byOut = await getJson(m, '/connz?sort=msgs_to&limit=1');
      assert.equal(byOut.num_connections, 1);
      assert.equal(byOut.total, 2);
      assert.equal((byOut.connections as Conn[])[0].name, 'alpha');
      const byIn = await getJson(m, '/connz?sort=msgs_from&limit=1');
      assert.equal((byIn.connections as Conn[])[0].name, 'beta');
      const bySubs = await getJson(m, '/connz?sort=subs');
      assert.deepEqual((bySubs.connections as Conn[]).map((x) => x.name), ['alpha', 'beta']);
      const second = await getJson(m, '/connz?offset=1');
      assert.deepEqual((second.connections as Conn[]).map((x) => x.name), ['beta']);
      assert.equal(second.offset, 1);
      const all = await getJson(m, '/connz');
      const betaCid = (all.connections as Conn[]).find((x) => x.name === 'beta')!.cid;
      const one = await getJson(m, `/connz?cid=${betaCid}`);
      assert.equal(one.limit, 1);
      assert.deepEqual((one.connections as Conn[]).map((x) => x.name), ['beta']);
      const noUser = await getJson(m, '/connz?user=nobody');
      assert.equal(noUser.num_connections, 0);
      assert.equal(noUser.total, 2, 'total is counted before the user filter');
      for (const key of ['cid', 'start', 'pending', 'bytes_to', 'bytes_from', 'last', 'idle', 'uptime', 'rtt']) {
        const res = await getJson(m, `/connz?sort=${key}`);
        assert.equal(res.num_connections, 2, key);
      }
    });

    test('/connz?state=closed keeps closed connections with their reason', async () => {
      const c = await getJson(m, '/connz?state=closed');
      const gone = (c.connections as Conn[]).find((x) => x.name === 'gone')!;
      assert.ok(gone, 'the closed client is listed');
      assertShape(gone, { ...S.CONN_INFO, stop: 'string', reason: 'string' });
      assert.equal(gone.reason, 'Client Closed');
      const all = await getJson(m, '/connz?state=all');
      assert.equal(all.total, 2 + (c.total as number));
      const byReason = await getJson(m, '/connz?state=closed&sort=reason');
      assert.equal(byReason.total, c.total);
    });

    test('/connz rejects bad options with nats-server\'s texts', async () => {
      const cases: [string, string][] = [
        ['/connz?sort=bogus', 'invalid sorting option: bogus'],
        ['/connz?state=bogus', 'Error decoding state for bogus'],
        ['/connz?sort=stop', 'sort by stop only valid on closed connections'],
        ['/connz?sort=reason', 'sort by reason only valid on closed connections'],
        ['/connz?cid=abc', `Error decoding uint64 for 'cid': strconv.ParseUint: parsing "abc": invalid syntax`],
        ['/connz?limit=x', `Error decoding int for 'limit': strconv.Atoi: parsing "x": invalid syntax`],
        ['/connz?subs=x', `Error decoding boolean for 'subs': strconv.ParseBool: parsing "x": invalid syntax`],
        ['/connz?auth=yes', `Error decoding boolean for 'auth': strconv.ParseBool: parsing "yes": invalid syntax`],
      ];
      for (const [path, text] of cases) {
        const res = await get(m, path);
        assert.equal(res.status, 400, path);
        assert.equal(res.body, text, path);
      }
    });

    test('/subsz counters and the subscription list', async () => {
      const s = await getJson(m, '/subsz');
      assertShape(s, S.SUBSZ);
      assert.equal(s.subscriptions_list, undefined);
      assert.equal(s.total, 0);
      assert.ok((s.num_subscriptions as number) >= 3);
      assert.ok((s.num_inserts as number) >= 3);
      const list = await getJson(m, '/subsz?subs=1');
      const subs = list.subscriptions_list as Record<string, unknown>[];
      for (const d of subs) assertShape(d, S.SUB_DETAIL);
      assert.equal(list.total, subs.length);
      const ours = subs.filter((d) => ['foo.bar', 'foo.*', 'baz.>'].includes(d.subject as string));
      assert.equal(ours.length, 3);
      for (const d of ours) assert.equal(d.account, '$G');
      const test1 = await getJson(m, '/subsz?subs=1&test=foo.bar');
      const matched = (test1.subscriptions_list as Record<string, unknown>[]).map((d) => d.subject).sort();
      assert.deepEqual(matched, ['foo.*', 'foo.bar']);
      assert.equal(test1.total, 2);
      const page = await getJson(m, '/subsz?subs=1&test=foo.bar&offset=1&limit=1');
      assert.equal((page.subscriptions_list as unknown[]).length, 1);
      assert.equal(page.total, 2);
      assert.equal(page.offset, 1);
      assert.equal(page.limit, 1);
      const bad = await get(m, '/subsz?test=foo.>');
      assert.equal(bad.status, 400);
      assert.equal(bad.body, 'invalid test subject, must be valid publish subject: foo.>');
      const alias = await getJson(m, '/subscriptionsz');
      assertShape(alias, S.SUBSZ);
    });

    test('/routez, /gatewayz, /leafz are empty and well-formed', async () => {
      const r = await getJson(m, '/routez');
      assertShape(r, S.ROUTEZ);
      assert.equal(r.num_routes, 0);
      assert.deepEqual(r.routes, []);
      const g = await getJson(m, '/gatewayz');
      assertShape(g, S.GATEWAYZ);
      const l = await getJson(m, '/leafz');
      assertShape(l, S.LEAFZ);
      assert.equal(l.leafnodes, 0);
    });

    test('/accountz and /accountz?acc=', async () => {
      const a = await getJson(m, '/accountz');
      assertShape(a, S.ACCOUNTZ);
      assert.ok((a.accounts as string[]).includes('$G'));
      assert.equal(a.system_account, '$SYS');
      const d = await getJson(m, '/accountz?acc=$G');
      assertShape(d.account_detail, S.ACCOUNT_DETAIL);
      const detail = d.account_detail as Record<string, unknown>;
      assert.equal(detail.account_name, '$G');
      assert.equal(detail.client_connections, 2);
      const missing = await get(m, '/accountz?acc=nope');
      assert.equal(missing.status, 400);
      assert.equal(missing.body, 'Account nope does not exist');
    });

    test('/accstatz per-account traffic', async () => {
      const a = await getJson(m, '/accstatz');
      const list = a.account_statz as Record<string, unknown>[];
      const g = list.find((x) => x.acc === '$G')!;
      assertShape(g, S.ACCOUNT_STATZ);
      assert.equal(g.conns, 2);
      assert.equal((g.sent as { msgs: number }).msgs, 10);
      assert.equal((g.received as { msgs: number }).msgs, 5);
      assert.equal((g.received as { bytes: number }).bytes, 25);
      assert.ok(!list.some((x) => x.conns === 0), 'accounts without connections need ?unused=1');
      const unused = await getJson(m, '/accstatz?unused=1');
      assert.ok((unused.account_statz as unknown[]).length >= list.length);
    });

    test('/jsz with JetStream disabled', async () => {
      const j = await getJson(m, '/jsz');
      assertShape(j, S.JSZ_DISABLED);
      assert.equal(j.disabled, true);
      // nats-server skips the answer when not a leader; over HTTP that is a 400 with the reason.
      const leader = await get(m, '/jsz?leader-only=1');
      assert.equal(leader.status, 400);
      assert.equal(leader.body, 'filtered response: not leader');
    });

    test('/healthz and its options', async () => {
      for (const path of ['/healthz', '/healthz?js-enabled-only=true', '/healthz?js-server-only=true', '/healthz?details=1']) {
        const res = await get(m, path);
        assert.equal(res.status, 200, path);
        assert.equal(res.body, '{"status":"ok"}', path);
      }
      const bad = await get(m, '/healthz?js-enabled-only=x');
      assert.equal(bad.status, 400);
      assert.equal(bad.body, `Error decoding boolean for 'js-enabled-only': strconv.ParseBool: parsing "x": invalid syntax`);
    });

    test('the index page and unknown paths', async () => {
      const index = await get(m, '/');
      assert.equal(index.status, 200);
      assert.match(index.type, /^text\/html/);
      for (const p of ['varz', 'connz', 'subsz', 'routez', 'accountz', 'healthz']) assert.ok(index.body.includes(`/${p}`), p);
      for (const path of ['/nope', '/varz/', '/connz/x']) {
        const res = await get(m, path);
        assert.equal(res.status, 404, path);
        assert.equal(res.body, '404 page not found\n', path);
      }
    });
  });
}

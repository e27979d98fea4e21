// Message tracing (`Nats-Trace-Dest`, nats-server 2.11+) with the official v3 client: the trace event's
// deterministic fields (types, kinds, client ids, names, accounts, subjects, errors, counts) on one server.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, headers, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { startServer, checkFor, type ServerHandle } from '../helpers/server.js';
import { WireClient, msg } from '../helpers/wire.js';

interface TraceEvent {
  server: { name: string; id: string; ver: string; seq: number; time: string };
  request: { header?: Record<string, string[]>; msgsize?: number };
  hops?: number;
  events: Array<Record<string, unknown> & { type: string }>;
}

const CONFIG = `
accounts: {
  A: {
    users: [
      { user: pub, password: p, permissions: { publish: { allow: ["ok.>", "trace.>", "shared.>", "traced.>"] } } }
      { user: sub, password: p }
      { user: lim, password: p, permissions: { publish: { allow: ["ok.>"] } } }
    ]
    exports: [ { stream: "shared.>" }, { stream: "traced.>" }, { service: "svc.>" }, { service: "tsvc.>", allow_trace: true } ]
    msg_trace: { dest: "trace.ext", sampling: "100%" }
    mappings: { "map.in": "ok.mapped" }
  }
  B: {
    users: [ { user: b, password: p } ]
    imports: [
      { stream: { account: A, subject: "shared.>" } }
      { stream: { account: A, subject: "traced.>" }, allow_trace: true }
      { service: { account: A, subject: "svc.>" } }
      { service: { account: A, subject: "tsvc.>" } }
    ]
  }
}
`;

describe('message tracing (Nats-Trace-Dest)', { timeout: 60_000 }, () => {
  let srv: ServerHandle;
  const conns: NatsConnection[] = [];
  const wires: WireClient[] = [];
  const nc = async (user: string, opts: NodeConnectionOptions = {}) => {
    const c = await connect({ servers: srv.url, reconnect: false, user, pass: 'p', name: `c-${user}-${conns.length}`, ...opts });
    conns.push(c);
    return c;
  };
  /** Subscribe to a trace destination; `events` fills as trace events arrive. */
  const traceInbox = async (c: NatsConnection, dest: string) => {
    const events: TraceEvent[] = [];
    c.subscribe(dest, { callback: (_e, m) => void events.push(m.json<TraceEvent>()) });
    await c.flush();
    return events;
  };
  const traced = (dest: string, only = false) => {
    const h = headers();
    h.set('Nats-Trace-Dest', dest);
    h.set('X-App', 'v1');
    if (only) h.set('Nats-Trace-Only', 'true');
    return h;
  };
  const egresses = (ev: TraceEvent) => ev.events.filter((e) => e.type === 'eg');

  before(async () => {
    srv = await startServer({ config: CONFIG });
  });
  after(async () => {
    for (const c of conns) if (!c.isClosed()) await c.close();
    for (const w of wires) w.close();
    await srv?.stop();
  });

  test('a mapped subject: ingress names the published subject, then a subject-mapping event, then egress', async () => {
    const tracer = await nc('sub');
    const events = await traceInbox(tracer, 'trace.mapped');
    const sub = await nc('sub');
    sub.subscribe('ok.mapped', { callback: () => {} });
    await sub.flush();
    const pub = await nc('pub');
    pub.publish('map.in', 'x', { headers: traced('trace.mapped') });
    await pub.flush();
    await checkFor(5000, 10, () => events.length === 1);
    const ev = events[0] as TraceEvent;
    assert.deepEqual(ev.events.map((e) => e.type), ['in', 'sm', 'eg']);
    assert.equal(ev.events[0]?.subj, 'map.in');
    assert.equal(ev.events[1]?.to, 'ok.mapped');
    assert.equal(ev.events[2]?.sub, 'ok.mapped');
  });

  test('a traced publish: ingress, one egress per subscription, the message delivered with its headers', async () => {
    const tracer = await nc('sub');
    const events = await traceInbox(tracer, 'trace.basic');
    const subs = [await nc('sub'), await nc('sub'), await nc('sub')];
    const got: Array<string | undefined> = [];
    for (const s of subs) {
      s.subscribe('ok.basic', { callback: (_e, m) => void got.push(m.headers?.get('Nats-Trace-Dest')) });
      await s.flush();
    }
    const pub = await nc('pub');
    pub.publish('ok.basic', 'hello', { headers: traced('trace.basic') });
    await pub.flush();
    await checkFor(5000, 10, () => events.length === 1 && got.length === 3);
    assert.deepEqual(got, ['trace.basic', 'trace.basic', 'trace.basic']);
    const ev = events[0];
    assert.equal(ev.server.id, pub.info!.server_id);
    assert.equal(typeof ev.server.seq, 'number');
    assert.match(ev.server.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.deepEqual(ev.request.header?.['Nats-Trace-Dest'], ['trace.basic']);
    assert.deepEqual(ev.request.header?.['X-App'], ['v1']);
    assert.ok((ev.request.msgsize ?? 0) > 'hello'.length);
    assert.equal(ev.hops, undefined);
    const ingress = ev.events[0];
    assert.equal(ingress.type, 'in');
    assert.equal(ingress.kind, 0);
    assert.equal(ingress.cid, pub.info!.client_id);
    assert.match(ingress.name as string, /^c-pub-/);
    assert.equal(ingress.acc, 'A');
    assert.equal(ingress.subj, 'ok.basic');
    assert.equal(ingress.error, undefined);
    const eg = egresses(ev);
    assert.equal(eg.length, 3);
    assert.deepEqual(
      eg.map((e) => e.cid).sort(),
      subs.map((s) => s.info!.client_id).sort(),
    );
    for (const e of eg) {
      assert.equal(e.kind, 0);
      assert.equal(e.sub, 'ok.basic');
      assert.equal(e.acc, undefined);
      assert.equal(e.queue, undefined);
      assert.equal(e.error, undefined);
      assert.match(e.name as string, /^c-sub-/);
    }
    assert.equal(ev.events.length, 4);
  });

  test('a subscriber without headers gets the payload alone and is traced like any other', async () => {
    const tracer = await nc('sub');
    const events = await traceInbox(tracer, 'trace.nohdr');
    const raw = await WireClient.connectAndHandshake(srv.port, { headers: false, user: 'sub', pass: 'p', name: 'raw' });
    wires.push(raw);
    await raw.send('SUB ok.nohdr 7\r\n');
    await raw.pingPong();
    const pub = await nc('pub');
    pub.publish('ok.nohdr', 'body', { headers: traced('trace.nohdr') });
    await pub.flush();
    await raw.expect(msg('ok.nohdr', 7, 'body'), 5000);
    await checkFor(5000, 10, () => events.length === 1);
    const eg = egresses(events[0]);
    assert.equal(eg.length, 1);
    assert.equal(eg[0].cid, raw.info!.client_id);
    assert.equal(eg[0].name, 'raw');
    assert.equal(eg[0].error, undefined);
  });

  test('trace only: subscriptions are listed, nothing is delivered', async () => {
    const tracer = await nc('sub');
    const events = await traceInbox(tracer, 'trace.only');
    const s = await nc('sub');
    const got: string[] = [];
    s.subscribe('ok.only', { callback: (_e, m) => void got.push(m.string()) });
    s.subscribe('ok.only', { queue: 'q1', callback: (_e, m) => void got.push(m.string()) });
    await s.flush();
    const pub = await nc('pub');
    pub.publish('ok.only', 'traced', { headers: traced('trace.only', true) });
    pub.publish('ok.only', 'plain');
    await pub.flush();
    await checkFor(5000, 10, () => events.length === 1 && got.length === 2);
    assert.deepEqual(got, ['plain', 'plain']);
    const eg = egresses(events[0]);
    assert.equal(eg.length, 2);
    assert.deepEqual(eg.map((e) => e.queue ?? '').sort(), ['', 'q1']);
    for (const e of eg) assert.equal(e.cid, s.info!.client_id);
  });

  test('no echo: the publisher’s own subscription is an egress with an error', async () => {
    const tracer = await nc('sub');
    const events = await traceInbox(tracer, 'trace.echo');
    const pub = await nc('pub', { noEcho: true });
    pub.subscribe('ok.echo', { callback: () => {} });
    await pub.flush();
    pub.publish('ok.echo', 'x', { headers: traced('trace.echo') });
    await pub.flush();
    await checkFor(5000, 10, () => events.length === 1);
    const eg = egresses(events[0]);
    assert.equal(eg.length, 1);
    assert.equal(eg[0].cid, pub.info!.client_id);
    assert.equal(eg[0].error, 'Not delivered because of no echo');
  });

  test('a publish the permissions refuse: the ingress event carries the error, no egress', async () => {
    const tracer = await nc('sub');
    const events = await traceInbox(tracer, 'trace.denied');
    const s = await nc('sub');
    let got = 0;
    s.subscribe('denied.x', { callback: () => void got++ });
    await s.flush();
    const pub = await nc('pub');
    pub.publish('denied.x', 'x', { headers: traced('trace.denied') });
    await pub.flush().catch(() => {});
    await checkFor(5000, 10, () => events.length === 1);
    const ev = events[0];
    assert.equal(ev.events.length, 1);
    assert.equal(ev.events[0].type, 'in');
    assert.equal(ev.events[0].error, 'Permissions Violation for Publish to "denied.x"');
    assert.equal(got, 0);
  });

  test('a trace destination the publisher may not publish to: the message is dropped, no event', async () => {
    const tracer = await nc('sub');
    const events = await traceInbox(tracer, 'trace.forbidden');
    const s = await nc('sub');
    const got: string[] = [];
    s.subscribe('ok.forbidden', { callback: (_e, m) => void got.push(m.string()) });
    await s.flush();
    const lim = await nc('lim');
    lim.publish('ok.forbidden', 'traced', { headers: traced('trace.forbidden') });
    lim.publish('ok.forbidden', 'plain');
    await lim.flush().catch(() => {});
    await checkFor(5000, 10, () => got.length === 1);
    // The plain message after it has arrived: the traced one was dropped, and no event was sent.
    await tracer.flush();
    assert.deepEqual(got, ['plain']);
    assert.equal(events.length, 0);
  });

  test('a stream import: an se event per importing subscription; no egress unless the import allows tracing', async () => {
    const tracer = await nc('sub');
    const events = await traceInbox(tracer, 'trace.import');
    const b = await nc('b');
    let got = 0;
    b.subscribe('shared.x', { callback: () => void got++ });
    b.subscribe('traced.x', { callback: () => void got++ });
    await b.flush();
    const pub = await nc('pub');
    pub.publish('shared.x', 'x', { headers: traced('trace.import') });
    pub.publish('traced.x', 'x', { headers: traced('trace.import') });
    await pub.flush();
    await checkFor(5000, 10, () => events.length === 2 && got === 2);
    const [plain, allowed] = events[0].events[0].subj === 'shared.x' ? events : [events[1], events[0]];
    const se = (ev: TraceEvent) => ev.events.filter((e) => e.type === 'se');
    assert.deepEqual(
      se(plain).map((e) => [e.acc, e.to]),
      [['B', 'shared.x']],
    );
    assert.equal(egresses(plain).length, 0);
    assert.deepEqual(
      se(allowed).map((e) => [e.acc, e.to]),
      [['B', 'traced.x']],
    );
    const eg = egresses(allowed);
    assert.equal(eg.length, 1);
    assert.equal(eg[0].cid, b.info!.client_id);
    assert.equal(eg[0].acc, 'B');
    assert.equal(eg[0].sub, 'traced.x');
  });

  test('a stream import that does not allow tracing stops a trace-only message', async () => {
    const tracer = await nc('sub');
    const events = await traceInbox(tracer, 'trace.import-only');
    const b = await nc('b');
    const got: string[] = [];
    b.subscribe('shared.y', { callback: (_e, m) => void got.push(m.string()) });
    await b.flush();
    const pub = await nc('pub');
    pub.publish('shared.y', 'traced', { headers: traced('trace.import-only', true) });
    pub.publish('shared.y', 'plain');
    await pub.flush();
    await checkFor(5000, 10, () => events.length === 1 && got.length === 1);
    assert.deepEqual(got, ['plain']);
    assert.deepEqual(
      events[0].events.map((e) => e.type),
      ['in', 'se'],
    );
  });

  test('a service import: an si event, and the request is not traced past it', async () => {
    const a = await nc('sub');
    const requests: Array<string | undefined> = [];
    a.subscribe('svc.>', { callback: (_e, m) => void requests.push(m.string()) });
    await a.flush();
    const b = await nc('b');
    const events = await traceInbox(b, 'trace.svc');
    b.publish('svc.echo', 'traced', { headers: traced('trace.svc') });
    b.publish('svc.echo', 'only', { headers: traced('trace.svc', true) });
    b.publish('svc.echo', 'plain');
    await b.flush();
    await checkFor(5000, 10, () => events.length === 2 && requests.length === 2);
    assert.deepEqual(requests, ['traced', 'plain']);
    for (const ev of events) {
      assert.equal(ev.events[0].acc, 'B');
      const si = ev.events.filter((e) => e.type === 'si');
      assert.deepEqual(
        si.map((e) => [e.acc, e.from, e.to]),
        [['A', 'svc.echo', 'svc.echo']],
      );
      assert.equal(egresses(ev).length, 0);
    }
  });

  test('a service export with allow_trace: the request is traced on into the exporting account', async () => {
    const a = await nc('sub');
    a.subscribe('tsvc.>', { callback: () => {} });
    await a.flush();
    const b = await nc('b');
    const events = await traceInbox(b, 'trace.tsvc');
    b.publish('tsvc.echo', 'traced', { headers: traced('trace.tsvc') });
    await b.flush();
    await checkFor(5000, 10, () => events.length === 1);
    const ev = events[0];
    assert.deepEqual(
      ev.events.filter((e) => e.type === 'si').map((e) => [e.acc, e.from, e.to]),
      [['A', 'tsvc.echo', 'tsvc.echo']],
    );
    const eg = egresses(ev);
    assert.equal(eg.length, 1);
    assert.equal(eg[0].cid, a.info!.client_id);
    assert.equal(eg[0].acc, 'A');
    assert.equal(eg[0].sub, 'tsvc.>');
  });

  test('a sampled W3C traceparent is traced to the account’s msg_trace destination', async () => {
    const tracer = await nc('sub');
    const events = await traceInbox(tracer, 'trace.ext');
    const s = await nc('sub');
    const got: string[] = [];
    s.subscribe('ok.ext', { callback: (_e, m) => void got.push(m.string()) });
    await s.flush();
    const pub = await nc('pub');
    const parent = (flags: string) => {
      const h = headers();
      h.set('traceparent', `00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-${flags}`);
      return h;
    };
    pub.publish('ok.ext', 'not sampled', { headers: parent('00') });
    pub.publish('ok.ext', 'sampled', { headers: parent('01') });
    await pub.flush();
    await checkFor(5000, 10, () => events.length === 1 && got.length === 2);
    // Both delivered (a traceparent never means trace-only); only the sampled one traced.
    assert.deepEqual(got, ['not sampled', 'sampled']);
    const ev = events[0];
    assert.deepEqual(ev.request.header?.traceparent, ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01']);
    assert.equal(ev.events[0].subj, 'ok.ext');
    assert.equal(egresses(ev).length, 1);
    assert.equal(egresses(ev)[0].cid, s.info!.client_id);
  });
});

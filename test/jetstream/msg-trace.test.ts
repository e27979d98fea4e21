// Message tracing (`Nats-Trace-Dest`) of publishes a stream captures: a traced publish is stored (with
// `Nats-Trace-Dest: trace disabled`) and acknowledged; a trace-only one is not stored; both events have a
// `js` event naming the stream.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { createInbox, headers, type NatsConnection } from '@nats-io/transport-node';
import { checkFor } from '../helpers/server.js';
import { startJsServer, type JsServer } from './js-server.js';

interface TraceEvent {
  events: Array<Record<string, unknown> & { type: string }>;
}

describe('message tracing into a stream', { timeout: 60_000 }, () => {
  let srv: JsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const events: TraceEvent[] = [];

  const traced = (only: boolean) => {
    const h = headers();
    h.set('Nats-Trace-Dest', 'trace.js');
    if (only) h.set('Nats-Trace-Only', 'true');
    return h;
  };

  before(async () => {
    srv = await startJsServer();
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'TRACED', subjects: ['tjs.>'] });
    const tracer = await srv.connect();
    tracer.subscribe('trace.js', { callback: (_e, m) => void events.push(m.json<TraceEvent>()) });
    await tracer.flush();
  });
  after(async () => {
    await srv?.stop();
  });

  test('a traced publish is stored, its tracing switched off, and acknowledged; the event names the publish', async () => {
    const ack = await jetstream(nc).publish('tjs.a', 'stored', { headers: traced(false) });
    assert.equal(ack.stream, 'TRACED');
    assert.equal(ack.seq, 1);
    const m = await jsm.streams.getMessage('TRACED', { seq: 1 });
    // So that a consumer delivering it later does not start another trace.
    assert.equal(m?.header.get('Nats-Trace-Dest'), 'trace disabled');
    await checkFor(5000, 10, () => events.length === 1);
    assert.equal(events[0].events[0].type, 'in');
    assert.equal(events[0].events[0].subj, 'tjs.a');
    // The stream's own subscription is the server's: no egress event for it.
    assert.equal(events[0].events.filter((e) => e.type === 'eg').length, 0);
  });

  test('a trace-only publish is not stored', async () => {
    nc.publish('tjs.b', 'not stored', { headers: traced(true) });
    await nc.flush();
    await checkFor(5000, 10, () => events.length === 2);
    const info = await jsm.streams.info('TRACED');
    assert.equal(info.state.messages, 1);
    assert.equal(events[1].events[0].subj, 'tjs.b');
  });

  test('a trace-only request to a stream subject: no ack, no no-responders status', async () => {
    const replies: Array<string | undefined> = [];
    const inbox = createInbox();
    nc.subscribe(inbox, { callback: (_e, m) => void replies.push(m.headers?.code?.toString() ?? m.string()) });
    nc.publish('tjs.c', 'x', { reply: inbox, headers: traced(true) });
    await checkFor(5000, 10, () => events.length === 3);
    // Anything the server answered on this connection came before the PONG of this flush.
    await nc.flush();
    assert.deepEqual(replies, []);
    assert.equal((await jsm.streams.info('TRACED')).state.messages, 1);
    events.pop();
  });

  test('the events have a js event naming the stream and subject', () => {
    const js = events.map((ev) => ev.events.find((e) => e.type === 'js'));
    assert.deepEqual(
      js.map((e) => [e?.stream, e?.subject]),
      [
        ['TRACED', 'tjs.a'],
        ['TRACED', 'tjs.b'],
      ],
    );
  });
});

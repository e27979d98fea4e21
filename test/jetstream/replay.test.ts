// `replay_policy: original`: messages already in the stream are delivered with the gaps they were stored
// with; instant replay delivers them at once. Only lower bounds on the gaps are asserted (a slow machine can
// only make them longer), and the instant case only checks that everything arrives.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AckPolicy, jetstream, jetstreamManager, ReplayPolicy, type JetStreamManager } from '@nats-io/jetstream';
import { createInbox, type NatsConnection } from '@nats-io/transport-node';
import { startJsServer, type JsServer } from './js-server.js';

const GAP_MS = 400;

describe('JetStream replay policy', { timeout: 60_000 }, () => {
  let srv: JsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  before(async () => {
    srv = await startJsServer();
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'RP', subjects: ['rp.>'] });
    const js = jetstream(nc);
    for (const s of ['a', 'b', 'c']) {
      await js.publish(`rp.${s}`, s);
      if (s !== 'c') await new Promise((r) => setTimeout(r, GAP_MS));
    }
  });
  after(async () => {
    await srv?.stop();
  });

  test('original: a pull consumer gets the stored messages with their gaps', async () => {
    await jsm.consumers.add('RP', { durable_name: 'orig', ack_policy: AckPolicy.Explicit, replay_policy: ReplayPolicy.Original });
    const c = await jetstream(nc).consumers.get('RP', 'orig');
    const at: number[] = [];
    const got: string[] = [];
    for await (const m of await c.fetch({ max_messages: 3, expires: 10_000 })) {
      at.push(Date.now());
      got.push(m.string());
      m.ack();
    }
    assert.deepEqual(got, ['a', 'b', 'c']);
    assert.ok((at[2] as number) - (at[0] as number) >= GAP_MS * 2 * 0.8, `gaps kept: ${at.map((t) => t - (at[0] as number)).join(',')}`);
  });

  test('original: a push consumer gets them with their gaps, then new ones as they come', async () => {
    const deliver = createInbox();
    const sub = nc.subscribe(deliver, { max: 4 });
    await jsm.consumers.add('RP', {
      durable_name: 'push',
      deliver_subject: deliver,
      ack_policy: AckPolicy.None,
      replay_policy: ReplayPolicy.Original,
    });
    const at: number[] = [];
    const got: string[] = [];
    let published = false;
    for await (const m of sub) {
      at.push(Date.now());
      got.push(m.string());
      if (got.length === 3 && !published) {
        published = true;
        await jetstream(nc).publish('rp.d', 'd');
      }
    }
    assert.deepEqual(got, ['a', 'b', 'c', 'd']);
    assert.ok((at[2] as number) - (at[0] as number) >= GAP_MS * 2 * 0.8, `gaps kept: ${at.map((t) => t - (at[0] as number)).join(',')}`);
  });

  test('instant: all of them, in order', async () => {
    await jsm.consumers.add('RP', { durable_name: 'inst', ack_policy: AckPolicy.Explicit });
    const c = await jetstream(nc).consumers.get('RP', 'inst');
    const got: string[] = [];
    for await (const m of await c.fetch({ max_messages: 3, expires: 10_000 })) {
      got.push(m.string());
      m.ack();
    }
    assert.deepEqual(got, ['a', 'b', 'c']);
  });
});

// Batched direct get (nats-server 2.11+): `batch`, `max_bytes`, `next_by_subj` with a batch, `start_time`,
// `multi_last` with `up_to_seq` / `up_to_time`, their replies (`Nats-Num-Pending`, `Nats-Last-Sequence`, the
// `204 EOB` status) and refusals. Through @nats-io/jetstream's `jsm.direct.getBatch` / `getLastMessagesFor`,
// and as raw requests on a reply inbox to compare the wire exactly.
// The client sends batch requests only to a server whose INFO version is at least 2.11.0 (its
// `JS_BATCH_DIRECT_GET` feature); the test checks that it does so with Myelin's.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { jetstreamManager, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { createInbox, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { Feature, type NatsConnectionImpl } from '@nats-io/nats-core/internal';
import { startJsServer, type JsServer } from './js-server.js';

const GET = '$JS.API.DIRECT.GET.DB';

/**
 * Every reply to one raw request: up to and including the first status message (EOB or an error), or the one
 * message a single lookup answers with (no `Nats-Num-Pending`; with `no_hdr` no headers at all: `single`).
 */
async function ask(nc: NatsConnection, body: string, subject = GET, single = false): Promise<Msg[]> {
  const inbox = createInbox();
  const sub = nc.subscribe(inbox, { timeout: 5000 });
  nc.publish(subject, body, { reply: inbox });
  const got: Msg[] = [];
  for await (const m of sub) {
    got.push(m);
    if (got.length > 2000) break;
    if (single || (m.headers && (m.headers.code !== 0 || !m.headers.has('Nats-Num-Pending')))) break;
  }
  sub.unsubscribe();
  return got;
}

/** A reply as `<subject>:<seq> <pending>/<last> <body>`, or `<code> <description> …` for a status. */
function brief(m: Msg): string {
  const h = m.headers;
  if (!h) return `- ${m.string()}`;
  const what = h.code !== 0 ? `${h.code} ${h.description}` : `${h.get('Nats-Subject')}:${h.get('Nats-Sequence')}`;
  let line = `${what} ${h.get('Nats-Num-Pending')}/${h.get('Nats-Last-Sequence')}`;
  if (h.has('Nats-UpTo-Sequence')) line += ` upto ${h.get('Nats-UpTo-Sequence')}`;
  return m.data.length > 0 ? `${line} ${m.string()}` : line;
}

async function all(iter: AsyncIterable<StoredMsg>): Promise<string[]> {
  const out: string[] = [];
  for await (const m of iter) out.push(`${m.subject}:${m.seq} ${m.pending}/${m.lastSequence} ${m.string()}`);
  return out;
}

describe('JetStream batched direct get', { timeout: 60_000 }, () => {
  let js: JsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  before(async () => {
    js = await startJsServer();
    nc = await js.connect();
    assert.ok((nc as NatsConnectionImpl).features.supports(Feature.JS_BATCH_DIRECT_GET));
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'DB', subjects: ['a.>', 'b.>'], allow_direct: true });
    const pub = jsm.jetstream();
    const h = headers();
    h.set('X', 'y');
    for (const [s, d] of [['a.1', 'one'], ['a.2', 'two'], ['b.1', 'three'], ['a.1', 'four'], ['b.2', 'five']]) {
      await pub.publish(s!, d!);
    }
    await pub.publish('a.3', 'six', { headers: h });
  });
  after(async () => {
    await js?.stop();
  });

  test('a batch from a sequence: pending and previous sequence on each message, then 204 EOB', async () => {
    const got = await ask(nc, JSON.stringify({ seq: 1, batch: 3 }));
    assert.deepEqual(got.map(brief), ['a.1:1 5/0 one', 'a.2:2 4/1 two', 'b.1:3 3/2 three', '204 EOB 3/3']);
    assert.equal(got[0]!.headers!.get('Nats-Stream'), 'DB');
    assert.match(got[0]!.headers!.get('Nats-Time-Stamp'), /^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    assert.equal(got[3]!.data.length, 0);
    // The whole EOB header block, nothing else in it.
    assert.deepEqual([...got[3]!.headers!.keys()].sort(), ['Nats-Last-Sequence', 'Nats-Num-Pending']);
  });

  test('a single lookup carries no batch headers', async () => {
    const [m] = await ask(nc, JSON.stringify({ seq: 2 }));
    assert.equal(m!.string(), 'two');
    assert.equal(m!.headers!.has('Nats-Num-Pending'), false);
    assert.equal(m!.headers!.has('Nats-Last-Sequence'), false);
  });

  test('next_by_subj with a wildcard, max_bytes, a stored header kept, no_hdr', async () => {
    assert.deepEqual((await ask(nc, JSON.stringify({ next_by_subj: 'a.*', batch: 10 }))).map(brief), [
      'a.1:1 3/0 one',
      'a.2:2 2/1 two',
      'a.1:4 1/2 four',
      'a.3:6 0/4 six',
      '204 EOB 0/6',
    ]);
    assert.deepEqual((await ask(nc, JSON.stringify({ seq: 1, batch: 5, max_bytes: 5 }))).map(brief), [
      'a.1:1 5/0 one',
      '204 EOB 5/1',
    ]);
    const [withHdr] = await ask(nc, JSON.stringify({ seq: 6, batch: 1 }));
    assert.equal(withHdr!.headers!.get('X'), 'y');
    assert.equal(withHdr!.headers!.get('Nats-Num-Pending'), '0');
    assert.deepEqual((await ask(nc, JSON.stringify({ seq: 5, batch: 5, no_hdr: true }))).map(brief), [
      '- five',
      '- six',
      '204 EOB 2/6',
    ]);
  });

  test('start_time: from the first message stored at or after it', async () => {
    const [fourth] = await ask(nc, JSON.stringify({ seq: 4 }));
    const start_time = fourth!.headers!.get('Nats-Time-Stamp');
    assert.deepEqual((await ask(nc, JSON.stringify({ start_time, batch: 2 }))).map(brief), [
      'a.1:4 2/0 four',
      'b.2:5 1/4 five',
      '204 EOB 1/5',
    ]);
    assert.deepEqual((await ask(nc, JSON.stringify({ start_time }))).map(brief), ['a.1:4 / four']);
  });

  test('multi_last: the last message per subject, up to a sequence or a time', async () => {
    assert.deepEqual((await ask(nc, JSON.stringify({ multi_last: ['a.*', 'b.>'] }))).map(brief), [
      'a.2:2 4/0 two',
      'b.1:3 3/2 three',
      'a.1:4 2/3 four',
      'b.2:5 1/4 five',
      'a.3:6 0/5 six',
      '204 EOB 0/6 upto 6',
    ]);
    assert.deepEqual((await ask(nc, JSON.stringify({ multi_last: ['a.*'], up_to_seq: 3 }))).map(brief), [
      'a.1:1 1/0 one',
      'a.2:2 0/1 two',
      '204 EOB 0/2 upto 3',
    ]);
    const [fourth] = await ask(nc, JSON.stringify({ seq: 4 }));
    const up_to_time = fourth!.headers!.get('Nats-Time-Stamp');
    assert.deepEqual((await ask(nc, JSON.stringify({ multi_last: ['a.1'], up_to_time }))).map(brief), [
      'a.1:1 0/0 one',
      '204 EOB 0/1 upto 3',
    ]);
    assert.deepEqual((await ask(nc, JSON.stringify({ multi_last: ['a.*', 'a.1'], seq: 3, batch: 1 }))).map(brief), [
      'a.1:4 1/0 four',
      '204 EOB 1/4 upto 6',
    ]);
  });

  test('nothing found, and refused requests', async () => {
    const status = async (body: string, subject?: string) => (await ask(nc, body, subject)).map(brief);
    assert.deepEqual(await status(JSON.stringify({ seq: 99, batch: 3 })), ['404 Message Not Found /']);
    assert.deepEqual(await status(JSON.stringify({ multi_last: ['zz'] })), ['404 No Results /']);
    const up_to_time = '2000-01-01T00:00:00Z';
    assert.deepEqual(await status(JSON.stringify({ multi_last: ['a.1'], up_to_time })), [
      '404 No Results /',
    ]);
    assert.deepEqual(await status(''), ['408 Empty Request /']);
    assert.deepEqual(await status(JSON.stringify({ batch: 4 })), ['408 Empty Request /']);
    assert.deepEqual(await status('{'), ['408 Malformed Request /']);
    assert.deepEqual(await status(JSON.stringify({ seq: '1' })), ['408 Malformed Request /']);
    for (const bad of [
      { seq: 1, last_by_subj: 'a.1' },
      { last_by_subj: 'a.1', batch: 2 },
      { next_by_subj: 'a.1', multi_last: ['a.1'] },
      { multi_last: ['a.1'], up_to_seq: 2, up_to_time },
    ]) {
      assert.deepEqual(await status(JSON.stringify(bad)), ['408 Bad Request /'], JSON.stringify(bad));
    }
    assert.deepEqual(await status(JSON.stringify({ batch: 2 }), `${GET}.a.1`), ['408 Bad Request /']);
    assert.deepEqual((await ask(nc, JSON.stringify({ no_hdr: true }), `${GET}.a.1`, true)).map(brief), ['- four']);
  });

  test('multi_last selects at most 1024 subjects (413 Too Many Results)', async () => {
    await jsm.streams.add({ name: 'MANY', subjects: ['k.>'], allow_direct: true });
    const pub = jsm.jetstream();
    for (let i = 0; i < 1025; i += 25) {
      await Promise.all(Array.from({ length: Math.min(25, 1025 - i) }, (_, j) => pub.publish(`k.${i + j}`, 'v')));
    }
    const subject = '$JS.API.DIRECT.GET.MANY';
    assert.deepEqual((await ask(nc, JSON.stringify({ multi_last: ['k.*'] }), subject)).map(brief), [
      '413 Too Many Results /',
    ]);
    const page = await ask(nc, JSON.stringify({ multi_last: ['k.*'], up_to_seq: 1024, batch: 1000 }), subject);
    assert.equal(page.length, 1001);
    assert.equal(brief(page[1000]!), '204 EOB 24/1000 upto 1024');
  });

  test("the client's getBatch and getLastMessagesFor", async () => {
    assert.deepEqual(await all(await jsm.direct.getBatch('DB', { seq: 2, batch: 2 })), [
      'a.2:2 4/0 two',
      'b.1:3 3/2 three',
    ]);
    assert.deepEqual(await all(await jsm.direct.getBatch('DB', { next_by_subj: 'b.>', seq: 1 })), [
      'b.1:3 1/0 three',
      'b.2:5 0/3 five',
    ]);
    assert.deepEqual(await all(await jsm.direct.getLastMessagesFor('DB', { multi_last: ['a.1', 'b.*'] })), [
      'b.1:3 2/0 three',
      'a.1:4 1/3 four',
      'b.2:5 0/4 five',
    ]);
    const none = await jsm.direct.getLastMessagesFor('DB', { multi_last: ['zz'] });
    assert.deepEqual(await all(none), []);
  });
});

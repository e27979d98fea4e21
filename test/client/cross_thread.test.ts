// Messages between connections on different server threads (Myelin with --workers 2; connections are spread
// over the threads in turn). Small batches are written straight to the subscriber's socket by the publisher's
// thread when that connection is idle, the rest goes through the other thread's inbox
// (native/core/src/direct.rs): these tests mix both paths and check nothing is lost or reordered per publisher.
// They run unchanged against nats-server.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { connect, StringCodec, type NatsConnection } from 'nats';
import { startServer, checkFor, isGo, type ServerHandle } from '../helpers/server.js';

const sc = StringCodec();

describe('across server threads', { timeout: 60_000 }, () => {
  let srv: ServerHandle;
  const conns: NatsConnection[] = [];
  const nc = async () => {
    const c = await connect({ servers: srv.url, reconnect: false });
    conns.push(c);
    return c;
  };

  before(async () => {
    srv = await startServer({ args: isGo ? [] : ['--workers', '2'] });
  });
  after(async () => {
    for (const c of conns) if (!c.isClosed()) await c.close();
    await srv?.stop();
  });

  test('per-publisher order holds when single messages and bursts alternate', async () => {
    // Two subscribers and two publishers, connected in turn: each thread has one of each.
    const subs = [await nc(), await nc()];
    const got = subs.map(() => new Map<string, number[]>());
    subs.forEach((s, i) =>
      s.subscribe('xt.order', {
        callback: (_e, m) => {
          const [who, n] = sc.decode(m.data).split(':');
          const list = got[i].get(who) ?? [];
          list.push(Number(n));
          got[i].set(who, list);
        },
      }),
    );
    for (const s of subs) await s.flush();
    const pubs = [await nc(), await nc()];
    const N = 3000;
    await Promise.all(
      pubs.map(async (p, who) => {
        for (let n = 0; n < N; ) {
          // A single message with a round trip (a chunk of its own), then a burst.
          p.publish('xt.order', sc.encode(`${who}:${n++}`));
          await p.flush();
          for (let b = 0; b < 40 && n < N; b++) p.publish('xt.order', sc.encode(`${who}:${n++}`));
        }
        await p.flush();
      }),
    );
    await checkFor(10_000, 20, () => got.every((g) => [...g.values()].reduce((a, l) => a + l.length, 0) >= 2 * N));
    const expected = Array.from({ length: N }, (_, n) => n);
    for (const g of got) {
      for (const who of ['0', '1']) assert.deepEqual(g.get(who), expected, `publisher ${who} in order`);
    }
  });

  test('request/reply between threads, one at a time and many in flight', async () => {
    const responder = await nc();
    responder.subscribe('xt.svc', { callback: (_e, m) => m.respond(sc.encode(`re:${sc.decode(m.data)}`)) });
    await responder.flush();
    const requester = await nc();
    for (let i = 0; i < 300; i++) {
      const r = await requester.request('xt.svc', sc.encode(String(i)), { timeout: 5000 });
      assert.equal(sc.decode(r.data), `re:${i}`);
    }
    const many = await Promise.all(
      Array.from({ length: 200 }, (_, i) => requester.request('xt.svc', sc.encode(String(i)), { timeout: 10_000 })),
    );
    many.forEach((m, i) => assert.equal(sc.decode(m.data), `re:${i}`));
    const stats = responder.stats();
    assert.equal(stats.inMsgs, 500);
  });

  test('a subscriber that stops reading gets every message, in order, once it reads again', async () => {
    // A raw subscriber (its socket paused) and, on the other thread, a publisher of 64 KiB messages with a
    // round trip each: the first ones are written straight to the socket until its buffers fill, the rest
    // wait in the server, and none may be lost or overtake another.
    const raw = await RawSub.connect(srv.port);
    await raw.subscribe('xt.slow');
    raw.socket.pause();
    const p = await nc();
    const M = 120;
    const payload = (n: number) => `${String(n).padStart(6, '0')}:${'x'.repeat(64 * 1024 - 7)}`;
    for (let n = 0; n < M; n++) {
      p.publish('xt.slow', sc.encode(payload(n)));
      await p.flush();
    }
    raw.socket.resume();
    const seqs = await raw.readMessages(M, 20_000);
    assert.deepEqual(
      seqs,
      Array.from({ length: M }, (_, n) => n),
    );
    raw.socket.destroy();
  });
});

/** A subscriber on a raw socket whose reading can be paused; it reads MSG frames with `<6-digit seq>:` payloads. */
class RawSub {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | undefined;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
  }

  static async connect(port: number): Promise<RawSub> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect({ host: '127.0.0.1', port }, () => resolve(s));
      s.once('error', reject);
    });
    const r = new RawSub(socket);
    await r.until((b) => b.includes('\r\n'), 5000);
    r.buf = Buffer.alloc(0);
    return r;
  }

  private async until(done: (b: string) => boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done(this.buf.toString('latin1'))) {
      if (Date.now() > deadline) throw new Error(`raw subscriber: timed out with ${this.buf.length} bytes`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  async subscribe(subject: string): Promise<void> {
    this.socket.write(`CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\nSUB ${subject} 1\r\nPING\r\n`);
    await this.until((b) => b.includes('PONG\r\n'), 5000);
    this.buf = Buffer.alloc(0);
  }

  /** Read `count` MSG frames and return their payloads' sequence numbers (PINGs are answered). */
  async readMessages(count: number, ms: number): Promise<number[]> {
    const seqs: number[] = [];
    const deadline = Date.now() + ms;
    while (seqs.length < count) {
      const eol = this.buf.indexOf('\r\n');
      if (eol >= 0) {
        const line = this.buf.toString('latin1', 0, eol);
        if (line === 'PING') {
          this.socket.write('PONG\r\n');
          this.buf = this.buf.subarray(eol + 2);
          continue;
        }
        assert.match(line, /^MSG xt\.slow 1 \d+$/);
        const size = Number(line.split(' ')[3]);
        if (this.buf.length >= eol + 2 + size + 2) {
          const body = this.buf.subarray(eol + 2, eol + 2 + size);
          seqs.push(Number(body.toString('latin1', 0, 6)));
          assert.equal(this.buf.toString('latin1', eol + 2 + size, eol + 4 + size), '\r\n');
          this.buf = this.buf.subarray(eol + 4 + size);
          continue;
        }
      }
      if (Date.now() > deadline) throw new Error(`raw subscriber: ${seqs.length} of ${count} messages`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    return seqs;
  }
}

// Socket-level robustness: clean clients keep exchanging messages, exactly once and in order, while many raw
// sockets throw random and garbled bytes at the same server (cut mid-frame, half-open, abruptly reset).
// Everything is seeded and bounded: a fixed number of garbage connections, each at most 4 KiB, loopback only.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { WireClient } from '../helpers/wire.js';

const MESSAGES = 2000;
const GARBAGE_CONNS = 300;
const GARBAGE_PARALLEL = 16;
const MAX_GARBAGE_BYTES = 4096;
/** Connections left half-sent and open until the clean exchange is over. */
const HELD_OPEN = 12;
const SEED = Number(process.env.SOCKET_FUZZ_SEED ?? 0x6d79656c);

/** mulberry32: small, seeded, good enough to pick bytes and behaviours. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

// Subjects the garbage may use: never the clean clients' subject, so their stream must stay untouched.
const SUBJECTS = ['g', 'g.x', 'g.*', 'g.>', '>', '*', 'g..x', '.g', 'g x', 'a.b.c.d.e.f', '_INBOX.zz'];

/** One protocol-looking frame, valid or subtly broken. */
function frame(r: Rand): string {
  const s = pick(r, SUBJECTS);
  const n = int(r, 64);
  const body = 'x'.repeat(n);
  switch (int(r, 16)) {
    case 0:
      return `CONNECT {"verbose":${r() < 0.5},"pedantic":${r() < 0.5},"headers":${r() < 0.5},"protocol":${int(r, 3)}}\r\n`;
    case 1:
      return 'CONNECT {"verbose":tru\r\n';
    case 2:
      return `SUB ${s} ${int(r, 100)}\r\n`;
    case 3:
      return `SUB ${s} q${int(r, 3)} ${int(r, 100)}\r\n`;
    case 4:
      return `UNSUB ${int(r, 100)} ${int(r, 5)}\r\n`;
    case 5:
      return `PUB ${s} ${n}\r\n${body}\r\n`;
    case 6:
      return `PUB ${s} ${n + 1 + int(r, 5)}\r\n${body}\r\n`; // declared size too large
    case 7:
      return `PUB ${s} ${n}\r\n${body}xx\r\n`; // payload longer than declared
    case 8:
      return `HPUB ${s} 12 ${12 + n}\r\nNATS/1.0\r\n\r\n${body}\r\n`;
    case 9:
      return `HPUB ${s} ${20 + n} ${n}\r\n${body}\r\n`; // header length over total
    case 10:
      return `PUB ${s} 99999999999\r\n`;
    case 11:
      return 'PING\r\n';
    case 12:
      return 'PONG\r\n';
    case 13:
      return `-ERR 'garbage'\r\n`;
    case 14:
      return `PUB ${'s'.repeat(int(r, 6000))} 1\r\n`;
    default:
      return `${pick(r, ['pub', 'Sub', 'UNsub', 'ping', 'PINGX', 'MSG', 'INFO {}', '+OK', 'hpub'])} ${s}\r\n`;
  }
}

/** The bytes one garbage connection sends, at most MAX_GARBAGE_BYTES. */
function garbage(r: Rand): Buffer {
  const limit = 1 + int(r, MAX_GARBAGE_BYTES);
  const kind = int(r, 3);
  let out: Buffer;
  if (kind === 0) {
    // Pure noise.
    out = Buffer.alloc(limit);
    for (let i = 0; i < limit; i++) out[i] = int(r, 256);
  } else {
    let text = '';
    while (text.length < limit) text += frame(r);
    out = Buffer.from(text, 'latin1');
    if (kind === 2) {
      // Flip a few bytes.
      for (let k = int(r, 8); k > 0; k--) out[int(r, out.length)] = int(r, 256);
    }
  }
  // Cut anywhere, usually mid-frame.
  return out.subarray(0, Math.min(out.length, limit));
}

/** Resolves when the socket is closed, or after ms (then destroys it). Never rejects. */
function closedOrTimeout(sock: Socket, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (sock.destroyed) return resolve();
    const t = setTimeout(() => {
      sock.destroy();
      resolve();
    }, ms);
    sock.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** One garbage connection; behaviour picked by the PRNG. Resolves when it is over. */
async function garbageConn(port: number, r: Rand, held: Socket[]): Promise<void> {
  const bytes = garbage(r);
  const mode = int(r, 5);
  const sock = new Socket();
  sock.on('error', () => {}); // resets and EPIPE are the point of the exercise
  sock.on('data', () => {}); // keep reading so the server never blocks on us
  await new Promise<void>((resolve) => {
    sock.once('connect', resolve);
    sock.once('close', resolve);
    sock.connect(port, '127.0.0.1');
  });
  if (sock.destroyed) return;
  const cut = int(r, bytes.length + 1);
  switch (mode) {
    case 0: // everything in one write, then a clean FIN
      sock.end(bytes);
      return closedOrTimeout(sock, 2000);
    case 1: // in small pieces, then an abrupt reset mid-stream
      for (let i = 0; i < cut; i += 1 + int(r, 64)) sock.write(bytes.subarray(i, Math.min(cut, i + 1 + int(r, 64))));
      sock.resetAndDestroy();
      return closedOrTimeout(sock, 2000);
    case 2: // half-open: send a prefix and FIN our side, keep reading what the server says
      sock.end(bytes.subarray(0, cut));
      return closedOrTimeout(sock, 1000);
    case 3: // a prefix, then destroy without waiting
      sock.write(bytes.subarray(0, cut));
      sock.destroy();
      return closedOrTimeout(sock, 2000);
    default:
      if (held.length < HELD_OPEN) {
        // Left hanging mid-frame until the end of the test.
        sock.write(bytes.subarray(0, cut));
        held.push(sock);
        return;
      }
      sock.end(bytes);
      return closedOrTimeout(sock, 2000);
  }
}

describe('socket fuzz: clean clients are unaffected by garbage connections', { timeout: 30_000 }, () => {
  let srv: ServerHandle;
  const conns: NatsConnection[] = [];
  const held: Socket[] = [];

  before(async () => {
    srv = await startServer();
  });
  after(async () => {
    for (const s of held) s.destroy();
    for (const c of conns) if (!c.isClosed()) await c.close();
    await srv?.stop();
  });

  test(`${MESSAGES} ordered messages survive ${GARBAGE_CONNS} garbage connections`, { timeout: 20_000 }, async () => {
    const pubc = await connect({ servers: srv.url, reconnect: false, name: 'clean-pub' });
    const subc = await connect({ servers: srv.url, reconnect: false, name: 'clean-sub' });
    conns.push(pubc, subc);
    const got: number[] = [];
    const queueGot: number[] = [];
    let doneResolve!: () => void;
    const done = new Promise<void>((resolve) => (doneResolve = resolve));
    const dec = new TextDecoder();
    subc.subscribe('clean.seq', {
      callback: (err, m) => {
        assert.equal(err, null);
        const s = dec.decode(m.data);
        if (s === 'end') doneResolve();
        else got.push(Number(s));
      },
    });
    // A queue group of one on the same subject: it must also see every message once.
    subc.subscribe('clean.seq', {
      queue: 'workers',
      callback: (_err, m) => {
        const s = dec.decode(m.data);
        if (s !== 'end') queueGot.push(Number(s));
      },
    });
    await subc.flush();

    const rand = prng(SEED);
    const seeds = Array.from({ length: GARBAGE_CONNS }, () => int(rand, 2 ** 31));
    let next = 0;
    let finished = 0;
    let onFinished: (() => void) | undefined;
    const worker = async () => {
      while (next < seeds.length) {
        const i = next++;
        await garbageConn(srv.port, prng(seeds[i]), held);
        finished++;
        onFinished?.();
      }
    };
    /** Resolves once at least n garbage connections are over (event-driven, no timers). */
    const garbageFinished = (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (finished >= n) {
            onFinished = undefined;
            resolve();
          }
        };
        onFinished = check;
        check();
      });
    const garbageDone = Promise.all(Array.from({ length: GARBAGE_PARALLEL }, worker));

    const enc = new TextEncoder();
    const BATCHES = 20;
    for (let b = 0; b < BATCHES; b++) {
      for (let i = (b * MESSAGES) / BATCHES; i < ((b + 1) * MESSAGES) / BATCHES; i++) {
        pubc.publish('clean.seq', enc.encode(String(i)));
      }
      await pubc.flush();
      // Pace the clean stream by the garbage's progress so the two overlap from start to end.
      await garbageFinished(Math.floor(((b + 1) * GARBAGE_CONNS) / (BATCHES + 1)));
    }
    await garbageDone;
    // The sentinel comes after every message on the same connection and subject: once it arrives, any
    // missing or duplicated message would already show.
    pubc.publish('clean.seq', enc.encode('end'));
    await pubc.flush();
    await done;
    await subc.flush();

    const want = Array.from({ length: MESSAGES }, (_, i) => i);
    assert.deepEqual(got, want, 'plain subscriber: every message exactly once, in order');
    assert.deepEqual(queueGot, want, 'queue subscriber: every message exactly once, in order');
    assert.equal(pubc.isClosed(), false);
    assert.equal(subc.isClosed(), false);

    // The server is still up and answers a PING on a fresh connection, even with half-sent sockets held open.
    assert.equal(srv.proc.exitCode, null, 'server still running');
    const w = await WireClient.connectAndHandshake(srv.port);
    try {
      await w.pingPong();
    } finally {
      w.close();
    }
  });
});

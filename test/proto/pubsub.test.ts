// PUB / SUB / MSG / UNSUB semantics on the raw wire.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFor } from '../helpers/server.js';
import { WireClient, useWireServer, msg, pub } from '../helpers/wire.js';

describe('PUB/SUB/MSG', { timeout: 60_000 }, () => {
  const server = useWireServer();
  const open = (connectOpts: Record<string, unknown> = {}) => server.handshake(connectOpts);

  test('MSG format without reply: "MSG <subject> <sid> <size>\\r\\n<payload>\\r\\n"', async () => {
    const c = await open();
    await c.send('SUB foo 1\r\nPUB foo 5\r\nhello\r\nPING\r\n');
    await c.expect('MSG foo 1 5\r\nhello\r\nPONG\r\n');
  });

  test('MSG format with reply: "MSG <subject> <sid> <reply> <size>"', async () => {
    const c = await open();
    await c.send('SUB foo 22\r\nPUB foo bar.baz 5\r\nhello\r\nPING\r\n');
    await c.expect('MSG foo 22 bar.baz 5\r\nhello\r\nPONG\r\n');
  });

  test('zero-length payload', async () => {
    const c = await open();
    await c.send('SUB foo 1\r\nPUB foo 0\r\n\r\nPUB foo r 0\r\n\r\nPING\r\n');
    await c.expect('MSG foo 1 0\r\n\r\nMSG foo 1 r 0\r\n\r\nPONG\r\n');
  });

  test('payload bytes are passed through verbatim (CRLF, NUL, high bytes inside payload)', async () => {
    const c = await open();
    const payload = Buffer.from([0x00, 0x0d, 0x0a, 0xff, 0x80, 0x20, 0x0d, 0x0a, 0x41]);
    await c.send('SUB bin 1\r\n');
    await c.send(Buffer.concat([Buffer.from(`PUB bin ${payload.length}\r\n`), payload, Buffer.from('\r\nPING\r\n')]));
    await c.expect('MSG bin 1 9\r\n' + payload.toString('latin1') + '\r\nPONG\r\n');
  });

  test('sid can be any token; subject/sid echo back byte-exact', async () => {
    const c = await open();
    await c.send('SUB Foo.BAR_baz-1 aBc123\r\nPUB Foo.BAR_baz-1 1\r\nx\r\nPUB foo.bar_baz-1 1\r\ny\r\nPING\r\n');
    await c.expect(msg('Foo.BAR_baz-1', 'aBc123', 'x') + 'PONG\r\n');
  });

  test('messages are delivered to another connection', async () => {
    const sub = await open();
    const pubc = await open();
    await sub.send('SUB x.y 7\r\n');
    await sub.pingPong();
    await pubc.send(pub('x.y', 'one') + pub('x.y', 'two', 'r.1'));
    await pubc.pingPong();
    await sub.expect(msg('x.y', 7, 'one') + msg('x.y', 7, 'two', 'r.1'));
    await sub.pingPong();
  });

  test('a message matching several subscriptions of one connection is delivered once per sid', async () => {
    const c = await open();
    await c.send('SUB a.b 1\r\nSUB a.* 2\r\nSUB a.> 3\r\nSUB > 4\r\nPUB a.b 1\r\nx\r\nPING\r\n');
    await c.expect(/^(MSG a\.b [1-4] 1\r\nx\r\n){4}PONG\r\n$/);
    // The four sids are distinct.
  });

  test('duplicate SUB with the same sid is ignored (one delivery)', async () => {
    const c = await open();
    await c.send('SUB foo 1\r\nSUB foo 1\r\nPUB foo 1\r\nx\r\nPING\r\n');
    await c.expect(msg('foo', 1, 'x') + 'PONG\r\n');
  });

  describe('wildcards', { timeout: 60_000 }, () => {
    test('* matches exactly one token', async () => {
      const c = await open();
      await c.send('SUB foo.* 1\r\n');
      await c.send(pub('foo.bar', 'a') + pub('foo', 'b') + pub('foo.bar.baz', 'c') + pub('foo.baz', 'd') + 'PING\r\n');
      await c.expect(msg('foo.bar', 1, 'a') + msg('foo.baz', 1, 'd') + 'PONG\r\n');
    });

    test('* in the middle', async () => {
      const c = await open();
      await c.send('SUB a.*.c 1\r\n');
      await c.send(pub('a.b.c', '1') + pub('a.c', '2') + pub('a.b.b.c', '3') + pub('a.x.c', '4') + pub('a.b.c.d', '5') + 'PING\r\n');
      await c.expect(msg('a.b.c', 1, '1') + msg('a.x.c', 1, '4') + 'PONG\r\n');
    });

    test('> matches one or more trailing tokens', async () => {
      const c = await open();
      await c.send('SUB foo.> 1\r\n');
      await c.send(pub('foo', 'a') + pub('foo.bar', 'b') + pub('foo.bar.baz', 'c') + pub('bar.foo', 'd') + 'PING\r\n');
      await c.expect(msg('foo.bar', 1, 'b') + msg('foo.bar.baz', 1, 'c') + 'PONG\r\n');
    });

    test('> alone matches everything; *.> needs at least two tokens', async () => {
      const c = await open();
      await c.send('SUB > 1\r\nSUB *.> 2\r\n');
      await c.send(pub('a', 'x') + 'PING\r\n');
      await c.expect(msg('a', 1, 'x') + 'PONG\r\n');
      await c.send(pub('a.b', 'y') + 'PING\r\n');
      await c.expect(/^(MSG a\.b [12] 1\r\ny\r\n){2}PONG\r\n$/);
    });

    test('wildcards only count as whole tokens (foo* is a literal token)', async () => {
      const c = await open();
      await c.send('SUB foo* 1\r\nSUB a.b> 2\r\n');
      await c.send(pub('foox', '1') + pub('foo*', '2') + pub('a.bc', '3') + pub('a.b>', '4') + 'PING\r\n');
      await c.expect(msg('foo*', 1, '2') + msg('a.b>', 2, '4') + 'PONG\r\n');
    });
  });

  describe('UNSUB', { timeout: 60_000 }, () => {
    test('UNSUB stops delivery', async () => {
      const c = await open();
      await c.send('SUB foo 1\r\n' + pub('foo', 'a') + 'UNSUB 1\r\n' + pub('foo', 'b') + 'PING\r\n');
      await c.expect(msg('foo', 1, 'a') + 'PONG\r\n');
    });

    test('UNSUB <sid> <max> auto-unsubscribes after max messages', async () => {
      const c = await open();
      await c.send('SUB foo 1\r\nUNSUB 1 2\r\n' + pub('foo', 'a') + pub('foo', 'b') + pub('foo', 'c') + 'PING\r\n');
      await c.expect(msg('foo', 1, 'a') + msg('foo', 1, 'b') + 'PONG\r\n');
      // The subscription is gone for good.
      await c.send(pub('foo', 'd') + 'PING\r\n');
      await c.expect('PONG\r\n');
    });

    test('UNSUB max counts messages already delivered', async () => {
      const c = await open();
      await c.send('SUB foo 1\r\n' + pub('foo', 'a') + pub('foo', 'b') + 'UNSUB 1 3\r\n' + pub('foo', 'c') + pub('foo', 'd') + 'PING\r\n');
      await c.expect(msg('foo', 1, 'a') + msg('foo', 1, 'b') + msg('foo', 1, 'c') + 'PONG\r\n');
    });

    test('UNSUB max <= delivered unsubscribes immediately', async () => {
      const c = await open();
      await c.send('SUB foo 1\r\n' + pub('foo', 'a') + pub('foo', 'b') + 'UNSUB 1 1\r\n' + pub('foo', 'c') + 'PING\r\n');
      await c.expect(msg('foo', 1, 'a') + msg('foo', 1, 'b') + 'PONG\r\n');
    });

    test('UNSUB <sid> 0 unsubscribes immediately', async () => {
      const c = await open();
      await c.send('SUB foo 1\r\nUNSUB 1 0\r\n' + pub('foo', 'a') + 'PING\r\n');
      await c.expect('PONG\r\n');
    });

    test('UNSUB of an unknown sid is silently ignored', async () => {
      const c = await open();
      await c.send('UNSUB 12345\r\nPING\r\n');
      await c.expect('PONG\r\n');
    });

    test('the sid can be reused after UNSUB', async () => {
      const c = await open();
      await c.send('SUB foo 1\r\nUNSUB 1\r\nSUB bar 1\r\n' + pub('foo', 'a') + pub('bar', 'b') + 'PING\r\n');
      await c.expect(msg('bar', 1, 'b') + 'PONG\r\n');
    });
  });

  describe('queue groups', { timeout: 60_000 }, () => {
    test('SUB <subject> <queue> <sid>: each message goes to exactly one member of the group', async () => {
      const members = [await open(), await open(), await open()];
      const plain = await open();
      for (const [i, m] of members.entries()) {
        await m.send(`SUB work.q grp ${i + 1}\r\n`);
        await m.pingPong();
      }
      await plain.send('SUB work.q 9\r\n');
      await plain.pingPong();
      const p = await open();
      const N = 300;
      let batch = '';
      for (let i = 0; i < N; i++) batch += pub('work.q', `m${i}`);
      await p.send(batch);
      await p.pingPong();

      const seen: string[][] = members.map(() => []);
      const parse = (c: WireClient, out: string[]) => {
        for (let k = 0; k < N + 1; k++) {
          const m = c.tryConsume(/^MSG work\.q \d+ \d+\r\n(m\d+)\r\n/);
          if (!m) break;
          out.push(m[1]);
        }
      };
      await checkFor(5000, 20, () => {
        members.forEach((m, i) => parse(m, seen[i]));
        return seen.reduce((a, s) => a + s.length, 0) >= N;
      });
      for (const m of members) await m.pingPong();
      members.forEach((m, i) => parse(m, seen[i]));
      for (const m of members) assert.equal(m.pending(), '');

      const all = seen.flat();
      assert.equal(all.length, N, 'each message delivered exactly once across the group');
      assert.equal(new Set(all).size, N);
      // Each member keeps the publisher's order for the messages it got.
      for (const s of seen) {
        const idx = s.map((x) => Number(x.slice(1)));
        for (let i = 1; i < idx.length; i++) assert.ok(idx[i] > idx[i - 1]);
      }
      // Random distribution: with 300 messages every member gets some.
      for (const s of seen) assert.ok(s.length > 0, `member got ${s.length}`);

      // The plain subscriber gets every message, in order.
      let expected = '';
      for (let i = 0; i < N; i++) expected += msg('work.q', 9, `m${i}`);
      await plain.expect(expected);
    });

    test('two different queue groups each get every message once', async () => {
      const a1 = await open();
      const a2 = await open();
      const b1 = await open();
      await a1.send('SUB jobs ga 1\r\n');
      await a2.send('SUB jobs ga 1\r\n');
      await b1.send('SUB jobs gb 1\r\n');
      for (const c of [a1, a2, b1]) await c.pingPong();
      const p = await open();
      await p.send(pub('jobs', 'x') + pub('jobs', 'y'));
      await p.pingPong();
      await b1.expect(msg('jobs', 1, 'x') + msg('jobs', 1, 'y'));
      const count = (s: string) => (s.match(/MSG jobs 1 1\r\n[xy]\r\n/g) ?? []).length;
      await checkFor(3000, 20, () => count(a1.pending()) + count(a2.pending()) === 2);
      const got = [a1, a2].map((c) => c.drainPending()).join('');
      assert.match(got, /^(MSG jobs 1 1\r\n[xy]\r\n){2}$/);
      assert.ok(got.includes('\r\nx\r\n') && got.includes('\r\ny\r\n'), got);
      for (const c of [a1, a2, b1]) {
        await c.pingPong();
        assert.equal(c.pending(), '');
      }
    });

    test('queue subscriber on the publishing connection also receives', async () => {
      const c = await open();
      await c.send('SUB q.self g 1\r\n' + pub('q.self', 'x') + 'PING\r\n');
      await c.expect(msg('q.self', 1, 'x') + 'PONG\r\n');
    });
  });

  describe('echo', { timeout: 60_000 }, () => {
    test('echo:false suppresses delivery of own messages, others still receive', async () => {
      const c = await open({ echo: false });
      const other = await open();
      await other.send('SUB foo 1\r\n');
      await other.pingPong();
      await c.send('SUB foo 1\r\n' + pub('foo', 'hi') + 'PING\r\n');
      await c.expect('PONG\r\n');
      await other.expect(msg('foo', 1, 'hi'));
      // Messages from others are still delivered to the echo:false connection.
      await other.send(pub('foo', 'back') + 'PING\r\n');
      await other.expect(msg('foo', 1, 'back') + 'PONG\r\n');
      await c.expect(msg('foo', 1, 'back'));
      await c.pingPong();
    });

    test('echo defaults to true', async () => {
      const c = await open();
      await c.send('SUB foo 1\r\n' + pub('foo', 'hi') + 'PING\r\n');
      await c.expect(msg('foo', 1, 'hi') + 'PONG\r\n');
    });
  });
});

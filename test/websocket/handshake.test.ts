// The WebSocket listener at the frame and handshake level, with a raw `ws` client: the Origin policy
// (same_origin, allowed_origins), permessage-deflate negotiation, configured response headers, protocol
// split across frames, close frames with nats-server's status codes, and allowed_connection_types.
// Run against both of Myelin's implementations and nats-server.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';

import { WebSocket, type ClientOptions } from 'ws';

import { IMPLS, startWsServer, websocketBlock, type WsServer } from './ws-server.js';
import { withTimeout } from '../helpers/server.js';

/** A raw WebSocket client that collects what the server sends as text. */
class RawClient {
  text = '';
  closed: { code: number; reason: string } | undefined;
  upgradeHeaders: IncomingMessage['headers'] = {};
  private readonly waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('upgrade', (res) => (this.upgradeHeaders = res.headers));
    ws.on('message', (data: Buffer) => {
      this.text += data.toString();
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  static open(url: string, options: ClientOptions = {}): Promise<RawClient> {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
    const client = new RawClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Wait (bounded) until the received text matches `re`. */
  async waitFor(re: RegExp, ms = 5000): Promise<string> {
    const end = Date.now() + ms;
    while (!re.test(this.text)) {
      if (Date.now() > end || this.closed !== undefined) {
        assert.fail(`no ${re} in ${JSON.stringify(this.text)} (closed: ${JSON.stringify(this.closed)})`);
      }
      await withTimeout(new Promise<void>((resolve) => this.waiters.push(resolve)), 200);
    }
    return this.text;
  }

  /** Wait (bounded) until `token` has been received at least `n` times. */
  async waitForCount(token: string, n: number, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (this.text.split(token).length - 1 < n) {
      if (Date.now() > end || this.closed !== undefined) {
        assert.fail(`${token.trim()} received ${this.text.split(token).length - 1} times, expected ${n}`);
      }
      await withTimeout(new Promise<void>((resolve) => this.waiters.push(resolve)), 200);
    }
  }

  async waitClosed(ms = 5000): Promise<{ code: number; reason: string }> {
    const end = Date.now() + ms;
    while (this.closed === undefined && Date.now() < end) {
      await withTimeout(new Promise<void>((resolve) => this.waiters.push(resolve)), 200);
    }
    assert.ok(this.closed, 'connection did not close');
    return this.closed;
  }
}

/** The HTTP status of an upgrade attempt (101 when it succeeded). */
function upgradeStatus(url: string, origin: string | undefined): Promise<number> {
  const ws = new WebSocket(url, origin !== undefined ? { origin } : {});
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      ws.terminate();
      resolve(res.statusCode ?? 0);
    });
    ws.once('error', reject);
  });
}

const CONNECT = 'CONNECT {"verbose":false,"pedantic":false,"protocol":1}\r\n';

for (const impl of IMPLS) {
  describe(`WebSocket handshake and frames (${impl})`, { timeout: 60_000 }, () => {
    const servers: WsServer[] = [];
    const clients: RawClient[] = [];
    const start = async (config?: string, args?: string[]) => {
      const s = await startWsServer(impl, config, args);
      servers.push(s);
      return s;
    };
    const open = async (url: string, options?: ClientOptions) => {
      const c = await RawClient.open(url, options);
      clients.push(c);
      return c;
    };
    let plain: WsServer;

    before(async () => {
      plain = await start();
    });
    after(async () => {
      for (const c of clients) c.ws.terminate();
      await Promise.all(servers.map((s) => s.srv.stop()));
    });

    test('INFO arrives in a binary frame; protocol split anywhere across frames is parsed', async () => {
      const c = await open(plain.wsUrl);
      await c.waitFor(/^INFO \{.*\} \r\n$/);
      // One op per frame, an op split over three frames, a payload split from its PUB line, a text frame.
      c.ws.send(Buffer.from(CONNECT));
      c.ws.send(Buffer.from('SU'));
      c.ws.send(Buffer.from('B split.'));
      c.ws.send(Buffer.from('s 1\r\nPUB split.s 5\r\nhe'));
      c.ws.send(Buffer.from('llo\r\nPING\r\n'));
      c.ws.send('PUB split.s 4\r\ntext\r\nPING\r\n', { binary: false });
      await c.waitForCount('PONG\r\n', 2);
      const text = c.text;
      assert.match(text, /MSG split\.s 1 5\r\nhello\r\n/);
      assert.match(text, /MSG split\.s 1 4\r\ntext\r\n/);
    });

    test('a plain HTTP request on the WebSocket port gets 400', async () => {
      const res = await fetch(`http://127.0.0.1:${plain.wsPort}/`);
      await res.arrayBuffer();
      assert.equal(res.status, 400);
    });

    test('a protocol error closes with status 1002 after the -ERR', async () => {
      const c = await open(plain.wsUrl);
      await c.waitFor(/^INFO /);
      c.ws.send(Buffer.from('FOO BAR\r\n'));
      const closed = await c.waitClosed();
      // nats-server closes this one racily: the -ERR and its close frame may or may not make it out first
      // (close code 1006, no frame). Myelin always writes both, with nats-server's status for ParseError.
      if (impl === 'go') return;
      assert.match(c.text, /-ERR 'Unknown Protocol Operation'\r\n/);
      assert.equal(closed.code, 1002);
      assert.match(closed.reason, /^(Parse Error|Protocol Violation)$/);
    });

    test('a payload over max_payload closes with status 1009', async () => {
      const c = await open(plain.wsUrl);
      await c.waitFor(/^INFO /);
      c.ws.send(Buffer.from(`${CONNECT}PUB big 99999999\r\n`));
      const closed = await c.waitClosed();
      assert.match(c.text, /-ERR 'Maximum Payload Violation'\r\n/);
      assert.equal(closed.code, 1009);
      assert.equal(closed.reason, 'Maximum Message Payload Exceeded');
    });

    test('same_origin: a foreign Origin is refused with 403; the same origin and no Origin are accepted', async () => {
      const s = await start(websocketBlock('  same_origin: true'));
      assert.equal(await upgradeStatus(s.wsUrl, 'http://evil.example'), 403);
      assert.equal(await upgradeStatus(s.wsUrl, `http://127.0.0.1:${s.wsPort + 1}`), 403);
      assert.equal(await upgradeStatus(s.wsUrl, `http://127.0.0.1:${s.wsPort}`), 101);
      assert.equal(await upgradeStatus(s.wsUrl, undefined), 101);
    });

    test('allowed_origins: scheme, host and port must match an entry', async () => {
      const s = await start(websocketBlock('  allowed_origins: ["http://app.example:8080", "https://secure.example"]'));
      assert.equal(await upgradeStatus(s.wsUrl, 'http://app.example:8080'), 101);
      assert.equal(await upgradeStatus(s.wsUrl, 'HTTP://APP.example:8080'), 101);
      assert.equal(await upgradeStatus(s.wsUrl, 'https://secure.example:443'), 101);
      assert.equal(await upgradeStatus(s.wsUrl, 'http://app.example:8081'), 403);
      assert.equal(await upgradeStatus(s.wsUrl, 'https://app.example:8080'), 403);
      assert.equal(await upgradeStatus(s.wsUrl, 'http://other.example:8080'), 403);
      assert.equal(await upgradeStatus(s.wsUrl, undefined), 101);
    });

    test('compression: permessage-deflate is negotiated only when configured, and traffic flows', async () => {
      const off = await open(plain.wsUrl, { perMessageDeflate: true });
      assert.equal(off.upgradeHeaders['sec-websocket-extensions'], undefined);

      const s = await start(websocketBlock('  compression: true'));
      const c = await open(s.wsUrl, { perMessageDeflate: true });
      assert.match(String(c.upgradeHeaders['sec-websocket-extensions']), /^permessage-deflate/);
      await c.waitFor(/^INFO /);
      const body = 'z'.repeat(5000);
      c.ws.send(Buffer.from(`${CONNECT}SUB deflate 1\r\nPUB deflate ${body.length}\r\n${body}\r\nPING\r\n`));
      const text = await c.waitFor(/PONG\r\n/);
      assert.ok(text.includes(`MSG deflate 1 ${body.length}\r\n${body}\r\n`));
    });

    test('configured headers are added to the upgrade response', async () => {
      const s = await start(websocketBlock('  headers { X-Myelin-Test: "yes" }'));
      const c = await open(s.wsUrl);
      assert.equal(c.upgradeHeaders['x-myelin-test'], 'yes');
    });

    test('allowed_connection_types: a STANDARD-only user cannot log in over WebSocket', async () => {
      const s = await start(
        `${websocketBlock()}authorization {\n  users: [\n` +
          `    { user: tcp, password: pw, allowed_connection_types: ["STANDARD"] }\n` +
          `    { user: web, password: pw, allowed_connection_types: ["WEBSOCKET"] }\n  ]\n}\n`,
      );
      const denied = await open(s.wsUrl);
      await denied.waitFor(/^INFO /);
      denied.ws.send(Buffer.from('CONNECT {"verbose":false,"protocol":1,"user":"tcp","pass":"pw"}\r\nPING\r\n'));
      const closed = await denied.waitClosed();
      assert.match(denied.text, /-ERR 'Authorization Violation'\r\n/);
      assert.equal(closed.code, 1008);

      const allowed = await open(s.wsUrl);
      await allowed.waitFor(/^INFO /);
      allowed.ws.send(Buffer.from('CONNECT {"verbose":false,"protocol":1,"user":"web","pass":"pw"}\r\nPING\r\n'));
      await allowed.waitFor(/PONG\r\n/);
    });

    test('frames that arrive while authentication is pending are held and then processed in order', async () => {
      // A bcrypt password makes the decision asynchronous (it runs off the event loop).
      const s = await start(
        `${websocketBlock()}authorization {\n  users: [ { user: u, password: "$2b$04$2v8YF.0MjhSVQoy.c2/5qeEevEAVaqhAOQG2hptzATNybBvEFCnhO" } ]\n}\n`,
      );
      const c = await open(s.wsUrl);
      await c.waitFor(/^INFO /);
      c.ws.send(Buffer.from('CONNECT {"verbose":false,"protocol":1,"user":"u","pass":"pw"}\r\nSUB held 1\r\n'));
      for (let i = 0; i < 20; i++) c.ws.send(Buffer.from(`PUB held ${String(i).length}\r\n${i}\r\n`));
      c.ws.send(Buffer.from('PING\r\n'));
      const text = await c.waitFor(/PONG\r\n/);
      const got = [...text.matchAll(/MSG held 1 \d+\r\n(\d+)\r\n/g)].map((m) => Number(m[1]));
      assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => i));
    });

    test('a WebSocket subscriber that stops reading is dropped as a slow consumer; the publisher carries on', async () => {
      // nats-server may instead stall the publisher until the write deadline drops the subscriber.
      const s = await start(`${websocketBlock()}max_payload: 1024\nmax_pending: 65536\nwrite_deadline: "2s"\n`);
      const slow = await open(s.wsUrl);
      await slow.waitFor(/^INFO /);
      slow.ws.send(Buffer.from(`${CONNECT}SUB flood 1\r\nPING\r\n`));
      await slow.waitFor(/PONG\r\n/);
      // Stop reading: the server's sends to it queue up until its pending bytes pass max_pending.
      slow.ws.pause();

      const pub = await open(s.wsUrl);
      await pub.waitFor(/^INFO /);
      pub.ws.send(Buffer.from(CONNECT));
      const line = `PUB flood 1000\r\n${'x'.repeat(1000)}\r\n`;
      const batch = Buffer.from(line.repeat(100));
      // 8 MB, far past max_pending plus what the sockets on both sides can buffer.
      for (let round = 1; round <= 80; round++) {
        pub.ws.send(batch);
        pub.ws.send(Buffer.from('PING\r\n'));
        await pub.waitForCount('PONG\r\n', round, 20_000);
      }
      slow.ws.resume();
      await slow.waitClosed(20_000);
      assert.ok(slow.text.length < 8_000_000, 'the slow subscriber should have been cut off, not sent everything');
      pub.ws.send(Buffer.from('PING\r\n'));
      await pub.waitForCount('PONG\r\n', 81);
    });

    test('max_connections counts WebSocket clients, refused with -ERR and status 1008', async () => {
      const s = await start(`${websocketBlock()}max_connections: 1\n`);
      const first = await open(s.wsUrl);
      await first.waitFor(/^INFO /);
      const second = await open(s.wsUrl);
      const closed = await second.waitClosed();
      assert.match(second.text, /-ERR 'maximum connections exceeded'\r\n/);
      assert.equal(closed.code, 1008);
    });

    test('lame duck mode tells WebSocket clients with an INFO carrying ldm', { skip: process.platform === 'win32' }, async () => {
      const s = await start();
      const c = await open(s.wsUrl);
      await c.waitFor(/^INFO /);
      c.ws.send(Buffer.from(`${CONNECT}PING\r\n`));
      await c.waitFor(/PONG\r\n/);
      s.srv.proc.kill('SIGUSR2');
      const text = await c.waitFor(/INFO \{[^\r]*"ldm":true[^\r]*\r\n/, 10_000);
      const ldm = /INFO (\{[^\r]*"ldm":true[^\r]*\}) \r\n/.exec(text)?.[1] ?? '{}';
      assert.equal((JSON.parse(ldm) as { port: number }).port, s.wsPort);
      // SIGTERM is ignored in lame duck mode; SIGINT ends it at once.
      await s.srv.stop('SIGINT');
    });

    // Windows has no SIGTERM to trap: the process is killed outright.
    test('shutdown closes WebSocket clients with status 1001', { skip: process.platform === 'win32' }, async () => {
      const s = await start();
      const c = await open(s.wsUrl);
      await c.waitFor(/^INFO /);
      c.ws.send(Buffer.from(`${CONNECT}PING\r\n`));
      await c.waitFor(/PONG\r\n/);
      await s.srv.stop('SIGTERM');
      const closed = await c.waitClosed();
      assert.equal(closed.code, 1001);
      assert.equal(closed.reason, 'Server Shutdown');
    });
  });
}

// TLS on the client port does not reach a plain (no_tls) WebSocket listener: its clients get no tls_required,
// (nats-server still copies tls_verify),
// are not certificate-mapped (verify_and_map) and, when refused under handshake_first, still get INFO before
// the -ERR. Runs against nats-server too (NATS_SERVER_BIN).
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';

import { WebSocket } from 'ws';

import { IMPLS, startWsServer, websocketBlock, type WsServer } from './ws-server.js';
import { tlsBlock } from '../tls/certs.js';
import { withTimeout } from '../helpers/server.js';

/** Open a raw WebSocket, send `send` once open, and collect text until `until` matches or the socket closes. */
async function exchange(url: string, send: string, until: RegExp): Promise<string> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  let text = '';
  const done = new Promise<void>((resolve, reject) => {
    ws.on('message', (data: Buffer) => {
      text += data.toString();
      if (until.test(text)) resolve();
    });
    ws.once('open', () => {
      if (send !== '') ws.send(send);
    });
    ws.once('close', () => resolve());
    ws.once('error', reject);
  });
  await withTimeout(done, 5000);
  ws.terminate();
  return text;
}

function infoOf(text: string): Record<string, unknown> {
  const m = /^INFO (\{.*\}) \r\n/.exec(text);
  assert.ok(m, `no INFO in ${JSON.stringify(text)}`);
  return JSON.parse(m[1]) as Record<string, unknown>;
}

describe('client-port TLS and a no_tls WebSocket listener', { timeout: 60_000 }, () => {
  const servers: WsServer[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.srv.stop()));
  });
  const start = async (config: string): Promise<WsServer> => {
    // The listener implementation does not matter here: one is enough.
    const s = await startWsServer(IMPLS[0] ?? 'go', config);
    servers.push(s);
    return s;
  };

  test('the WebSocket INFO has no tls_required (tls_verify is the client port\'s, as in nats-server)', async () => {
    const s = await start(tlsBlock('  verify: true') + websocketBlock());
    const info = infoOf(await exchange(s.wsUrl, '', /\r\n/));
    assert.equal(info.tls_required, undefined);
    assert.equal(info.tls_verify, true);
  });

  test('verify_and_map does not apply to WebSocket clients: they log in with user and password', async () => {
    const users = 'authorization { users = [ { user: "alice@myelin.test" }, { user: "ws", password: "pw" } ] }\n';
    const s = await start(tlsBlock('  verify_and_map: true') + websocketBlock() + users);
    const connect = 'CONNECT {"verbose":false,"pedantic":false,"protocol":1,"user":"ws","pass":"pw"}\r\nPING\r\n';
    const text = await exchange(s.wsUrl, connect, /PONG\r\n|-ERR/);
    assert.match(text, /PONG\r\n/);
    assert.doesNotMatch(text, /-ERR/);
  });

  test('handshake_first: a WebSocket client over max_connections gets INFO, then the -ERR', async () => {
    const s = await start(tlsBlock('  handshake_first: true') + websocketBlock() + 'max_connections: 1\n');
    const holder = new WebSocket(s.wsUrl, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      holder.once('message', () => resolve());
      holder.once('error', reject);
    });
    try {
      const text = await exchange(s.wsUrl, '', /-ERR/);
      infoOf(text);
      assert.match(text, /-ERR 'maximum connections exceeded'\r\n/);
    } finally {
      holder.terminate();
    }
  });
});

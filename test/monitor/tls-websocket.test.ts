// Monitoring of TLS and WebSocket clients: /connz `type` ("websocket"), `tls_version`, `tls_cipher_suite` and
// `tls_first`; /varz `tls_required`, `tls_verify`, `tls_timeout` and the `websocket` options. Field names and
// values as nats-server shows them (runs against it too with NATS_SERVER_BIN).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { connect, type NatsConnection } from '@nats-io/transport-node';
import { WebSocket } from 'ws';

import { checkFor, startServer, type ServerHandle } from '../helpers/server.js';
import { CA, tlsBlock } from '../tls/certs.js';

interface Ports {
  nats: string[];
  monitoring?: string[];
  websocket?: string[];
}

describe('monitoring of TLS and WebSocket clients', { timeout: 60_000 }, () => {
  let srv: ServerHandle;
  let ports: Ports;
  let nc: NatsConnection;
  let ws: WebSocket;
  const get = async (path: string): Promise<Record<string, unknown>> =>
    (await (await fetch(`${ports.monitoring?.[0]}${path}`)).json()) as Record<string, unknown>;

  before(async () => {
    const config =
      tlsBlock('  handshake_first: true\n  verify: false\n  timeout: 1.5') +
      'websocket {\n  host: 127.0.0.1\n  port: -1\n  no_tls: true\n  same_origin: true\n  handshake_timeout: "3s"\n}\n';
    srv = await startServer({ config, args: ['-m', '-1'] });
    ports = await checkFor(5000, 20, () => {
      const p = JSON.parse(readFileSync(srv.portsFile, 'utf8')) as Ports;
      return p.monitoring !== undefined && p.websocket !== undefined ? p : undefined;
    });
    nc = await connect({ servers: srv.url, tls: { caFile: CA, handshakeFirst: true }, reconnect: false });
    ws = new WebSocket(ports.websocket![0], { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve());
      ws.once('error', reject);
    });
    ws.send('CONNECT {"verbose":false,"pedantic":false,"protocol":1}\r\nPING\r\n');
    await new Promise<void>((resolve) => ws.once('message', () => resolve()));
  });
  after(async () => {
    ws?.terminate();
    await nc?.close();
    await srv?.stop();
  });

  test('/connz: type websocket for a WebSocket client; TLS version, cipher suite and tls_first for a TLS one', async () => {
    const connz = (await get('/connz')) as { connections: Record<string, unknown>[] };
    assert.equal(connz.connections.length, 2);
    const tlsConn = connz.connections.find((c) => c.lang !== undefined);
    const wsConn = connz.connections.find((c) => c.lang === undefined);
    assert.ok(tlsConn && wsConn);
    assert.equal(tlsConn.type, 'nats');
    assert.match(String(tlsConn.tls_version), /^1\.[23]$/);
    assert.match(String(tlsConn.tls_cipher_suite), /^TLS_[A-Z0-9_]+$/);
    assert.equal(tlsConn.tls_first, true);
    assert.equal(wsConn.type, 'websocket');
    assert.equal(wsConn.tls_version, undefined);
    assert.equal(wsConn.tls_first, undefined);
  });

  test('/varz: tls_required, tls_timeout and the websocket options', async () => {
    const varz = await get('/varz');
    assert.equal(varz.tls_required, true);
    assert.equal(varz.tls_verify, undefined);
    assert.equal(varz.tls_timeout, 1.5);
    const wsPort = Number(/:(\d+)$/.exec(ports.websocket![0])?.[1]);
    assert.deepEqual(varz.websocket, {
      host: '127.0.0.1',
      port: wsPort,
      handshake_timeout: 3_000_000_000,
      no_tls: true,
      same_origin: true,
    });
  });

  test('/varz without TLS or WebSocket: tls_timeout 2, websocket {}', async () => {
    const plain = await startServer({ args: ['-m', '-1'] });
    try {
      const p = await checkFor(5000, 20, () => {
        const x = JSON.parse(readFileSync(plain.portsFile, 'utf8')) as Ports;
        return x.monitoring !== undefined ? x : undefined;
      });
      const varz = (await (await fetch(`${p.monitoring![0]}/varz`)).json()) as Record<string, unknown>;
      assert.equal(varz.tls_required, undefined);
      assert.equal(varz.tls_timeout, 2);
      assert.deepEqual(varz.websocket, {});
    } finally {
      await plain.stop();
    }
  });
});

// The official v3 client over WebSocket (`wsconnect` from @nats-io/nats-core): publish, subscribe, request,
// headers and large payloads, against both of Myelin's listener implementations and nats-server.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { headers, wsconnect, type NatsConnection, type Msg } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';

import { IMPLS, installGlobalWebSocket, startWsServer, type WsServer } from './ws-server.js';

installGlobalWebSocket();

for (const impl of IMPLS) {
  describe(`wsconnect (${impl})`, { timeout: 60_000 }, () => {
    let s: WsServer;
    const conns: NatsConnection[] = [];
    const ws = async () => {
      const c = await wsconnect({ servers: s.wsUrl, reconnect: false });
      conns.push(c);
      return c;
    };

    before(async () => {
      s = await startWsServer(impl);
    });
    after(async () => {
      for (const c of conns) if (!c.isClosed()) await c.close();
      await s?.srv.stop();
    });

    test('the ports file lists the WebSocket listener', () => {
      const ports = JSON.parse(readFileSync(s.srv.portsFile, 'utf8')) as Record<string, string[]>;
      assert.deepEqual(ports.websocket, [`ws://127.0.0.1:${s.wsPort}`]);
      assert.deepEqual(ports.nats, [`nats://127.0.0.1:${s.srv.port}`]);
    });

    test('INFO to a WebSocket client names the WebSocket listener', async () => {
      const c = await ws();
      const info = c.info!;
      assert.equal(info.host, '127.0.0.1');
      assert.equal(info.port, s.wsPort);
      assert.equal(info.proto, 1);
      assert.equal(info.headers, true);
      assert.equal(info.client_ip, '127.0.0.1');
      assert.equal(info.tls_required, undefined);
    });

    test('publish and subscribe', async () => {
      const c = await ws();
      const sub = c.subscribe('ws.pubsub', { max: 3, timeout: 5000 });
      c.publish('ws.pubsub', 'one');
      c.publish('ws.pubsub', 'two');
      c.publish('ws.pubsub', new TextEncoder().encode('three ✓'));
      const got: string[] = [];
      for await (const m of sub) got.push(m.string());
      assert.deepEqual(got, ['one', 'two', 'three ✓']);
    });

    test('request and reply between two WebSocket clients', async () => {
      const responder = await ws();
      const requester = await ws();
      responder.subscribe('ws.echo', { callback: (_err, m: Msg) => void m.respond(`echo:${m.string()}`) });
      await responder.flush();
      for (let i = 0; i < 5; i++) {
        const reply = await requester.request('ws.echo', `r${i}`, { timeout: 5000 });
        assert.equal(reply.string(), `echo:r${i}`);
      }
    });

    test('a WebSocket client and a TCP client reach each other', async () => {
      const tcp = await connect({ servers: s.srv.url, reconnect: false });
      try {
        tcp.subscribe('mixed.svc', { callback: (_err, m) => void m.respond(`tcp saw ${m.string()}`) });
        await tcp.flush();
        const c = await ws();
        const reply = await c.request('mixed.svc', 'hello', { timeout: 5000 });
        assert.equal(reply.string(), 'tcp saw hello');

        const sub = c.subscribe('mixed.to-ws', { max: 1, timeout: 5000 });
        await c.flush();
        tcp.publish('mixed.to-ws', 'from tcp');
        for await (const m of sub) assert.equal(m.string(), 'from tcp');
      } finally {
        await tcp.close();
      }
    });

    test('headers travel over WebSocket', async () => {
      const c = await ws();
      const sub = c.subscribe('ws.hdr', { max: 1, timeout: 5000 });
      const h = headers();
      h.set('X-Test', 'value 1');
      c.publish('ws.hdr', 'body', { headers: h });
      for await (const m of sub) {
        assert.equal(m.headers?.get('X-Test'), 'value 1');
        assert.equal(m.string(), 'body');
      }
    });

    test('a large payload (larger than one TCP read) arrives intact', async () => {
      const c = await ws();
      const payload = new Uint8Array(900 * 1024);
      for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
      const sub = c.subscribe('ws.big', { max: 1, timeout: 10_000 });
      await c.flush();
      c.publish('ws.big', payload);
      for await (const m of sub) assert.deepEqual(m.data, payload);
    });

    test('many small messages keep their order', async () => {
      const pub = await ws();
      const recv = await ws();
      const n = 2000;
      const sub = recv.subscribe('ws.many', { max: n, timeout: 10_000 });
      await recv.flush();
      for (let i = 0; i < n; i++) pub.publish('ws.many', String(i));
      let expected = 0;
      for await (const m of sub) {
        assert.equal(m.string(), String(expected));
        expected++;
      }
      assert.equal(expected, n);
    });
  });
}

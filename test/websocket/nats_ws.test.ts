// nats.ws (the v2-API WebSocket client browsers have used for years): publish, subscribe, request, headers
// and drain, against both of Myelin's listener implementations and nats-server.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { connect, headers, StringCodec, type NatsConnection } from 'nats.ws';

import { IMPLS, installGlobalWebSocket, startWsServer, type WsServer } from './ws-server.js';

installGlobalWebSocket();
const sc = StringCodec();

for (const impl of IMPLS) {
  describe(`nats.ws client (${impl})`, { timeout: 60_000 }, () => {
    let s: WsServer;
    const conns: NatsConnection[] = [];
    const nc = async () => {
      const c = await connect({ servers: s.wsUrl, reconnect: false });
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

    test('connects and reports the WebSocket listener from INFO', async () => {
      const c = await nc();
      assert.equal(c.info?.port, s.wsPort);
      assert.equal(c.info?.host, '127.0.0.1');
    });

    test('publish, subscribe, request and headers', async () => {
      const c = await nc();
      const sub = c.subscribe('natsws.s', { max: 2 });
      c.publish('natsws.s', sc.encode('a'));
      c.publish('natsws.s', sc.encode('b'));
      const got: string[] = [];
      for await (const m of sub) got.push(sc.decode(m.data));
      assert.deepEqual(got, ['a', 'b']);

      c.subscribe('natsws.svc', { callback: (_err, m) => void m.respond(sc.encode(`re:${sc.decode(m.data)}`)) });
      const reply = await c.request('natsws.svc', sc.encode('q'), { timeout: 5000 });
      assert.equal(sc.decode(reply.data), 're:q');

      const hsub = c.subscribe('natsws.h', { max: 1 });
      const h = headers();
      h.set('X-Client', 'nats.ws');
      c.publish('natsws.h', sc.encode('x'), { headers: h });
      for await (const m of hsub) assert.equal(m.headers?.get('X-Client'), 'nats.ws');
    });

    test('drain delivers what is in flight, then closes', async () => {
      const c = await nc();
      const other = await nc();
      let count = 0;
      c.subscribe('natsws.drain', { callback: () => count++ });
      await c.flush();
      for (let i = 0; i < 100; i++) other.publish('natsws.drain', sc.encode(String(i)));
      await other.flush();
      await c.drain();
      assert.equal(count, 100);
      assert.ok(c.isClosed());
    });
  });
}

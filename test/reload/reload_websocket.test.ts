// Config reload and WebSocket clients (`wsconnect` from @nats-io/nats-core): they are checked again like TCP
// clients, with their connection type (a user limited to WEBSOCKET stays), and a removed user is
// disconnected. Myelin's two listener implementations, and nats-server (NATS_SERVER_BIN).
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { wsconnect, type NatsConnection } from '@nats-io/nats-core';
import { IMPLS, installGlobalWebSocket, startWsServer, websocketBlock, type WsServer } from '../websocket/ws-server.js';
import { reload } from './reload-helpers.js';

installGlobalWebSocket();

function config(withGone: boolean, maxPayload: string): string {
  return (
    `max_payload: ${maxPayload}\n${websocketBlock()}` +
    `authorization { users: [\n` +
    `  { user: web, password: web, allowed_connection_types: ["WEBSOCKET"] }\n` +
    (withGone ? `  { user: gone, password: gone }\n` : '') +
    `] }\n`
  );
}

for (const impl of IMPLS) {
  describe(`config reload: WebSocket clients (${impl})`, { timeout: 60_000 }, () => {
    let s: WsServer | undefined;
    const conns: NatsConnection[] = [];
    after(async () => {
      for (const c of conns) if (!c.isClosed()) await c.close();
      await s?.srv.stop();
    });

    test('a WEBSOCKET-only user stays across a reload; a removed user is disconnected', async () => {
      s = await startWsServer(impl, config(true, '1MB'));
      const web = await wsconnect({ servers: s.wsUrl, user: 'web', pass: 'web', reconnect: false });
      conns.push(web);
      const gone = await wsconnect({ servers: s.wsUrl, user: 'gone', pass: 'gone', reconnect: false });
      conns.push(gone);
      const goneClosed = gone.closed();

      assert.equal(await reload(s.srv, config(false, '512KB')), 'Reloaded server configuration');

      await goneClosed;
      assert.equal(gone.isClosed(), true);
      const sub = web.subscribe('hello', { max: 1 });
      web.publish('hello', 'again');
      for await (const m of sub) assert.equal(m.string(), 'again');
      assert.equal(web.isClosed(), false);
    });
  });
}

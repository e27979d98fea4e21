// TLS on the client port: the official clients over TLS, INFO as nats-server sends it, handshake_first,
// the TLS timeout, a plaintext client, and the --tls* flags. Runs against nats-server too (NATS_SERVER_BIN).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as connectV2 } from 'nats';
import { connect as connectV3 } from '@nats-io/transport-node';
import { readFileSync } from 'node:fs';
import { checkFor, runServerCommand, startServer, type ServerHandle } from '../helpers/server.js';
import { WireClient } from '../helpers/wire.js';
import { CA, SERVER_CERT, SERVER_KEY, tlsBlock, tlsFirstConnect } from './certs.js';

describe('server TLS', { timeout: 60_000 }, () => {
  let srv: ServerHandle;
  let first: ServerHandle;

  before(async () => {
    srv = await startServer({ config: tlsBlock('  timeout: 0.5') });
    first = await startServer({ config: tlsBlock('  handshake_first: true\n  timeout: 0.5') });
  });
  after(async () => {
    await srv?.stop();
    await first?.stop();
  });

  test('INFO is plaintext and says tls_required (no tls_verify, no tls_available)', async () => {
    const w = await WireClient.connect(srv.port);
    try {
      assert.equal(w.info.tls_required, true);
      assert.equal(w.info.tls_verify, undefined);
      assert.equal(w.info.tls_available, undefined);
      const keys = Object.keys(w.info);
      assert.ok(keys.indexOf('tls_required') < keys.indexOf('max_payload'), 'tls_required comes before max_payload');
    } finally {
      w.close();
    }
  });

  test('nats v2 publishes and subscribes over TLS', async () => {
    const nc = await connectV2({ servers: srv.url, tls: { caFile: CA }, reconnect: false });
    try {
      const sub = nc.subscribe('tls.v2', { max: 1 });
      nc.publish('tls.v2', 'hello');
      for await (const m of sub) assert.equal(m.string(), 'hello');
      const info = (nc as unknown as { info?: { tls_required?: boolean } }).info;
      assert.equal(info?.tls_required, true);
    } finally {
      await nc.close();
    }
  });

  test('@nats-io/transport-node v3 request/reply over TLS', async () => {
    const a = await connectV3({ servers: srv.url, tls: { caFile: CA }, reconnect: false });
    const b = await connectV3({ servers: srv.url, tls: { caFile: CA }, reconnect: false });
    try {
      b.subscribe('tls.echo', {
        callback: (_err, m) => {
          m.respond(m.data);
        },
      });
      await b.flush();
      const reply = await a.request('tls.echo', 'ping', { timeout: 3000 });
      assert.equal(reply.string(), 'ping');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a plaintext CONNECT gets nothing after INFO: the connection is closed', async () => {
    const w = await WireClient.connect(srv.port);
    try {
      await w.send('CONNECT {"verbose":false}\r\nPING\r\n');
      await w.waitClosed(5000);
      assert.equal(w.pending(), '');
    } finally {
      w.close();
    }
  });

  test('a client that never starts the handshake is closed after the TLS timeout, without a word', async () => {
    const w = await WireClient.connect(srv.port);
    try {
      await w.waitClosed(5000);
      assert.equal(w.pending(), '');
    } finally {
      w.close();
    }
  });

  test('handshake_first: TLS first, then INFO (with tls_required) over TLS', async () => {
    const { socket, first: info } = await tlsFirstConnect(first.port);
    try {
      assert.match(info, /^INFO \{/);
      assert.equal(JSON.parse(info.slice(5, info.indexOf('\r\n')).trim()).tls_required, true);
    } finally {
      socket.destroy();
    }
  });

  test('handshake_first: the v3 client with tls.handshakeFirst publishes and subscribes', async () => {
    const nc = await connectV3({ servers: first.url, tls: { caFile: CA, handshakeFirst: true }, reconnect: false });
    try {
      const sub = nc.subscribe('tls.first', { max: 1 });
      nc.publish('tls.first', 'x');
      for await (const m of sub) assert.equal(m.string(), 'x');
    } finally {
      await nc.close();
    }
  });

  test('handshake_first: a plaintext client gets no INFO and is closed after the TLS timeout', async () => {
    const w = await WireClient.connect(first.port, { readInfo: false });
    try {
      await w.waitClosed(5000);
      assert.equal(w.pending(), '');
    } finally {
      w.close();
    }
  });
});

describe('TLS and max_connections', { timeout: 60_000 }, () => {
  test('past max_connections the -ERR is plaintext: after INFO, or alone with handshake_first', async () => {
    const infoFirst = await startServer({ config: `max_connections: 1\n${tlsBlock()}` });
    const first = await startServer({ config: `max_connections: 1\n${tlsBlock('  handshake_first: true')}` });
    // The slot is held by a client that has completed CONNECT/PONG, so it is surely counted (nats-server
    // registers concurrent accepts in any order).
    const held = [
      await connectV3({ servers: infoFirst.url, tls: { caFile: CA }, reconnect: false }),
      await connectV3({ servers: first.url, tls: { caFile: CA, handshakeFirst: true }, reconnect: false }),
    ];
    const wires: WireClient[] = [];
    try {
      const a = await WireClient.connect(infoFirst.port);
      wires.push(a);
      await a.expectThenClosed("-ERR 'maximum connections exceeded'\r\n", 5000);
      const b = await WireClient.connect(first.port, { readInfo: false });
      wires.push(b);
      await b.expectThenClosed("-ERR 'maximum connections exceeded'\r\n", 5000);
    } finally {
      for (const w of wires) w.close();
      for (const nc of held) await nc.close();
      await infoFirst.stop();
      await first.stop();
    }
  });
});

describe('TLS flags', { timeout: 60_000 }, () => {
  test('--tlscert/--tlskey serve TLS; --tlsverify implies TLS and sets tls_verify', async () => {
    const plain = await startServer({ args: ['--tlscert', SERVER_CERT, '--tlskey', SERVER_KEY] });
    const verify = await startServer({ args: ['--tlsverify', '--tlscert', SERVER_CERT, '--tlskey', SERVER_KEY, '--tlscacert', CA] });
    try {
      const a = await WireClient.connect(plain.port);
      assert.equal(a.info.tls_required, true);
      assert.equal(a.info.tls_verify, undefined);
      a.close();
      const b = await WireClient.connect(verify.port);
      assert.equal(b.info.tls_required, true);
      assert.equal(b.info.tls_verify, true);
      b.close();
    } finally {
      await plain.stop();
      await verify.stop();
    }
  });

  test('--tls=false turns off the tls block of the config file', async () => {
    const srv = await startServer({ config: tlsBlock(), args: ['--tls=false'] });
    try {
      const w = await WireClient.connect(srv.port);
      assert.equal(w.info.tls_required, undefined);
      await w.pingPong();
      w.close();
    } finally {
      await srv.stop();
    }
  });

  test('a TLS flag without a certificate stops startup with nats-server\'s message', async () => {
    const r = await runServerCommand(['-a', '127.0.0.1', '-p', '-1', '--tlsverify', '--tlscacert', CA]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /TLS Server certificate must be present and valid/);
  });
});

describe('TLS and shutdown', { timeout: 60_000 }, () => {
  test('handshake_first: a client still in the handshake at shutdown gets nothing in plaintext', async () => {
    const srv = await startServer({ config: tlsBlock('  handshake_first: true\n  timeout: 10'), args: ['-m', '-1'] });
    const w = await WireClient.connect(srv.port, { readInfo: false });
    try {
      // Wait until the server holds the connection (its INFO is queued behind the handshake).
      const ports = JSON.parse(readFileSync(srv.portsFile, 'utf8')) as { monitoring?: string[] };
      await checkFor(5000, 20, async () => {
        const varz = (await (await fetch(`${ports.monitoring?.[0]}/varz`)).json()) as { connections: number };
        return varz.connections === 1 ? true : undefined;
      });
      await srv.stop('SIGTERM');
      await w.waitClosed(5000);
      assert.equal(w.pending(), '');
    } finally {
      w.close();
      await srv.stop();
    }
  });
});

// Config reload and TLS: turning TLS on (and off) by a reload applies to new connections, while established
// ones carry on as they are, as nats-server does. Runs against nats-server too (NATS_SERVER_BIN).
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as connectV2 } from 'nats';
import { connect as connectV3 } from '@nats-io/transport-node';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { WireClient } from '../helpers/wire.js';
import { CA, tlsBlock } from '../tls/certs.js';
import { logSince, reload } from './reload-helpers.js';

const RELOADED = 'Reloaded server configuration';

describe('config reload: TLS', { timeout: 60_000 }, () => {
  let srv: ServerHandle | undefined;
  const closers: (() => unknown)[] = [];
  after(async () => {
    for (const close of closers.splice(0)) await Promise.resolve(close()).catch(() => {});
    await srv?.stop();
  });

  test('TLS enabled by a reload: new clients must use it, a plaintext client already connected stays', async () => {
    srv = await startServer({ config: 'max_payload: 1MB\n' });
    const plain = await WireClient.connectAndHandshake(srv.port);
    closers.push(() => plain.close());
    assert.equal(plain.info.tls_required, undefined);
    const mark = srv.stderr().length;

    assert.equal(await reload(srv, `max_payload: 1MB\n${tlsBlock()}`), RELOADED);
    assert.match(logSince(srv, mark), /Reloaded: tls = enabled\n/);

    const fresh = await WireClient.connect(srv.port);
    closers.push(() => fresh.close());
    assert.equal(fresh.info.tls_required, true);
    const v2 = await connectV2({ servers: srv.url, tls: { caFile: CA }, reconnect: false });
    closers.push(() => v2.close());
    await v2.flush();
    await plain.pingPong();

    // And off again: plaintext clients connect, the TLS client already connected stays.
    const mark2 = srv.stderr().length;
    assert.equal(await reload(srv, 'max_payload: 1MB\n'), RELOADED);
    assert.match(logSince(srv, mark2), /Reloaded: tls = disabled\n/);
    const v3 = await connectV3({ servers: srv.url, reconnect: false });
    closers.push(() => v3.close());
    await v3.flush();
    await v2.flush();
    assert.equal(v2.isClosed(), false);
  });
});

// Per-account JetStream limits (`accounts { A: { jetstream { max_memory … } } }`): what $JS.API.INFO reports and
// the errors a stream create/update, a consumer create and a publish get once a limit is reached, as nats-server.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, jwtAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, AckPolicy, StorageType } from '@nats-io/jetstream';
import { startJsServer, type JsServer } from './js-server.js';
import { reload } from '../reload/reload-helpers.js';
import { accountJwt, newAccount, newOperator, newUser, operatorJwt, userJwt } from '../unit/auth-helpers.js';

const CONFIG = `
accounts {
  L: {
    jetstream {
      max_mem: 10K
      max_file: 1MB
      streams: 3
      consumers: 2
      max_ack_pending: 50
      mem_max_stream_bytes: 8K
      disk_max_stream_bytes: 512K
    }
    users: [ { user: l, password: p } ]
  }
  R: { jetstream { max_bytes_required: true }, users: [ { user: r, password: p } ] }
  U: { jetstream: enabled, users: [ { user: u, password: p } ] }
  SYS: { users: [ { user: sys, password: p } ] }
}
system_account: SYS
`;

interface ApiReply {
  error?: { code: number; err_code: number; description: string };
  [k: string]: unknown;
}

async function api(nc: NatsConnection, subject: string, body: unknown): Promise<ApiReply> {
  const m = await nc.request(`$JS.API.${subject}`, JSON.stringify(body), { timeout: 5000 });
  return m.json<ApiReply>();
}

function assertError(r: ApiReply, code: number, errCode: number, description: string): void {
  assert.deepEqual(r.error, { code, err_code: errCode, description });
}

describe('per-account JetStream limits', { timeout: 60_000 }, () => {
  let srv: JsServer;

  before(async () => {
    // Under MYELIN_TEST_JS_CONFIG (e.g. a sync_interval) the engine's capture may store publishes: the limits still hold.
    srv = await startJsServer(`${process.env.MYELIN_TEST_JS_CONFIG ?? ''}\n${CONFIG}`);
  });
  after(async () => {
    await srv?.stop();
  });

  const login = (user: string) => connect({ servers: srv.srv.url, user, pass: 'p', reconnect: false });

  test('$JS.API.INFO reports the account limits, flat (no tiers)', async () => {
    const nc = await login('l');
    try {
      const info = await api(nc, 'INFO', {});
      assert.deepEqual(info.limits, {
        max_memory: 10000,
        max_storage: 1048576,
        max_streams: 3,
        max_consumers: 2,
        max_ack_pending: 50,
        memory_max_stream_bytes: 8000,
        storage_max_stream_bytes: 512000,
        max_bytes_required: false,
      });
      assert.equal(info.tiers, undefined);
      const jsm = await jetstreamManager(nc);
      const ai = await jsm.getAccountInfo();
      assert.equal(ai.limits.max_memory, 10000);
      assert.equal(ai.limits.max_streams, 3);
    } finally {
      await nc.close();
    }
    const u = await login('u');
    try {
      const info = await api(u, 'INFO', {});
      assert.deepEqual(info.limits, {
        max_memory: -1,
        max_storage: -1,
        max_streams: -1,
        max_consumers: -1,
        max_ack_pending: -1,
        memory_max_stream_bytes: -1,
        storage_max_stream_bytes: -1,
        max_bytes_required: false,
      });
    } finally {
      await u.close();
    }
  });

  test("an account's JSZ reports its byte limits as its reservations", async () => {
    const sys = await login('sys');
    try {
      const m = await sys.request('$SYS.REQ.ACCOUNT.L.JSZ', '', { timeout: 5000 });
      const data = m.json<{ data: Record<string, unknown> }>().data;
      assert.equal(data.name, 'L');
      assert.equal(data.reserved_memory, 10000);
      assert.equal(data.reserved_storage, 1048576);
    } finally {
      await sys.close();
    }
  });

  test('stream bytes: per-stream caps, the account total and reservations', async () => {
    const nc = await login('l');
    try {
      assertError(
        await api(nc, 'STREAM.CREATE.BIG', { name: 'BIG', subjects: ['big'], storage: 'memory', max_bytes: 9000 }),
        400,
        10122,
        'stream max bytes exceeds account limit max stream bytes',
      );
      assertError(
        await api(nc, 'STREAM.CREATE.BIGF', { name: 'BIGF', subjects: ['bigf'], max_bytes: 600 * 1024 }),
        400,
        10122,
        'stream max bytes exceeds account limit max stream bytes',
      );
      const m1 = await api(nc, 'STREAM.CREATE.M1', { name: 'M1', subjects: ['m1'], storage: 'memory', max_bytes: 6000 });
      assert.equal(m1.error, undefined);
      // 6000 of 10000 reserved: another 6000 does not fit.
      assertError(
        await api(nc, 'STREAM.CREATE.M2', { name: 'M2', subjects: ['m2'], storage: 'memory', max_bytes: 6000 }),
        500,
        10028,
        'insufficient memory resources available',
      );
      // Growing M1 past the limit is refused too; what it reserves itself does not count against it.
      assertError(
        await api(nc, 'STREAM.UPDATE.M1', { name: 'M1', subjects: ['m1'], storage: 'memory', max_bytes: 10241 }),
        400,
        10122,
        'stream max bytes exceeds account limit max stream bytes',
      );
      const grown = await api(nc, 'STREAM.UPDATE.M1', { name: 'M1', subjects: ['m1'], storage: 'memory', max_bytes: 8000 });
      assert.equal(grown.error, undefined);
      const info = await api(nc, 'INFO', {});
      assert.equal(info.reserved_memory, 8000);
      assert.equal(info.streams, 1);
      assert.equal((await api(nc, 'STREAM.DELETE.M1', {})).success, true);
    } finally {
      await nc.close();
    }
  });

  test('max streams (10027), max consumers per stream (10026) and max_ack_pending (10121)', async () => {
    const nc = await login('l');
    try {
      const jsm = await jetstreamManager(nc);
      for (const n of ['S1', 'S2', 'S3']) await jsm.streams.add({ name: n, subjects: [`${n}.>`] });
      assertError(await api(nc, 'STREAM.CREATE.S4', { name: 'S4', subjects: ['S4.>'] }), 400, 10027, 'maximum number of streams reached');
      // Re-creating an existing stream is not a new one.
      assert.equal((await api(nc, 'STREAM.CREATE.S3', { name: 'S3', subjects: ['S3.>'] })).error, undefined);
      // A stream may not allow more consumers than the account.
      assertError(
        await api(nc, 'STREAM.UPDATE.S3', { name: 'S3', subjects: ['S3.>'], max_consumers: 5 }),
        400,
        10026,
        'maximum consumers limit reached',
      );

      const c1 = await jsm.consumers.add('S1', { durable_name: 'c1', ack_policy: AckPolicy.Explicit });
      assert.equal(c1.config.max_ack_pending, 50); // the default, lowered to the account's
      await jsm.consumers.add('S1', { durable_name: 'c2', ack_policy: AckPolicy.None });
      assertError(
        await api(nc, 'CONSUMER.CREATE.S1.c3', { stream_name: 'S1', config: { durable_name: 'c3', ack_policy: 'none' } }),
        400,
        10026,
        'maximum consumers limit reached',
      );
      // The limit is per stream.
      await jsm.consumers.add('S2', { durable_name: 'c1', ack_policy: AckPolicy.None });
      assertError(
        await api(nc, 'CONSUMER.CREATE.S2.x', { stream_name: 'S2', config: { durable_name: 'x', ack_policy: 'explicit', max_ack_pending: 51 } }),
        400,
        10121,
        'consumer max ack pending exceeds system limit of 50',
      );
      for (const n of ['S1', 'S2', 'S3']) await jsm.streams.delete(n);
    } finally {
      await nc.close();
    }
  });

  test('publishes past the account bytes get 10002; storage usage stays within the limit', async () => {
    const nc = await login('l');
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'P', subjects: ['p'], storage: StorageType.Memory });
      const js = jetstream(nc);
      const payload = new Uint8Array(1000);
      let refused: ApiReply['error'];
      let stored = 0;
      for (let i = 0; i < 20 && refused === undefined; i++) {
        const m = await nc.request('p', payload, { timeout: 5000 });
        const r = m.json<ApiReply>();
        if (r.error !== undefined) refused = r.error;
        else stored++;
      }
      // 1017 bytes a message as both servers count memory storage: 9 fit in 10000.
      assert.equal(stored, 9);
      assert.deepEqual(refused, { code: 400, err_code: 10002, description: 'resource limits exceeded for account' });
      const info = await jsm.getAccountInfo();
      assert.ok(info.memory <= 10000, `memory ${info.memory}`);
      await assert.rejects(js.publish('p', payload), /resource limits exceeded for account/);
      await jsm.streams.delete('P');
    } finally {
      await nc.close();
    }
  });

  test('file storage: publishes without reply or headers are stored only up to the account bytes', async () => {
    const nc = await login('l');
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'F', subjects: ['f'] });
      const payload = new Uint8Array(100_000);
      // Fire-and-forget publishes (the engine's capture path, where a sync_interval allows it), then a flush.
      for (let i = 0; i < 15; i++) nc.publish('f', payload);
      await nc.flush();
      const r = (await nc.request('f', payload, { timeout: 5000 })).json<ApiReply>();
      assert.equal(r.error?.err_code, 10002);
      const st = (await jsm.streams.info('F')).state;
      assert.ok(st.messages >= 9 && st.messages <= 10, `messages ${st.messages}`);
      assert.ok((await jsm.getAccountInfo()).storage <= 1048576);
      await jsm.streams.delete('F');
    } finally {
      await nc.close();
    }
  });

  test('max_bytes_required (10113)', async () => {
    const nc = await login('r');
    try {
      assertError(
        await api(nc, 'STREAM.CREATE.N', { name: 'N', subjects: ['n'] }),
        400,
        10113,
        'account requires a stream config to have max bytes set',
      );
      assert.equal((await api(nc, 'STREAM.CREATE.N', { name: 'N', subjects: ['n'], max_bytes: 1000 })).error, undefined);
      const info = await api(nc, 'INFO', {});
      assert.equal((info.limits as Record<string, unknown>).max_bytes_required, true);
      assert.equal(info.reserved_storage, 1000);
    } finally {
      await nc.close();
    }
  });
});

describe('per-account JetStream limits on reload', { timeout: 60_000 }, () => {
  let srv: JsServer;
  const config = (streams: number) =>
    `${process.env.MYELIN_TEST_JS_CONFIG ?? ''}\naccounts { L: { jetstream { max_streams: ${streams} }, users: [ { user: l, password: p } ] } }\n`;

  before(async () => {
    srv = await startJsServer(config(1));
  });
  after(async () => {
    await srv?.stop();
  });

  test('a reload applies the new limits to the next requests', async () => {
    const nc = await connect({ servers: srv.srv.url, user: 'l', pass: 'p', reconnect: false });
    try {
      assert.equal((await api(nc, 'STREAM.CREATE.A', { name: 'A', subjects: ['a'] })).error, undefined);
      assert.equal((await api(nc, 'STREAM.CREATE.B', { name: 'B', subjects: ['b'] })).error?.err_code, 10027);
      assert.equal(await reload(srv.srv, config(2)), 'Reloaded server configuration');
      assert.equal(((await api(nc, 'INFO', {})).limits as Record<string, unknown>).max_streams, 2);
      assert.equal((await api(nc, 'STREAM.CREATE.B', { name: 'B', subjects: ['b'] })).error, undefined);
    } finally {
      await nc.close();
    }
  });
});

describe('per-account JetStream limits from account JWTs', { timeout: 60_000 }, () => {
  const op = newOperator();
  const sys = newAccount();
  const acc = newAccount();
  const base = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
  const js = { mem_storage: 5000, disk_storage: -1, streams: 2, consumer: -1, max_ack_pending: 20, mem_max_stream_bytes: 0, disk_max_stream_bytes: 0, max_bytes_required: false };
  const config = `
operator: ${operatorJwt(op, { system_account: sys.pub })}
system_account: ${sys.pub}
resolver: MEMORY
resolver_preload {
  ${sys.pub}: ${accountJwt(op, sys)}
  ${acc.pub}: ${accountJwt(op, acc, { limits: { ...base, ...js } })}
}
`;
  let srv: JsServer;

  before(async () => {
    srv = await startJsServer(`${process.env.MYELIN_TEST_JS_CONFIG ?? ''}\n${config}`);
  });
  after(async () => {
    await srv?.stop();
  });

  test("the JWT's limits enable JetStream and are reported and enforced", async () => {
    const user = newUser();
    const nc = await connect({
      servers: srv.srv.url,
      reconnect: false,
      authenticator: jwtAuthenticator(userJwt(acc, user), new TextEncoder().encode(user.seed)),
    });
    try {
      const info = await api(nc, 'INFO', {});
      assert.deepEqual(info.limits, {
        max_memory: 5000,
        max_storage: -1,
        max_streams: 2,
        max_consumers: -1,
        max_ack_pending: 20,
        memory_max_stream_bytes: -1,
        storage_max_stream_bytes: -1,
        max_bytes_required: false,
      });
      assert.equal((await api(nc, 'STREAM.CREATE.A', { name: 'A', subjects: ['a'] })).error, undefined);
      assertError(
        await api(nc, 'STREAM.CREATE.M', { name: 'M', subjects: ['m'], storage: 'memory', max_bytes: 6000 }),
        500,
        10028,
        'insufficient memory resources available',
      );
      assert.equal((await api(nc, 'STREAM.CREATE.B', { name: 'B', subjects: ['b'] })).error, undefined);
      assert.equal((await api(nc, 'STREAM.CREATE.C', { name: 'C', subjects: ['c'] })).error?.err_code, 10027);
    } finally {
      await nc.close();
    }
  });
});

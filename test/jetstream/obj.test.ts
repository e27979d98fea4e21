// Object store through @nats-io/obj: a 50 MiB object in chunks, info, list, get, delete.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { startJsServer, type JsServer } from './js-server.js';

function readableOf(data: Uint8Array, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (off >= data.length) {
        controller.close();
        return;
      }
      controller.enqueue(data.subarray(off, off + chunk));
      off += chunk;
    },
  });
}

async function readAll(rs: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  const reader = rs.getReader();
  for (let i = 0; i < 100_000; i++) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  return Buffer.concat(parts);
}

describe('JetStream object store', { timeout: 120_000 }, () => {
  let srv: JsServer;
  let nc: NatsConnection;

  before(async () => {
    srv = await startJsServer();
    nc = await srv.connect();
  });
  after(async () => {
    await srv?.stop();
  });

  test('put and get a 50 MiB object in chunks; info, list and delete', async () => {
    const os = await new Objm(nc).create('files');
    const data = randomBytes(50 * 1024 * 1024);
    const info = await os.put({ name: 'big.bin' }, readableOf(data));
    assert.equal(info.size, data.length);
    assert.ok(info.chunks > 1);
    const got = await os.get('big.bin');
    assert.ok(got !== null);
    const bytes = await readAll(got.data);
    assert.ok(!(await got.error));
    assert.equal(bytes.length, data.length);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), createHash('sha256').update(data).digest('hex'));
    await os.putBlob({ name: 'small.txt' }, new TextEncoder().encode('hello'));
    assert.equal(new TextDecoder().decode((await os.getBlob('small.txt')) ?? new Uint8Array()), 'hello');
    const names = (await os.list()).map((i) => i.name).sort();
    assert.deepEqual(names, ['big.bin', 'small.txt']);
    const st = await os.info('big.bin');
    assert.equal(st?.size, data.length);
    await os.delete('big.bin');
    assert.equal(await os.get('big.bin'), null);
    const status = await os.status();
    assert.equal(status.bucket, 'files');
  });
});

// An account's `jetstream` value: enabled/disabled, or a map of limits with nats-server's key aliases and size
// units; problems worded and placed as nats-server 2.12.15 `-t` reports them.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ConfigProcessError } from '../../src/config/config-file.js';
import { jwtAccountLimits, UNLIMITED } from '../../src/jetstream/account-limits.js';
import { authFromText } from './auth-helpers.js';

const account = (body: string) => `accounts {\n  A: {\n    ${body}\n  }\n}\n`;

function accountA(body: string) {
  const a = authFromText(account(body)).config.accounts.find((x) => x.name === 'A');
  assert.ok(a !== undefined);
  return a;
}

function errors(body: string): string[] {
  try {
    authFromText(account(body));
  } catch (err) {
    assert.ok(err instanceof ConfigProcessError, `expected ConfigProcessError, got ${String(err)}`);
    return err.errors.map((e) => e.message);
  }
  assert.fail(`no error for ${body}`);
}

test('enabled, disabled and booleans', () => {
  for (const v of ['enabled', 'enable', 'ENABLED', 'true']) {
    const a = accountA(`jetstream: ${v}`);
    assert.equal(a.jetstream, true, v);
    assert.deepEqual(a.jetstreamLimits, UNLIMITED);
  }
  for (const v of ['disabled', 'disable', 'false']) assert.equal(accountA(`jetstream: ${v}`).jetstream, false, v);
  assert.equal(accountA('users: []').jetstream, undefined);
});

test('a map enables JetStream with its limits, every alias and size unit', () => {
  const a = accountA(
    'jetstream { max_mem: 1K, store: 2MB, streams: 3, consumers: 4, max_ack_pending: 5, mem_max_stream_bytes: 1KB, disk_max_stream_bytes: 1G, max_bytes: true, cluster_traffic: owner }',
  );
  assert.equal(a.jetstream, true);
  assert.deepEqual(a.jetstreamLimits, {
    max_memory: 1000,
    max_storage: 2 * 1024 * 1024,
    max_streams: 3,
    max_consumers: 4,
    max_ack_pending: 5,
    memory_max_stream_bytes: 1024,
    storage_max_stream_bytes: 1_000_000_000,
    max_bytes_required: true,
  });
  const b = accountA('jetstream { memory: 7, max_disk: 8, max_streams: 9, max_consumers: 10, memory_max_stream_bytes: 11, store_max_stream_bytes: 12, max_stream_bytes: false }');
  assert.deepEqual(b.jetstreamLimits, {
    max_memory: 7,
    max_storage: 8,
    max_streams: 9,
    max_consumers: 10,
    max_ack_pending: -1,
    memory_max_stream_bytes: 11,
    storage_max_stream_bytes: 12,
    max_bytes_required: false,
  });
  assert.deepEqual(accountA('jetstream { max_file: 5, disk: 6 }').jetstreamLimits?.max_storage, 6);
  assert.deepEqual(accountA('jetstream {}').jetstreamLimits, UNLIMITED);
});

test('problems, as nats-server words and places them', () => {
  assert.deepEqual(errors('jetstream { max_mem: "1G" }'), ['test.conf:3:17: Expected a parseable size for "max_mem", got 1G']);
  assert.deepEqual(errors('jetstream { max_bytes_required: 1 }'), [
    'test.conf:3:17: Expected a parseable bool for "max_bytes_required", got 1',
  ]);
  assert.deepEqual(errors('jetstream { bogus: 1 }'), ['test.conf:3:17: unknown field "bogus"']);
  assert.deepEqual(errors('jetstream: maybe'), ["Expected 'enabled' or 'disabled' for string value, got 'maybe'"]);
  assert.deepEqual(errors('jetstream: 5'), ['Expected map, bool or string to define JetStream, got int64']);
  assert.deepEqual(errors('jetstream { cluster_traffic: nope }'), [
    `test.conf:3:17: Expected 'system' or 'owner' string value for "cluster_traffic", got nope`,
  ]);
});

test("an account JWT's limits, as nats-server reads them", () => {
  assert.equal(jwtAccountLimits(undefined), undefined);
  assert.equal(jwtAccountLimits({ subs: -1, mem_storage: 0, disk_storage: 0 }), undefined);
  assert.deepEqual(jwtAccountLimits({ mem_storage: -1, disk_storage: 100, streams: 0, consumer: 3, max_ack_pending: -1, mem_max_stream_bytes: 0, disk_max_stream_bytes: 50, max_bytes_required: true }), {
    max_memory: -1,
    max_storage: 100,
    max_streams: 0,
    max_consumers: 3,
    max_ack_pending: -1,
    memory_max_stream_bytes: -1,
    storage_max_stream_bytes: 50,
    max_bytes_required: true,
  });
});

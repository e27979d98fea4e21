// Account import checks and the router tables (src/auth/account-imports.ts). The error texts are checked
// against nats-server in test/unit/auth-config.test.ts and test/accounts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accountFromJwt, addImports, importTables, importTransformError } from '../../src/auth/account-imports.js';
import { subjectsCollide } from '../../src/native/index.js';
import type { AccountConfig } from '../../src/auth/config.js';

test('subjectsCollide: whether one subject can match both', () => {
  const yes: [string, string][] = [['a.*', 'a.b'], ['a.>', 'a.b.c'], ['a.*.c', 'a.b.*'], ['a.>', '*.b'], ['x', 'x']];
  const no: [string, string][] = [['a.*', 'b.*'], ['a.*', 'a.*.c'], ['a.b', 'a.c'], ['a.b.>', 'a.b']];
  for (const [a, b] of yes) assert.ok(subjectsCollide(a, b) && subjectsCollide(b, a), `${a} ${b}`);
  for (const [a, b] of no) assert.ok(!subjectsCollide(a, b) && !subjectsCollide(b, a), `${a} ${b}`);
});

test('importTransformError: nats-server strict import transforms', () => {
  assert.equal(importTransformError('a.*.>', 'y.$1.>'), undefined);
  assert.equal(importTransformError('a.*.*', 'y.$2.$1'), undefined);
  assert.equal(importTransformError('a.>', 'y.$1'), 'invalid subject');
  assert.equal(importTransformError('a.*', 'y.b'), 'invalid mapping destination: not using all of the token wildcard(s) in y.b');
  assert.equal(importTransformError('a.*', 'y.$2'), 'invalid mapping destination: wildcard index out of range in $2: [2]');
});

test('importTables: mapped subjects and the response type of the export that serves the import', () => {
  const accounts: AccountConfig[] = [
    {
      name: 'E',
      exports: [
        { type: 'stream', subject: 'ev.>' },
        { type: 'service', subject: 'svc.>', responseType: 'chunked', responseThresholdMs: 5000 },
        { type: 'service', subject: 'svc.one', responseType: 'singleton' },
      ],
      imports: [],
    },
    {
      name: 'I',
      exports: [],
      imports: [
        { type: 'stream', account: 'E', subject: 'ev.>', prefix: 'p' },
        { type: 'service', account: 'E', subject: 'svc.one', to: 'one', share: false },
        { type: 'service', account: 'E', subject: 'svc.many', to: 'many', share: false },
      ],
    },
  ];
  const { errors, added } = addImports(accounts);
  assert.deepEqual(errors, []);
  assert.deepEqual(importTables(accounts, added), {
    streams: [{ exporter: 'E', importer: 'I', from: 'ev.>', to: 'p.ev.>' }],
    services: [
      { importer: 'I', exporter: 'E', from: 'one', to: 'svc.one', response: 'singleton' },
      { importer: 'I', exporter: 'E', from: 'many', to: 'svc.many', response: 'chunked', thresholdMs: 5000 },
    ],
  });
});

test('accountFromJwt: claims in config terms; token-required exports are left out', () => {
  const acc = accountFromJwt('AKEY', {
    nats: {
      exports: [
        { subject: 's.>', type: 'service', response_type: 'Stream', response_threshold: 3_000_000_000 },
        { subject: 'secret', type: 'stream', token_req: true },
      ],
      imports: [
        { subject: 'ev.>', account: 'X', type: 'stream', local_subject: 'mine.>' },
        { subject: 'ev.a', account: 'X', type: 'stream', to: 'pre' },
        { subject: 'q', account: 'X', type: 'service', local_subject: 'lq' },
        { subject: 'lq2', account: 'X', type: 'service', to: 'q2' },
      ],
    },
  });
  assert.deepEqual(acc, {
    name: 'AKEY',
    exports: [{ type: 'service', subject: 's.>', responseType: 'stream', responseThresholdMs: 3000 }],
    imports: [
      { type: 'stream', account: 'X', subject: 'ev.>', to: 'mine.>' },
      { type: 'stream', account: 'X', subject: 'ev.a', prefix: 'pre' },
      { type: 'service', account: 'X', subject: 'q', to: 'lq', share: false },
      { type: 'service', account: 'X', subject: 'q2', to: 'lq2', share: false },
    ],
  });
});

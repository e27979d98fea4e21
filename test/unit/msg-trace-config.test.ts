// Message tracing settings on their way to the router (src/auth/account-imports.ts): `allow_trace` on
// imports and exports, and accounts' `msg_trace` destinations (config file, or an account JWT's `trace`).
// The config file's error texts were checked against nats-server 2.12.15 (`-t`); test/client/msg-trace.test.ts
// runs the behaviour against both servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accountFromJwt, addImports, importTables } from '../../src/auth/account-imports.js';
import type { AccountConfig } from '../../src/auth/config.js';
import { ConfigProcessError } from '../../src/config/config-file.js';
import { authFromText } from './auth-helpers.js';

const account = (body: string) => `accounts: { A: { users: [{user: a, password: a}]\n ${body} } }\n`;

function configErrors(text: string): string[] {
  try {
    authFromText(text);
  } catch (err) {
    assert.ok(err instanceof ConfigProcessError, `expected ConfigProcessError, got ${String(err)}`);
    return err.errors.map((e) => e.message);
  }
  assert.fail(`no error for ${text}`);
}

test('msg_trace: a destination, or { dest, sampling } with sampling 100 unless given', () => {
  const one = authFromText(account('msg_trace: "t.a"')).config.accounts.find((a) => a.name === 'A')!;
  assert.deepEqual([one.traceDest, one.traceSampling], ['t.a', 100]);
  const two = authFromText(account('trace_dest: { dest: "t.b", sampling: "25%" }')).config.accounts.find((a) => a.name === 'A')!;
  assert.deepEqual([two.traceDest, two.traceSampling], ['t.b', 25]);
  const warned = authFromText(account('msg_trace: { sampling: 50 }'));
  assert.deepEqual(warned.warnings.map((w) => w.replace(/^.*?: /, '')), ['Trace destination sampling ignored since no destination was set', 'Plaintext passwords detected, use nkeys or bcrypt']);
});

test('msg_trace errors, worded as nats-server', () => {
  const cases: [string, string][] = [
    ['msg_trace: { dest: "a.*" }', 'Trace destination "a.*" is not valid'],
    ['msg_trace: { dest: "x", sampling: 0 }', 'Ttrace destination sampling value 0 is invalid, needs to be [1..100]'],
    ['msg_trace: { dest: "x", sampling: "abc" }', 'Invalid trace destination sampling value "abc"'],
    ['msg_trace: { dest: "x", foo: 1 }', 'Unknown field "foo" parsing account message trace map/struct "msg_trace"'],
    ['msg_trace: { dest: 5 }', 'Field "dest" should be a string, got int64'],
  ];
  for (const [body, want] of cases) {
    const errors = configErrors(account(body));
    assert.equal(errors.length, 1, body);
    assert.match(errors[0], new RegExp(`:2:\\d+: ${want.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`), body);
  }
});

test('importTables: allow_trace and msg_trace destinations', () => {
  const accounts: AccountConfig[] = [
    {
      name: 'E',
      exports: [
        { type: 'stream', subject: 'ev.>' },
        { type: 'service', subject: 'svc.>', responseType: 'singleton', allowTrace: true },
      ],
      imports: [],
      traceDest: 'trace.e',
      traceSampling: 25,
    },
    {
      name: 'I',
      exports: [],
      imports: [
        { type: 'stream', account: 'E', subject: 'ev.>', allowTrace: true },
        { type: 'service', account: 'E', subject: 'svc.x', to: 'svc.x', share: false },
      ],
    },
  ];
  const { errors, added } = addImports(accounts);
  assert.deepEqual(errors, []);
  assert.deepEqual(importTables(accounts, added), {
    streams: [{ exporter: 'E', importer: 'I', from: 'ev.>', to: 'ev.>', allowTrace: true }],
    services: [{ importer: 'I', exporter: 'E', from: 'svc.x', to: 'svc.x', response: 'singleton', allowTrace: true }],
    traceDests: [{ account: 'E', dest: 'trace.e', sampling: 25 }],
  });
});

test('accountFromJwt: the trace claim and allow_trace, as nats-server reads them', () => {
  const acc = accountFromJwt('AKEY', {
    nats: {
      trace: { dest: 'trace.jwt', sampling: 0 },
      exports: [{ subject: 's.>', type: 'service', allow_trace: true }],
      imports: [{ subject: 'e.>', type: 'stream', account: 'OTHER', allow_trace: true }],
    },
  } as never);
  assert.equal(acc.traceDest, 'trace.jwt');
  assert.equal(acc.traceSampling, 100, 'sampling outside 1..100 means all');
  assert.equal(acc.exports[0].type === 'service' && acc.exports[0].allowTrace, true);
  assert.equal(acc.imports[0].allowTrace, true);
  const wild = accountFromJwt('AKEY', { nats: { trace: { dest: 'trace.*', sampling: 10 } } } as never);
  assert.equal(wild.traceDest, undefined, 'not a publish subject: no destination');
});

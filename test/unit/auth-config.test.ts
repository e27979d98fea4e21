// Authentication configuration: every shape nats-server accepts, and its wording for what it refuses.
// Expected texts and positions were checked against nats-server 2.12.15 (`-t`, or a start for the
// checks nats-server only makes at startup).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ConfigProcessError } from '../../src/config/config-file.js';
import { OptionsError } from '../../src/config/options.js';
import { buildAuthConfig, DEFAULT_SYSTEM_ACCOUNT, GLOBAL_ACCOUNT, isBcrypt, isSubsetMatch } from '../../src/auth/config.js';
import { accountJwt, authFromText, credsFile, newAccount, newOperator, newUser, operatorJwt, userJwt } from './auth-helpers.js';

const NKEY_U = 'UDBZ5RMPW6SKAA4ZRCGZCBTHJJD4S33NRLUCUG6I3STGPY3TAFHYZAY5';
const BCRYPT = '$2a$04$NGb7/4j1iVZxHXO4CyHssuRJg16dVXzQmgRr/k7g693L6JmTXYuju'; // `nats server passwd`: password123

function configErrors(text: string): string[] {
  try {
    authFromText(text);
  } catch (err) {
    assert.ok(err instanceof ConfigProcessError, `expected ConfigProcessError, got ${String(err)}`);
    return err.errors.map((e) => e.message);
  }
  assert.fail(`no error for ${text}`);
}

function startupError(text: string): string {
  try {
    authFromText(text);
  } catch (err) {
    assert.ok(err instanceof OptionsError, `expected OptionsError, got ${String(err)}`);
    return err.message;
  }
  assert.fail(`no error for ${text}`);
}

test('no authentication configured', () => {
  const { config, warnings } = authFromText('port: 4222');
  assert.deepEqual(config.users, []);
  assert.deepEqual(config.nkeys, []);
  assert.equal(config.token, undefined);
  assert.equal(config.username, undefined);
  assert.equal(config.systemAccount, DEFAULT_SYSTEM_ACCOUNT);
  assert.equal(config.authorizationBlock, false);
  assert.deepEqual(warnings, []);
  assert.equal(buildAuthConfig(undefined).config.operator, undefined);
});

test('token, plain or bcrypt, and the timeout in seconds', () => {
  const plain = authFromText('authorization { token: "s3cr3t", timeout: 1.5 }').config;
  assert.equal(plain.token, 's3cr3t');
  assert.equal(plain.timeoutMs, 1500);
  assert.equal(plain.authorizationBlock, true);
  assert.equal(authFromText(`authorization { token: "${BCRYPT}" }`).config.token, BCRYPT);
  assert.equal(authFromText('authorization { token: x, timeout: "250ms" }').config.timeoutMs, 250);
});

test('single user and password; a plain password draws nats-server\'s warning', () => {
  const { config, warnings } = authFromText('authorization { user: derek, password: T0pS3cr3t }');
  assert.equal(config.username, 'derek');
  assert.equal(config.password, 'T0pS3cr3t');
  assert.deepEqual(warnings, ['Plaintext passwords detected, use nkeys or bcrypt']);
  assert.deepEqual(authFromText(`authorization { username: derek, pass: "${BCRYPT}" }`).warnings, []);
});

test('--user/--pass/--auth override the file', () => {
  const { config } = authFromText('authorization { user: a, password: b }', { username: 'x', password: 'y' });
  assert.equal(config.username, 'x');
  assert.equal(config.password, 'y');
  assert.equal(authFromText('', { authorization: 'tok' }).config.token, 'tok');
  // Empty flags do not override (nats-server's MergeOptions).
  assert.equal(authFromText('authorization { token: t }', { authorization: '' }).config.token, 't');
});

test('users with every permission shape nats-server accepts', () => {
  const { config } = authFromText(`
    authorization {
      users: [
        { user: a, password: pa, permissions: { publish: "x.>", subscribe: ["y", "z.*"] } }
        { user: b, password: pb, permissions: { pub: { allow: ["p.>"], deny: "p.secret" }, sub: { deny: ["q"] } } }
        { user: c, password: pc, permission: { subscribe: ["work.* workers", "plain"] } }
        { user: d, password: pd, permissions: { allow_responses: true } }
        { user: e, password: pe, permissions: { publish: "e.>", allow_responses: { max: 5, expires: "1m" } } }
        { user: f, password: pf, authorization: { publish_allow_responses: { max_msgs: -1, ttl: "-1s" } } }
        { user: g, password: pg, permissions: { publish: [], subscribe: {} } }
        { user: h, password: ph, permissions: { import: "i", export: "o", allow_responses: false } }
      ]
    }`);
  const perms = Object.fromEntries(config.users.map((u) => [u.username, u.permissions]));
  assert.deepEqual(perms.a, { publish: { allow: ['x.>'] }, subscribe: { allow: ['y', 'z.*'] } });
  assert.deepEqual(perms.b, { publish: { allow: ['p.>'], deny: ['p.secret'] }, subscribe: { deny: ['q'] } });
  assert.deepEqual(perms.c, { subscribe: { allow: ['work.* workers', 'plain'] } });
  // allow_responses turns off the blanket publish allow.
  assert.deepEqual(perms.d, { response: { max: 0, expiresMs: 0 }, publish: { allow: [] } });
  assert.deepEqual(perms.e, { publish: { allow: ['e.>'] }, response: { max: 5, expiresMs: 60_000 } });
  assert.deepEqual(perms.f, { response: { max: -1, expiresMs: -1000 }, publish: { allow: [] } });
  // An empty list or map restricts nothing, as in nats-server.
  assert.deepEqual(perms.g, {});
  assert.deepEqual(perms.h, { publish: { allow: ['i'] }, subscribe: { allow: ['o'] } });
  assert.ok(config.users.every((u) => u.account === GLOBAL_ACCOUNT));
});

test('default_permissions replace (not merge with) nothing: users without permissions get them', () => {
  const { config } = authFromText(`
    authorization {
      default_permissions: { publish: "d.>", subscribe: "d.>" }
      users: [ { user: own, password: p, permissions: { subscribe: "own" } }, { user: none, password: p },
               { user: empty, password: p, permissions: {} }, { nkey: ${NKEY_U} } ]
    }`);
  const byName = Object.fromEntries(config.users.map((u) => [u.username, u.permissions]));
  assert.deepEqual(byName.own, { subscribe: { allow: ['own'] } });
  assert.deepEqual(byName.none, { publish: { allow: ['d.>'] }, subscribe: { allow: ['d.>'] } });
  assert.deepEqual(byName.empty, {});
  assert.deepEqual(config.nkeys[0].permissions, byName.none);
  assert.deepEqual(config.defaultPermissions, byName.none);
  // `permissions` at the block level is an alias.
  assert.deepEqual(authFromText('authorization { permissions: { publish: x }, users: [{user: a, password: b}] }').config.users[0].permissions, {
    publish: { allow: ['x'] },
  });
});

test('nkey users, connection types, and users without a password', () => {
  const { config } = authFromText(`
    authorization { users: [
      { nkey: ${NKEY_U}, permissions: { publish: "n.>" }, allowed_connection_types: ["standard", "WEBSOCKET"] }
      { user: nopass }
    ] }`);
  assert.deepEqual(config.nkeys, [
    { nkey: NKEY_U, account: '$G', permissions: { publish: { allow: ['n.>'] } }, allowedConnectionTypes: ['STANDARD', 'WEBSOCKET'] },
  ]);
  assert.deepEqual(config.users, [{ username: 'nopass', password: '', account: '$G' }]);
});

test('accounts: users, default permissions, exports and imports as typed data', () => {
  const accountKey = newAccount().pub;
  const { config, warnings } = authFromText(`
    accounts {
      A: {
        users: [ { user: a1, password: p }, { user: a2, password: p, permissions: { subscribe: "s" } } ]
        default_permissions: { publish: "a.>" }
        exports: [
          { stream: "public.>" }
          { stream: "private.>", accounts: [B] }
          { service: "help", response: stream, threshold: "2s", latency: { sampling: "50%", subject: "lat" } }
          { service: "svc.*", accounts: [B], account_token_position: 2 }
        ]
        jetstream: enabled
      }
      B: {
        nkey: ${accountKey}
        users: [ { nkey: ${NKEY_U} } ]
        imports: [
          { stream: { account: A, subject: "public.>" }, prefix: "from_a" }
          { stream: { account: A, subject: "private.x" }, to: "px" }
          { service: { account: A, subject: "help" }, to: "a.help" }
          { service: { account: A, subject: "svc.B" }, share: true }
        ]
      }
    }
    authorization { users: [ { user: g, password: p } ] }`);
  const users = Object.fromEntries(config.users.map((u) => [u.username, u]));
  assert.deepEqual(users.a1, { username: 'a1', password: 'p', account: 'A', permissions: { publish: { allow: ['a.>'] } } });
  assert.deepEqual(users.a2.permissions, { subscribe: { allow: ['s'] } });
  assert.equal(users.g.account, '$G');
  assert.deepEqual(config.nkeys, [{ nkey: NKEY_U, account: 'B' }]);
  const [a, b] = config.accounts;
  assert.equal(a.name, 'A');
  assert.deepEqual(a.defaultPermissions, { publish: { allow: ['a.>'] } });
  assert.deepEqual(a.exports, [
    { type: 'stream', subject: 'public.>' },
    { type: 'stream', subject: 'private.>', accounts: ['B'] },
    { type: 'service', subject: 'help', responseType: 'stream', responseThresholdMs: 2000, latency: { subject: 'lat', sampling: 50 } },
    { type: 'service', subject: 'svc.*', responseType: 'singleton', accounts: ['B'], accountTokenPosition: 2 },
  ]);
  assert.equal(b.nkey, accountKey);
  assert.deepEqual(b.imports, [
    { type: 'stream', account: 'A', subject: 'public.>', prefix: 'from_a' },
    { type: 'stream', account: 'A', subject: 'private.x', to: 'px' },
    { type: 'service', account: 'A', subject: 'help', to: 'a.help', share: false },
    { type: 'service', account: 'A', subject: 'svc.B', to: 'svc.B', share: true },
  ]);
  assert.equal(a.jetstream, true);
  assert.equal(b.jetstream, undefined);
  assert.deepEqual(warnings, ['Plaintext passwords detected, use nkeys or bcrypt']);
  // The list form only names accounts.
  assert.deepEqual(authFromText('accounts: [X, Y]').config.accounts.map((acc) => acc.name), ['X', 'Y']);
});

test('no_auth_user and nats-server\'s invented no-auth user for system-account-only setups', () => {
  const named = authFromText('authorization { users: [{user: a, password: p}] }\nno_auth_user: a').config;
  assert.equal(named.noAuthUser, 'a');
  assert.equal(named.systemAccountOnlyNoAuthUser, undefined);

  // Only the system account has users, and there is no authorization block: clients without
  // credentials go to $G as an invented user.
  const sysOnly = authFromText('accounts { $SYS { users = [{user: admin, password: pw}] } }'.replace('$SYS', '"$SYS"')).config;
  assert.match(sysOnly.noAuthUser ?? '', /^nats-[0-9a-zA-Z]{8}$/);
  assert.equal(sysOnly.systemAccountOnlyNoAuthUser, sysOnly.noAuthUser);
  const invented = sysOnly.users.find((u) => u.username === sysOnly.noAuthUser);
  assert.deepEqual(invented, { username: sysOnly.noAuthUser, password: sysOnly.noAuthUser!.slice(6), account: '$G' });
  assert.equal(authFromText('system_account: SYS\naccounts { SYS { users = [{user: a, password: p}] } }').config.systemAccount, 'SYS');
  assert.ok(authFromText('system_account: SYS\naccounts { SYS { users = [{user: a, password: p}] } }').config.systemAccountOnlyNoAuthUser);
  // Not when an authorization block exists, a third account exists, or the system account is implicit.
  assert.equal(authFromText('accounts { "$SYS" { users = [{user: a, password: p}] } }\nauthorization { timeout: 3 }').config.noAuthUser, undefined);
  assert.equal(authFromText('accounts { "$SYS" { users = [{user: a, password: p}] }, B {} }').config.noAuthUser, undefined);
  assert.equal(authFromText('accounts { A { users = [{user: a, password: p}] } }').config.noAuthUser, undefined);
});

test('operator mode: inline or file operator JWT, memory resolver, preloaded accounts', () => {
  const op = newOperator();
  const opSigner = newOperator();
  const sys = newAccount();
  const acc = newAccount();
  const opJwt = operatorJwt(op, { signing_keys: [opSigner.pub], system_account: sys.pub });
  const text = (operator: string): string =>
    `operator: ${operator}\nresolver: MEMORY\nresolver_preload {\n  ${sys.pub}: ${accountJwt(op, sys)}\n  ${acc.pub}: ${accountJwt(opSigner, acc)}\n}`;

  const inline = authFromText(text(opJwt)).config;
  assert.equal(inline.operator?.resolver, 'memory');
  assert.deepEqual(inline.operator?.trustedKeys, [op.pub, opSigner.pub]);
  assert.deepEqual([...inline.operator!.accounts.keys()], [sys.pub, acc.pub]);
  assert.equal(inline.operator?.accounts.get(acc.pub)?.claims.iss, opSigner.pub);
  assert.equal(inline.systemAccount, sys.pub); // from the operator JWT

  const dir = mkdtempSync(join(tmpdir(), 'myelin-op-'));
  try {
    const file = join(dir, 'op.jwt');
    writeFileSync(file, `-----BEGIN NATS OPERATOR JWT-----\n${opJwt}\n------END NATS OPERATOR JWT------\n`);
    const fromFile = authFromText(text(JSON.stringify(file))).config;
    assert.equal(fromFile.operator?.operators[0].claims.sub, op.pub);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // strict_signing_key_usage: the operator identity may not sign accounts.
  const strict = operatorJwt(op, { signing_keys: [opSigner.pub], system_account: sys.pub, strict_signing_key_usage: true });
  assert.deepEqual(authFromText(text(strict)).config.operator?.trustedKeys, [opSigner.pub]);

  // An expired preloaded account is a warning at startup, as in nats-server.
  const old = authFromText(
    `operator: ${operatorJwt(op)}\nresolver: MEM\nresolver_preload { ${acc.pub}: ${accountJwt(op, acc, {}, { exp: 1000 })} }`,
  );
  assert.deepEqual(old.warnings, [`Account [${acc.pub}] has validation issues:`, '  - claim is expired']);
});

test('trusted keys without an operator JWT', () => {
  const op = newOperator();
  const { config } = authFromText(`trusted: [${op.pub}]\nresolver: MEMORY`);
  assert.deepEqual(config.operator?.trustedKeys, [op.pub]);
  assert.deepEqual(configErrors('trusted: [OABC]'), ['test.conf:1:10: trust key "OABC" required to be a valid public operator nkey']);
});

test('configuration errors, worded and placed as nats-server does', () => {
  const cases: Array<[string, string[]]> = [
    ['authorization { user: a, password: b, token: c }', ['test.conf:1:0: Cannot have a user/pass and token']],
    ['authorization { user: a, password: b, users: [{user: x, password: y}] }', ['test.conf:1:0: Can not have a single user/pass and a users array']],
    ['authorization { token: c, users: [{user: x, password: y}] }', ['test.conf:1:0: Can not have a token and a users array']],
    ['accounts { "$SYS" { users = [{user: admin, password: pw}] } }\nauthorization { token: abc }', ['test.conf:2:1: Can not have a token and a users array']],
    ['authorization { users: [{nkey: UABC}] }', ['test.conf:1:25: Not a valid public nkey for a user']],
    [`authorization { users: [{nkey: ${NKEY_U}, password: x}] }`, ['test.conf:1:89: Nkey users do not take usernames or passwords']],
    ['authorization { users: [{password: x}] }', ['test.conf:1:25: User entry requires a user']],
    ['authorization { users: [{user: x, password: y, permissions: {publish: "a..b"}}] }', ['subject "a..b" is not a valid subject']],
    ['authorization { users: [{user: x, password: y, permissions: {subscribe: "a q r"}}] }', ['subject "a q r" is not a valid subject']],
    ['authorization { users: [{user: x, password: y, permissions: {subscribe: "a..b q"}}] }', ['subject "a..b" is not a valid subject']],
    ['authorization { users: [{user: a, password: b, permissions: {publish: {allow: "a..b"}}}] }', ['test.conf:1:71: subject "a..b" is not a valid subject']],
    ['authorization { users: [{user: a, password: b, permissions: {publish: {allow: 5}}}] }', ['test.conf:1:71: Expected subject permissions to be a subject, or array of subjects, got int64']],
    ['authorization { users: [{user: a, password: b, permissions: {publish: 5}}] }', ['Expected subject permissions to be a subject, or array of subjects, got int64']],
    ['authorization { users: [{user: x, password: y, permissions: {foo: "a"}}] }', ['test.conf:1:61: Unknown field "foo" parsing permissions']],
    [
      'authorization { users: [{user: x, password: y, permissions: {publish: {allow: a, nope: b}}}] }',
      ["test.conf:1:81: Unknown field name \"nope\" parsing subject permissions, only 'allow' or 'deny' are permitted"],
    ],
    ['authorization { users: [{user: x, password: y, permissions: {allow_responses: 5}}] }', ['test.conf:1:61: error parsing response permissions, expected a boolean or a map']],
    ['authorization { users: [{user: x, password: y, permissions: {allow_responses: {max: 1, expires: 5}}}] }', ['test.conf:1:87: error parsing expires, not a duration string']],
    ['authorization { users: [{user: x, password: y, permissions: {allow_responses: {max: 1, expires: "zz"}}}] }', ['test.conf:1:87: error parsing expires: time: invalid duration "zz"']],
    ['authorization { users: [{user: x, password: y, permissions: {allow_responses: {maxx: 1}}}] }', ['test.conf:1:79: Unknown field "maxx" parsing permissions']],
    ['authorization { users: [{user: x, password: y}, {user: x, password: z}] }', ['test.conf:1:0: Duplicate user "x" detected']],
    ['accounts { A: { users: [{user: x, password: y}] }, B: { users: [{user: x, password: z}] } }', ['test.conf:1:56: Duplicate user "x" detected']],
    ['accounts { A: { users: [{user: x, password: y}] } }\nauthorization { users: [{user: x, password: z}] }', ['test.conf:2:1: Duplicate user "x" detected']],
    ['accounts { $G: { users: [{user: x, password: y}] } }', ['test.conf:1:11: "$G" is a Reserved Account']],
    ['accounts { A: { imports: [{stream: {account: Z, subject: a}}] } }', ['test.conf:1:0: "Z" account not defined for stream import']],
    ['accounts { A: { imports: [{stream: {subject: a}}] } }', ['test.conf:1:27: Expect an account name and a subject']],
    ['accounts { A: { exports: [{foo: a}] } }', ['test.conf:1:27: unknown field "foo"']],
    ['accounts { A: { exports: {stream: a} } }', ['test.conf:1:16: Exports should be an array, got map[string]interface {}']],
    ['accounts { A: 5 }', ['test.conf:1:11: Expected map entries for accounts']],
    ['accounts { A: { nkey: UABC } }', ['test.conf:1:16: Not a valid public nkey for an account: "UABC"']],
    ['authorization { users: [a] }', ['test.conf:1:24: Expected user entry to be a map/struct, got a']],
    ['authorization { users: [{user: a, password: b, permissions: 5}] }', ['test.conf:1:47: Expected permissions to be a map/struct, got 5']],
    ['authorization { users: [{user: a, password: b, foo: 1}] }', ['test.conf:1:47: unknown field "foo"']],
    ['authorization { default_permissions: 5 }', ['test.conf:1:16: Expected permissions to be a map/struct, got 5']],
    ['authorization { users: [{user: a, password: b, allowed_connection_types: ["FOO"]}] }', ['test.conf:1:47: invalid connection types ["FOO"]']],
    [
      'accounts { A: { exports: [{service: "a"},{service: "b"}] }, B: { imports: [{service: {account: A, subject: "a"}, to: x},{service: {account: A, subject: "b"}, to: x}] } }',
      ['test.conf:1:164: Duplicate service import subject "x", previously used in import for account "A", subject "a"'],
    ],
    ['accounts { A: { }, B: { imports: [{stream: {account: A, subject: "a.>"}}] } }', ['test.conf:1:0: Error adding stream import "a.>": stream import not authorized']],
    [
      'accounts { A: { exports: [{stream: "a.>", accounts: [C]}] }, B: { imports: [{stream: {account: A, subject: "a.>"}}] }, C {} }',
      ['test.conf:1:0: Error adding stream import "a.>": stream import not authorized'],
    ],
    ['accounts { A: { exports: [{service: "a"}] }, B: { imports: [{service: {account: A, subject: "b"}}] } }', ['test.conf:1:0: Error adding service import "b": service import not authorized']],
    [
      'accounts { A: { exports: [{stream: "a.>"}] }, B: { imports: [{stream: {account: A, subject: "a.>"}, prefix: "p.*"}] } }',
      ['test.conf:1:0: Error adding stream import "a.>": stream import prefix can not contain wildcard tokens'],
    ],
    [
      'accounts { A: { exports: [{stream: "a.*.>"}] }, B: { imports: [{stream: {account: A, subject: "a.*.>"}, to: "y.>"}] } }',
      ['test.conf:1:0: Error adding stream import "a.*.>": failed to create mapping transform for stream import subject from "a.*.>" to "y.>": invalid mapping destination: not using all of the token wildcard(s) in y.>'],
    ],
    [
      'accounts { A: { exports: [{stream: "a.>"}] }, B: { imports: [{stream: {account: A, subject: "a.>"}, to: "y.*"}] } }',
      ['test.conf:1:0: Error adding stream import "a.>": failed to create mapping transform for stream import subject from "a.>" to "y.*": invalid subject'],
    ],
    [
      'accounts { A: { exports: [{service: "s.*"}] }, B: { imports: [{service: {account: A, subject: "s.*"}, to: "l.*.*"}] } }',
      ['test.conf:1:0: Error adding service import "s.*": failed to create mapping transform for service import subject from "l.*.*" to "s.*": invalid mapping destination: wildcard index out of range in $2: [2]'],
    ],
    [
      'accounts { A: { exports: [{stream: "a.>"}] }, B: { imports: [{stream: {account: A, subject: "a.>"}},{stream: {account: A, subject: "a.>"}, prefix: q}] } }',
      ['test.conf:1:0: Error adding stream import "a.>": stream import already exists'],
    ],
    [
      // The second import closes the cycle (nats-server reports whichever its map order adds last).
      'accounts { A: { exports: [{service: "s.x"}], imports: [{service: {account: B, subject: "t.x"}, to: "s.x"}] }, B: { exports: [{service: "t.x"}], imports: [{service: {account: A, subject: "s.x"}, to: "t.x"}] } }',
      ['test.conf:1:0: Error adding service import "s.x": import forms a cycle'],
    ],
    [
      'accounts { A: { exports: [{stream: "s.x"}], imports: [{stream: {account: B, subject: "t.x"}, to: "s.x"}] }, B: { exports: [{stream: "t.x"}], imports: [{stream: {account: A, subject: "s.x"}, to: "t.x"}] } }',
      ['test.conf:1:0: Error adding stream import "s.x": import forms a cycle'],
    ],
    ['operator: /nonexistent/op.jwt\nresolver: MEMORY', ['test.conf:1:0: error parsing operator JWT: open /nonexistent/op.jwt: no such file or directory']],
    ['operator: eyJhbGciOi.x.y\nresolver: MEMORY', ['test.conf:1:0: error parsing operator JWT: unexpected end of JSON input']],
    ['resolver_preload { AAA: notajwt }', ['test.conf:1:19: invalid account JWT']],
    ['resolver_preload: 5', ['test.conf:1:0: preload should be a map of account_public_key:account_jwt']],
    ['resolver: FOO', ['test.conf:1:0: error parsing account resolver, should be MEM or  URL("url") or a map containing dir and type state=[FULL|CACHE])']],
  ];
  for (const [text, expected] of cases) assert.deepEqual(configErrors(text), expected, text);
});

test('resolvers Myelin does not implement are refused, not ignored', () => {
  assert.deepEqual(configErrors('resolver: URL(http://127.0.0.1:1/x)'), [
    'test.conf:1:0: field "resolver" (URL account resolver) is not supported by Myelin yet; refusing to run without it',
  ]);
  assert.deepEqual(configErrors('resolver { type: full, dir: "/tmp" }'), [
    'test.conf:1:0: field "resolver" (directory account resolver) is not supported by Myelin yet; refusing to run without it',
  ]);
});

test('startup checks, with nats-server\'s text', () => {
  const op = newOperator();
  const sys = newAccount();
  const opJwt = operatorJwt(op, { system_account: sys.pub });
  const preload = `resolver_preload { ${sys.pub}: ${accountJwt(op, sys)} }`;
  const cases: Array<[string, string]> = [
    ['authorization { users: [{user: x, password: y}] }\nno_auth_user: z', 'no_auth_user: "z" not present as user or nkey in authorization block or account configuration'],
    ['authorization { token: t }\nno_auth_user: z', 'no_auth_user: "z" present, but users/nkeys are not defined'],
    ['system_account: FOO', 'error resolving system account: account missing'],
    [`operator: ${opJwt}`, 'operators require an account resolver to be configured'],
    [`operator: ${opJwt}\nresolver: MEMORY\n${preload}\nauthorization { users: [{user: a, password: b}] }`, 'operators do not allow users to be configured directly'],
    [`operator: ${opJwt}\nresolver: MEMORY\n${preload}\naccounts { A {} }`, 'operators do not allow Accounts to be configured directly'],
    [`operator: ${opJwt}\nresolver: MEMORY\n${preload}\nauthorization { users: [{user: a, password: b}] }\nno_auth_user: a`, 'operators do not allow users to be configured directly'],
    [`operator: ${opJwt}\nresolver: MEMORY\n${preload}\nsystem_account: ${newAccount().pub}`, 'system_account in config and operator JWT must be identical'],
    [`operator: ${opJwt}\nresolver: MEMORY`, 'error resolving system account: account missing'],
    [`operator: ${opJwt}\nresolver: MEMORY\n${preload}\nresolver_pinned_accounts: [AXX]`, 'pinned account key "AXX" is not a valid public account nkey'],
    [`operator: ${opJwt}\nresolver: MEMORY\n${preload}\ntrusted: ${op.pub}`, "conflicting options for 'TrustedKeys' and 'TrustedOperators'"],
  ];
  for (const [text, expected] of cases) assert.equal(startupError(text), expected, text);
});

test('nats-server accepts these odd but legal settings', () => {
  // A password alone, a user alone, an empty users list or authorization block: no error.
  assert.equal(authFromText('authorization { password: b }').config.password, 'b');
  assert.equal(authFromText('authorization { user: a }').config.username, 'a');
  assert.deepEqual(authFromText('authorization { users: [] }').config.users, []);
  assert.equal(authFromText('authorization { }').config.authorizationBlock, true);
  // `users: []` still conflicts with a single user, as nats-server checks the key's presence.
  assert.deepEqual(configErrors('authorization { user: a, users: [] }'), ['test.conf:1:0: Can not have a single user/pass and a users array']);
});

test('helpers: bcrypt detection and subject subset matching', () => {
  assert.ok(isBcrypt(BCRYPT));
  assert.ok(isBcrypt('$2b$11$abc'));
  assert.ok(isBcrypt('$2y$10$x'));
  assert.ok(!isBcrypt('$2c$10$x'));
  assert.ok(!isBcrypt('$2a$1$x'));
  assert.ok(!isBcrypt('password'));
  assert.ok(isSubsetMatch('a.b', 'a.*'));
  assert.ok(isSubsetMatch('a.*', 'a.>'));
  assert.ok(isSubsetMatch('a.>', 'a.>'));
  assert.ok(!isSubsetMatch('a.>', 'a.*'));
  assert.ok(!isSubsetMatch('a', 'a.>'));
  assert.ok(!isSubsetMatch('a.*', 'a.b'));
  assert.ok(!isSubsetMatch('b.c', 'a.*'));
});

test('a .creds file round-trips through the helper format', () => {
  const acc = newAccount();
  const user = newUser();
  const jwt = userJwt(acc, user);
  assert.match(credsFile(jwt, user.seed), /-----BEGIN NATS USER JWT-----\neyJ/);
});

// The authentication decision for token, user/password (plain and bcrypt), nkey and no_auth_user
// configurations. Expected outcomes, log texts and INFO flags were checked against nats-server 2.12.15
// with raw sockets (see the report of the auth module for the transcript of those checks).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashSync } from 'bcryptjs';

import { Authenticator, type AuthResult, type ConnectRequest } from '../../src/auth/authenticator.js';
import { InlineVerifier } from '../../src/auth/verify-pool.js';
import { authFromText, newUser, signNonce } from './auth-helpers.js';

/** Made by `nats server passwd -p password123 -c 4` (Go's bcrypt). */
const GO_BCRYPT = '$2a$04$NGb7/4j1iVZxHXO4CyHssuRJg16dVXzQmgRr/k7g693L6JmTXYuju';

function authenticator(text: string, flags = {}): Authenticator {
  return new Authenticator(authFromText(text, flags).config, { verifier: new InlineVerifier() });
}

function ok(result: AuthResult): asserts result is Extract<AuthResult, { ok: true }> {
  assert.ok(result.ok, `expected success, got ${JSON.stringify(result)}`);
}

async function reason(a: Authenticator, connect: ConnectRequest, nonce?: string): Promise<string> {
  const result = await a.authenticate(connect, nonce);
  assert.ok(!result.ok, `expected failure for ${JSON.stringify(connect)}`);
  return result.reason;
}

test('no authentication configured: everyone is in $G, INFO says nothing', async () => {
  const a = authenticator('port: 1');
  assert.equal(a.required, false);
  assert.equal(a.expectConnect, false);
  assert.equal(a.needsNonce, false);
  assert.deepEqual(await a.authenticate({ user: 'x', pass: 'y' }), { ok: true, user: '', account: '$G', method: 'none' });
  assert.deepEqual(await a.authenticateWithoutConnect(), { ok: true, user: '', account: '$G', method: 'none' });
});

test('token: plain and bcrypt; failures logged as nats-server logs them', async () => {
  const a = authenticator('authorization { token: "s3cr3t" }');
  assert.equal(a.required, true);
  assert.equal(a.expectConnect, true);
  assert.equal(a.needsNonce, false);
  assert.deepEqual(await a.authenticate({ auth_token: 's3cr3t' }), { ok: true, user: '', account: '$G', method: 'token' });
  assert.equal(await reason(a, { auth_token: 'nope' }), 'authentication error - Token "[REDACTED]"');
  assert.equal(await reason(a, {}), 'authentication error');
  assert.equal(await reason(a, { user: 'x', pass: 's3cr3t' }), 'authentication error - User "x"');
  assert.equal(await reason(a, { nkey: 'UABC', user: 'u', auth_token: 't' }), 'authentication error - Nkey "UABC"');

  const hashed = authenticator(`authorization { token: "${hashSync('tokentoken1', 4)}" }`);
  ok(await hashed.authenticate({ auth_token: 'tokentoken1' }));
  assert.equal(await reason(hashed, { auth_token: 'tokentoken2' }), 'authentication error - Token "[REDACTED]"');
  // The client may not send the hash itself.
  assert.equal((await hashed.authenticate({ auth_token: hashed.config.token })).ok, false);
});

test('single user and password, plain or bcrypt', async () => {
  const a = authenticator('authorization { user: derek, password: T0pS3cr3t }');
  assert.deepEqual(await a.authenticate({ user: 'derek', pass: 'T0pS3cr3t' }), { ok: true, user: 'derek', account: '$G', method: 'user' });
  assert.equal(await reason(a, { user: 'derek', pass: 'x' }), 'authentication error - User "derek"');
  assert.equal(await reason(a, { user: 'other', pass: 'T0pS3cr3t' }), 'authentication error - User "other"');
  const b = authenticator(`authorization { user: derek, password: "${GO_BCRYPT}" }`);
  ok(await b.authenticate({ user: 'derek', pass: 'password123' }));
  assert.equal((await b.authenticate({ user: 'derek', pass: 'password124' })).ok, false);
  // A user without a password logs in with an empty one.
  ok(await authenticator('authorization { user: a }').authenticate({ user: 'a' }));
});

test('--user/--pass and --auth flags', async () => {
  const a = authenticator('port: 1', { username: 'x', password: 'y' });
  ok(await a.authenticate({ user: 'x', pass: 'y' }));
  assert.equal((await a.authenticate({ user: 'x', pass: 'z' })).ok, false);
  // A token wins over a single user (nats-server checks the token first).
  const both = authenticator('port: 1', { username: 'x', password: 'y', authorization: 't' });
  ok(await both.authenticate({ auth_token: 't' }));
  assert.equal((await both.authenticate({ user: 'x', pass: 'y' })).ok, false);
  // --pass alone configures nothing.
  assert.equal(authenticator('port: 1', { password: 'y' }).required, false);
  // With a users list, a flag user is never found there.
  const users = authenticator('authorization { users: [{user: a, password: b}] }', { username: 'x', password: 'y' });
  assert.equal((await users.authenticate({ user: 'x', pass: 'y' })).ok, false);
});

test('users list: plain and bcrypt passwords, permissions with default_permissions', async () => {
  const a = authenticator(`
    authorization {
      default_permissions: { publish: "dflt.>" }
      users: [
        { user: alice, password: "${GO_BCRYPT}" }
        { user: bob, password: plain, permissions: { subscribe: "bob.>" } }
        { user: carol, password: "${hashSync('carolpass', 4)}", permissions: { publish: { deny: "x" }, allow_responses: { max: 3, expires: "5s" } } }
      ]
    }`);
  assert.deepEqual(await a.authenticate({ user: 'alice', pass: 'password123' }), {
    ok: true,
    user: 'alice',
    account: '$G',
    method: 'user',
    permissions: { publish: { allow: ['dflt.>'] } },
  });
  // Own permissions replace the defaults entirely: bob may publish anywhere.
  const bob = await a.authenticate({ user: 'bob', pass: 'plain' });
  ok(bob);
  assert.deepEqual(bob.permissions, { subscribe: { allow: ['bob.>'] } });
  const carol = await a.authenticate({ user: 'carol', pass: 'carolpass' });
  ok(carol);
  assert.deepEqual(carol.permissions, { publish: { allow: [], deny: ['x'] }, allowResponses: { max: 3, expiresMs: 5000 } });
  assert.equal(await reason(a, { user: 'alice', pass: 'wrong' }), 'authentication error - User "alice"');
  assert.equal(await reason(a, { user: 'dave', pass: 'plain' }), 'authentication error - User "dave"');
  assert.equal(await reason(a, { auth_token: 'plain' }), 'authentication error - Token "[REDACTED]"');
  assert.equal(await reason(a, { pass: 'password123' }), 'authentication error');
});

test('users in accounts land in their account', async () => {
  const a = authenticator(`
    accounts { A: { users: [{user: a, password: p}], default_permissions: { subscribe: "a.>" } }, B: { users: [{user: b, password: p}] } }
    authorization { users: [{user: g, password: p}] }`);
  assert.deepEqual(await a.authenticate({ user: 'a', pass: 'p' }), {
    ok: true,
    user: 'a',
    account: 'A',
    method: 'user',
    permissions: { subscribe: { allow: ['a.>'] } },
  });
  assert.deepEqual(await a.authenticate({ user: 'b', pass: 'p' }), { ok: true, user: 'b', account: 'B', method: 'user' });
  assert.deepEqual(await a.authenticate({ user: 'g', pass: 'p' }), { ok: true, user: 'g', account: '$G', method: 'user' });
});

test('nkey users sign the nonce; base64url or standard base64', async () => {
  const u = newUser();
  const other = newUser();
  const a = authenticator(`
    authorization { users: [
      { nkey: ${u.pub}, permissions: { publish: { deny: "secret.>" } } }
      { user: carl, password: pw }
    ] }`);
  assert.equal(a.needsNonce, true);
  const nonce = a.newNonce();
  assert.match(nonce, /^[A-Za-z0-9_-]{15}$/);
  assert.notEqual(a.newNonce(), nonce);

  const sig = signNonce(u.seed, nonce);
  assert.deepEqual(await a.authenticate({ nkey: u.pub, sig }, nonce), {
    ok: true,
    user: u.pub,
    account: '$G',
    method: 'nkey',
    permissions: { publish: { deny: ['secret.>'] } },
  });
  ok(await a.authenticate({ nkey: u.pub, sig: Buffer.from(sig, 'base64url').toString('base64') }, nonce));
  assert.equal(await reason(a, { nkey: u.pub, sig: 'AAAA' }, nonce), `authentication error - Nkey "${u.pub}"`);
  assert.equal(await reason(a, { nkey: u.pub, sig: 'not base64!' }, nonce), `authentication error - Nkey "${u.pub}"`);
  assert.equal(await reason(a, { nkey: u.pub }, nonce), `authentication error - Nkey "${u.pub}"`);
  assert.equal(await reason(a, { nkey: u.pub, sig: signNonce(u.seed, 'other nonce') }, nonce), `authentication error - Nkey "${u.pub}"`);
  assert.equal(await reason(a, { nkey: other.pub, sig: signNonce(other.seed, nonce) }, nonce), `authentication error - Nkey "${other.pub}"`);
  const failed = await a.authenticate({ nkey: u.pub, sig: signNonce(other.seed, nonce) }, nonce);
  assert.deepEqual(failed, { ok: false, reason: `authentication error - Nkey "${u.pub}"`, detail: 'Signature not verified' });
  // An nkey in CONNECT decides, even with valid user credentials alongside.
  ok(await a.authenticate({ nkey: u.pub, sig, user: 'carl', pass: 'wrong' }, nonce));
  assert.equal((await a.authenticate({ nkey: u.pub, sig: 'AAAA', user: 'carl', pass: 'pw' }, nonce)).ok, false);
  // An empty nkey falls through to the users.
  ok(await a.authenticate({ nkey: '', user: 'carl', pass: 'pw' }, nonce));
  // Without the nonce it was sent, nothing is proven.
  assert.equal((await a.authenticate({ nkey: u.pub, sig }, undefined)).ok, false);
});

test('no_auth_user: INFO says no auth, credential-less clients become that user', async () => {
  const a = authenticator(`
    authorization { timeout: 0.5, users: [
      { user: alice, password: plainpw, permissions: { publish: "a.>" } }
      { user: bob, password: "${GO_BCRYPT}" }
    ] }
    no_auth_user: alice`);
  assert.equal(a.required, false);
  assert.equal(a.expectConnect, true); // the auth timer still runs
  assert.deepEqual(await a.authenticate({}), {
    ok: true,
    user: 'alice',
    account: '$G',
    method: 'user',
    permissions: { publish: { allow: ['a.>'] } },
  });
  ok(await a.authenticate({ user: 'bob', pass: 'password123' }));
  // A password without a user, or a token, is not "no credentials".
  assert.equal(await reason(a, { pass: 'plainpw' }), 'authentication error');
  assert.equal(await reason(a, { auth_token: 'x' }), 'authentication error - Token "[REDACTED]"');
  // The first protocol message may be something other than CONNECT.
  ok(await a.authenticateWithoutConnect());
});

test('no_auth_user with a bcrypt password fails, exactly as in nats-server', async () => {
  const a = authenticator(`authorization { users: [{ user: alice, password: "${GO_BCRYPT}" }] }\nno_auth_user: alice`);
  assert.equal(await reason(a, {}), 'authentication error - User "alice"');
  assert.equal((await a.authenticateWithoutConnect()).ok, false);
});

test('no_auth_user naming an nkey user: accepted without a signature, but only with a CONNECT', async () => {
  const u = newUser();
  const a = authenticator(`authorization { users: [{nkey: ${u.pub}, permissions: {publish: "ok"}}] }\nno_auth_user: ${u.pub}`);
  assert.equal(a.required, false);
  assert.equal(a.needsNonce, true);
  assert.deepEqual(await a.authenticate({}, a.newNonce()), {
    ok: true,
    user: u.pub,
    account: '$G',
    method: 'nkey',
    permissions: { publish: { allow: ['ok'] } },
  });
  assert.equal((await a.authenticate({ user: 'x' })).ok, false);
  assert.equal((await a.authenticateWithoutConnect()).ok, false);
});

test('only the system account has users: anonymous clients go to $G, INFO still says auth_required', async () => {
  const a = authenticator('accounts { "$SYS" { users = [{user: admin, password: pw}] } }');
  assert.equal(a.required, true);
  const anon = await a.authenticate({});
  ok(anon);
  assert.equal(anon.account, '$G');
  assert.equal(anon.user, a.config.noAuthUser);
  assert.deepEqual(await a.authenticate({ user: 'admin', pass: 'pw' }), { ok: true, user: 'admin', account: '$SYS', method: 'user' });
  assert.equal((await a.authenticate({ user: 'admin', pass: 'bad' })).ok, false);
  ok(await a.authenticateWithoutConnect());
});

test('the first message must be CONNECT when authentication is required', async () => {
  assert.deepEqual(await authenticator('authorization { token: t }').authenticateWithoutConnect(), {
    ok: false,
    reason: 'authentication error',
    detail: 'no CONNECT received',
  });
});

test('allowed connection types', async () => {
  const a = authenticator('authorization { users: [{user: ws, password: p, allowed_connection_types: [WEBSOCKET]}, {user: std, password: p, clients: STANDARD}] }');
  assert.equal((await a.authenticate({ user: 'ws', pass: 'p' })).ok, false);
  ok(await a.authenticate({ user: 'ws', pass: 'p' }, undefined, { connectionType: 'websocket' }));
  ok(await a.authenticate({ user: 'std', pass: 'p' }));
});

test('an aborted authentication fails instead of waiting', async () => {
  const a = authenticator(`authorization { users: [{ user: alice, password: "${GO_BCRYPT}" }] }`);
  const controller = new AbortController();
  controller.abort();
  assert.deepEqual(await a.authenticate({ user: 'alice', pass: 'password123' }, undefined, { signal: controller.signal }), {
    ok: false,
    reason: 'authentication error - User "alice"',
    detail: 'authentication aborted',
  });
});

test('permissions results are plain JSON', async () => {
  const a = authenticator('authorization { users: [{user: u, password: p, permissions: {publish: {allow: ["a", "b.*"], deny: "b.x"}, subscribe: "q.* grp", allow_responses: true}}] }');
  const r = await a.authenticate({ user: 'u', pass: 'p' });
  ok(r);
  assert.deepEqual(JSON.parse(JSON.stringify(r.permissions)), {
    publish: { allow: ['a', 'b.*'], deny: ['b.x'] },
    subscribe: { allow: ['q.* grp'] },
    allowResponses: { max: 1, expiresMs: 120_000 },
  });
});

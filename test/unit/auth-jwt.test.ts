// Operator mode (decentralised JWT authentication): user JWTs from .creds files, verified operator ->
// account -> user, with expiry, signing keys (plain and scoped), revocations, bearer tokens, source
// and time limits. Credentials are generated here with @nats-io/nkeys; one fixture comes from the
// real `nats auth` tooling. Each behaviour below was checked against nats-server 2.12.15 with the same
// kind of JWTs.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Authenticator, type AuthResult, type ConnectRequest } from '../../src/auth/authenticator.js';
import { decodeJwt, JwtError, parseCredsFile, parseDecoratedJwt, verifyJwt } from '../../src/auth/jwt.js';
import {
  base32Decode,
  base32Encode,
  crc16,
  decodePublicKey,
  decodeSignature,
  encodePublicKey,
  isValidPublicAccountKey,
  isValidPublicOperatorKey,
  isValidPublicUserKey,
  publicKeyRole,
  verify,
} from '../../src/auth/nkeys.js';
import { InlineVerifier } from '../../src/auth/verify-pool.js';
import {
  accountJwt,
  authFromText,
  credsFile,
  encodeJwt,
  newAccount,
  newOperator,
  newUser,
  operatorJwt,
  signNonce,
  userJwt,
  type Identity,
} from './auth-helpers.js';
import * as natscli from './auth-fixture-natscli.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0); // a fixed clock for the time-based checks
const nowSec = Math.floor(NOW / 1000);

interface World {
  op: Identity;
  opSigner: Identity;
  sys: Identity;
  acc: Identity;
  accSigner: Identity;
  scoped: Identity;
  auth: Authenticator;
}

/** An operator with a signing key, a system account, and account ACC with a plain and a scoped signing key. */
function world(accountNats: Record<string, unknown> = {}, configExtra = '', accountExtra: Record<string, unknown> = {}): World {
  const op = newOperator();
  const opSigner = newOperator();
  const sys = newAccount();
  const acc = newAccount();
  const accSigner = newAccount();
  const scoped = newAccount();
  const accJwt = accountJwt(
    opSigner,
    acc,
    {
      signing_keys: [
        accSigner.pub,
        {
          kind: 'user_scope',
          key: scoped.pub,
          role: 'svc',
          template: { pub: { allow: ['svc.{{name()}}.>', 'team.{{tag(team)}}'] }, sub: { allow: ['_INBOX.>'] }, subs: -1, data: -1 },
        },
      ],
      default_permissions: { pub: { allow: ['dflt.>'] } },
      ...accountNats,
    },
    { name: 'APP', ...accountExtra },
  );
  const text =
    `operator: ${operatorJwt(op, { signing_keys: [opSigner.pub], system_account: sys.pub })}\n` +
    `resolver: MEMORY\nresolver_preload {\n  ${sys.pub}: ${accountJwt(op, sys)}\n  ${acc.pub}: ${accJwt}\n}\n${configExtra}`;
  const auth = new Authenticator(authFromText(text, {}, () => NOW).config, { verifier: new InlineVerifier(), now: () => NOW });
  return { op, opSigner, sys, acc, accSigner, scoped, auth };
}

/** What a client does with a .creds file: send the JWT and sign the nonce with the seed. */
function connectWith(creds: string, nonce: string): ConnectRequest {
  const { jwt, seed } = parseCredsFile(creds);
  return { jwt, sig: signNonce(seed, nonce), name: 'test', lang: 'node', protocol: 1 };
}

async function login(w: World, jwt: string, user: Identity, ctx = {}): Promise<AuthResult> {
  const nonce = w.auth.newNonce();
  return w.auth.authenticate(connectWith(credsFile(jwt, user.seed), nonce), nonce, ctx);
}

function ok(result: AuthResult): asserts result is Extract<AuthResult, { ok: true }> {
  assert.ok(result.ok, `expected success, got ${JSON.stringify(result)}`);
}

function failedWith(result: AuthResult, detail: string): void {
  // A revocation is also flagged, for the text a live client gets when a reload revokes it.
  const revoked = detail === 'User authentication revoked' ? { revoked: true } : {};
  assert.deepEqual(result, { ok: false, reason: 'authentication error', detail, ...revoked });
}

test('a .creds user signed by its account: account, name, permissions, limits', async () => {
  const w = world();
  assert.equal(w.auth.required, true);
  assert.equal(w.auth.needsNonce, true);
  const u = newUser();
  const jwt = userJwt(w.acc, u, { pub: { allow: ['app.>'] }, sub: { allow: ['app.>'], deny: ['app.secret'] }, resp: { max: 2, ttl: 5e9 } }, { name: 'alice' });
  const r = await login(w, jwt, u);
  assert.deepEqual(r, {
    ok: true,
    user: u.pub,
    account: w.acc.pub,
    method: 'jwt',
    accountName: 'APP',
    name: 'alice',
    permissions: {
      publish: { allow: ['app.>'] },
      subscribe: { allow: ['app.>'], deny: ['app.secret'] },
      allowResponses: { max: 2, expiresMs: 5000 },
    },
    jwtLimits: {
      account: { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 },
      user: { subs: -1, data: -1, payload: -1 },
    },
  });
});

test('without permissions of its own a user gets the account JWT\'s default_permissions', async () => {
  const w = world();
  const u = newUser();
  const r = await login(w, userJwt(w.acc, u), u);
  ok(r);
  assert.deepEqual(r.permissions, { publish: { allow: ['dflt.>'] } });
});

test('signature failures: nonce, tampered JWT, wrong signer, missing pieces', async () => {
  const w = world();
  const u = newUser();
  const jwt = userJwt(w.acc, u);
  const nonce = w.auth.newNonce();
  failedWith(await w.auth.authenticate({ jwt, sig: signNonce(newUser().seed, nonce) }, nonce), 'Signature not verified');
  failedWith(await w.auth.authenticate({ jwt, sig: signNonce(u.seed, 'another nonce') }, nonce), 'Signature not verified');
  failedWith(await w.auth.authenticate({ jwt }, nonce), 'Signature missing');
  failedWith(await w.auth.authenticate({ jwt, sig: '!!' }, nonce), 'Signature not valid base64');
  // Rewrite the claims (more permissions) without re-signing.
  const [h, p, s] = jwt.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  claims.nats.pub = { allow: ['>'] };
  const tampered = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
  failedWith(await w.auth.authenticate({ jwt: tampered, sig: signNonce(u.seed, nonce) }, nonce), 'User JWT not valid: claim failed V2 signature verification');
  // A user signed by a key the account does not list, claiming the account as issuer_account.
  const rogue = newAccount();
  failedWith(await login(w, userJwt(rogue, u, { issuer_account: w.acc.pub }), u), 'User JWT issuer is not known');
  // Signed by an account that is not preloaded.
  failedWith(await login(w, userJwt(rogue, u), u), 'Account JWT lookup error: account missing');
  // No JWT at all, or something that is not a user JWT.
  assert.deepEqual(await w.auth.authenticate({ user: 'a', pass: 'b' }, nonce), {
    ok: false,
    reason: 'authentication error - User "a"',
    detail: 'Authentication requires a user JWT',
  });
  failedWith(await w.auth.authenticate({ jwt: accountJwt(w.op, newAccount()), sig: 'x' }, nonce), 'User JWT not valid: not user claim');
  failedWith(await w.auth.authenticate({ jwt: 'abc', sig: 'x' }, nonce), 'User JWT not valid: expected 3 chunks');
});

test('expiry: expired and not-yet-valid users fail; a future expiry is reported', async () => {
  const w = world();
  const u = newUser();
  failedWith(await login(w, userJwt(w.acc, u, {}, { exp: nowSec - 1 }), u), 'User JWT no longer valid: claim is expired');
  failedWith(await login(w, userJwt(w.acc, u, {}, { nbf: nowSec + 60 }), u), 'User JWT no longer valid: claim is not yet valid');
  const r = await login(w, userJwt(w.acc, u, {}, { exp: nowSec + 3600 }), u);
  ok(r);
  assert.equal(r.expiresAt, (nowSec + 3600) * 1000);
  const expiredAccount = world({}, '', { exp: nowSec - 10 });
  failedWith(await login(expiredAccount, userJwt(expiredAccount.acc, u), u), 'Account JWT has expired');
});

test('signing keys: plain signing keys, and scoped ones whose template sets the permissions', async () => {
  const w = world();
  const u = newUser();
  const signed = await login(w, userJwt(w.accSigner, u, { pub: { allow: ['own.>'] }, issuer_account: w.acc.pub }), u);
  ok(signed);
  assert.equal(signed.account, w.acc.pub);
  assert.deepEqual(signed.permissions, { publish: { allow: ['own.>'] } });

  // A scoped user carries nothing (not even nsc's -1 limits) and gets the template, expanded.
  const scopedJwt = userJwt(w.scoped, u, { issuer_account: w.acc.pub, tags: ['team:blue'], subs: undefined, data: undefined, payload: undefined }, { name: 'bob' });
  const scoped = await login(w, scopedJwt, u);
  ok(scoped);
  assert.deepEqual(scoped.permissions, { publish: { allow: ['svc.bob.>', 'team.blue'] }, subscribe: { allow: ['_INBOX.>'] } });
  failedWith(
    await login(w, userJwt(w.scoped, u, { issuer_account: w.acc.pub }), u),
    'User JWT is not valid: scoped users require no permissions or limits set',
  );
});

test('accounts must be signed by the trusted operator (or its signing keys)', async () => {
  const w = world();
  const stranger = newOperator();
  const acc2 = newAccount();
  const text =
    `operator: ${operatorJwt(w.op, { system_account: w.sys.pub })}\nresolver: MEMORY\n` +
    `resolver_preload {\n ${w.sys.pub}: ${accountJwt(w.op, w.sys)}\n ${acc2.pub}: ${accountJwt(stranger, acc2)}\n}`;
  const auth = new Authenticator(authFromText(text).config, { verifier: new InlineVerifier(), now: () => NOW });
  const u = newUser();
  const nonce = auth.newNonce();
  const r = await auth.authenticate({ jwt: userJwt(acc2, u), sig: signNonce(u.seed, nonce) }, nonce);
  failedWith(r, 'Account JWT lookup error: account validation failed');
});

test('revocations: the user key or "*", at or after the JWT was issued', async () => {
  const u = newUser();
  const issued = nowSec - 100;
  const byKey = world({ revocations: { [u.pub]: issued } });
  failedWith(await login(byKey, encodeJwt({ sub: u.pub, nats: { type: 'user', version: 2 } }, byKey.acc.kp, issued), u), 'User authentication revoked');
  // Issued after the revocation: fine.
  ok(await login(byKey, encodeJwt({ sub: u.pub, nats: { type: 'user', version: 2 } }, byKey.acc.kp, issued + 1), u));
  const all = world({ revocations: { '*': issued } });
  failedWith(await login(all, encodeJwt({ sub: u.pub, nats: { type: 'user', version: 2 } }, all.acc.kp, issued), u), 'User authentication revoked');
});

test('bearer tokens skip the nonce signature unless the account disallows them', async () => {
  const w = world();
  const u = newUser();
  const bearer = userJwt(w.acc, u, { bearer_token: true });
  const r = await w.auth.authenticate({ jwt: bearer }, w.auth.newNonce());
  ok(r);
  const strict = world({ limits: { conn: -1, disallow_bearer: true } });
  failedWith(await strict.auth.authenticate({ jwt: userJwt(strict.acc, u, { bearer_token: true }) }, 'n'), 'Account does not allow bearer tokens');
});

test('src limits: the client address must be in one of the CIDRs', async () => {
  const w = world();
  const u = newUser();
  const jwt = userJwt(w.acc, u, { src: ['10.0.0.0/8', '192.168.1.0/24'] });
  ok(await login(w, jwt, u, { clientIp: '10.1.2.3' }));
  ok(await login(w, jwt, u, { clientIp: '::ffff:192.168.1.7' }));
  failedWith(await login(w, jwt, u, { clientIp: '127.0.0.1' }), 'Bad src Ip 127.0.0.1');
  failedWith(await login(w, jwt, u), 'Bad src Ip ');
  ok(await login(w, userJwt(w.acc, u, { src: '127.0.0.0/8, ::1/128' }), u, { clientIp: '::1' }));
  failedWith(await login(w, userJwt(w.acc, u, { src: ['10.0.0.1'] }), u), 'User JWT no longer valid: invalid cidr "10.0.0.1" in user src limits');
});

test('connect time windows (in times_location, or local time)', async () => {
  const w = world(); // NOW is 12:00:00 UTC
  const u = newUser();
  const inWindow = await login(w, userJwt(w.acc, u, { times: [{ start: '11:00:00', end: '13:00:00' }], times_location: 'UTC' }), u);
  ok(inWindow);
  assert.equal(inWindow.expiresAt, NOW + 3600_000);
  failedWith(await login(w, userJwt(w.acc, u, { times: [{ start: '13:00:00', end: '14:00:00' }], times_location: 'UTC' }), u), 'Outside connect times');
  // 12:00 UTC is 21:00 in Tokyo.
  ok(await login(w, userJwt(w.acc, u, { times: [{ start: '20:00:00', end: '22:00:00' }], times_location: 'Asia/Tokyo' }), u));
  // A range across midnight counts from today's start.
  ok(await login(w, userJwt(w.acc, u, { times: [{ start: '11:00:00', end: '01:00:00' }], times_location: 'UTC' }), u));
  failedWith(
    await login(w, userJwt(w.acc, u, { times: [{ start: '11:00:00', end: '13:00:00' }], times_location: 'Mars/Olympus' }), u),
    'User JWT no longer valid: could not parse iana time zone by name: unknown time zone Mars/Olympus',
  );
});

test('allowed connection types and pinned accounts', async () => {
  const w = world();
  const u = newUser();
  failedWith(await login(w, userJwt(w.acc, u, { allowed_connection_types: ['WEBSOCKET'] }), u), 'Connection type not allowed');
  ok(await login(w, userJwt(w.acc, u, { allowed_connection_types: ['STANDARD', 'FUTURE_TYPE'] }), u));
  failedWith(await login(w, userJwt(w.acc, u, { allowed_connection_types: ['FUTURE_TYPE'] }), u), 'invalid connection types ["FUTURE_TYPE"]');

  const pinnedElsewhere = world({}, `resolver_pinned_accounts: [${newAccount().pub}]`);
  const r = await login(pinnedElsewhere, userJwt(pinnedElsewhere.acc, u), u);
  assert.ok(!r.ok && r.detail?.endsWith('not listed as operator pinned account'));
});

test('JWT permission subjects are validated as the jwt library does', async () => {
  const w = world();
  const u = newUser();
  failedWith(
    await login(w, userJwt(w.acc, u, { pub: { allow: ['a q'] } }), u),
    'User JWT no longer valid: Permission Subject "a q" is not allowed to contain queue',
  );
  failedWith(await login(w, userJwt(w.acc, u, { sub: { allow: ['a..b'] } }), u), 'User JWT no longer valid: subject "a..b" cannot contain consecutive `.`');
  // Queue subscriptions may be permitted.
  const r = await login(w, userJwt(w.acc, u, { sub: { allow: ['work.* workers'] } }), u);
  ok(r);
  assert.deepEqual(r.permissions, { subscribe: { allow: ['work.* workers'] } });
  // An explicit empty publish allow list next to a deny list allows nothing (nats-server does the same).
  const empty = await login(w, userJwt(w.acc, u, { pub: { allow: [], deny: ['x'] } }), u);
  ok(empty);
  assert.deepEqual(empty.permissions, { publish: { allow: [], deny: ['x'] } });
});

test('credentials made by the real `nats auth` tooling', async () => {
  const text =
    `operator: ${natscli.OPERATOR_JWT}\nresolver: MEMORY\nresolver_preload {\n` +
    ` ${natscli.SYSTEM_ACCOUNT}: ${natscli.SYSTEM_ACCOUNT_JWT}\n ${natscli.APP_ACCOUNT}: ${natscli.APP_ACCOUNT_JWT}\n}`;
  const { config } = authFromText(text);
  assert.equal(config.systemAccount, natscli.SYSTEM_ACCOUNT);
  const auth = new Authenticator(config, { verifier: new InlineVerifier() });
  const nonce = auth.newNonce();

  const alice = await auth.authenticate(connectWith(natscli.ALICE_CREDS, nonce), nonce);
  ok(alice);
  assert.equal(alice.account, natscli.APP_ACCOUNT);
  assert.equal(alice.accountName, 'APP');
  assert.equal(alice.name, 'alice');
  assert.deepEqual(alice.permissions, {
    publish: { allow: ['app.>', '_INBOX.>'] },
    subscribe: { allow: ['app.>', '_INBOX.>'], deny: ['app.secret'] },
  });

  const bob = await auth.authenticate(connectWith(natscli.BOB_CREDS, nonce), nonce);
  ok(bob);
  assert.equal(bob.account, natscli.APP_ACCOUNT);
  assert.deepEqual(bob.permissions, { publish: { allow: ['svc.bob.>'] }, subscribe: { allow: ['_INBOX.>'] } });

  // APP disallows bearer tokens, and alice's signature is bound to the nonce.
  const { jwt } = parseCredsFile(natscli.ALICE_CREDS);
  assert.equal((await auth.authenticate({ jwt }, nonce)).ok, false);
  assert.equal((await auth.authenticate(connectWith(natscli.ALICE_CREDS, 'other'), nonce)).ok, false);
});

test('nkey encoding: base32, CRC-16, roles', () => {
  const u = newUser();
  const a = newAccount();
  const o = newOperator();
  assert.ok(isValidPublicUserKey(u.pub) && !isValidPublicUserKey(a.pub));
  assert.ok(isValidPublicAccountKey(a.pub) && !isValidPublicAccountKey(o.pub));
  assert.ok(isValidPublicOperatorKey(o.pub) && !isValidPublicOperatorKey(u.pub));
  assert.equal(publicKeyRole(u.pub), 'user');
  const raw = decodePublicKey(u.pub, 'user');
  assert.ok(raw !== undefined && raw.length === 32);
  assert.equal(encodePublicKey('user', raw), u.pub);
  // A changed character breaks the checksum.
  const flipped = u.pub.slice(0, 10) + (u.pub[10] === 'A' ? 'B' : 'A') + u.pub.slice(11);
  assert.equal(publicKeyRole(flipped), undefined);
  assert.equal(decodePublicKey('UABC'), undefined);
  assert.equal(decodePublicKey(u.seed), undefined);
  assert.deepEqual(base32Decode(base32Encode(Uint8Array.from([1, 2, 3, 250]))), Uint8Array.from([1, 2, 3, 250]));
  assert.equal(base32Decode('a1'), undefined);
  assert.equal(crc16(new TextEncoder().encode('123456789')), 0x31c3); // CRC-16/XMODEM check value
});

test('signatures: strict base64url or padded base64, ed25519 via node:crypto', () => {
  const u = newUser();
  const sig = signNonce(u.seed, 'hello');
  const bytes = decodeSignature(sig)!;
  assert.equal(bytes.length, 64);
  assert.deepEqual(decodeSignature(Buffer.from(bytes).toString('base64')), bytes);
  assert.equal(decodeSignature('abc$'), undefined);
  assert.equal(decodeSignature(`${sig}=`), undefined);
  assert.ok(verify(u.pub, 'hello', bytes));
  assert.ok(!verify(u.pub, 'hellO', bytes));
  assert.ok(!verify(newUser().pub, 'hello', bytes));
  assert.ok(!verify(u.pub, 'hello', bytes.subarray(0, 63)));
  assert.ok(!verify('UABC', 'hello', bytes));
});

test('JWT decoding: shape, header, version, issuer role', () => {
  const acc = newAccount();
  const u = newUser();
  const jwt = userJwt(acc, u);
  const decoded = decodeJwt(jwt);
  assert.equal(decoded.kind, 'user');
  assert.equal(decoded.version, 2);
  verifyJwt(decoded);
  const header = (h: object): string => `${Buffer.from(JSON.stringify(h)).toString('base64url')}.${jwt.split('.')[1]}.${jwt.split('.')[2]}`;
  assert.throws(() => decodeJwt('a.b'), new JwtError('expected 3 chunks'));
  assert.throws(() => decodeJwt(header({ typ: 'JOSE', alg: 'ed25519-nkey' })), /not supported type "JOSE"/);
  assert.throws(() => decodeJwt(header({ typ: 'jwt', alg: 'HS256' })), /unexpected "HS256" algorithm/);
  assert.throws(() => decodeJwt(encodeJwt({ sub: u.pub, nats: { type: 'user', version: 3 } }, acc.kp)), /JWT was generated by a newer version/);
  // A user JWT must be signed by an account key.
  assert.throws(() => verifyJwt(decodeJwt(userJwt(newOperator(), u))), /unable to validate expected prefixes - \[account\]/);
  // Decorated files and .creds.
  assert.equal(parseDecoratedJwt(`-----BEGIN NATS OPERATOR JWT-----\n${jwt}\n------END NATS OPERATOR JWT------\n`), jwt);
  assert.equal(parseDecoratedJwt(`  ${jwt}\n`), jwt);
  assert.deepEqual(parseCredsFile(credsFile(jwt, u.seed)), { jwt, seed: u.seed });
  assert.throws(() => parseCredsFile(jwt), /no nkey user seed found/);
});

// Test helpers: NATS JWTs and .creds files made the way `nsc`/`nats auth` make them, with keys and
// signatures from the official @nats-io/nkeys package (independent of src/auth's own nkey code).

import { createHash, randomBytes } from 'node:crypto';
import { createAccount, createOperator, createUser, fromSeed, type KeyPair } from '@nats-io/nkeys';

import { parseConfigText, applyConfig } from '../../src/config/config-file.js';
import { buildAuthConfig, type AuthFlags, type BuiltAuthConfig } from '../../src/auth/config.js';

const HEADER = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' })).toString('base64url');
const te = new TextEncoder();

export interface Identity {
  kp: KeyPair;
  pub: string;
  seed: string;
}

function identity(kp: KeyPair): Identity {
  return { kp, pub: kp.getPublicKey(), seed: new TextDecoder().decode(kp.getSeed()) };
}

export const newOperator = (): Identity => identity(createOperator());
export const newAccount = (): Identity => identity(createAccount());
export const newUser = (): Identity => identity(createUser());
export const identityFromSeed = (seed: string): Identity => identity(fromSeed(te.encode(seed)));

/** Account JWTs get nsc's default (unlimited) limits; user JWTs get subs/data/payload -1, like nsc. */

/** Signs claims as a v2 NATS JWT: iss is the signer, iat now, jti a hash of the claims. */
export function encodeJwt(claims: Record<string, unknown>, signer: KeyPair, iat = Math.floor(Date.now() / 1000)): string {
  const body: Record<string, unknown> = { jti: '', iat, iss: signer.getPublicKey(), ...claims };
  body.jti = createHash('sha256').update(JSON.stringify(body)).update(randomBytes(8)).digest('base64url').slice(0, 52);
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
  const sig = Buffer.from(signer.sign(te.encode(`${HEADER}.${payload}`))).toString('base64url');
  return `${HEADER}.${payload}.${sig}`;
}

export function operatorJwt(op: Identity, nats: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): string {
  return encodeJwt({ name: 'OP', sub: op.pub, ...extra, nats: { type: 'operator', version: 2, ...nats } }, op.kp);
}

export function accountJwt(
  signer: Identity,
  account: Identity,
  nats: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): string {
  const limits = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
  return encodeJwt(
    { name: 'ACC', sub: account.pub, ...extra, nats: { limits, default_permissions: { pub: {}, sub: {} }, type: 'account', version: 2, ...nats } },
    signer.kp,
  );
}

export function userJwt(
  signer: Identity,
  user: Identity,
  nats: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): string {
  return encodeJwt({ name: 'user', sub: user.pub, ...extra, nats: { subs: -1, data: -1, payload: -1, type: 'user', version: 2, ...nats } }, signer.kp);
}

/** A .creds file as nsc writes it. */
export function credsFile(jwt: string, seed: string): string {
  return (
    '-----BEGIN NATS USER JWT-----\n' +
    `${jwt}\n` +
    '------END NATS USER JWT------\n\n' +
    '************************* IMPORTANT *************************\n' +
    'NKEY Seed printed below can be used to sign and prove identity.\n' +
    'NKEYs are sensitive and should be treated as secrets.\n\n' +
    '-----BEGIN USER NKEY SEED-----\n' +
    `${seed}\n` +
    '------END USER NKEY SEED------\n\n' +
    '*************************************************************\n'
  );
}

/** What a client library does with a nonce: sign it with the user seed, base64url. */
export function signNonce(seed: string, nonce: string): string {
  return Buffer.from(fromSeed(te.encode(seed)).sign(te.encode(nonce))).toString('base64url');
}

/** Configuration text all the way to an AuthConfig, as the server will do it. */
export function authFromText(text: string, flags: AuthFlags = {}, now?: () => number): BuiltAuthConfig {
  const applied = applyConfig(parseConfigText(text, { file: 'test.conf', env: {} }), 'test.conf');
  return buildAuthConfig(applied.auth, flags, now === undefined ? {} : { now });
}

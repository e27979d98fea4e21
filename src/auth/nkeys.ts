// NATS nkeys: ed25519 public keys written as base32 text with a type prefix and a CRC-16, as the Go
// package github.com/nats-io/nkeys defines them, plus signature checks with node:crypto.
//
// A public key is base32(prefix byte ‖ 32-byte ed25519 key ‖ crc16 little-endian): 56 characters, whose
// first letter names the key's role (U user, A account, O operator, N server, C cluster, X curve).
// A seed is base32(seed prefix ‖ role ‖ 32-byte seed ‖ crc16): 58 characters starting with "S".
//
// Everything here is synchronous and cheap except verify(), which the verify pool runs off the event loop.

import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';

/** Prefix bytes of the key roles (the first base32 letter is the top 5 bits). */
export const PREFIX = {
  seed: 18 << 3, // 'S'
  private: 15 << 3, // 'P'
  server: 13 << 3, // 'N'
  cluster: 2 << 3, // 'C'
  operator: 14 << 3, // 'O'
  account: 0, // 'A'
  user: 20 << 3, // 'U'
  curve: 23 << 3, // 'X'
} as const;

export type KeyRole = 'server' | 'cluster' | 'operator' | 'account' | 'user' | 'curve';

const ROLE_BY_PREFIX = new Map<number, KeyRole>([
  [PREFIX.server, 'server'],
  [PREFIX.cluster, 'cluster'],
  [PREFIX.operator, 'operator'],
  [PREFIX.account, 'account'],
  [PREFIX.user, 'user'],
  [PREFIX.curve, 'curve'],
]);

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const B32_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < B32.length; i++) B32_VALUE[B32.charCodeAt(i)] = i;

/** RFC 4648 base32 without padding; undefined for any character outside the alphabet. */
export function base32Decode(text: string): Uint8Array | undefined {
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let bits = 0;
  let value = 0;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? B32_VALUE[code] : -1;
    if (v < 0) return undefined;
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (value >>> bits) & 0xff;
    }
  }
  return out;
}

/** RFC 4648 base32 without padding. */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += B32[(value >>> bits) & 31];
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

/** CRC-16/XMODEM (polynomial 0x1021, initial value 0), the checksum nkeys append. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The role of a well-formed public nkey (checksum and length checked), else undefined. */
export function publicKeyRole(key: string): KeyRole | undefined {
  return decodePublicKeyWithRole(key)?.role;
}

/** The raw 32-byte ed25519 key of a public nkey of the given role (any role if omitted), else undefined. */
export function decodePublicKey(key: string, role?: KeyRole): Uint8Array | undefined {
  const decoded = decodePublicKeyWithRole(key);
  if (decoded === undefined || (role !== undefined && decoded.role !== role)) return undefined;
  return decoded.raw;
}

function decodePublicKeyWithRole(key: string): { role: KeyRole; raw: Uint8Array } | undefined {
  if (typeof key !== 'string' || key.length !== 56) return undefined;
  const bytes = base32Decode(key);
  if (bytes === undefined || bytes.length !== 35) return undefined;
  const crc = bytes[33] | (bytes[34] << 8);
  if (crc16(bytes.subarray(0, 33)) !== crc) return undefined;
  const role = ROLE_BY_PREFIX.get(bytes[0]);
  if (role === undefined) return undefined;
  return { role, raw: bytes.slice(1, 33) };
}

export const isValidPublicUserKey = (key: string): boolean => decodePublicKey(key, 'user') !== undefined;
export const isValidPublicAccountKey = (key: string): boolean => decodePublicKey(key, 'account') !== undefined;
export const isValidPublicOperatorKey = (key: string): boolean => decodePublicKey(key, 'operator') !== undefined;

/** Encodes a raw 32-byte ed25519 public key as an nkey of the given role. */
export function encodePublicKey(role: KeyRole, raw: Uint8Array): string {
  const bytes = new Uint8Array(35);
  bytes[0] = PREFIX[role];
  bytes.set(raw, 1);
  const crc = crc16(bytes.subarray(0, 33));
  bytes[33] = crc & 0xff;
  bytes[34] = crc >>> 8;
  return base32Encode(bytes);
}

const B64URL_RAW = /^[A-Za-z0-9_-]*$/;
const B64_STD = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes a signature as nats-server does: base64url without padding first, then standard base64 with
 * padding. Both are strict (a stray character is an error, not skipped as Buffer.from would).
 */
export function decodeSignature(text: string): Uint8Array | undefined {
  if (typeof text !== 'string') return undefined;
  if (B64URL_RAW.test(text) && text.length % 4 !== 1) return new Uint8Array(Buffer.from(text, 'base64url'));
  if (B64_STD.test(text) && text.length % 4 === 0) return new Uint8Array(Buffer.from(text, 'base64'));
  return undefined;
}

/** Strict base64url without padding, as JWT segments are written (Go's base64.RawURLEncoding). */
export function decodeBase64UrlStrict(text: string): Uint8Array | undefined {
  if (!B64URL_RAW.test(text) || text.length % 4 === 1) return undefined;
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

// KeyObjects are cached: a server sees the same few issuer keys over and over.
const KEY_CACHE_LIMIT = 4096;
const keyCache = new Map<string, KeyObject>();

function keyObject(publicKey: string): KeyObject | undefined {
  let key = keyCache.get(publicKey);
  if (key !== undefined) return key;
  const raw = decodePublicKey(publicKey);
  if (raw === undefined) return undefined;
  key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
  if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
  keyCache.set(publicKey, key);
  return key;
}

/**
 * Checks an ed25519 signature made by the holder of a public nkey. `data` as a string means its UTF-8
 * bytes. False for a malformed key, a signature that is not 64 bytes, or a mismatch.
 */
export function verify(publicKey: string, data: string | Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  const key = keyObject(publicKey);
  if (key === undefined) return false;
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  try {
    return cryptoVerify(null, bytes, key, signature);
  } catch {
    return false;
  }
}

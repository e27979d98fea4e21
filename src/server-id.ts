// Server identity in nkey form: nats-server's server_id is the public key of a server nkey, which natscli
// and other tools recognise by shape (56 upper-case base32 characters starting with "N"). Myelin has no
// use for the private half yet, so it encodes 32 random bytes the way an nkey public key is encoded:
// prefix byte, key, CRC-16/XMODEM, base32 without padding.

import { randomBytes } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** nkeys prefix byte for a server public key; encodes to a leading "N". */
const PREFIX_SERVER = 13 << 3;

function crc16(data: Uint8Array): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function base32(data: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export function newServerId(): string {
  const raw = new Uint8Array(35);
  raw[0] = PREFIX_SERVER;
  raw.set(randomBytes(32), 1);
  const crc = crc16(raw.subarray(0, 33));
  raw[33] = crc & 0xff;
  raw[34] = crc >>> 8;
  return base32(raw);
}

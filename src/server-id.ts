// Server identity in nkey form: nats-server's server_id is the public key of a server nkey, which natscli
// and other tools recognise by shape (56 upper-case base32 characters starting with "N"). Myelin has no use
// for the private half yet, so it encodes 32 random bytes as a server public key with the project's one
// nkey codec.

import { randomBytes } from 'node:crypto';

import { encodePublicKey } from './auth/nkeys.js';

export function newServerId(): string {
  return encodePublicKey('server', randomBytes(32));
}

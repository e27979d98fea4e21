// The CPU-heavy checks of authentication, run in the verify pool's worker threads (and by
// InlineVerifier on the calling thread): bcrypt comparisons and ed25519 signature checks.
// This module is the piscina task file: its default export handles one task.

import { compareSync } from 'bcryptjs';
import { verify } from './nkeys.js';

/** One ed25519 check: `signature` over the UTF-8 bytes of `data` by the holder of nkey `publicKey`. */
export interface Ed25519Check {
  publicKey: string;
  data: string;
  signature: Uint8Array;
}

export type VerifyTask =
  | { op: 'bcrypt'; hash: string; password: string }
  | { op: 'ed25519'; checks: Ed25519Check[] };

/**
 * bcrypt: true when the password matches the hash. ed25519: the index of the first check that fails,
 * or -1 when all pass.
 */
export function runVerifyTask(task: VerifyTask): boolean | number {
  if (task.op === 'bcrypt') return bcryptMatches(task.hash, task.password);
  for (let i = 0; i < task.checks.length; i++) {
    const check = task.checks[i];
    if (!verify(check.publicKey, check.data, check.signature)) return i;
  }
  return -1;
}

/**
 * Go's bcrypt.CompareHashAndPassword, which ignores the minor version letter: `$2x$` hashes are
 * computed exactly like `$2a$` ones. A malformed hash never matches.
 */
function bcryptMatches(hash: string, password: string): boolean {
  const normalized = hash.startsWith('$2x$') ? `$2a$${hash.slice(4)}` : hash;
  try {
    return compareSync(password, normalized);
  } catch {
    return false;
  }
}

export default function verifyTask(task: VerifyTask): boolean | number {
  return runVerifyTask(task);
}

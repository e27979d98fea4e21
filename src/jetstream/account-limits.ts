// An account's JetStream limits: the `jetstream { … }` block of a configured account, parsed with nats-server's
// key aliases and wording (server/opts.go parseJetStreamForAccount), and reported in `$JS.API.INFO` as its
// JetStreamAccountLimits JSON. -1 (and false) means no limit, as in nats-server.

import { goTypeName, type ConfNode } from '../config/config-syntax.js';

/** nats-server's JetStreamAccountLimits, with its JSON field names. */
export interface AccountLimits {
  max_memory: number;
  max_storage: number;
  max_streams: number;
  max_consumers: number;
  max_ack_pending: number;
  memory_max_stream_bytes: number;
  storage_max_stream_bytes: number;
  max_bytes_required: boolean;
}

export const UNLIMITED: Readonly<AccountLimits> = Object.freeze({
  max_memory: -1,
  max_storage: -1,
  max_streams: -1,
  max_consumers: -1,
  max_ack_pending: -1,
  memory_max_stream_bytes: -1,
  storage_max_stream_bytes: -1,
  max_bytes_required: false,
});

/** The account's `jetstream` value: whether it is on and, for a map, its limits. */
export interface AccountJetStream {
  enabled: boolean;
  limits: AccountLimits;
}

/** Reports a configuration problem, at a token or (undefined) without a position. */
export type ConfigProblem = (at: ConfNode | undefined, reason: string) => void;

type SizeKey = Exclude<keyof AccountLimits, 'max_bytes_required'>;

/** Every key nats-server accepts in an account's `jetstream` map (lower case), and the limit it sets. */
const SIZE_KEYS: Record<string, SizeKey> = {
  max_memory: 'max_memory',
  max_mem: 'max_memory',
  mem: 'max_memory',
  memory: 'max_memory',
  max_store: 'max_storage',
  max_file: 'max_storage',
  max_disk: 'max_storage',
  store: 'max_storage',
  disk: 'max_storage',
  max_streams: 'max_streams',
  streams: 'max_streams',
  max_consumers: 'max_consumers',
  consumers: 'max_consumers',
  mem_max_stream_bytes: 'memory_max_stream_bytes',
  memory_max_stream_bytes: 'memory_max_stream_bytes',
  disk_max_stream_bytes: 'storage_max_stream_bytes',
  store_max_stream_bytes: 'storage_max_stream_bytes',
  max_ack_pending: 'max_ack_pending',
};
const BOOL_KEYS = new Set(['max_bytes_required', 'max_stream_bytes', 'max_bytes']);

/**
 * Parse an account's `jetstream` value (already the account map's entry: nats-server gives the problems of the value
 * itself no position, those of its keys theirs). `error` gets each problem at its token; the first fatal one (as nats-server
 * returns it) ends the parse with undefined, while unknown keys are collected and the rest still parsed.
 */
export function parseAccountJetStream(node: ConfNode, error: ConfigProblem): AccountJetStream | undefined {
  switch (node.kind) {
    case 'bool':
      return { enabled: node.value, limits: { ...UNLIMITED } };
    case 'string': {
      const v = node.value.toLowerCase();
      if (v === 'enabled' || v === 'enable') return { enabled: true, limits: { ...UNLIMITED } };
      if (v === 'disabled' || v === 'disable') return { enabled: false, limits: { ...UNLIMITED } };
      error(undefined, `Expected 'enabled' or 'disabled' for string value, got '${node.value}'`);
      return undefined;
    }
    case 'map':
      break;
    default:
      error(undefined, `Expected map, bool or string to define JetStream, got ${goTypeName(node)}`);
      return undefined;
  }
  const limits: AccountLimits = { ...UNLIMITED };
  for (const [key, child] of node.value) {
    const k = key.toLowerCase();
    const q = JSON.stringify(key);
    const got = String(child.value);
    const size = SIZE_KEYS[k];
    if (size !== undefined) {
      if (child.kind !== 'int') return fatal(error, child, `Expected a parseable size for ${q}, got ${got}`);
      limits[size] = child.value;
    } else if (BOOL_KEYS.has(k)) {
      if (child.kind !== 'bool') return fatal(error, child, `Expected a parseable bool for ${q}, got ${got}`);
      limits.max_bytes_required = child.value;
    } else if (k === 'cluster_traffic') {
      // Where a clustered account's raft traffic goes: meaningless on a single server, but checked as nats-server does.
      if (child.kind !== 'string') return fatal(error, child, `Expected either 'system' or 'owner' string value for ${q}, got ${got}`);
      if (!['system', '', 'owner'].includes(child.value)) {
        return fatal(error, child, `Expected 'system' or 'owner' string value for ${q}, got ${got}`);
      }
    } else if (!child.usedAsVariable) {
      error(child, `unknown field ${JSON.stringify(key)}`);
    }
  }
  return { enabled: true, limits };
}

function fatal(error: ConfigProblem, at: ConfNode, reason: string): undefined {
  error(at, reason);
  return undefined;
}

/**
 * An account JWT's JetStream limits (`nats.limits`: mem_storage, disk_storage, streams, consumer, …), as
 * nats-server reads them (accounts.go UpdateAccountClaims); undefined when they leave JetStream off (no memory
 * and no disk storage); tiered-only limits (`tiered_limits`) are not supported yet.
 */
export function jwtAccountLimits(limits: Record<string, unknown> | undefined): AccountLimits | undefined {
  if (limits === undefined) return undefined;
  const n = (k: string) => (typeof limits[k] === 'number' ? (limits[k] as number) : 0);
  const unlimitedUnlessPositive = (k: string) => (n(k) > 0 ? n(k) : -1);
  if (n('mem_storage') === 0 && n('disk_storage') === 0) return undefined;
  return {
    max_memory: n('mem_storage'),
    max_storage: n('disk_storage'),
    max_streams: n('streams'),
    max_consumers: n('consumer'),
    max_ack_pending: unlimitedUnlessPositive('max_ack_pending'),
    memory_max_stream_bytes: unlimitedUnlessPositive('mem_max_stream_bytes'),
    storage_max_stream_bytes: unlimitedUnlessPositive('disk_max_stream_bytes'),
    max_bytes_required: limits.max_bytes_required === true,
  };
}

// Turning JetStream on: the store directory (nats-server's default is <tmp>/nats), the internal client in
// the global account on the main thread's engine, and the service.

import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { API_LEVEL } from './api-level.js';
import type { AuthConfig } from '../auth/config.js';
import type { Options } from '../config/options.js';
import type { EngineHost } from '../conn/engine-host.js';
import { InternalClient } from '../internal/internal-client.js';
import type { Logger } from '../log.js';
import { JetStreamService } from './service.js';
import { type AccountLimits, jwtAccountLimits, UNLIMITED } from './account-limits.js';

const GLOBAL_ACCOUNT = '$G';

/**
 * The accounts that get JetStream: with no accounts configured, the global account; otherwise those that
 * say `jetstream: enabled`, or, when none says anything, the global account and every configured account.
 * In operator mode, also every preloaded account whose JWT limits give it memory or disk storage.
 */
export function jetStreamAccounts(auth: AuthConfig | undefined): string[] {
  const accounts = auth?.accounts ?? [];
  const jwt = [...(auth?.operator?.accounts ?? new Map()).entries()]
    .filter(([, a]) => jwtAccountLimits(a.claims.nats?.limits) !== undefined)
    .map(([key]) => key);
  if (accounts.some((a) => a.jetstream !== undefined)) return [...accounts.filter((a) => a.jetstream === true).map((a) => a.name), ...jwt];
  return [GLOBAL_ACCOUNT, ...accounts.map((a) => a.name), ...jwt];
}

/** The store directory (`-sd`, `store_dir`): nats-server's default is <tmp>/nats. The data is under `jetstream/`. */
export function storeRoot(options: Options): string {
  return resolve(options.storeDir !== '' ? options.storeDir : join(tmpdir(), 'nats'));
}

/** One JetStream service per account that has JetStream, each with its own internal client and folder. */
export function startJetStream(
  host: EngineHost,
  options: Options,
  serverName: string,
  log: Logger,
  auth?: AuthConfig,
): JetStreamService[] {
  const storeDir = storeRoot(options);
  log.info('Starting JetStream');
  log.info(`    Store Directory: "${storeDir}"`);
  const sync =
    options.syncInterval === 0 ? 'before every ack (group commit)' : options.syncInterval < 0 ? 'always' : `${options.syncInterval}ms`;
  log.info(`    Sync:            ${sync}`);
  log.info(`    API Level:       ${API_LEVEL}`);
  const settings = {
    storeDir,
    maxPayload: options.maxPayload,
    serverName,
    maxMemoryStore: options.maxMemoryStore,
    maxFileStore: options.maxFileStore,
    syncIntervalMs: options.syncInterval,
  };
  return jetStreamAccounts(auth).map((account) => {
    const client = new InternalClient((acc, onDeliveries) => host.openInternal(acc, onDeliveries), account);
    return new JetStreamService(client, settings, log, accountLimits(auth, account));
  });
}

/** An account's configured JetStream limits; unlimited for `jetstream: enabled`, `$G` and unknown accounts. */
function accountLimits(auth: AuthConfig | undefined, account: string): AccountLimits {
  const jwt = auth?.operator?.accounts.get(account);
  if (jwt !== undefined) return jwtAccountLimits(jwt.claims.nats?.limits) ?? UNLIMITED;
  return auth?.accounts.find((a) => a.name === account)?.jetstreamLimits ?? UNLIMITED;
}

/**
 * A reload's new account limits, as nats-server updates the limits of accounts that keep JetStream (what they
 * already store stays; the limits apply to what comes next). Accounts that gain or lose JetStream wait for a restart.
 */
export function applyAccountLimits(services: JetStreamService[], auth: AuthConfig): void {
  for (const svc of services) svc.limits = accountLimits(auth, svc.client.account);
}

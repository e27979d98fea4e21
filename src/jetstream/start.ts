// Turning JetStream on: the store directory (nats-server's default is <tmp>/nats), the internal client in
// the global account on the main thread's engine, and the service.

import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { Options } from '../config/options.js';
import type { EngineHost } from '../conn/engine-host.js';
import { InternalClient } from '../internal/internal-client.js';
import type { Logger } from '../log.js';
import { JetStreamService } from './service.js';

const GLOBAL_ACCOUNT = '$G';

export function startJetStream(host: EngineHost, options: Options, serverName: string, log: Logger): JetStreamService {
  const storeDir = resolve(options.storeDir !== '' ? options.storeDir : join(tmpdir(), 'nats'));
  log.info('Starting JetStream');
  log.info(`    Store Directory: "${storeDir}"`);
  const sync =
    options.syncInterval === 0 ? 'before every ack (group commit)' : options.syncInterval < 0 ? 'always' : `${options.syncInterval}ms`;
  log.info(`    Sync:            ${sync}`);
  const client = new InternalClient((account, onDeliveries) => host.openInternal(account, onDeliveries), GLOBAL_ACCOUNT);
  return new JetStreamService(
    client,
    {
      storeDir,
      maxPayload: options.maxPayload,
      serverName,
      maxMemoryStore: options.maxMemoryStore,
      maxFileStore: options.maxFileStore,
      syncIntervalMs: options.syncInterval,
    },
    log,
  );
}

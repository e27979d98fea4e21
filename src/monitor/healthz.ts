// /healthz (and the system account's HEALTHZ) for a single server, as nats-server decides it: with
// JetStream on, every stream folder in the store must belong to a stream that was recovered; `account`,
// `stream` and `consumer` narrow the check to one asset (404 when it is not there); `js-enabled-only` and
// `js-server-only` stop before the assets; `details` lists every problem instead of the first.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import type { MonitorSource } from './collect.js';
import { decodeBool } from './go-format.js';

/** nats-server's HealthZErrorType, as it marshals them. */
const ERR_BAD_REQUEST = 'BAD_REQUEST';
const ERR_ACCOUNT = 'ACCOUNT';
const ERR_STREAM = 'STREAM';
const ERR_CONSUMER = 'CONSUMER';

/** Where nats-server stages snapshots inside the store; not an account. */
const SNAP_STAGING_DIR = '.snap-staging';

export interface Health {
  /** The HTTP status (and the system account's `status_code`). */
  code: number;
  /** nats-server's HealthStatus without `status_code`: status, error or errors. */
  body: Record<string, unknown>;
}

interface Problem {
  type: string;
  account?: string;
  stream?: string;
  consumer?: string;
  error: string;
}

export function healthz(source: MonitorSource, query: URLSearchParams): Health {
  decodeBool(query, 'js-enabled');
  const jsEnabledOnly = decodeBool(query, 'js-enabled-only');
  const jsServerOnly = decodeBool(query, 'js-server-only');
  decodeBool(query, 'js-meta-only'); // no meta group on a single server
  const details = decodeBool(query, 'details');
  const account = query.get('account') ?? '';
  const stream = query.get('stream') ?? '';
  const consumer = query.get('consumer') ?? '';

  const problems: Problem[] = [];
  let code = 0;
  let status = 'ok';
  const finish = (): Health => {
    const body: Record<string, unknown> = { status: details ? (problems.length > 0 ? 'error' : 'ok') : status };
    if (!details && problems.length > 0) body.error = problems[0].error;
    if (details && problems.length > 0) body.errors = problems;
    return { code: code !== 0 ? code : problems.length > 0 ? 503 : 200, body };
  };
  // Without `details` the first problem is the answer.
  const fail = (p: Problem, withStatus = 'unavailable'): boolean => {
    problems.push(p);
    if (!details) status = withStatus;
    return !details;
  };

  if (account === '' && stream !== '') {
    code = 400;
    fail({ type: ERR_BAD_REQUEST, error: '"account" must not be empty when checking stream health' }, 'error');
    return finish();
  }
  if (stream === '' && consumer !== '') {
    code = 400;
    fail({ type: ERR_BAD_REQUEST, error: '"stream" must not be empty when checking consumer health' }, 'error');
    return finish();
  }
  const js = source.jetStream;
  if (jsServerOnly || js === undefined || jsEnabledOnly) return finish();

  const storeDir = js.config.store_dir as string;
  const known = new Set([...source.configuredAccounts, '$G', source.systemAccount]);
  let accFound = false;
  let streamFound = false;
  let consumerFound = false;
  for (const acc of listDir(storeDir)) {
    if (acc === SNAP_STAGING_DIR) continue;
    if (account !== '') {
      if (acc !== account) continue;
      accFound = true;
    }
    const svc = js.services.find((s) => s.client.account === acc);
    if (svc === undefined && !known.has(acc)) {
      if (fail({ type: ERR_ACCOUNT, account: acc, error: `JetStream account '${acc}' could not be resolved` })) return finish();
      continue;
    }
    for (const name of listDir(join(storeDir, acc, 'streams'))) {
      if (stream !== '') {
        if (name !== stream) continue;
        streamFound = true;
      }
      const s = svc?.streams.get(name);
      if (s === undefined) {
        const error = `JetStream stream '${acc} > ${name}' could not be recovered`;
        if (fail({ type: ERR_STREAM, account: acc, stream: name, error })) return finish();
        continue;
      }
      if (streamFound) {
        if (consumer !== '' && s.consumers.has(consumer)) consumerFound = true;
        break;
      }
    }
    if (accFound) break;
  }
  const notFound = (p: Problem): Health => {
    code = 404;
    if (details) problems.splice(0, problems.length, p);
    else {
      problems.unshift(p);
      status = 'unavailable';
    }
    return finish();
  };
  if (account !== '' && !accFound) {
    return notFound({ type: ERR_ACCOUNT, account, error: `JetStream account ${JSON.stringify(account)} not found` });
  }
  if (stream !== '' && !streamFound) {
    const error = `JetStream stream ${JSON.stringify(stream)} not found on account ${JSON.stringify(account)}`;
    return notFound({ type: ERR_STREAM, account, stream, error });
  }
  if (consumer !== '' && !consumerFound) {
    const error = `JetStream consumer ${JSON.stringify(consumer)} not found for stream ${JSON.stringify(stream)} on account ${JSON.stringify(account)}`;
    return notFound({ type: ERR_CONSUMER, account, stream, consumer, error });
  }
  return finish();
}

/** Entries of a folder, none when it cannot be read (as nats-server ignores os.ReadDir's error). */
function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

// Where authentication's expensive checks run. VerifyPool sends them to a small piscina pool of worker
// threads, created on first use, so a thousand clients connecting at once (each needing a bcrypt
// comparison of ~50-200 ms, or two ed25519 checks) never stall the event loop. InlineVerifier runs
// the same code on the calling thread, for tests and tools.

import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { runVerifyTask, type Ed25519Check, type VerifyTask } from './verify-worker.js';

export type { Ed25519Check } from './verify-worker.js';

export interface Verifier {
  /** True when `password` matches the bcrypt `hash` (Go's bcrypt rules). */
  bcrypt(hash: string, password: string, signal?: AbortSignal): Promise<boolean>;
  /** The index of the first failing signature check, or -1 when all pass. */
  ed25519(checks: Ed25519Check[], signal?: AbortSignal): Promise<number>;
  /** Stops the worker threads, if any. Tasks still queued are rejected. */
  close(): Promise<void>;
}

/** The default pool size: two threads, or one on a single-core machine. */
export function defaultVerifyThreads(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

export interface VerifyPoolOptions {
  /** Worker threads; defaults to defaultVerifyThreads(). */
  threads?: number;
  /** How long an idle thread is kept, ms (default 60 s). Idle threads never keep the process alive. */
  idleTimeoutMs?: number;
}

export class VerifyPool implements Verifier {
  private pool: Piscina | undefined;
  private closed = false;

  constructor(private readonly options: VerifyPoolOptions = {}) {}

  /** Threads currently started (0 until the first task). */
  get threadCount(): number {
    return this.pool?.threads.length ?? 0;
  }

  async bcrypt(hash: string, password: string, signal?: AbortSignal): Promise<boolean> {
    return (await this.run({ op: 'bcrypt', hash, password }, signal)) === true;
  }

  async ed25519(checks: Ed25519Check[], signal?: AbortSignal): Promise<number> {
    if (checks.length === 0) return -1;
    return (await this.run({ op: 'ed25519', checks }, signal)) as number;
  }

  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = undefined;
    if (pool !== undefined) await pool.destroy();
  }

  private run(task: VerifyTask, signal?: AbortSignal): Promise<boolean | number> {
    if (this.closed) return Promise.reject(new Error('verify pool is closed'));
    return this.getPool().run(task, signal === undefined ? undefined : { signal });
  }

  private getPool(): Piscina {
    if (this.pool === undefined) {
      const threads = this.options.threads ?? defaultVerifyThreads();
      this.pool = new Piscina({
        // Resolved next to this file, so it works from dist/ (compiled .js).
        filename: new URL('./verify-worker.js', import.meta.url).href,
        minThreads: 0,
        maxThreads: threads,
        idleTimeout: this.options.idleTimeoutMs ?? 60_000,
        name: 'default',
      });
    }
    return this.pool;
  }
}

/** Runs the checks synchronously on the calling thread. */
export class InlineVerifier implements Verifier {
  async bcrypt(hash: string, password: string, signal?: AbortSignal): Promise<boolean> {
    signal?.throwIfAborted();
    return runVerifyTask({ op: 'bcrypt', hash, password }) === true;
  }

  async ed25519(checks: Ed25519Check[], signal?: AbortSignal): Promise<number> {
    signal?.throwIfAborted();
    return runVerifyTask({ op: 'ed25519', checks }) as number;
  }

  async close(): Promise<void> {}
}

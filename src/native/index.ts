// The only importer of the compiled addon. `npm install` builds it into native/binding/ (napi-rs names the
// file after the platform and writes the loader index.cjs beside it); this module gives it a typed face.

import { createRequire } from 'node:module';

export interface EngineOptions {
  maxPayload: number;
  maxControlLine: number;
  maxPending: number;
  maxSubscriptions: number;
  pingIntervalMs: number;
  pingMax: number;
  headersSupported: boolean;
  matchCache: number;
}

export interface EngineEvent {
  kind: number;
  conn: number;
  reason: number;
  json?: string | null;
}

export interface ConnStats {
  inMsgs: number;
  inBytes: number;
  outMsgs: number;
  outBytes: number;
  subscriptions: number;
  pendingBytes: number;
}

export interface EngineStats {
  inMsgs: number;
  inBytes: number;
  outMsgs: number;
  outBytes: number;
  slowConsumers: number;
  staleConnections: number;
  subscriptions: number;
}

/** The Rust engine. Owned by one JS thread; every method is synchronous. */
export interface NativeEngine {
  configure(options: EngineOptions): void;
  /** `info` is queued at once; `connectInfo` after the first PONG that follows a protocol-1 CONNECT. */
  openConn(info: Uint8Array, connectInfo: Uint8Array): number;
  closeConn(id: number): void;
  closeWith(id: number, wireError: number, reason: number): void;
  /** Queue an asynchronous INFO if the client takes them (protocol 1, post-CONNECT INFO sent). */
  sendAsyncInfo(id: number, info: Uint8Array): boolean;
  ingest(id: number, chunk: Uint8Array): number;
  takeDirty(ids: Uint32Array): number;
  takeOutbound(id: number): Buffer;
  setBlocked(id: number, blocked: boolean): boolean;
  pendingBytes(id: number): number;
  takeEvents(): EngineEvent[];
  tick(nowMs: number): number;
  setNow(nowMs: number): void;
  connStats(id: number): ConnStats | null;
  stats(): EngineStats;
}

interface Binding {
  NativeEngine: new (options: EngineOptions, seed: number) => NativeEngine;
  coreVersion(): string;
}

function loadBinding(): Binding {
  const require = createRequire(import.meta.url);
  try {
    // dist/src/native/index.js → <repo>/native/binding/index.cjs
    return require('../../../native/binding/index.cjs') as Binding;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new Error(
      `myelin: the native data plane could not be loaded for ${process.platform}-${process.arch} (${detail}).\n` +
        'Build it from source with `npm run build:native` (needs a Rust toolchain: https://rustup.rs).',
    );
  }
}

const binding = loadBinding();

export function createEngine(options: EngineOptions, seed: number): NativeEngine {
  return new binding.NativeEngine(options, seed >>> 0);
}

export function coreVersion(): string {
  return binding.coreVersion();
}

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
  /** Every CONNECT waits for `authorize` (or a close). */
  authEnabled: boolean;
  /** The no_auth_user is a password user: an op before CONNECT is an event (kind 3), not a violation. */
  admitBeforeConnect: boolean;
  /** Protocol tracing (-V): records wait for takeTrace. */
  trace?: boolean;
  /** Traced payloads are cut to this many bytes; 0 = no limit. */
  maxTracedMsgLen?: number;
  /** Trace header blocks instead of payloads (`trace_headers`). */
  traceHeaders?: boolean;
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
  /** Engine clock (ms) of the last PUB, SUB, UNSUB or PING. */
  lastActivityMs: number;
}

/** One subscription, for monitoring. `conn` is the engine slot. */
export interface SubInfo {
  conn: number;
  account: string;
  subject: string;
  queue?: string | null;
  sid: string;
  msgs: number;
  max: number;
}

/** A subscription a config reload removed because its connection's new permissions deny it. */
export interface RemovedSubscription {
  subject: string;
  queue?: string | null;
  sid: string;
}

/** One account's trie counters (shared by all engines) with this engine's match counters for it. */
export interface AccountSublistStats {
  name: string;
  numSubs: number;
  numInserts: number;
  numRemoves: number;
  numMatches: number;
  numCacheHits: number;
  numCache: number;
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

import type { NativeStoreApi, NativeStoreCtor, StoredMsgJs } from './store-types.js';
export type { ExpiredJs, NativeStoreApi, StoreLimitsJs, StoredMsgJs, StreamStateJs } from './store-types.js';

/** The Rust engine of one thread. Every method is synchronous. */
export interface NativeEngine {
  /** Deliver messages other workers forwarded to this engine's subscriptions. */
  drainInbox(): number;
  configure(options: EngineOptions): void;
  /** The `server` block of message trace events (`Nats-Trace-Dest`): JSON without `seq` and `time`. */
  setTraceServer(json: string): void;
  /** `info` is queued at once; `connectInfo` after the first PONG that follows a protocol-1 CONNECT. */
  openConn(info: Uint8Array, connectInfo: Uint8Array): number;
  closeConn(id: number): void;
  closeWith(id: number, wireError: number, reason: number): void;
  /** Queue an asynchronous INFO if the client takes them (protocol 1, post-CONNECT INFO sent). */
  sendAsyncInfo(id: number, info: Uint8Array): boolean;
  /** Send a connection's pending bytes straight to socket `fd`; returns bytes left (-1: error/unsupported). */
  writeOutbound(id: number, fd: number): number;
  /** Parse and route the first `length` bytes of `chunk` (a reused read buffer may hold more). */
  ingest(id: number, chunk: Uint8Array, length: number): number;
  takeDirty(ids: Uint32Array): number;
  takeOutbound(id: number, max?: number): Buffer;
  /** Admit a client into `account` with permissions (ResolvedPermissions JSON, or null). */
  authorize(id: number, account: string, permissions: string | null): number;
  /**
   * Config reload: replace a connection's permissions (JSON or null). Each subscription they deny is removed
   * and the client gets the `(sid "n")` violation; the removed ones are returned for the log.
   */
  setPermissions(id: number, permissions: string | null): RemovedSubscription[];
  setBlocked(id: number, blocked: boolean): boolean;
  pendingBytes(id: number): number;
  /** Some connection, on any thread, is congested: a stalled publisher stays paused while this holds. */
  congested(): boolean;
  takeEvents(): EngineEvent[];
  /** Protocol trace records since the last call: `<slot> <text>\n` each ("" when none). */
  takeTrace(): string;
  tick(nowMs: number): number;
  setNow(nowMs: number): void;
  /**
   * Answer `$JS.API.DIRECT.GET.<stream>[.<subject>]` in `account` from `store` inside the engine, on whichever
   * worker thread receives the request (native/store/src/direct_get.rs). Returns an id for `removeService`.
   */
  registerDirectGet(account: string, stream: string, store: NativeStoreApi, apiLevel: number): number;
  /**
   * Store header-less publishes to a stream's subjects on the receiving thread, shadowing internal connection
   * `slot`'s subscriptions `sids` (they get what it declines); returns an id for `removeService`.
   */
  registerCapture(account: string, stream: string, store: NativeStoreApi, slot: number, sids: string[], onStored: () => void): number;
  removeService(id: number): void;
  /**
   * Let other worker threads write to connection `id`'s socket `fd` directly while it is idle (plain TCP, after
   * CONNECT, nothing queued in Node; native/core/src/direct.rs). From then on every write through Node must be
   * bracketed by setBlocked(true) … setBlocked(false) (OutboundFlusher.writePiece).
   */
  enableDirect(id: number, fd: number): boolean;
  connStats(id: number): ConnStats | null;
  stats(): EngineStats;
  /** Monitoring: one connection's subscriptions. */
  connSubs(id: number): SubInfo[];
  /** Monitoring: every subscription of this engine, or those a publish to the literal `test` would reach. */
  subscriptions(test: string | null): SubInfo[];
  /** Monitoring: per-account sublist counters. */
  accountStats(): AccountSublistStats[];
  /** Open an internal (socketless) connection for the server's own client in `account`. */
  openInternal(account: string): number;
  /** Route a batch of length-prefixed messages from an internal connection. */
  publishInternal(id: number, batch: Uint8Array): number;
  /** Whether a non-internal subscription in `account` matches `subject`. */
  hasInterest(account: string, subject: string): boolean;
}

interface Binding {
  NativeEngine: new (
    options: EngineOptions,
    seed: number,
    routerId: number,
    worker: number,
    onInbox: () => void,
  ) => NativeEngine;
  createRouter(workers: number): number;
  releaseRouter(id: number): void;
  setAccountImports(id: number, json: string): void;
  setAccountMappings(id: number, json: string): void;
  checkSubjectMapping(src: string, dests: string): string | null;
  dupFd(fd: number): number;
  coreVersion(): string;
  isValidLiteralSubject(subject: string): boolean;
  NativeStore: NativeStoreCtor;
  NativeSubjectTransform: new (src: string, dest: string) => NativeSubjectTransformApi;
  validateSubjectMapping(src: string, dest: string): string | null;
  subjectMatches(pattern: string, subject: string): boolean;
  isValidSubject(subject: string): boolean;
  hasWildcard(subject: string): boolean;
  isSubsetMatch(subject: string, filter: string): boolean;
  subjectsCollide(a: string, b: string): boolean;
  readArchiveFile(path: string): StoredMsgJs[];
  msgTtl(hdr: Uint8Array): number;
}

/**
 * The platforms a prebuilt package (`myelin-<platform>`, an optionalDependency of this package) is published
 * for: package.json `napi.targets`, in napi-rs's naming.
 */
export const PREBUILT_PLATFORMS = [
  'linux-x64-gnu',
  'linux-arm64-gnu',
  'linux-x64-musl',
  'linux-arm64-musl',
  'darwin-x64',
  'darwin-arm64',
  'win32-x64-msvc',
  'win32-arm64-msvc',
] as const;

/** napi-rs's name for this platform, e.g. linux-x64-gnu, linux-arm64-musl, darwin-arm64, win32-x64-msvc. */
export function platformName(platform: string = process.platform, arch: string = process.arch, musl = isMusl()): string {
  if (platform === 'linux') return `linux-${arch}-${musl ? 'musl' : 'gnu'}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

/** A Linux whose Node reports no glibc runtime is a musl one (Alpine). */
function isMusl(): boolean {
  if (process.platform !== 'linux') return false;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime === undefined;
}

/** The error for a platform with neither a prebuilt package nor a local build, saying how to build one. */
export function missingBindingMessage(platform: string, details: string[]): string {
  const prebuilt = (PREBUILT_PLATFORMS as readonly string[]).includes(platform);
  return [
    `myelin: the native data plane is not available for ${platform}.`,
    prebuilt
      ? `  The prebuilt package myelin-${platform} is not installed (was it skipped, e.g. with --no-optional?), ` +
        'and there is no local build.'
      : `  No prebuilt package is published for ${platform} (prebuilt: ${PREBUILT_PLATFORMS.join(', ')}), ` +
        'and there is no local build.',
    '  Build it from source: install a Rust toolchain (https://rustup.rs), then run `npm run build:native`',
    '  in the myelin package directory (it writes native/binding/index.<platform>.node).',
    ...details.map((d) => `  (${d})`),
  ].join('\n');
}

/**
 * The addon, from the local build (native/binding, whose napi-rs loader also finds the installed prebuilt
 * package) or, when there is no loader there, from the prebuilt package for this platform directly.
 */
function loadBinding(): Binding {
  const require = createRequire(import.meta.url);
  const platform = platformName();
  const details: string[] = [];
  // dist/src/native/index.js → <repo>/native/binding/index.cjs, then the platform package.
  for (const candidate of ['../../../native/binding/index.cjs', `myelin-${platform}`]) {
    try {
      return require(candidate) as Binding;
    } catch (err) {
      details.push(`${candidate}: ${err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)}`);
    }
  }
  throw new Error(missingBindingMessage(platform, details));
}

const binding = loadBinding();

/** The store behind one JetStream stream (see native/binding/src/store.rs). */
export const NativeStore: NativeStoreCtor = binding.NativeStore;

/** A subject transform of myelin_core::transform (the one implementation; account mappings use it too). */
export interface NativeSubjectTransformApi {
  /** The mapped subject, or null when the subject is not within the source. */
  transform(subject: string): string | null;
}

/** nats-server's NewSubjectTransform from `src` to `dest`; throws its error text. */
export const newSubjectTransform = (src: string, dest: string): NativeSubjectTransformApi =>
  new binding.NativeSubjectTransform(src, dest);

/** nats-server's ValidateMapping of a transform destination: its error text, or null. */
export const validateSubjectMapping = (src: string, dest: string): string | null => binding.validateSubjectMapping(src, dest);

/** Subject matching and validation from myelin_core::subject (the project's one definition). */
export const subjectMatches = (pattern: string, subject: string): boolean => binding.subjectMatches(pattern, subject);

/**
 * The engine of worker `worker` of router `routerId`. `onInbox` runs on this thread when other workers have
 * forwarded messages to it, and should call `drainInbox`. Without a router id the engine gets a router of
 * its own (one worker), as benchmarks and tests want.
 */
export function createEngine(
  options: EngineOptions,
  seed: number,
  routerId: number = createRouter(1),
  worker = 0,
  onInbox: () => void = () => {},
): NativeEngine {
  return new binding.NativeEngine(options, seed >>> 0, routerId, worker, onInbox);
}

/** The routing shared by `workers` engines (one per thread); returns its id. */
export function createRouter(workers: number): number {
  return binding.createRouter(workers);
}

export function releaseRouter(id: number): void {
  binding.releaseRouter(id);
}

/** Install the account import tables (see src/auth/account-imports.ts) in a router: at startup and on config change. */
export function setAccountImports(routerId: number, json: string): void {
  binding.setAccountImports(routerId, json);
}

/** Install every account's subject mappings (see src/config/mappings.ts) in a router: at startup and on config change. */
export function setAccountMappings(routerId: number, json: string): void {
  binding.setAccountMappings(routerId, json);
}

/** nats-server's error text for a subject mapping (AddWeightedMappings), or null when it is valid. */
export function checkSubjectMapping(src: string, dests: { subject: string; weight: number; cluster: string }[]): string | null {
  return binding.checkSubjectMapping(src, JSON.stringify(dests));
}

/** A second file descriptor for the same socket (Unix), so another thread can own it. */
export function dupFd(fd: number): number {
  return binding.dupFd(fd);
}

export function coreVersion(): string {
  return binding.coreVersion();
}

/** nats-server's IsValidLiteralSubject (no empty tokens, no wildcards), from the core's one subject module. */
export function isValidLiteralSubject(subject: string): boolean {
  return binding.isValidLiteralSubject(subject);
}

// The subject predicates the control plane needs (configuration, exports and imports), from the same module.

/** nats-server's IsValidSubject (wildcards allowed, `>` only last, no empty tokens or whitespace). */
export function isValidSubject(subject: string): boolean {
  return typeof subject === 'string' && binding.isValidSubject(subject);
}

/** Whether the subject has a `*` or `>` token. */
export function hasWildcard(subject: string): boolean {
  return binding.hasWildcard(subject);
}

/** True if every subject `subject` can match is also matched by `filter` (nats-server's isSubsetMatch). */
export function isSubsetMatch(subject: string, filter: string): boolean {
  return binding.isSubsetMatch(subject, filter);
}

/** Whether some subject could match both (nats-server's SubjectsCollide). */
export function subjectsCollide(a: string, b: string): boolean {
  return binding.subjectsCollide(a, b);
}

/** A header block's `Nats-TTL` as nats-server reads it: seconds, 0 none, -1 `never`, -2 refused. */
export function msgTtl(hdr: Uint8Array): number {
  return binding.msgTtl(hdr);
}

/** The messages of one cold-storage archive file (`<first>-<last>.blk`), checksums checked. */
export function readArchiveFile(path: string): StoredMsgJs[] {
  return binding.readArchiveFile(path);
}

// Types of the NativeStore binding (native/binding/src/store.rs): one store per JetStream stream.
// Timestamps are Unix nanoseconds as BigInts. Errors are thrown with a message `<code>: <text>`, code one of
// max_msgs, max_bytes, max_msgs_per_subject, msg_too_big, not_found, closed, io, corrupt.

export interface StoreLimitsJs {
  maxMsgs: number;
  maxBytes: number;
  maxAgeNs: bigint;
  maxMsgSize: number;
  maxMsgsPerSubject: number;
  discard: 'old' | 'new';
  discardNewPerSubject: boolean;
  /** `subject_delete_marker_ttl` is set: `expireDue` leaves each subject's last message for a marker. */
  subjectDeleteMarkers: boolean;
}

/** What `expireDue` did: how many messages went, and those left for a subject delete marker (ascending). */
export interface ExpiredJs {
  removed: number;
  awaitMarker: number[];
}

export interface StoredMsgJs {
  seq: number;
  tsNs: bigint;
  subject: string;
  hdr: Buffer;
  msg: Buffer;
}

export interface StreamStateJs {
  msgs: number;
  bytes: number;
  firstSeq: number;
  firstTsNs: bigint;
  lastSeq: number;
  lastTsNs: bigint;
  numDeleted: number;
  numSubjects: number;
}

/** What a file store's recovery found and repaired (native/store/src/file/recovery.rs). */
export interface RecoveryReportJs {
  segments: number;
  fromSummary: number;
  scannedBytes: number;
  msgs: number;
  /** One line per repair, in words. */
  problems: string[];
}

export interface NativeStoreApi {
  store(subject: Uint8Array, hdr: Uint8Array, msg: Uint8Array, tsNs: bigint): number;
  /** Store with `tsNs` as it is (not made later than the last store's): a mirror keeps its origin's times. */
  storeAt(subject: Uint8Array, hdr: Uint8Array, msg: Uint8Array, tsNs: bigint): number;
  /**
   * Store a run of header-less messages framed in `buf` (`index`: six u32 per message, offsets and lengths of
   * subject, reply and body); returns the framed acks then count, last seq, acks length (native/binding/src/ingest.rs).
   */
  storeRun(buf: Uint8Array, index: Uint8Array, tsNs: bigint, ackPrefix: Uint8Array): Buffer;
  sync(): void;
  /** Write buffered messages to the OS, no fsync. */
  flush(): void;
  load(seq: number): StoredMsgJs | null;
  loadNext(start: number, filter: Uint8Array): StoredMsgJs | null;
  /**
   * Up to `maxMsgs` first deliveries from `start` (stopping before `maxBytes`, 0 = no limit), framed as
   * publish records to `route` with replies `<replyPrefix><sseq>.<cseq>.<ts>.<pending>`; layout in
   * native/binding/src/deliver.rs and `DeliveryBatch` (src/jetstream/delivery-batch.ts).
   */
  deliverBatch(
    start: number,
    filter: Uint8Array,
    maxMsgs: number,
    maxBytes: number,
    route: Uint8Array,
    replyPrefix: Uint8Array,
    firstCseq: number,
    pendingBefore: number,
  ): Buffer;
  loadLast(filter: Uint8Array): StoredMsgJs | null;
  seqForTime(tsNs: bigint): number;
  remove(seq: number): boolean;
  purge(filter: Uint8Array, uptoSeq: number, keep: number): number;
  expire(nowNs: bigint): number;
  /** Expiry by max_age and by `Nats-TTL` (native/store/src/ttl.rs). */
  expireDue(nowNs: bigint): ExpiredJs;
  setLimits(limits: StoreLimitsJs): void;
  state(): StreamStateJs;
  subjectsState(filter: Uint8Array): { subject: string; msgs: number }[];
  numPending(start: number, filter: Uint8Array, lastPerSubject: boolean): number;
  destroy(): void;
  /**
   * The policy of the stream's capture (NativeEngine.registerCapture, native/store/src/capture.rs): store
   * header-less publishes on the thread that receives them, ack them (unless `noAck`), call `onStored` after.
   */
  setCapture(enabled: boolean, noAck: boolean, notify: boolean): void;
  /** `count` messages that reached the control plane's subscription while a capture was registered are stored. */
  settleCapture(count: number): void;
  /** The capture's `onStored` notification was taken; the next store sends another. */
  captureNotified(): void;
  /** Null for memory stores. */
  recoveryReport(): RecoveryReportJs | null;
  /**
   * Cold storage: move the oldest sealed segments whose messages are all older than `beforeTsNs` into
   * `archiveDir` (fsynced there before they leave the stream). Returns how many messages moved; 0 for memory.
   */
  archiveOlderThan(beforeTsNs: bigint, archiveDir: string): number;
}

export type NativeStoreCtor = new (storage: string, dir: string, limits: StoreLimitsJs) => NativeStoreApi;

// What streams and consumers need from the JetStream service around them.

import type { InternalClient } from '../internal/internal-client.js';
import type { StreamConfig } from './defaults.js';
import type { Feeds } from './feeds.js';
import type { Consumer } from './consumer.js';
import type { Stream } from './stream.js';

export interface JsContext {
  readonly client: InternalClient;
  readonly maxPayload: number;
  /** The server's name, reported as the cluster leader in stream info. */
  readonly serverName: string;
  /** The account's mirrors and sources (feeds.ts): told when a stream's store changed, asked for stream info. */
  readonly feeds: Feeds;
  /** A store was written: sync it (with every other written store) before the turn's acks go out. */
  markWritten(stream: Stream): void;
  /** Run the group commit now, for stores made outside a delivery batch (a due message schedule). */
  commit(): void;
  /** Let a consumer deliver again at the end of the current delivery batch (after its acks), once. */
  pumpSoon(consumer: Consumer): void;
  /** Queue a publish acknowledgement; it is sent after the turn's sync of `stream`, or replaced by an error. */
  queueAck(stream: Stream, reply: string, body: string): void;
  /** Queue publish acks already framed as publish records (`Stream`'s native ingest), sent like `queueAck`'s. */
  queueAckFrames(stream: Stream, frames: Buffer): void;
  /** Publish an advisory on `$JS.EVENT.ADVISORY.…`. */
  advisory(subject: string, body: Record<string, unknown>): void;
  /**
   * Whether a stream's header-less publishes may be stored and acked on the receiving thread as far as the
   * service is concerned: its acks do not wait for an fsync, and its storage type is far from the server limit.
   */
  captureAllowed(config: StreamConfig): boolean;
  /** Whether the server's max_memory_store / max_file_store is used up for this storage type. */
  storageFull(storage: 'file' | 'memory'): boolean;
  /** Bytes the account may still store of a storage type (Infinity without a limit); 0 or less: full. */
  accountHeadroom(storage: 'file' | 'memory'): number;
  /** Save a stream's or consumer's metadata (config, creation time) next to its store. */
  saveMeta(stream: Stream): void;
}

// Mirrors and sources of streams on this server and account: each is a *feed* that reads its origin's
// NativeStore directly (no consumer protocol), driven by the origin's store notifications
// (`Stream.notifyConsumers`, after the turn's sync or a capture's store), a catch-up when it is attached (stream
// create, restart, origin created later) and the service tick (which also retries a feed the target refused).
// A feed takes at most PULL_BUDGET messages per turn and continues on the next (`setImmediate`), so catching up
// a large origin does not hold the loop. Its stores are made durable by the service's next commit
// (`scheduleCommit`), like publishes.

import { type ApiError, apiError } from './errors.js';
import type { Stream } from './stream.js';
import { nowNs } from './wire.js';

/** Messages a feed takes per loop turn. */
export const PULL_BUDGET = 4096;
/** nats-server's sources are heard from at least this often (idle heartbeats) while the origin is there. */
const HEARTBEAT_NS = 1_000_000_000n;

export interface Feed {
  /** The origin stream's name. */
  readonly origin: string;
  /** Position the feed (once its origin exists): where a mirror or a source continues. */
  start(origin: Stream, target: Stream): void;
  /**
   * Store up to `budget` of the origin's messages past the feed's position; returns how many it took. `took`
   * is told of each, after the position moved past it (an interest or work-queue origin may let it go then).
   */
  pull(origin: Stream, target: Stream, budget: number, took?: (seq: number, subject: string) => void): number;
  /** The last origin sequence taken. */
  readonly position: number;
  /** Whether the feed takes messages on `subject` (its filter or transform sources). */
  wants(subject: string): boolean;
  /** Whether `start` ran (the origin was found once). */
  started: boolean;
  /** The last pull stopped at its budget: continue on the next turn. */
  readonly behind: boolean;
  /** The target refused a message (a limit): retry on the tick. */
  readonly refused: boolean;
  /** StreamSourceInfo: name, lag, active, error, filter_subject. */
  info(now: bigint, error: ApiError | undefined): Record<string, unknown>;
  /** The tick found the origin missing: info reports nats-server's `stream not found` error. */
  missing: boolean;
  /** Unix ns when the origin was last heard from; 0 if never. */
  heard: bigint;
}

export interface FeedMaker {
  mirror(target: Stream): Feed | undefined;
  sources(target: Stream): Feed[];
}

export class Feeds {
  /** Target stream name → its feeds (a mirror's one, or one per source). */
  private readonly byTarget = new Map<string, Feed[]>();
  private continueScheduled = false;

  constructor(
    private readonly streams: Map<string, Stream>,
    private readonly make: FeedMaker,
    /** A feed stored messages: the service must commit (sync, notify) them even if no client traffic follows. */
    private readonly scheduleCommit: () => void,
  ) {}

  /** A stream was created or restored: start its own feeds, and feed whoever reads from it. */
  streamAdded(s: Stream): void {
    this.attach(s);
    this.originChanged(s);
  }

  /** A stream's config changed: its sources may have (a mirror cannot change, but may be removed). */
  streamUpdated(s: Stream): void {
    this.byTarget.delete(s.name);
    this.attach(s);
  }

  streamRemoved(s: Stream): void {
    this.byTarget.delete(s.name);
  }

  /**
   * Whether a feed of `origin` has yet to take `seq` (0: a new message) on `subject`: what keeps a message of
   * an interest-retention origin, as nats-server's mirror and source consumers count as interest.
   */
  wants(origin: Stream, subject: string, seq: number): boolean {
    for (const feeds of this.byTarget.values()) {
      for (const f of feeds) {
        if (f.origin !== origin.name || (seq > 0 && f.position >= seq)) continue;
        if (f.wants(subject)) return true;
      }
    }
    return false;
  }

  hasFollowers(origin: Stream): boolean {
    for (const feeds of this.byTarget.values()) for (const f of feeds) if (f.origin === origin.name) return true;
    return false;
  }

  /** The origin stored (or removed) messages: every feed reading it pulls. */
  originChanged(origin: Stream): void {
    if (this.byTarget.size === 0) return;
    for (const [name, feeds] of this.byTarget) {
      const target = this.streams.get(name);
      if (target === undefined) continue;
      for (const f of feeds) if (f.origin === origin.name) this.pull(f, origin, target);
    }
  }

  /** The `mirror` / `sources` fields of the stream's info. */
  info(s: Stream): Record<string, unknown> {
    const feeds = this.byTarget.get(s.name);
    if (feeds === undefined) return {};
    const now = nowNs();
    const info = (f: Feed) => f.info(now, f.missing ? apiError('StreamNotFound') : undefined);
    if (s.config.mirror !== undefined) return feeds[0] !== undefined ? { mirror: info(feeds[0]) } : {};
    return { sources: feeds.map(info) };
  }

  /** Service tick: heartbeats from origins that are there, and retries of feeds left behind. */
  tick(): void {
    if (this.byTarget.size === 0) return;
    const now = nowNs();
    for (const [name, feeds] of this.byTarget) {
      const target = this.streams.get(name);
      if (target === undefined) continue;
      for (const f of feeds) {
        const origin = this.streams.get(f.origin);
        f.missing = origin === undefined;
        if (origin === undefined) continue;
        if (now - f.heard >= HEARTBEAT_NS) f.heard = now;
        if (f.behind || f.refused || !f.started) this.pull(f, origin, target);
      }
    }
  }

  private attach(s: Stream): void {
    const mirror = this.make.mirror(s);
    const feeds = mirror !== undefined ? [mirror] : this.make.sources(s);
    if (feeds.length === 0) return;
    this.byTarget.set(s.name, feeds);
    for (const f of feeds) {
      const origin = this.streams.get(f.origin);
      if (origin !== undefined) this.pull(f, origin, s);
    }
    s.updateCapture();
  }

  private pull(f: Feed, origin: Stream, target: Stream): void {
    if (!f.started) {
      f.started = true;
      f.start(origin, target);
      origin.updateCapture(); // the origin's captured stores must now notify
    }
    f.heard = nowNs();
    // What a feed took from an interest or work-queue origin is acknowledged, as by nats-server's consumer.
    const took = origin.config.retention === 'limits' ? undefined : (seq: number, subject: string) => origin.onAcked(seq, subject);
    if (f.pull(origin, target, PULL_BUDGET, took) > 0) this.scheduleCommit();
    if (f.behind) this.continueSoon();
  }

  /** A feed stopped at its budget: continue on the next loop turn rather than wait for the tick. */
  private continueSoon(): void {
    if (this.continueScheduled) return;
    this.continueScheduled = true;
    setImmediate(() => {
      this.continueScheduled = false;
      for (const [name, feeds] of this.byTarget) {
        const target = this.streams.get(name);
        if (target === undefined) continue;
        for (const f of feeds) {
          const origin = this.streams.get(f.origin);
          if (origin !== undefined && f.behind) this.pull(f, origin, target);
        }
      }
    });
  }
}

// A stream's `mirror` of a stream on this server (nats-server's processInboundMirrorMsg): every message of the
// origin (past `filter_subject`, if set) is stored under the origin's sequence and with its timestamp and
// headers. Sequences the mirror does not receive (deleted in the origin, or filtered out) are skipped: an
// empty mirror moves its first sequence up (nats-server's Compact, a purge past the end), otherwise each
// skipped sequence is stored and removed at once, so it counts as deleted as in nats-server's SkipMsgs.
// The position is the mirror's own last sequence, so a restart continues from there.

import type { ApiError } from './errors.js';
import { FeedFilter } from './feed-filter.js';
import type { Feed } from './feeds.js';
import type { Stream } from './stream.js';
import type { StreamSource } from './upstream-config.js';
import { parseTime } from './wire.js';

const EMPTY = Buffer.alloc(0);
const SKIPPED = Buffer.from('_');

/** The first origin sequence a new mirror or source takes: `opt_start_seq`, `opt_start_time`, else the first. */
export function firstWanted(origin: Stream, src: StreamSource): number {
  if (src.opt_start_seq !== undefined) return src.opt_start_seq;
  if (src.opt_start_time !== undefined) return origin.store.seqForTime(parseTime(src.opt_start_time));
  return 1;
}

export class MirrorFeed implements Feed {
  readonly origin: string;
  private readonly filter: FeedFilter;
  /** The last origin sequence taken (the mirror's last sequence). */
  private sseq = 0;
  private lag = 0;
  started = false;
  behind = false;
  refused = false;
  heard = 0n;
  missing = false;

  constructor(private readonly src: StreamSource) {
    this.origin = src.name;
    this.filter = new FeedFilter(src);
  }

  start(origin: Stream, target: Stream): void {
    this.sseq = target.store.state().lastSeq;
    // A mirror that never stored anything starts where its config says; it begins at that sequence.
    if (this.sseq === 0) this.sseq = Math.max(0, firstWanted(origin, this.src) - 1);
  }

  get position(): number {
    return this.sseq;
  }

  wants(subject: string): boolean {
    return this.filter.wants(subject);
  }

  pull(origin: Stream, target: Stream, budget: number, took?: (seq: number, subject: string) => void): number {
    let taken = 0;
    this.refused = false;
    this.behind = false;
    let last = target.store.state().lastSeq;
    while (taken < budget) {
      const m = origin.store.loadNext(this.sseq + 1, this.filter.storeFilter);
      if (m === null) break;
      taken++;
      if (!this.filter.matches(m.subject)) {
        this.sseq = m.seq; // a gap in the mirror, skipped with the next message taken
        continue;
      }
      try {
        if (m.seq > last + 1) {
          const [skippedTo, cost] = this.skip(target, last, m.seq - 1, m.tsNs, budget - taken);
          last = skippedTo;
          taken += cost;
          if (last < m.seq - 1) break; // a long gap continues on the next turn
        }
        last = target.storeMirrored(this.filter.map(m.subject), m.hdr, m.msg, m.tsNs);
      } catch {
        this.refused = true; // a limit of the mirror (discard new): try again later
        break;
      }
      this.sseq = m.seq;
      took?.(m.seq, m.subject);
    }
    this.behind = taken >= budget;
    this.lag = this.filter.pending(origin.store, this.sseq + 1);
    return taken;
  }

  /**
   * Make the mirror's sequences after `last` up to `to` deleted ones, as nats-server's SkipMsgs / Compact do,
   * at most `budget` of them when each costs a store and a remove (they are made durable with the next
   * message stored). Returns the mirror's last sequence after it and how many stores that took.
   */
  private skip(target: Stream, last: number, to: number, tsNs: bigint, budget: number): [number, number] {
    if (target.store.state().msgs === 0) {
      target.store.purge(EMPTY, to + 1, 0);
      return [to, 1];
    }
    const end = Math.min(to, last + Math.max(1, budget));
    for (let seq = last + 1; seq <= end; seq++) target.store.remove(target.store.storeAt(SKIPPED, EMPTY, EMPTY, tsNs));
    return [end, end - last];
  }

  info(now: bigint, error: ApiError | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.origin, lag: this.lag, active: this.heard === 0n ? -1 : Number(now - this.heard) };
    if (error !== undefined) out.error = error;
    return { ...out, ...this.filter.infoFields() };
  }
}

/** The mirror feed of a stream whose config has one. */
export function mirrorOf(target: Stream): MirrorFeed | undefined {
  const m = target.config.mirror as StreamSource | undefined;
  return m !== undefined ? new MirrorFeed(m) : undefined;
}

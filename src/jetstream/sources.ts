// A stream's `sources` on this server (nats-server's processInboundSourceMsg): each origin's messages (past
// the source's `filter_subject`) are stored through the stream's publish checks with a new sequence and time,
// their `Nats-Stream-Source`, `Nats-Expected-*` and `Nats-Batch-*` headers dropped and a new
// `Nats-Stream-Source: <origin> <origin seq> <filter> <dest> <subject>` added. After a restart each source
// continues after the origin sequence in the newest such header of its own (nats-server's
// setStartingSequenceForSources), read back from the store newest first.

import type { ApiError } from './errors.js';
import { FeedFilter } from './feed-filter.js';
import type { Feed } from './feeds.js';
import { firstWanted } from './mirror.js';
import type { Stream } from './stream.js';
import { indexName, type StreamSource } from './upstream-config.js';

const SOURCE_HEADER = 'nats-stream-source';

/** The header block without the headers a sourced message must not carry over, then the new source header. */
function sourcedHeaders(hdr: Buffer, value: string): Buffer {
  const lines = hdr.length > 0 ? hdr.toString('utf8').split('\r\n').slice(0, -2) : ['NATS/1.0'];
  const kept = lines.filter((l, i) => {
    if (i === 0) return true;
    const name = l.slice(0, Math.max(0, l.indexOf(':'))).trim().toLowerCase();
    return name !== SOURCE_HEADER && !name.startsWith('nats-expected-') && !name.startsWith('nats-batch-');
  });
  kept.push(`Nats-Stream-Source: ${value}`);
  return Buffer.from(`${kept.join('\r\n')}\r\n\r\n`);
}

/** (index name or '', stream name, origin sequence) of a Nats-Stream-Source value, as nats-server's streamAndSeq. */
function parseSourceHeader(v: string): { iname: string; stream: string; seq: number } | undefined {
  if (v.startsWith('$JS.ACK.')) {
    const t = v.split('.');
    return t.length === 9 ? { iname: '', stream: t[2] as string, seq: Number(t[5]) } : undefined;
  }
  const f = v.split(' ');
  if (f.length !== 2 && f.length <= 3) return undefined;
  const seq = Number(f[1]);
  if (!Number.isFinite(seq)) return undefined;
  return f.length >= 4 ? { iname: `${f[0]} ${f[2]} ${f[3]}`, stream: f[0] as string, seq } : { iname: '', stream: f[0] as string, seq };
}

function headerValue(hdr: Buffer, name: string): string | undefined {
  if (hdr.length === 0) return undefined;
  for (const line of hdr.toString('utf8').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) return line.slice(colon + 1).trim();
  }
  return undefined;
}

export class SourceFeed implements Feed {
  readonly origin: string;
  readonly iname: string;
  private readonly filter: FeedFilter;
  /** The last origin sequence taken; 0 before the first. */
  sseq = 0;
  /** Set when the position came from the stored headers (restart). */
  resumed = false;
  private lag = 0;
  started = false;
  behind = false;
  refused = false;
  heard = 0n;
  missing = false;

  constructor(private readonly src: StreamSource) {
    this.origin = src.name;
    this.iname = indexName(src);
    this.filter = new FeedFilter(src);
  }

  start(origin: Stream): void {
    if (!this.resumed) this.sseq = Math.max(0, firstWanted(origin, this.src) - 1);
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
    const [stream, filter, dest] = this.iname.split(' ') as [string, string, string];
    for (; taken < budget; taken++) {
      const m = origin.store.loadNext(this.sseq + 1, this.filter.storeFilter);
      if (m === null) break;
      if (!this.filter.matches(m.subject)) {
        this.sseq = m.seq;
        continue;
      }
      const hdr = sourcedHeaders(m.hdr, `${stream} ${m.seq} ${filter} ${dest} ${m.subject}`);
      if (!target.storeSourced(this.filter.map(m.subject), hdr, m.msg)) {
        this.refused = true;
        break;
      }
      this.sseq = m.seq;
      took?.(m.seq, m.subject);
    }
    this.behind = taken === budget;
    this.lag = this.filter.pending(origin.store, this.sseq + 1);
    return taken;
  }

  info(now: bigint, error: ApiError | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.origin, lag: this.lag, active: this.heard === 0n ? -1 : Number(now - this.heard) };
    if (error !== undefined) out.error = error;
    return { ...out, ...this.filter.infoFields() };
  }
}

/** The source feeds of a stream, positioned from the Nats-Stream-Source headers it already holds. */
export function sourcesOf(target: Stream): SourceFeed[] {
  const feeds = ((target.config.sources as StreamSource[] | undefined) ?? []).map((s) => new SourceFeed(s));
  if (feeds.length === 0) return feeds;
  const waiting = new Map(feeds.map((f) => [f.iname, f]));
  const st = target.store.state();
  if (st.msgs === 0) return feeds;
  for (let seq = st.lastSeq; seq >= st.firstSeq && waiting.size > 0; seq--) {
    const m = target.store.load(seq);
    const v = m !== null ? headerValue(m.hdr, SOURCE_HEADER) : undefined;
    const h = v !== undefined ? parseSourceHeader(v) : undefined;
    if (h === undefined) continue;
    let f = h.iname !== '' ? waiting.get(h.iname) : undefined;
    if (h.iname === '') for (const w of waiting.values()) if (w.origin === h.stream) f ??= w;
    if (f === undefined) continue;
    f.sseq = h.seq;
    f.resumed = true;
    waiting.delete(f.iname);
  }
  return feeds;
}

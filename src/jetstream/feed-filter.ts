// What a mirror or source takes from its origin and under which subject: its `filter_subject`, or its
// `subject_transforms` (each a filter, `src`, with an optional mapping to `dest`; the first that matches
// maps the subject), as nats-server's sourceInfo keeps them (`sf`, `sfs`, `trs`).

import { type NativeStoreApi, subjectMatches } from '../native/index.js';
import { SubjectTransform } from './subject-transform.js';
import type { StreamSource } from './upstream-config.js';

const ALL = Buffer.alloc(0);

export class FeedFilter {
  /** The filters (empty: everything). */
  private readonly filters: string[];
  /** Per filter, its transform (undefined: the subject is kept). */
  private readonly transforms: (SubjectTransform | undefined)[];
  /** The one filter the store can apply itself (empty when there are several or none). */
  readonly storeFilter: Buffer;

  constructor(private readonly src: StreamSource) {
    const trs = src.subject_transforms ?? [];
    if (trs.length > 0) {
      this.filters = trs.map((t) => (t.src === '' ? '>' : t.src));
      this.transforms = trs.map((t) => {
        const tr = t.dest !== '' ? SubjectTransform.build(t.src, t.dest) : undefined;
        return typeof tr === 'string' ? undefined : tr;
      });
    } else {
      this.filters = src.filter_subject !== undefined ? [src.filter_subject] : [];
      this.transforms = [];
    }
    this.storeFilter = this.filters.length === 1 ? Buffer.from(this.filters[0] as string) : ALL;
  }

  /** Whether a message on `subject` is taken. */
  matches(subject: string): boolean {
    return this.filters.length <= 1 || this.filters.some((f) => subjectMatches(f, subject));
  }

  /** Whether any filter covers `subject` (for a single filter the store did not apply). */
  wants(subject: string): boolean {
    return this.filters.length === 0 || this.filters.some((f) => subjectMatches(f, subject));
  }

  /** The subject a taken message is stored under. */
  map(subject: string): string {
    for (let i = 0; i < this.transforms.length; i++) {
      const tr = this.transforms[i];
      if (tr === undefined || !subjectMatches(this.filters[i] as string, subject)) continue;
      const mapped = tr.match(subject);
      if (mapped !== undefined) return mapped;
    }
    return subject;
  }

  /** Messages of the origin from `seq` on that would be taken. */
  pending(store: NativeStoreApi, seq: number): number {
    if (this.filters.length <= 1) return store.numPending(seq, this.storeFilter, false);
    let n = 0;
    for (const f of this.filters) n += store.numPending(seq, Buffer.from(f), false);
    return n;
  }

  /** `filter_subject` and `subject_transforms` of the feed's info, as nats-server reports them. */
  infoFields(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.src.filter_subject !== undefined) out.filter_subject = this.src.filter_subject;
    const trs = this.src.subject_transforms;
    if (trs !== undefined && trs.length > 0) {
      out.subject_transforms = trs.map((t, i) => ({ src: t.src, dest: this.transforms[i] !== undefined ? t.dest : '' }));
    }
    return out;
  }
}

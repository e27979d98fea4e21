// Where a new consumer starts: its deliver policy's first stream sequence (a restored durable resumes from o.dat).

import type { NativeStoreApi } from '../native/index.js';
import type { ConsumerConfig } from './defaults.js';
import { parseTime } from './wire.js';

/**
 * The first stream sequence to deliver for a new consumer, per deliver_policy, and for last_per_subject the
 * sequences to deliver first (the last message of each subject matching `filters`), ascending.
 */
export function startPosition(
  store: NativeStoreApi,
  config: ConsumerConfig,
  filters: string[],
): { nextSeq: number; lastPerSubject: number[] } {
  const state = store.state();
  switch (config.deliver_policy) {
    case 'last': {
      let last = 0;
      for (const f of filters) last = Math.max(last, store.loadLast(Buffer.from(f))?.seq ?? 0);
      return { nextSeq: last > 0 ? last : state.lastSeq + 1, lastPerSubject: [] };
    }
    case 'new':
      return { nextSeq: state.lastSeq + 1, lastPerSubject: [] };
    case 'by_start_sequence':
      return { nextSeq: Math.max(1, config.opt_start_seq ?? 1), lastPerSubject: [] };
    case 'by_start_time':
      return { nextSeq: store.seqForTime(parseTime(config.opt_start_time ?? '')), lastPerSubject: [] };
    case 'last_per_subject': {
      const seqs: number[] = [];
      for (const f of filters) {
        for (const s of store.subjectsState(Buffer.from(f))) {
          const m = store.loadLast(Buffer.from(s.subject));
          if (m !== null) seqs.push(m.seq);
        }
      }
      return { nextSeq: state.lastSeq + 1, lastPerSubject: seqs.sort((a, b) => a - b) };
    }
    default:
      return { nextSeq: Math.max(1, state.firstSeq), lastPerSubject: [] };
  }
}

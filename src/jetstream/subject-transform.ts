// A subject transform as nats-server's (non-strict) NewSubjectTransform builds one for a stream's republish:
// the source may hold `*` and a trailing `>`; the destination names what the N-th `*` matched with `$N` or
// `{{wildcard(N)}}`, and a trailing `>` carries what the source's `>` matched. The other mapping functions
// (partition, split, …) are not supported: a destination using them is refused as invalid.

import { isSubsetMatch, isValidSubject } from '../native/index.js';

type Part = { literal: string } | { wildcard: number };

function placeholder(token: string): number | undefined | 'bad' {
  if (token.length > 1 && token.startsWith('$')) {
    const n = Number(token.slice(1));
    // A `$` token that is not a number is a literal for nats-server too.
    return Number.isInteger(n) && /^\d+$/.test(token.slice(1)) ? n : undefined;
  }
  if (token.length > 4 && token.startsWith('{{') && token.endsWith('}}')) {
    const m = /^\{\{\s*wildcard\s*\(\s*(\d+)\s*\)\s*\}\}$/i.exec(token);
    return m !== null ? Number(m[1]) : 'bad';
  }
  return undefined;
}

export class SubjectTransform {
  private constructor(
    private readonly src: string,
    private readonly srcTokens: number,
    /** Undefined: the destination is the subject itself (`>` to `>`). */
    private readonly parts: Part[] | undefined,
    private readonly destFwc: boolean,
  ) {}

  /** The transform from `src` (empty: `>`) to `dest`, or undefined when nats-server would refuse it. */
  static create(src: string, dest: string): SubjectTransform | undefined {
    const t = SubjectTransform.build(src, dest);
    return typeof t === 'string' ? undefined : t;
  }

  /** The transform, or why nats-server's NewSubjectTransform refuses it (its error text). */
  static build(src: string, dest: string): SubjectTransform | string {
    if (src === '') src = '>';
    const stoks = src.split('.');
    const dtoks = dest.split('.');
    const srcFwc = stoks[stoks.length - 1] === '>';
    const destFwc = dtoks[dtoks.length - 1] === '>';
    if (!isValidSubject(src) || !isValidSubject(dest) || dtoks.includes('*') || srcFwc !== destFwc) return 'invalid subject';
    if (src === '>' && dest === '>') return new SubjectTransform(src, stoks.length, undefined, true);
    // The source token index of the N-th `*`.
    const pwcs: number[] = [];
    stoks.forEach((t, i) => {
      if (t === '*') pwcs.push(i);
    });
    const parts: Part[] = [];
    for (const token of destFwc ? dtoks.slice(0, -1) : dtoks) {
      const n = placeholder(token);
      if (n === 'bad') return `invalid mapping destination: mapping function not supported by Myelin in ${token}`;
      if (n === undefined) {
        parts.push({ literal: token });
        continue;
      }
      const at = pwcs[n - 1];
      if (at === undefined) {
        const literalSource = pwcs.length === 0 && !srcFwc;
        return `invalid mapping destination: wildcard index out of range in ${token}${literalSource ? '' : `: [${n}]`}`;
      }
      parts.push({ wildcard: at });
    }
    return new SubjectTransform(src, stoks.length, parts, destFwc);
  }

  /** The mapped subject, or undefined when `subject` is not within the source. */
  match(subject: string): string | undefined {
    if (this.parts === undefined) return subject;
    if (this.src !== '>' && !isSubsetMatch(subject, this.src)) return undefined;
    const toks = subject.split('.');
    const out = this.parts.map((p) => ('literal' in p ? p.literal : (toks[p.wildcard] as string)));
    if (this.destFwc) out.push(...toks.slice(this.srcTokens - 1));
    return out.join('.');
  }
}

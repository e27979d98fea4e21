// A subject transform as nats-server's (non-strict) NewSubjectTransform builds one for a stream's republish and
// the subject_transforms of mirrors and sources: the implementation (every mapping function, the error texts)
// is myelin_core::transform, the one account mappings use.

import { newSubjectTransform, type NativeSubjectTransformApi } from '../native/index.js';

export class SubjectTransform {
  private constructor(private readonly native: NativeSubjectTransformApi) {}

  /** The transform from `src` (empty: `>`) to `dest`, or undefined when nats-server would refuse it. */
  static create(src: string, dest: string): SubjectTransform | undefined {
    const t = SubjectTransform.build(src, dest);
    return typeof t === 'string' ? undefined : t;
  }

  /** The transform, or why nats-server's NewSubjectTransform refuses it (its error text). */
  static build(src: string, dest: string): SubjectTransform | string {
    try {
      return new SubjectTransform(newSubjectTransform(src, dest));
    } catch (e) {
      return (e as Error).message;
    }
  }

  /** The mapped subject, or undefined when `subject` is not within the source. */
  match(subject: string): string | undefined {
    return this.native.transform(subject) ?? undefined;
  }
}

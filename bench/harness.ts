// The only file that knows which micro-benchmark library runs the cases (today `benchmark`).
// Swapping the library means rewriting this file only: callers see Case in, Result out.

import Benchmark from 'benchmark';

export interface Case {
  name: string;
  fn: () => void;
  /** Units of work one call of fn does, e.g. { bytes: 65536, msgs: 1820 }; rates are hz × these. */
  per?: Record<string, number>;
}

export interface Result {
  name: string;
  /** Calls of fn per second (mean), its relative margin of error (%), and how many samples it took. */
  hz: number;
  rme: number;
  samples: number;
  per: Record<string, number>;
}

/** Run cases one after another, each for about maxTimeS seconds. */
export function runCases(cases: Case[], maxTimeS: number): Result[] {
  const suite = new Benchmark.Suite();
  for (const c of cases) suite.add(c.name, c.fn, { maxTime: maxTimeS, minSamples: 5, initCount: 1 });
  const out: Result[] = [];
  suite.on('cycle', (ev: Benchmark.Event) => {
    const b = ev.target as unknown as Benchmark & { name: string; error?: unknown };
    if (b.error) throw b.error;
    const c = cases.find((x) => x.name === b.name)!;
    out.push({ name: b.name, hz: b.hz ?? 0, rme: b.stats?.rme ?? 0, samples: b.stats?.sample.length ?? 0, per: c.per ?? {} });
  });
  suite.run({ async: false });
  return out;
}

#!/usr/bin/env node
// Runs every compiled TypeScript test file (dist/test/**/*.test.js) with node's test runner, one file at a
// time: each file starts its own servers on random ports, and the machine may have only two cores.
// Optional arguments narrow the run to files under the given folders, e.g. `dist/test/proto`.
// A full run (no arguments) then runs the JetStream folder once more with `sync_interval: "2m"`, the policy
// under which the engine stores header-less publishes itself (native/store/src/capture.rs), so both publish
// paths are tested.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) find(path, out);
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const roots = process.argv.slice(2);
const files = (roots.length > 0 ? roots : ['dist/test']).flatMap((r) => find(r, [])).sort();
if (files.length === 0) {
  console.error('no test files found: run `npm run build:ts` first');
  process.exit(1);
}
const run = (list, env) => spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...list], { stdio: 'inherit', env }).status ?? 1;
let status = run(files, process.env);
if (status === 0 && roots.length === 0) {
  console.log('# JetStream again, under sync_interval "2m" (publishes stored on the receiving thread)');
  status = run(find('dist/test/jetstream', []).sort(), { ...process.env, MYELIN_TEST_JS_CONFIG: 'jetstream { sync_interval: "2m" }' });
}
process.exit(status);

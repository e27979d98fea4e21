// GitHub cannot run here, so the workflow files are checked where they are written: every file under
// .github/workflows parses as YAML, passes the GitHub workflow JSON schema (SchemaStore's, as compiled into
// @action-validator/core), and pins every action to a full commit SHA. The release matrix, the napi-rs
// targets in package.json, the npm/<platform> packages and the loader's list of prebuilt platforms must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { validateWorkflow, type ValidationError } from '@action-validator/core';
import { parse } from 'yaml';

import { repoRoot } from '../helpers/server.js';
import { PREBUILT_PLATFORMS } from '../../src/native/index.js';

const workflowDir = join(repoRoot, '.github', 'workflows');
const workflowFiles = readdirSync(workflowDir).filter((f) => /\.ya?ml$/.test(f)).sort();

type Step = { uses?: string; run?: string };
type Job = { 'runs-on'?: unknown; uses?: string; steps?: Step[]; strategy?: { matrix?: Record<string, unknown> } };
type Workflow = { jobs: Record<string, Job> };

function load(file: string): Workflow {
  return parse(readFileSync(join(workflowDir, file), 'utf8'), { uniqueKeys: true, strict: true }) as Workflow;
}

/** Every `uses:` of a workflow: step actions and reusable workflows. */
function usesOf(wf: Workflow): string[] {
  const out: string[] = [];
  for (const job of Object.values(wf.jobs)) {
    if (job.uses !== undefined) out.push(job.uses);
    for (const step of job.steps ?? []) if (step.uses !== undefined) out.push(step.uses);
  }
  return out;
}

function describeErrors(errors: ValidationError[]): string {
  return JSON.stringify(errors, null, 1);
}

test('there are workflows to check', () => {
  assert.ok(workflowFiles.includes('ci.yml'));
  assert.ok(workflowFiles.includes('release.yml'));
});

for (const file of workflowFiles) {
  test(`${file}: YAML, the GitHub workflow schema, actions pinned by commit SHA`, () => {
    const text = readFileSync(join(workflowDir, file), 'utf8');
    const wf = load(file);
    assert.equal(typeof wf.jobs, 'object');

    const { errors } = validateWorkflow(text);
    assert.deepEqual(errors, [], `${file} does not match the workflow schema: ${describeErrors(errors)}`);

    for (const uses of usesOf(wf)) {
      if (uses.startsWith('./') || uses.startsWith('docker://')) continue;
      assert.match(uses, /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/, `${file}: ${uses} is not pinned to a commit SHA`);
    }
    // The tag a SHA stands for is written beside it, so a reader (and a bump) knows what it is.
    for (const line of text.split('\n')) {
      if (/^\s*(- )?uses: [^.]/.test(line) && !line.includes('docker://')) {
        assert.match(line, /@[0-9a-f]{40} # v\d/, `${file}: no "# vX" comment on: ${line.trim()}`);
      }
    }
  });
}

test('an action is pinned to the same SHA in every workflow', () => {
  const pins = new Map<string, Set<string>>();
  for (const file of workflowFiles) {
    for (const uses of usesOf(load(file))) {
      const [action, sha] = uses.split('@') as [string, string];
      if (!pins.has(action)) pins.set(action, new Set());
      pins.get(action)!.add(sha);
    }
  }
  for (const [action, shas] of pins) assert.equal(shas.size, 1, `${action} is pinned to ${[...shas].join(' and ')}`);
});

test('the schema check has teeth: a broken workflow is rejected', () => {
  const broken = 'name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz:\n      - run: echo\n';
  assert.notDeepEqual(validateWorkflow(broken).errors, []);
});

test('ci.yml tests on Ubuntu, macOS and Windows with Node 20 and 22', () => {
  const matrix = load('ci.yml').jobs.test?.strategy?.matrix as { os: string[]; node: number[] };
  assert.deepEqual([...matrix.os].sort(), ['macos-latest', 'ubuntu-latest', 'windows-latest']);
  assert.deepEqual([...matrix.node].sort(), [20, 22]);
});

/** napi-rs's platform directory for a Rust target triple. */
const PLATFORM_OF: Record<string, string> = {
  'x86_64-unknown-linux-gnu': 'linux-x64-gnu',
  'aarch64-unknown-linux-gnu': 'linux-arm64-gnu',
  'x86_64-unknown-linux-musl': 'linux-x64-musl',
  'aarch64-unknown-linux-musl': 'linux-arm64-musl',
  'x86_64-apple-darwin': 'darwin-x64',
  'aarch64-apple-darwin': 'darwin-arm64',
  'x86_64-pc-windows-msvc': 'win32-x64-msvc',
  'aarch64-pc-windows-msvc': 'win32-arm64-msvc',
};

test('release targets: the build matrix, package.json napi.targets, npm/<platform> packages and the loader agree', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    version: string;
    napi: { binaryName: string; packageName: string; targets: string[] };
  };
  const include = (load('release.yml').jobs.build?.strategy?.matrix as { include: { target: string }[] }).include;
  const built = include.map((e) => e.target).sort();
  assert.deepEqual(built, [...pkg.napi.targets].sort());
  assert.deepEqual(built, Object.keys(PLATFORM_OF).sort());

  const platforms = pkg.napi.targets.map((t) => PLATFORM_OF[t] as string);
  assert.deepEqual([...platforms].sort(), [...PREBUILT_PLATFORMS].sort());
  for (const platform of platforms) {
    const file = join(repoRoot, 'npm', platform, 'package.json');
    assert.ok(existsSync(file), `missing ${file} (run \`npx napi create-npm-dirs\`)`);
    const sub = JSON.parse(readFileSync(file, 'utf8')) as { name: string; version: string; main: string };
    assert.equal(sub.name, `${pkg.napi.packageName}-${platform}`);
    assert.equal(sub.main, `${pkg.napi.binaryName}.${platform}.node`);
    assert.equal(sub.version, pkg.version);
  }
});

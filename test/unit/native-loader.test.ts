// Loading the native addon: napi-rs platform names, and the error for a platform with neither a prebuilt
// package nor a local build (it names the platform and says how to build from source).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { missingBindingMessage, platformName, PREBUILT_PLATFORMS } from '../../src/native/index.js';

test("platform names follow napi-rs's", () => {
  assert.equal(platformName('linux', 'x64', false), 'linux-x64-gnu');
  assert.equal(platformName('linux', 'arm64', true), 'linux-arm64-musl');
  assert.equal(platformName('darwin', 'arm64', false), 'darwin-arm64');
  assert.equal(platformName('win32', 'x64', false), 'win32-x64-msvc');
  assert.equal(PREBUILT_PLATFORMS.length, 8);
});

test('the missing-binding message names the platform and the way to build from source', () => {
  const unsupported = missingBindingMessage('linux-riscv64-gnu', ['detail one']);
  assert.match(unsupported, /not available for linux-riscv64-gnu/);
  assert.match(unsupported, /No prebuilt package is published for linux-riscv64-gnu/);
  assert.match(unsupported, /npm run build:native/);
  assert.match(unsupported, /rustup\.rs/);
  assert.match(unsupported, /\(detail one\)/);
  assert.match(missingBindingMessage('darwin-arm64', []), /prebuilt package myelin-darwin-arm64 is not installed/);
});

test('a copy of the loader with no build beside it and no prebuilt package fails with that message', () => {
  // dist/test/unit → dist/src/native: the compiled loader, copied where neither native/binding nor a
  // myelin-<platform> package can be found.
  const nativeDir = fileURLToPath(new URL('../../src/native/', import.meta.url));
  const root = mkdtempSync(join(tmpdir(), 'myelin-loader-'));
  try {
    const dir = join(root, 'dist', 'src', 'native');
    mkdirSync(dir, { recursive: true });
    for (const f of ['index.js', 'abi.js']) copyFileSync(join(nativeDir, f), join(dir, f));
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(join(dir, 'index.js'))})`], {
      encoding: 'utf8',
      cwd: root,
    });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, new RegExp(`not available for ${platformName()}`));
    assert.match(run.stderr, /npm run build:native/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

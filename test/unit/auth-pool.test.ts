// The verify pool: bcrypt and ed25519 checks on worker threads (the compiled task file next to
// verify-pool.js in dist/), so many clients authenticating at once leave the event loop free.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { hashSync } from 'bcryptjs';

import { Authenticator } from '../../src/auth/authenticator.js';
import { defaultVerifyThreads, VerifyPool } from '../../src/auth/verify-pool.js';
import { authFromText, newUser, signNonce } from './auth-helpers.js';

test('the pool runs bcrypt and ed25519 checks on at most its thread count', async () => {
  const pool = new VerifyPool({ threads: 2 });
  try {
    assert.equal(pool.threadCount, 0); // created lazily
    const hash = hashSync('secret', 4);
    assert.equal(await pool.bcrypt(hash, 'secret'), true);
    assert.equal(await pool.bcrypt(hash, 'Secret'), false);
    assert.equal(await pool.bcrypt(`$2x$${hash.slice(4)}`, 'secret'), true); // Go ignores the minor letter
    assert.equal(await pool.bcrypt('$2a$04$tooshort', 'secret'), false);
    const u = newUser();
    const sig = Buffer.from(signNonce(u.seed, 'nonce'), 'base64url');
    assert.equal(await pool.ed25519([{ publicKey: u.pub, data: 'nonce', signature: sig }]), -1);
    assert.equal(
      await pool.ed25519([
        { publicKey: u.pub, data: 'nonce', signature: sig },
        { publicKey: u.pub, data: 'other', signature: sig },
      ]),
      1,
    );
    assert.equal(await pool.ed25519([]), -1);
    assert.ok(pool.threadCount >= 1 && pool.threadCount <= 2);
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.bcrypt('x', 'y'), /closed/);
  assert.ok(defaultVerifyThreads() >= 1 && defaultVerifyThreads() <= 2);
});

test('many clients authenticating at once do not stall the event loop', async () => {
  const hash = hashSync('password', 6);
  const users = Array.from({ length: 200 }, (_, i) => `{ user: u${i}, password: "${hash}" }`).join(', ');
  const auth = new Authenticator(authFromText(`authorization { users: [${users}] }`).config); // default: VerifyPool
  const ticker = new LoopTicker();
  try {
    ticker.start();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => auth.authenticate({ user: `u${i}`, pass: 'password' })));
    await ticker.stop();
    assert.ok(results.every((r) => r.ok));
    // 200 bcrypt comparisons are most of a second of CPU: done inline, the loop would not turn at all
    // meanwhile. On the pool it keeps turning.
    assert.ok(ticker.maxGapMs < 250, `event loop stalled for ${ticker.maxGapMs.toFixed(1)} ms`);
    assert.ok(ticker.ticks > 10, `event loop turned only ${ticker.ticks} times`);
  } finally {
    await ticker.stop();
    await auth.close();
  }
});

/** Counts event loop turns (setImmediate) and the longest time between two of them. */
class LoopTicker {
  ticks = 0;
  maxGapMs = 0;
  private last = 0;
  private running = false;

  start(): void {
    this.running = true;
    this.last = performance.now();
    const tick = (): void => {
      const now = performance.now();
      this.maxGapMs = Math.max(this.maxGapMs, now - this.last);
      this.last = now;
      this.ticks++;
      if (this.running) setImmediate(tick);
    };
    setImmediate(tick);
  }

  /** Lets the ticker see the last turn (a stall just before now shows up as a gap), then stops it. */
  async stop(): Promise<void> {
    if (!this.running) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.running = false;
  }
}

test('nkey authentication through the default pool, and abort', async () => {
  const u = newUser();
  const auth = new Authenticator(authFromText(`authorization { users: [{nkey: ${u.pub}}, {user: a, password: "${hashSync('p', 4)}"}] }`).config);
  try {
    const nonce = auth.newNonce();
    const r = await auth.authenticate({ nkey: u.pub, sig: signNonce(u.seed, nonce) }, nonce);
    assert.deepEqual(r, { ok: true, user: u.pub, account: '$G', method: 'nkey' });
    const controller = new AbortController();
    controller.abort();
    const aborted = await auth.authenticate({ user: 'a', pass: 'p' }, undefined, { signal: controller.signal });
    assert.deepEqual(aborted, { ok: false, reason: 'authentication error - User "a"', detail: 'authentication aborted' });
  } finally {
    await auth.close();
  }
});

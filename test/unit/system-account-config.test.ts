// Which account is the system account, as nats-server decides it (checked against nats-server 2.12.15's
// /varz and /accountz): `$SYS` by default, `system_account` when named, none with `no_system_account`
// unless one is named.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { DEFAULT_SYSTEM_ACCOUNT } from '../../src/auth/config.js';
import { authFromText } from './auth-helpers.js';

const APP = 'accounts { APP: { users: [{user: a, password: a}] }, SYS: { users: [{user: s, password: s}] } }';

test('the system account is $SYS unless one is named', () => {
  assert.equal(authFromText('port: 4222').config.systemAccount, DEFAULT_SYSTEM_ACCOUNT);
  assert.equal(authFromText(APP).config.systemAccount, DEFAULT_SYSTEM_ACCOUNT);
  assert.equal(authFromText(`${APP}\nsystem_account: SYS`).config.systemAccount, 'SYS');
  assert.equal(authFromText(`${APP}\nsystem: SYS`).config.systemAccount, 'SYS');
});

test('no_system_account leaves none, unless one is named', () => {
  assert.equal(authFromText('no_system_account: true').config.systemAccount, '');
  assert.equal(authFromText(`${APP}\nno_sys_acc: true`).config.systemAccount, '');
  assert.equal(authFromText(`${APP}\nno_system: false`).config.systemAccount, DEFAULT_SYSTEM_ACCOUNT);
  assert.equal(authFromText(`${APP}\nno_system_account: true\nsystem_account: SYS`).config.systemAccount, 'SYS');
});

test('no_system_account must be a boolean', () => {
  assert.throws(() => authFromText('no_system_account: "yes"'));
});

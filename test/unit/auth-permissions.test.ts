// Permissions: resolving a user's permissions into the JSON shape the engine enforces, JWT
// permissions, subject checks and scoped-signing-key templates (as nats-server does them).

import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  DEFAULT_ALLOW_RESPONSE_EXPIRATION_MS,
  expandPermissionTemplates,
  isValidSubject,
  NO_RESPONSE_EXPIRY,
  permissionsFromJwt,
  permissionSubjectError,
  resolvePermissions,
  TemplateError,
  UNLIMITED_RESPONSES,
  type TemplateContext,
} from '../../src/auth/permissions.js';

test('resolvePermissions: own permissions replace the defaults; none at all means unrestricted', () => {
  const defaults = { publish: { allow: ['d.>'] }, subscribe: { deny: ['x'] } };
  assert.deepEqual(resolvePermissions(undefined, defaults), defaults);
  assert.deepEqual(resolvePermissions({ subscribe: { allow: ['own'] } }, defaults), { subscribe: { allow: ['own'] } });
  assert.equal(resolvePermissions(undefined), undefined);
  assert.equal(resolvePermissions({}, defaults), undefined);
  // The result is a copy.
  const resolved = resolvePermissions(undefined, defaults)!;
  resolved.publish!.allow!.push('mutated');
  assert.deepEqual(defaults.publish.allow, ['d.>']);
});

test('resolvePermissions: response permissions get defaults and close the publish allow list', () => {
  assert.deepEqual(resolvePermissions({ response: { max: 0, expiresMs: 0 } }), {
    publish: { allow: [] },
    allowResponses: { max: 1, expiresMs: DEFAULT_ALLOW_RESPONSE_EXPIRATION_MS },
  });
  // Negative means "no limit" in nats-server; the engine gets u32::MAX and 0 ("never expires").
  assert.deepEqual(resolvePermissions({ publish: { deny: ['x'] }, response: { max: -1, expiresMs: 500 } }), {
    publish: { allow: [], deny: ['x'] },
    allowResponses: { max: UNLIMITED_RESPONSES, expiresMs: 500 },
  });
  assert.deepEqual(resolvePermissions({ response: { max: 3, expiresMs: -1000 } })?.allowResponses, { max: 3, expiresMs: NO_RESPONSE_EXPIRY });
  assert.equal(UNLIMITED_RESPONSES, 4294967295);
  assert.equal(NO_RESPONSE_EXPIRY, 0);
  assert.deepEqual(resolvePermissions({ publish: { allow: ['a'] }, response: { max: 2, expiresMs: 0 } }), {
    publish: { allow: ['a'] },
    allowResponses: { max: 2, expiresMs: 120_000 },
  });
  // nats-server ignores an empty subscribe allow list, and empty deny lists.
  assert.deepEqual(resolvePermissions({ subscribe: { allow: [], deny: [] }, publish: { deny: [] } }), undefined);
});

test('permissionsFromJwt: only sides with entries count; ttl is in nanoseconds', () => {
  assert.equal(permissionsFromJwt({ pub: {}, sub: {} }), undefined);
  assert.equal(permissionsFromJwt(undefined), undefined);
  assert.deepEqual(permissionsFromJwt({ pub: { allow: ['a'] }, sub: { deny: ['b'] }, resp: { max: 1, ttl: 2_500_000_000 } }), {
    publish: { allow: ['a'] },
    subscribe: { deny: ['b'] },
    response: { max: 1, expiresMs: 2500 },
  });
  assert.deepEqual(permissionsFromJwt({ pub: { allow: [], deny: ['x'] } }), { publish: { allow: [], deny: ['x'] } });
});

test('subjects in permissions', () => {
  for (const s of ['a', 'a.b', 'a.*', '*', '>', 'a.>', 'a.*.c', '$SYS.>']) assert.ok(isValidSubject(s), s);
  for (const s of ['', 'a..b', '.a', 'a.', 'a.>.b', 'a b', 'a.\tb', '>.a']) assert.ok(!isValidSubject(s), JSON.stringify(s));
  assert.equal(permissionSubjectError('foo.* workers'), undefined);
  assert.equal(permissionSubjectError('a q r'), 'subject "a q r" is not a valid subject');
  assert.equal(permissionSubjectError('a..b q'), 'subject "a..b" is not a valid subject');
});

test('scoped signing key templates', () => {
  const ctx: TemplateContext = {
    name: 'bob',
    subject: 'UBOB',
    accountName: 'APP',
    accountSubject: 'AAPP',
    userTags: ['team:blue', 'team:red', 'site:x'],
    accountTags: ['region:eu'],
  };
  const out = expandPermissionTemplates(
    {
      pub: { allow: ['svc.{{name()}}.>', 'u.{{subject()}}', 'acct.{{account-name()}}.{{account-subject()}}', 't.{{tag(team)}}.{{account-tag(region)}}'] },
      sub: { allow: ['plain.>'], deny: ['no.{{name()}}'] },
      subs: 10,
    },
    ctx,
  );
  assert.deepEqual(out.pub?.allow, ['svc.bob.>', 'u.UBOB', 'acct.APP.AAPP', 't.blue.eu', 't.red.eu']);
  assert.deepEqual(out.sub, { allow: ['plain.>'], deny: ['no.bob'] });
  assert.equal(out.subs, 10);
  // Allow entries that cannot be made are dropped; if none is left, everything is denied.
  const none = expandPermissionTemplates({ pub: { allow: ['x.{{tag(missing)}}', 'y.{{bogus()}}'] } }, ctx);
  assert.deepEqual(none.pub, { allow: [], deny: ['>'] });
  // A deny entry that cannot be made refuses the user.
  assert.throws(() => expandPermissionTemplates({ sub: { deny: ['z.{{tag(missing)}}'] } }, ctx), TemplateError);
});

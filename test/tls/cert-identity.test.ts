// Unit tests of the certificate identity used by verify_and_map. The expected subject strings are what Go
// prints for the same fixture certificates (`cert.Subject.ToRDNSequence().String()`, checked with Go 1.26).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import {
  certIdentity,
  dnEqual,
  dnRdnsMatch,
  domainComponents,
  goSubjectString,
  mapCertificateToUser,
  parseDn,
  subjectDn,
  type CertIdentity,
} from '../../src/auth/cert-identity.js';
import { fixture } from './certs.js';

const identity = (name: string): CertIdentity => certIdentity(new X509Certificate(readFileSync(fixture(`${name}-cert.pem`))).raw);

describe('certificate identity', () => {
  test('SANs by kind', () => {
    assert.deepEqual(identity('client').emails, ['alice@myelin.test']);
    assert.deepEqual(identity('client-dns').dnsNames, ['carol.myelin.test']);
    assert.deepEqual(identity('client-dc').uris, ['nats://dave.myelin.test']);
    assert.deepEqual(identity('server').dnsNames, ['localhost']);
  });

  test("subject strings as Go's RDNSequence.String prints them", () => {
    assert.equal(goSubjectString(identity('client').subject), 'CN=alice,OU=Test,O=Myelin,C=US');
    assert.equal(goSubjectString(identity('client-dn').subject), 'CN=bob,OU=Test,O=Myelin');
    assert.equal(goSubjectString(identity('client-dc').subject), 'CN=dave,OU=Ops,O=Myelin\\, Inc.');
    assert.equal(domainComponents(identity('client-dc').subject), 'DC=org,DC=myelin');
  });

  test('DN parsing and comparison (RFC 4514)', () => {
    const bob = subjectDn(identity('client-dn').subject)!;
    assert.ok(dnEqual(parseDn('CN=bob,OU=Test,O=Myelin')!, bob));
    assert.ok(dnEqual(parseDn('cn=bob, ou=Test , o=Myelin')!, bob), 'types ignore case, spaces around values are dropped');
    const reordered = parseDn('O=Myelin,OU=Test,CN=bob')!;
    assert.ok(!dnEqual(reordered, bob));
    assert.ok(dnRdnsMatch(reordered, bob));
    assert.ok(!dnEqual(parseDn('CN=Bob,OU=Test,O=Myelin')!, bob), 'values are compared exactly');
    assert.deepEqual(parseDn('O=Myelin\\, Inc.,CN=\\4d'), [[{ type: 'O', value: 'Myelin, Inc.' }], [{ type: 'CN', value: 'M' }]]);
    assert.equal(parseDn('CN=#0403'), undefined);
    // An attribute the DN matcher does not know (emailAddress) takes the subject out of DN matching.
    assert.equal(subjectDn(identity('client-dc').subject), undefined);
  });

  test('mapping order: e-mail, DNS, URI, DN, subject string with and then without domain components', () => {
    const alice = identity('client');
    assert.equal(mapCertificateToUser(alice, ['CN=alice,OU=Test,O=Myelin,C=US', 'alice@myelin.test']), 'alice@myelin.test');
    assert.equal(mapCertificateToUser(alice, ['C=US,O=Myelin,OU=Test,CN=alice']), 'C=US,O=Myelin,OU=Test,CN=alice');
    assert.equal(mapCertificateToUser(alice, ['bob']), undefined);
    assert.equal(mapCertificateToUser(identity('client-dns'), ['carol.myelin.test']), 'carol.myelin.test');
    const dave = identity('client-dc');
    assert.equal(mapCertificateToUser(dave, ['nats://dave.myelin.test']), 'nats://dave.myelin.test');
    const withDcs = 'CN=dave,OU=Ops,O=Myelin\\, Inc.,DC=org,DC=myelin';
    assert.equal(mapCertificateToUser(dave, ['CN=dave,OU=Ops,O=Myelin\\, Inc.', withDcs]), withDcs);
    assert.equal(mapCertificateToUser(dave, ['CN=dave,OU=Ops,O=Myelin\\, Inc.']), 'CN=dave,OU=Ops,O=Myelin\\, Inc.');
  });
});

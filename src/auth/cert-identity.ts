// What a client certificate says about who the client is, for `tls { verify_and_map: true }`: its e-mail,
// DNS and URI subject alternative names and its subject, read from the DER bytes (Node's parsed view loses
// the order and the types of the subject's attributes, and nats-server's matching depends on both).
//
// The matching follows nats-server's checkClientTLSCertSubject (server/auth.go): each e-mail SAN, then each
// DNS SAN, then each URI is looked up as a user name; then the users whose names parse as an RFC 4514 DN
// are compared with the subject (same order, then any order); then the subject in Go's RFC 2253 string
// form, first with the domain components appended, then without. The first user found wins.

import { readDer, readDerChildren, derOid, derString, type DerNode } from './der.js';

/** One attribute of a subject RDN, as the certificate encodes it. */
export interface SubjectAttribute {
  /** Dotted object identifier, e.g. 2.5.4.3 for CN. */
  oid: string;
  /** The decoded value, or undefined when it is not one of the string types. */
  value: string | undefined;
}

/** A client certificate's identity: computed once per connection, after the handshake. */
export interface CertIdentity {
  emails: string[];
  dnsNames: string[];
  uris: string[];
  /** The subject's RDNs in certificate order, each a set of attributes in certificate order. */
  subject: SubjectAttribute[][];
}

const OID_SUBJECT_ALT_NAME = '2.5.29.17';
const OID_DOMAIN_COMPONENT = '0.9.2342.19200300.100.1.25';

/** Parse the identity fields of a DER certificate. Throws on malformed DER. */
export function certIdentity(der: Buffer): CertIdentity {
  const cert = readDer(der, 0);
  const tbs = readDerChildren(der, readDerChildren(der, cert)[0]);
  // tbsCertificate: [0] version (optional), serial, signature, issuer, validity, subject, spki, [1], [2], [3].
  let i = tbs[0].tag === 0xa0 ? 1 : 0;
  const subjectNode = tbs[i + 4];
  i += 6;
  const identity: CertIdentity = { emails: [], dnsNames: [], uris: [], subject: readName(der, subjectNode) };
  for (; i < tbs.length; i++) {
    if (tbs[i].tag !== 0xa3) continue;
    const extensions = readDerChildren(der, readDerChildren(der, tbs[i])[0]);
    for (const ext of extensions) {
      const parts = readDerChildren(der, ext);
      if (derOid(der, parts[0]) !== OID_SUBJECT_ALT_NAME) continue;
      const octets = parts[parts.length - 1];
      readAltNames(der.subarray(octets.start, octets.end), identity);
    }
  }
  return identity;
}

function readName(der: Buffer, name: DerNode): SubjectAttribute[][] {
  return readDerChildren(der, name).map((set) =>
    readDerChildren(der, set).map((atv) => {
      const [type, value] = readDerChildren(der, atv);
      return { oid: derOid(der, type), value: derString(der, value) };
    }),
  );
}

/** GeneralNames: rfc822Name [1], dNSName [2], uniformResourceIdentifier [6] (all IA5String). */
function readAltNames(ext: Buffer, into: CertIdentity): void {
  for (const name of readDerChildren(ext, readDer(ext, 0))) {
    const text = ext.subarray(name.start, name.end).toString('latin1');
    if (name.tag === 0x81) into.emails.push(text);
    else if (name.tag === 0x82) into.dnsNames.push(text);
    else if (name.tag === 0x86) into.uris.push(text);
  }
}

// --- Go's RFC 2253 rendering of a certificate subject -----------------------------------------------

/** The attributes Go's pkix.Name keeps, in the order its ToRDNSequence writes them, with their names. */
const GO_NAME_FIELDS: [oid: string, name: string, single: boolean][] = [
  ['2.5.4.6', 'C', false],
  ['2.5.4.8', 'ST', false],
  ['2.5.4.7', 'L', false],
  ['2.5.4.9', 'STREET', false],
  ['2.5.4.17', 'POSTALCODE', false],
  ['2.5.4.10', 'O', false],
  ['2.5.4.11', 'OU', false],
  ['2.5.4.3', 'CN', true],
  ['2.5.4.5', 'SERIALNUMBER', true],
];

/**
 * The subject as Go prints `cert.Subject.ToRDNSequence().String()`: the known attributes regrouped in
 * pkix.Name's field order (only the last CN and serial number), one per RDN, most specific first.
 */
export function goSubjectString(subject: SubjectAttribute[][]): string {
  const parts: string[] = [];
  for (const [oid, name, single] of GO_NAME_FIELDS) {
    const values = subject.flat().filter((a) => a.oid === oid && a.value !== undefined).map((a) => a.value!);
    const kept = single ? values.slice(-1).filter((v) => v !== '') : values;
    for (const v of kept) parts.push(`${name}=${escapeRdnValue(v)}`);
  }
  return parts.reverse().join(',');
}

/** The domain components in certificate order, as `DC=a,DC=b` (nats-server's getTLSAuthDCs). */
export function domainComponents(subject: SubjectAttribute[][]): string {
  return subject
    .flat()
    .filter((a) => a.oid === OID_DOMAIN_COMPONENT && a.value !== undefined)
    .map((a) => `DC=${a.value!}`)
    .join(',');
}

function escapeRdnValue(value: string): string {
  const chars = [...value];
  return chars
    .map((c, k) => {
      const escape =
        ',+"\\<>;'.includes(c) || (c === ' ' && (k === 0 || k === chars.length - 1)) || (c === '#' && k === 0);
      return escape ? `\\${c}` : c;
    })
    .join('');
}

// --- RFC 4514 distinguished names, compared as nats-server's internal/ldap package does ---------------

type Rdn = { type: string; value: string }[];

/** The short names nats-server's DN matching knows; a subject with any other attribute is not matched as a DN. */
const LDAP_TYPE_NAMES = new Map([
  ['2.5.4.3', 'CN'],
  ['2.5.4.5', 'SERIALNUMBER'],
  ['2.5.4.6', 'C'],
  ['2.5.4.7', 'L'],
  ['2.5.4.8', 'ST'],
  ['2.5.4.9', 'STREET'],
  ['2.5.4.10', 'O'],
  ['2.5.4.11', 'OU'],
  ['2.5.4.17', 'POSTALCODE'],
  [OID_DOMAIN_COMPONENT, 'DC'],
]);

/** The subject as a DN, most specific RDN first; undefined when an attribute is of an unknown type. */
export function subjectDn(subject: SubjectAttribute[][]): Rdn[] | undefined {
  const out: Rdn[] = [];
  for (const rdn of [...subject].reverse()) {
    if (rdn.length === 0) continue;
    const attrs: Rdn = [];
    for (const a of [...rdn].reverse()) {
      const type = LDAP_TYPE_NAMES.get(a.oid);
      if (type === undefined || a.value === undefined) return undefined;
      attrs.push({ type, value: a.value });
    }
    out.push(attrs);
  }
  return out;
}

/** Parse an RFC 4514 DN string (a configured user name); undefined when it is not one. */
export function parseDn(text: string): Rdn[] | undefined {
  const dn: Rdn[] = [];
  let rdn: Rdn = [];
  let type = '';
  let buf = '';
  let trailingSpaces = 0;
  const take = (): string => {
    const s = buf.slice(0, buf.length - trailingSpaces);
    buf = '';
    trailingSpaces = 0;
    return s;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      const next = text[i + 1];
      if (next === undefined) return undefined;
      trailingSpaces = 0;
      if (' "#+,;<=>\\'.includes(next)) {
        buf += next;
        i++;
        continue;
      }
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      buf += String.fromCharCode(parseInt(hex, 16));
      i += 2;
    } else if (c === '=') {
      type = take();
      if (text[i + 1] === '#') return undefined;
    } else if (c === ',' || c === '+') {
      if (type === '') return undefined;
      rdn.push({ type, value: take() });
      type = '';
      if (c === ',') {
        dn.push(rdn);
        rdn = [];
      }
    } else if (c === ' ' && buf === '') {
      continue;
    } else {
      trailingSpaces = c === ' ' ? trailingSpaces + 1 : 0;
      buf += c;
    }
  }
  if (buf !== '') {
    if (type === '') return undefined;
    rdn.push({ type, value: take() });
    dn.push(rdn);
  }
  return dn;
}

function rdnEqual(a: Rdn, b: Rdn): boolean {
  const has = (set: Rdn, x: Rdn[number]) => set.some((y) => y.type.toLowerCase() === x.type.toLowerCase() && y.value === x.value);
  return a.length === b.length && a.every((x) => has(b, x)) && b.every((x) => has(a, x));
}

/** Same RDNs in the same order (distinguishedNameMatch). */
export function dnEqual(a: Rdn[], b: Rdn[]): boolean {
  return a.length === b.length && a.every((rdn, i) => rdnEqual(rdn, b[i]));
}

/** Same RDNs in any order. */
export function dnRdnsMatch(a: Rdn[], b: Rdn[]): boolean {
  if (a.length !== b.length) return false;
  const used = new Array<boolean>(b.length).fill(false);
  return a.every((rdn) => {
    const j = b.findIndex((other, k) => !used[k] && rdnEqual(rdn, other));
    if (j < 0) return false;
    used[j] = true;
    return true;
  });
}

// --- The mapping ---------------------------------------------------------------------------------

/**
 * The user a certificate maps to, among `userNames` (those allowed on this connection type), or undefined.
 * The order of attempts is nats-server's.
 */
export function mapCertificateToUser(id: CertIdentity, userNames: readonly string[]): string | undefined {
  const known = new Set(userNames);
  for (const candidate of [...id.emails, ...id.dnsNames, ...id.uris]) {
    if (known.has(candidate)) return candidate;
  }
  const certDn = subjectDn(id.subject);
  if (certDn !== undefined) {
    const parsed: [string, Rdn[]][] = [];
    for (const name of userNames) {
      const dn = parseDn(name);
      if (dn === undefined) continue;
      if (dnEqual(dn, certDn)) return name;
      parsed.push([name, dn]);
    }
    for (const [name, dn] of parsed) if (dnRdnsMatch(dn, certDn)) return name;
  }
  const rdn = goSubjectString(id.subject);
  const dcs = domainComponents(id.subject);
  if (dcs !== '' && known.has(`${rdn},${dcs}`)) return `${rdn},${dcs}`;
  return rdn !== '' && known.has(rdn) ? rdn : undefined;
}

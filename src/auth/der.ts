// A minimal DER reader: enough of ASN.1 to walk an X.509 certificate to its subject and extensions.
// Nodes point into the caller's buffer (no copies); the buffer must outlive them.

/** One TLV: its tag byte and where its content lies in the buffer. */
export interface DerNode {
  tag: number;
  /** First content byte. */
  start: number;
  /** One past the last content byte. */
  end: number;
}

/** The TLV at `offset`. Throws on truncated or over-long input (only single-byte tags occur in X.509). */
export function readDer(buf: Buffer, offset: number): DerNode {
  if (offset + 2 > buf.length) throw new Error('DER: truncated');
  const tag = buf[offset];
  let len = buf[offset + 1];
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > buf.length) throw new Error('DER: bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i];
    start += n;
  }
  if (start + len > buf.length) throw new Error('DER: truncated');
  return { tag, start, end: start + len };
}

/** The TLVs inside a constructed node. */
export function readDerChildren(buf: Buffer, node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  for (let at = node.start; at < node.end; ) {
    const child = readDer(buf, at);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** An OBJECT IDENTIFIER's dotted form. */
export function derOid(buf: Buffer, node: DerNode): string {
  if (node.tag !== 0x06 || node.end <= node.start) throw new Error('DER: not an OID');
  const first = buf[node.start];
  const arcs = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let value = 0;
  for (let i = node.start + 1; i < node.end; i++) {
    value = value * 128 + (buf[i] & 0x7f);
    if ((buf[i] & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    }
  }
  return arcs.join('.');
}

/** The string types X.509 names use, decoded; undefined for any other type. */
export function derString(buf: Buffer, node: DerNode): string | undefined {
  const bytes = buf.subarray(node.start, node.end);
  switch (node.tag) {
    case 0x0c: // UTF8String
      return bytes.toString('utf8');
    case 0x12: // NumericString
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x14: // T61String (read as Latin-1, as Go does)
      return bytes.toString('latin1');
    case 0x1e: // BMPString: UTF-16 big-endian
      return bytes.length % 2 === 0 ? Buffer.from(bytes).swap16().toString('utf16le') : undefined;
    default:
      return undefined;
  }
}

// The configuration digest nats-server prints for `-t` (`sha256:<hex>`): SHA-256 of the parsed configuration
// (includes merged, variables resolved, variable definitions kept) encoded as Go's encoding/json encodes a
// map[string]any: keys sorted, HTML characters escaped, a newline at the end.

import { createHash } from 'node:crypto';

import type { ConfMap, ConfNode } from './config-syntax.js';

export function configDigest(map: ConfMap): string {
  return `sha256:${createHash('sha256').update(`${goJsonMap(map)}\n`, 'utf8').digest('hex')}`;
}

function goJsonMap(map: ConfMap): string {
  // Go sorts map keys by their UTF-8 bytes.
  const keys = [...map.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `{${keys.map((k) => `${goJsonString(k)}:${goJsonNode(map.get(k)!)}`).join(',')}}`;
}

function goJsonNode(node: ConfNode): string {
  switch (node.kind) {
    case 'map':
      return goJsonMap(node.value);
    case 'array':
      return `[${node.value.map(goJsonNode).join(',')}]`;
    case 'string':
      return goJsonString(node.value);
    case 'int':
    case 'bool':
      return String(node.value);
    case 'float':
      // Go switches to exponent form at the same thresholds as JavaScript (1e-6, 1e21) and writes it alike.
      return String(node.value);
    case 'date':
      // time.Time marshals as RFC 3339 with the fraction only when it is not zero.
      return `"${node.value.toISOString().replace('.000Z', 'Z')}"`;
  }
}

/** A JSON string as Go's encoder writes it: <, > and & escaped too, as are U+2028 and U+2029. */
function goJsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029) {
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

// The digest nats-server prints after a config file's name (`Using configuration file: f (sha256:…)`,
// `Reloaded server configuration (sha256:…)`) and reports as /varz `config_digest`: SHA-256 of the parsed
// file encoded the way Go's encoding/json encodes the map (keys sorted, `<`, `>`, `&`, U+2028 and U+2029
// escaped, a newline at the end), leaving out entries that only served as `$variables`.

import { createHash } from 'node:crypto';

import { parseConfigFile, type ConfMap, type ConfNode } from './config-syntax.js';

/** `sha256:<hex>` for the config file at `path`. Throws ConfigError as parsing does. */
export function configFileDigest(path: string): string {
  return configDigest(parseConfigFile(path));
}

export function configDigest(map: ConfMap): string {
  const json = `${goJson(mapValue(map))}\n`;
  return `sha256:${createHash('sha256').update(json, 'utf8').digest('hex')}`;
}

function mapValue(map: ConfMap): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, node] of map) if (!node.usedAsVariable) out[key] = nodeValue(node);
  return out;
}

function nodeValue(node: ConfNode): unknown {
  switch (node.kind) {
    case 'map':
      return mapValue(node.value);
    case 'array':
      return node.value.map(nodeValue);
    default:
      return node.value;
  }
}

/** JSON as Go's json.Encoder writes it for map[string]any: sorted keys, HTML-safe escapes. */
function goJson(value: unknown): string {
  // Go's time.Time: RFC 3339 with the fraction's trailing zeros dropped.
  if (value instanceof Date) return JSON.stringify(value.toISOString().replace(/\.?0+Z$/, 'Z'));
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).sort();
    return `{${keys.map((k) => `${goString(k)}:${goJson(obj[k])}`).join(',')}}`;
  }
  if (typeof value === 'string') return goString(value);
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value) ?? 'null';
}

function goString(s: string): string {
  return JSON.stringify(s)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

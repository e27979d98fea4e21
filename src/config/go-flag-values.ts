// Value syntax of Go's flag package, which nats-server's command line uses:
// integers go through strconv.ParseInt(s, 0, 64) and booleans through strconv.ParseBool.
// Matching them means `-p 0x10f0` or `-T=F` behave as they do for nats-server.

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Why a Go integer or boolean did not parse; Go prints these words verbatim. */
export type GoValueProblem = 'parse error' | 'value out of range';

/**
 * strconv.ParseInt with base 0: optional sign, then decimal, 0x/0o/0b prefixed, or
 * legacy leading-zero octal, with `_` allowed between digits.
 */
export function parseGoInt(text: string): number | GoValueProblem {
  const signed = /^[+-]/.test(text);
  const negative = text.startsWith('-');
  const body = signed ? text.slice(1) : text;
  const literal = toBigIntLiteral(body);
  if (literal === undefined) return 'parse error';
  const value = negative ? -BigInt(literal) : BigInt(literal);
  if (value < INT64_MIN || value > INT64_MAX) return 'value out of range';
  return Number(value);
}

/** strconv.ParseBool. */
export function parseGoBool(text: string): boolean | GoValueProblem {
  switch (text) {
    case '1': case 't': case 'T': case 'TRUE': case 'true': case 'True':
      return true;
    case '0': case 'f': case 'F': case 'FALSE': case 'false': case 'False':
      return false;
    default:
      return 'parse error';
  }
}

/** Rewrites a Go integer literal (no sign) into one BigInt() accepts, or undefined if invalid. */
function toBigIntLiteral(body: string): string | undefined {
  const digitsOnly = (s: string): string => s.replace(/_/g, '');
  if (/^0[xX](?:_?[0-9a-fA-F])+$/.test(body)) return `0x${digitsOnly(body.slice(2))}`;
  if (/^0[oO](?:_?[0-7])+$/.test(body)) return `0o${digitsOnly(body.slice(2))}`;
  if (/^0[bB](?:_?[01])+$/.test(body)) return `0b${digitsOnly(body.slice(2))}`;
  if (/^0(?:_?[0-7])+$/.test(body)) return `0o${digitsOnly(body.slice(1))}`;
  if (/^(?:0|[1-9](?:_?[0-9])*)$/.test(body)) return digitsOnly(body);
  return undefined;
}

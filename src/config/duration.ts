// Go's time.Duration text forms. nats-server reads durations with time.ParseDuration and
// prints them with Duration.String() inside its error messages ("lame duck grace period
// (50s) should be ..."), so Myelin has to speak exactly the same dialect in both directions.
// Durations are carried as milliseconds (possibly fractional) everywhere in Myelin.

const NS_PER_UNIT: ReadonlyMap<string, number> = new Map([
  ['ns', 1],
  ['us', 1e3],
  ['\u00b5s', 1e3], // micro sign
  ['\u03bcs', 1e3], // Greek small letter mu
  ['ms', 1e6],
  ['s', 1e9],
  ['m', 60e9],
  ['h', 3600e9],
]);

/** Largest magnitude a Go Duration (int64 nanoseconds) can hold. */
const MAX_DURATION_NS = 2 ** 63;

/**
 * Parses a Go duration string ("300ms", "-1.5h", "2h45m") into milliseconds.
 * Throws an Error whose message is Go's own ("time: invalid duration \"x\"").
 */
export function parseGoDuration(text: string): number {
  const quoted = JSON.stringify(text);
  const invalid = (): Error => new Error(`time: invalid duration ${quoted}`);
  let i = 0;
  let negative = false;
  if (text[i] === '-' || text[i] === '+') {
    negative = text[i] === '-';
    i++;
  }
  // Go accepts a bare zero (optionally signed) without a unit.
  if (text.slice(i) === '0') return 0;
  if (i === text.length) throw invalid();

  let totalNs = 0;
  while (i < text.length) {
    const numberStart = i;
    while (i < text.length && isDigit(text[i])) i++;
    const integerDigits = text.slice(numberStart, i);
    let fractionDigits = '';
    if (text[i] === '.') {
      i++;
      const fractionStart = i;
      while (i < text.length && isDigit(text[i])) i++;
      fractionDigits = text.slice(fractionStart, i);
    }
    if (integerDigits === '' && fractionDigits === '') throw invalid();

    const unitStart = i;
    while (i < text.length && text[i] !== '.' && !isDigit(text[i])) i++;
    const unit = text.slice(unitStart, i);
    if (unit === '') throw new Error(`time: missing unit in duration ${quoted}`);
    const scale = NS_PER_UNIT.get(unit);
    if (scale === undefined) {
      throw new Error(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    }
    const whole = integerDigits === '' ? 0 : Number(integerDigits);
    const fraction = fractionDigits === '' ? 0 : Number(`0.${fractionDigits}`);
    totalNs += whole * scale + fraction * scale;
    if (totalNs > MAX_DURATION_NS) throw invalid();
  }
  const ms = Math.round(totalNs) / 1e6;
  return negative ? -ms : ms;
}

/** Formats milliseconds the way Go's Duration.String() does: "2m0s", "1.5s", "250ms", "0s". */
export function formatGoDuration(ms: number): string {
  let ns = BigInt(Math.round(ms * 1e6));
  const sign = ns < 0n ? '-' : '';
  if (ns < 0n) ns = -ns;
  if (ns === 0n) return '0s';
  if (ns < 1_000n) return `${sign}${ns}ns`;
  if (ns < 1_000_000n) return `${sign}${withFraction(ns, 1_000n)}\u00b5s`;
  if (ns < 1_000_000_000n) return `${sign}${withFraction(ns, 1_000_000n)}ms`;

  const hours = ns / 3_600_000_000_000n;
  ns %= 3_600_000_000_000n;
  const minutes = ns / 60_000_000_000n;
  ns %= 60_000_000_000n;
  let out = sign;
  if (hours > 0n) out += `${hours}h`;
  if (hours > 0n || minutes > 0n) out += `${minutes}m`;
  return `${out}${withFraction(ns, 1_000_000_000n)}s`;
}

/** value/unit as a decimal with trailing fractional zeros dropped ("1.5", "2"). */
function withFraction(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const rest = value % unit;
  if (rest === 0n) return whole.toString();
  const width = unit.toString().length - 1;
  const digits = rest.toString().padStart(width, '0').replace(/0+$/, '');
  return `${whole}.${digits}`;
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

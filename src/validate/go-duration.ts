/** Nanoseconds per unit, as Go's time.ParseDuration accepts them (both micro signs included). */
const UNIT_NANOS: Readonly<Record<string, bigint>> = {
  ns: 1n, us: 1_000n, 'µs': 1_000n, 'μs': 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n,
};
const MAX_NANOS = (1n << 63n) - 1n;

/**
 * Go's `time.ParseDuration`, which Kubernetes' CEL `duration()` uses: a signed sequence of
 * decimal numbers with units (`300ms`, `-1.5h`, `2h45m`, `0`), in nanoseconds. Throws on
 * anything Go rejects, including overflow of an int64 nanosecond count.
 */
export function parseGoDuration(text: string): bigint {
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') throw new Error(`invalid duration ${JSON.stringify(text)}`);
  let total = 0n;
  while (rest !== '') {
    const number = /^([0-9]*)(?:\.([0-9]*))?/.exec(rest)!;
    const whole = number[1]!;
    const fraction = number[2] ?? '';
    if (whole === '' && fraction === '') throw new Error(`invalid duration ${JSON.stringify(text)}`);
    rest = rest.slice(number[0].length);
    const unit = /^[^0-9.]*/.exec(rest)![0];
    const nanos = UNIT_NANOS[unit];
    if (unit === '') throw new Error(`missing unit in duration ${JSON.stringify(text)}`);
    if (nanos === undefined) throw new Error(`unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(text)}`);
    rest = rest.slice(unit.length);
    total += BigInt(whole || '0') * nanos;
    if (fraction !== '') total += (BigInt(fraction) * nanos) / 10n ** BigInt(fraction.length);
    if (total > MAX_NANOS + (negative ? 1n : 0n)) throw new Error(`invalid duration ${JSON.stringify(text)}: out of range; Go's time.Duration (2^63-1 ns) holds at most 2562047h47m16.854775807s either way`);
  }
  return negative ? -total : total;
}

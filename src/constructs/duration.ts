import type { IConstruct } from 'constructs';
import { PropError } from './_errors.js';

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const GO_DURATION = /^(\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const GO_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const SYNTAX = 'expected a duration such as "250ms", "2s", "1m30s" or "1h" (units ms, s, m, h)';
const RANGE = 'expected a finite, whole number of milliseconds, at least 1ms (Istio rejects shorter durations)';
/**
 * The longest duration the API server accepts in an Istio duration field: Istio's CRDs check each
 * with the CEL rule `duration(self) >= duration('1ms')`, and CEL's `duration()` parses with Go's
 * time.ParseDuration, which refuses more than 2^63-1 ns. (The field's protobuf Duration would hold
 * up to 315,576,000,000 s, but such a value never gets past the API server.)
 */
const MAX_MS = 9_223_372_036_854;
const TOO_LONG = 'expected at most 2562047h47m16.854s, about 292 years (the API server reads Istio durations as Go\'s time.Duration, 2^63-1 nanoseconds at most)';

/**
 * A length of time, rendered the way Istio's protobuf Duration fields expect (`"250ms"`, `"2s"`,
 * `"3m"`, `"1h"`). Istio rejects durations under 1 ms, so a valid Duration is at least 1 ms and a
 * whole number of milliseconds; the API server rejects more than 2562047h47m16.854s (about 292
 * years), so a valid Duration is at most that.
 *
 * The factories never throw: a Duration does not know which construct and field it will be used
 * in, so an invalid one (`Duration.seconds(NaN)`, `Duration.parse('2 s')`) is reported by the
 * construct that uses it, as a `PropError` (`MP_INVALID_DURATION`) naming that construct and field.
 */
export class Duration {
  static millis(ms: number): Duration {
    return new Duration(ms, `${ms}ms`, `Duration.millis(${showNumber(ms)})`);
  }
  static seconds(s: number): Duration {
    return new Duration(s * 1000, `${s}s`, `Duration.seconds(${showNumber(s)})`);
  }
  static minutes(m: number): Duration {
    return new Duration(m * 60_000, `${m}m`, `Duration.minutes(${showNumber(m)})`);
  }
  static hours(h: number): Duration {
    return new Duration(h * 3_600_000, `${h}h`, `Duration.hours(${showNumber(h)})`);
  }
  /**
   * Parses a Go/Istio duration string such as `"1.5s"`, `"250ms"` or `"1m30s"`. A malformed
   * string gives an invalid Duration, refused (naming construct and field) where it is used.
   */
  static parse(text: string): Duration {
    if (typeof text !== 'string' || !GO_DURATION.test(text)) return new Duration(NaN, String(text), JSON.stringify(text) ?? String(text), SYNTAX);
    let ms = 0;
    for (const [, n, unit] of text.matchAll(GO_PART)) ms += Number(n) * UNITS_MS[unit!]!;
    return new Duration(ms, text, JSON.stringify(text));
  }

  /** Total length in milliseconds (NaN for a malformed duration string). */
  readonly milliseconds: number;
  private readonly source: string;
  /** How the value was written, for error messages: `Duration.seconds(NaN)`, `"2 s"`. */
  private readonly written: string;
  /** What would be valid, when this Duration is not. */
  private readonly problem?: string;

  private constructor(ms: number, source: string, written: string, problem?: string) {
    this.milliseconds = ms;
    this.source = source;
    this.written = written;
    this.problem = problem ?? (!Number.isFinite(ms) || ms < 1 || !Number.isInteger(ms) ? RANGE : ms > MAX_MS ? TOO_LONG : undefined);
  }

  /** True when Istio accepts this duration. */
  get isValid(): boolean {
    return this.problem === undefined;
  }

  /**
   * Throws the PropError for an invalid duration, naming `scope` and `field`.
   * @internal used by constructs at the point of use
   */
  check(scope: IConstruct | string, field: string, given: unknown = this): this {
    if (this.problem !== undefined) throw new PropError('MP_INVALID_DURATION', scope, field, given, this.problem);
    return this;
  }

  /**
   * The canonical Istio form: the largest unit that represents this duration exactly.
   * @throws PropError for an invalid duration (without a construct path: prefer `toDuration`)
   */
  toIstio(): string {
    this.check('Duration', 'duration');
    const ms = this.milliseconds;
    if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
    if (ms % 60_000 === 0) return `${ms / 60_000}m`;
    if (ms % 1000 === 0) return `${ms / 1000}s`;
    return `${ms}ms`;
  }

  /** A new Duration `factor` times as long (for budgets such as perTryTimeout × attempts). */
  times(factor: number): Duration {
    return Duration.millis(this.milliseconds * factor);
  }

  /** The duration as written (`2s`); for an invalid one, how it was made (`Duration.seconds(NaN)`, `"2 s"`). */
  toString(): string {
    return this.problem === undefined ? this.source : this.written;
  }
}

/** `NaN`, `Infinity` and `-0` as themselves. */
function showNumber(n: number): string {
  return typeof n !== 'number' ? JSON.stringify(n) ?? String(n) : Object.is(n, -0) ? '-0' : String(n);
}

/**
 * Accepts a Duration or a duration string from props and returns a valid Duration.
 * @throws PropError (`MP_INVALID_DURATION`) naming `scope`'s path, `field` and the value as written.
 */
export function toDuration(value: Duration | string, scope: IConstruct, field: string): Duration {
  if (value instanceof Duration) return value.check(scope, field);
  if (typeof value !== 'string') throw new PropError('MP_INVALID_DURATION', scope, field, value, `${SYNTAX}, or a Duration built with Duration.seconds(…), Duration.millis(…) or Duration.parse('…'); a plain object such as { seconds: 5 } is not one`);
  return Duration.parse(value).check(scope, field, value);
}

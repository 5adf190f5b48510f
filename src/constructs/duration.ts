import type { IConstruct } from 'constructs';
import { PropError } from './_errors.js';

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const GO_DURATION = /^(\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const GO_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/**
 * A length of time, rendered the way Istio's protobuf Duration fields expect (`"250ms"`, `"2s"`,
 * `"3m"`, `"1h"`). Istio rejects durations under 1 ms, so every Duration is at least 1 ms and a
 * whole number of milliseconds.
 */
export class Duration {
  static millis(ms: number): Duration {
    return new Duration(ms, `${ms}ms`);
  }
  static seconds(s: number): Duration {
    return new Duration(s * 1000, `${s}s`);
  }
  static minutes(m: number): Duration {
    return new Duration(m * 60_000, `${m}m`);
  }
  static hours(h: number): Duration {
    return new Duration(h * 3_600_000, `${h}h`);
  }
  /**
   * Parses a Go/Istio duration string such as `"1.5s"`, `"250ms"` or `"1m30s"`.
   * @throws PropError when the string is malformed or under 1 ms.
   */
  static parse(text: string, field = 'duration'): Duration {
    if (typeof text !== 'string' || !GO_DURATION.test(text)) {
      throw new PropError('MP_INVALID_DURATION', 'Duration', field, text,
        'expected a duration such as "250ms", "2s", "1m30s" or "1h" (units ms, s, m, h)');
    }
    let ms = 0;
    for (const [, n, unit] of text.matchAll(GO_PART)) ms += Number(n) * UNITS_MS[unit!]!;
    return new Duration(ms, text);
  }

  /** Total length in milliseconds. */
  readonly milliseconds: number;
  private readonly source: string;

  private constructor(ms: number, source: string) {
    if (!Number.isFinite(ms) || ms < 1 || !Number.isInteger(ms)) {
      throw new PropError('MP_INVALID_DURATION', 'Duration', 'duration', source,
        'expected a whole number of milliseconds, at least 1ms (Istio rejects shorter durations)');
    }
    this.milliseconds = ms;
    this.source = source;
  }

  /** The canonical Istio form: the largest unit that represents this duration exactly. */
  toIstio(): string {
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

  toString(): string {
    return this.source;
  }
}

/** Accepts a Duration or a duration string from props and returns a Duration, naming the field on error. */
export function toDuration(value: Duration | string, scope: IConstruct, field: string): Duration {
  if (value instanceof Duration) return value;
  try {
    return Duration.parse(value, field);
  } catch (e) {
    if (e instanceof PropError) throw new PropError('MP_INVALID_DURATION', scope, field, value, e.allowed);
    throw e;
  }
}

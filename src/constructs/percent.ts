import type { IConstruct } from 'constructs';
import { PropError } from './_errors.js';

const RANGE = 'expected a number from 0 to 100 (fractions allowed, e.g. 0.1)';

/**
 * A share of requests from 0 to 100, with fractions allowed (Istio's `Percent` message:
 * `percentage: { value: 0.1 }` is one request in a thousand).
 *
 * `Percent.of` never throws: an invalid share (`Percent.of(120)`, `Percent.of(NaN)`) is reported
 * by the construct that uses it, as a `PropError` (`MP_INVALID_PERCENT`) naming construct and field.
 */
export class Percent {
  static of(value: number): Percent {
    return new Percent(value);
  }
  /** 100 %: every request. */
  static readonly ALL = new Percent(100);

  /** The share, 0–100 (as given, for an invalid Percent). */
  readonly value: number;

  private constructor(value: number) {
    this.value = value;
  }

  /** True when Istio accepts this share. */
  get isValid(): boolean {
    return typeof this.value === 'number' && Number.isFinite(this.value) && this.value >= 0 && this.value <= 100;
  }

  /**
   * Throws the PropError for an invalid share, naming `scope` and `field`.
   * @internal used by constructs at the point of use
   */
  check(scope: IConstruct | string, field: string): this {
    if (!this.isValid) throw new PropError('MP_INVALID_PERCENT', scope, field, this.value, RANGE);
    return this;
  }

  /**
   * The Istio `Percent` message.
   * @throws PropError for an invalid share (without a construct path: prefer `toPercent`)
   */
  toIstio(): { value: number } {
    this.check('Percent', 'percentage');
    return { value: this.value };
  }

  toString(): string {
    return `${this.value}%`;
  }
}

/**
 * Accepts a Percent or a bare number from props and returns a valid Percent.
 * @throws PropError (`MP_INVALID_PERCENT`) naming `scope`'s path, `field` and the value, also for
 *   a value of another type (a plain `{ value }` object from JavaScript or `as any`).
 */
export function toPercent(value: Percent | number, scope: IConstruct, field: string): Percent {
  if (value instanceof Percent) return value.check(scope, field);
  if (typeof value !== 'number') {
    throw new PropError('MP_INVALID_PERCENT', scope, field, value, `${RANGE}, or a Percent built with Percent.of(…); a plain object such as { value: 10 } is not one`);
  }
  return Percent.of(value).check(scope, field);
}

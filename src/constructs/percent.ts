import type { IConstruct } from 'constructs';
import { PropError } from './_errors.js';

/**
 * A share of requests from 0 to 100, with fractions allowed (Istio's `Percent` message:
 * `percentage: { value: 0.1 }` is one request in a thousand).
 */
export class Percent {
  static of(value: number): Percent {
    return new Percent(value);
  }
  /** 100 %: every request. */
  static readonly ALL = new Percent(100);

  readonly value: number;

  private constructor(value: number) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
      throw new PropError('MP_INVALID_PERCENT', 'Percent', 'percentage', value, 'expected a number from 0 to 100 (fractions allowed, e.g. 0.1)');
    }
    this.value = value;
  }

  /** The Istio `Percent` message. */
  toIstio(): { value: number } {
    return { value: this.value };
  }
}

/** Accepts a Percent or a bare number from props and returns a Percent, naming the field on error. */
export function toPercent(value: Percent | number, scope: IConstruct, field: string): Percent {
  if (value instanceof Percent) return value;
  try {
    return Percent.of(value);
  } catch (e) {
    if (e instanceof PropError) throw new PropError('MP_INVALID_PERCENT', scope, field, value, e.allowed);
    throw e;
  }
}

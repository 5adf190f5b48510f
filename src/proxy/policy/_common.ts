/**
 * What every policy unit shares: the injected random source and clock, proto Duration and
 * FractionalPercent arithmetic as Envoy does it.
 */
import type { Duration } from '@bufbuild/protobuf/wkt';
import { FractionalPercent_DenominatorType, type FractionalPercent } from '../../xds/gen/envoy/type/v3/percent_pb.js';

/** A uniform random number in [0, 1), like `Math.random`. Tests inject a seeded or scripted one. */
export type RandomSource = () => number;

/** Monotonic milliseconds, like `performance.now()`. Tests inject a hand-driven one. */
export type Clock = () => number;

/** A uniform integer in [0, n): Envoy's `random() % n`. */
export function randomBelow(random: RandomSource, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/** Milliseconds of a proto `Duration`; `undefined` when the field is unset. */
export function durationMs(d: Duration | undefined): number | undefined {
  if (d === undefined) return undefined;
  return Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6);
}

/** The denominator a `FractionalPercent` counts in: 100, 10 000 or 1 000 000. */
export function denominatorOf(p: FractionalPercent): number {
  switch (p.denominator) {
    case FractionalPercent_DenominatorType.TEN_THOUSAND: return 10_000;
    case FractionalPercent_DenominatorType.MILLION: return 1_000_000;
    default: return 100;
  }
}

/**
 * Envoy's `ProtobufPercentHelper::evaluateFractionalPercent`: `random % denominator < numerator`.
 * An unset percentage means 100 % (Envoy's default for fault and mirror fractions); a numerator above
 * the denominator is capped at 100 %.
 */
export function fractionHit(p: FractionalPercent | undefined, random: RandomSource): boolean {
  if (p === undefined) return true;
  const d = denominatorOf(p);
  if (p.numerator >= d) return true;
  if (p.numerator === 0) return false;
  return randomBelow(random, d) < p.numerator;
}

/** First value of a header as node gives it (string, list, or missing). */
export function firstHeader(v: string | readonly string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : v?.[0];
}

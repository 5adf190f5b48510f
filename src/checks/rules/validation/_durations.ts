// Istio `agent.ValidateDuration` (pkg/config/validation/agent/validation.go): a duration must be at least 1 ms and a
// whole number of milliseconds. The CRD's CEL rules refuse the durations under 1 ms; the precision is the webhook's.
import { parseGoDuration } from '../../../validate/go-duration.js';

/**
 * Why `value` (a duration as written: `1.5s`, `250ms`, `1h`) is refused for being finer than a millisecond, or
 * undefined: durations under 1 ms and malformed ones are left to `schema/crd-validation`, which refuses them first.
 * `where` names the field for the message. `underOneMs`: also refuse 0 < d < 1 ms, for a field without the CRD's CEL rule
 * (`connectionPool.tcp.idleTimeout`, where Istio skips exactly 0, which disables the timeout).
 */
export function durationPrecisionProblem(value: unknown, where: string, underOneMs = false): string | undefined {
  if (typeof value !== 'string') return undefined;
  let nanos: bigint;
  try {
    nanos = parseGoDuration(value);
  } catch {
    return undefined;
  }
  if (underOneMs && nanos > 0n && nanos < 1_000_000n) return `duration must be greater than 1ms: ${where} is ${value}; use 0s to disable it, or 1ms or more`;
  if (nanos < 1_000_000n || nanos % 1_000_000n === 0n) return undefined;
  const ms = nanos / 1_000_000n;
  return `only durations to ms precision are supported: ${where} is ${value}; round it to whole milliseconds (e.g. ${ms}ms or ${ms + 1n}ms)`;
}

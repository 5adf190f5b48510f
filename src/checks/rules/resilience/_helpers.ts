import { isRecord, type MeshObject } from '../../../mesh/object.js';
import type { FieldPath } from '../../types.js';
import { parseGoDuration } from '../../../validate/go-duration.js';

/** One `spec.http[i]` route of a VirtualService. */
export interface HttpRouteAt {
  readonly route: Readonly<Record<string, unknown>>;
  readonly path: FieldPath;
  /** `route "name"` or `spec.http[i]`, for messages. */
  readonly label: string;
}

export function httpRoutesOf(vs: MeshObject): HttpRouteAt[] {
  const routes = Array.isArray(vs.spec.http) ? vs.spec.http : [];
  const out: HttpRouteAt[] = [];
  routes.forEach((r, i) => {
    if (!isRecord(r)) return;
    out.push({ route: r, path: ['spec', 'http', i], label: typeof r.name === 'string' && r.name !== '' ? `route "${r.name}"` : `spec.http[${i}]` });
  });
  return out;
}

/** A protobuf Duration as written in Istio YAML (`2s`, `1.5s`, `300ms`), in milliseconds; undefined when absent or unparsable (schema validation reports those). */
export function durationMs(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  try {
    const nanos = parseGoDuration(v);
    return nanos < 0n ? undefined : Number(nanos) / 1e6;
  } catch {
    return undefined;
  }
}

/** `8s`, `1.5s`, `250ms`. */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms) / 1000}s` : `${Math.round(ms * 1000) / 1000}ms`;
}

/** `retries.attempts` as Istio reads it: absent or 0 means no retries; 0 also for a non-finite number (`.inf`, `.nan`: schema/crd-validation reports it), so no message says "Infinity". */
export function retryAttempts(retries: Readonly<Record<string, unknown>>): number {
  return typeof retries.attempts === 'number' && Number.isFinite(retries.attempts) && retries.attempts > 0 ? Math.floor(retries.attempts) : 0;
}

import { sourceAt, type FieldPath, type FileLocation } from '../types.js';
import type { MeshObject } from '../object.js';
import type { Origin } from './types.js';

/** The origin of `path` in `o`: reference, field path, file position and TypeScript origin. */
export function originOf(o: MeshObject, path: FieldPath): Origin {
  return { ref: o.ref, path, location: o.locate(path), source: sourceAt(o.source, path) };
}

/**
 * {@link originOf}, with the file position found when first read (`location`, an enumerable getter,
 * so JSON, spreads and deep equality see it as a field), and the object let go once it is known.
 * Finding a position may read the object's document again (`MeshObject.locate`): for origins made
 * in bulk and seldom read, such as every proxy's (`proxyOf`: a check rule may make one per
 * workload and report none). Not for view fields read on every translation: a getter per origin
 * costs the cold 1,000-service snapshot about 150 ms (bench/xds/translate.ts).
 */
export function lazyOriginOf(o: MeshObject, path: FieldPath): Origin {
  let object: MeshObject | undefined = o;
  let location: FileLocation | undefined;
  return {
    ref: o.ref,
    path,
    get location(): FileLocation {
      if (location === undefined) {
        location = object!.locate(path);
        object = undefined;
      }
      return location;
    },
    source: sourceAt(o.source, path),
  };
}

/** A duration string (`1.5s`, `100ms`, `1m`, `2h`, `3d`…) in milliseconds, or null when absent or malformed. */
export function durationMs(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  const m = v.trim().match(/^(\d+(?:\.\d+)?)(ms|s|m|h|d|us|µs|ns)$/);
  if (!m) return null;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  return Number(m[1]) * unit[m[2]!]!;
}

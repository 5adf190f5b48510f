import type { FieldPath, FileLocation } from '../types.js';
import type { MeshObject } from '../object.js';
import type { Origin } from './types.js';

/**
 * The origin of `path` in `o`: reference, field path, file position and TypeScript origin. The file
 * position is found when first read (`location`, an enumerable getter, so JSON, spreads and deep
 * equality see it as a field): finding it may read the object's document again (`MeshObject.locate`),
 * and most origins a view holds are never read (a check rule that builds views for a verdict, a
 * proxy whose translation is cached). The object is let go once the position is known.
 */
export function originOf(o: MeshObject, path: FieldPath): Origin {
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
    source: o.source,
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

import { sourceAt, type FieldPath, type FileLocation } from '../types.js';
import type { MeshObject } from '../object.js';
import type { Origin } from './types.js';

/** Whether {@link positionFreeJson} is printing: origins then print without lines and columns. */
let positionFree = false;

/**
 * The prototype of every origin made here: plain data for spreads, deep equality and `JSON.stringify`
 * (its `toJSON` is not enumerable and gives the origin itself), but for {@link positionFreeJson}.
 */
const ORIGIN_PROTO: object = Object.defineProperty({}, 'toJSON', {
  value(this: Origin): unknown {
    if (!positionFree) return this;
    return { ref: this.ref, path: this.path, file: this.location.file, source: this.source && { constructPath: this.source.constructPath, file: this.source.file } };
  },
});

/**
 * `print(o)` (a `JSON.stringify` of `o`) with every origin made here printed without its position:
 * object, field path, manifest file, TypeScript construct path and file, but no line or column of
 * either. Equal prints then mean equal content wherever the objects sit in their files, which is
 * all the xDS translators read of an origin (`originJson`: Envoy metadata carries no line, so that
 * a document inserted above does not change every later resource). The translations' carry-over
 * fingerprints use it, so the translations of an object that only moved are found by content.
 */
export function positionFreeJson(o: object, print: (o: object) => string): string {
  const outer = positionFree;
  positionFree = true;
  try {
    return print(o);
  } finally {
    positionFree = outer;
  }
}

/** The origin of `path` in `o`: reference, field path, file position and TypeScript origin. */
export function originOf(o: MeshObject, path: FieldPath): Origin {
  // Object.create and assignments, not a literal with `__proto__` (V8 makes that one about twice as slowly).
  const origin = Object.create(ORIGIN_PROTO) as { -readonly [K in keyof Origin]: Origin[K] };
  origin.ref = o.ref;
  origin.path = path;
  origin.location = o.locate(path);
  origin.source = sourceAt(o.source, path);
  return origin;
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
    __proto__: ORIGIN_PROTO,
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
  } as Origin;
}

/** A duration string (`1.5s`, `100ms`, `1m`, `2h`, `3d`…) in milliseconds, or null when absent or malformed. */
export function durationMs(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  const m = v.trim().match(/^(\d+(?:\.\d+)?)(ms|s|m|h|d|us|µs|ns)$/);
  if (!m) return null;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  return Number(m[1]) * unit[m[2]!]!;
}

import type { IConstruct } from 'constructs';
import { closest } from '../did-you-mean.js';
import { PropError } from './_errors.js';

/** A generated L1 `toJson_*` function (imports/): renders the fields it knows and drops the rest. */
type L1ToJson = (value: never) => unknown;

/** One object the L1 renderer reached, and the keys it read there. */
interface Level {
  readonly target: object;
  readonly path: readonly (string | number)[];
  readonly read: Set<string>;
  /** Enumerated as a map (`Object.entries`): every key is kept. */
  whole: boolean;
}

/**
 * Refuses keys of an `overrides` object that the L1 spec does not have (`subset` for `subsets`,
 * `simpel` for `simple`), at every level the L1 type describes. TypeScript catches them only in
 * object literals; passed through a variable, `as any` or plain JS, the L1 `toJson` would drop them
 * from the manifest without a word.
 *
 * The generated `toJson` is the definition of what the L1 type has: it reads exactly its known
 * fields (under their TypeScript names, `consecutive5XxErrors`), enumerates maps (labels) and passes
 * free-form values (`any`) on without reading them. So the overrides are rendered once through a
 * proxy that records what is read; an own key left unread where other keys were read is unknown.
 *
 * @throws PropError (`MP_INVALID_PROP`) naming the first unknown key's path (`overrides.subset`),
 *   its value, the known keys there and the nearest one.
 */
export function checkOverrideKeys(scope: IConstruct, field: string, overrides: object | undefined, toJson: L1ToJson, spec: string): void {
  if (overrides === null || typeof overrides !== 'object') return;
  const levels = new Map<string, Level>();
  try {
    toJson(traced(overrides, [], levels) as never);
  } catch {
    // A value of the wrong type (a string where the L1 type has a list) trips the renderer;
    // the API-server checks at synth report those.
    return;
  }
  for (const level of levels.values()) {
    if (level.whole || level.read.size === 0 || Array.isArray(level.target)) continue;
    const known = [...level.read].sort();
    for (const key of Object.keys(level.target)) {
      const value = (level.target as Record<string, unknown>)[key];
      if (level.read.has(key) || value === undefined) continue;
      const near = closest(key, known);
      const where = `${spec}${showPath(level.path)}`;
      throw new PropError('MP_INVALID_PROP', scope, `${field}${showPath([...level.path, key])}`, value,
        `expected a field of the ${where}${near !== undefined ? `; did you mean "${near}"?` : ''} (it has ${known.join(', ')}); an unknown key would be dropped from the manifest`);
    }
  }
}

function traced(target: object, path: readonly (string | number)[], levels: Map<string, Level>): object {
  const id = showPath(path);
  const level = levels.get(id) ?? { target, path, read: new Set<string>(), whole: false };
  levels.set(id, level);
  return new Proxy(target, {
    get(t, key, receiver) {
      const value: unknown = Reflect.get(t, key, receiver);
      if (typeof key !== 'string') return value;
      level.read.add(key);
      if (value === null || typeof value !== 'object' || !Object.hasOwn(t, key)) return value;
      return traced(value, [...path, Array.isArray(t) ? Number(key) : key], levels);
    },
    ownKeys(t) {
      level.whole = true;
      return Reflect.ownKeys(t);
    },
  });
}

/** `.subsets[0].trafficPolicy`, as the construct's field names are written. */
function showPath(path: readonly (string | number)[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
}

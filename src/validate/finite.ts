import { formatPath } from './path.js';
import type { Path, SchemaViolation } from './types.js';

/** Why a non-finite number is refused, for a message after `<path>: `. */
export function nonFiniteMessage(value: number): string {
  return `must be a finite number: ${yamlSpelling(value)} has no JSON form, so kubectl and the API server refuse it`;
}

/** A non-finite number as YAML writes it (`.nan`, `.inf`, `-.inf`): messages never say NaN or Infinity. */
function yamlSpelling(value: number): string {
  return Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf';
}

interface Entry {
  readonly value: unknown;
  readonly key: string | number | undefined;
  readonly parent: Entry | undefined;
}

/**
 * NaN and ±Infinity anywhere in the object, including subtrees the schema leaves open
 * (`x-kubernetes-preserve-unknown-fields`, e.g. an EnvoyFilter patch value). YAML writes them
 * as `.nan`/`.inf` (a literal past the double range, `1e400`, stays a string as in go-yaml, so it
 * fails the type check instead); JSON has no form for them, so kubectl cannot even send the object. Typed fields already fail their type
 * check (ajv `strictNumbers`); paths in `reported` are not reported again.
 */
export function nonFiniteNumbers(root: unknown, reported: readonly SchemaViolation[]): SchemaViolation[] {
  const out: SchemaViolation[] = [];
  // Iterative, and paths are built only for a hit: input depth is bounded by the loader, not the call stack.
  const stack: Entry[] = [{ value: root, key: undefined, parent: undefined }];
  const seen = new Set<object>(); // a cyclic or shared subtree is walked once
  while (stack.length > 0) {
    const entry = stack.pop()!;
    const { value } = entry;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) out.push(violation(entry, value));
      continue;
    }
    if (value === null || typeof value !== 'object' || seen.has(value)) continue;
    seen.add(value);
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], key: i, parent: entry });
    } else {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) stack.push({ value: (value as Record<string, unknown>)[keys[i]!], key: keys[i]!, parent: entry });
    }
  }
  if (out.length === 0) return out;
  const known = new Set(reported.map((v) => formatPath(v.path)));
  return out.filter((v) => !known.has(formatPath(v.path)));
}

function violation(entry: Entry, value: number): SchemaViolation {
  const path: (string | number)[] = [];
  for (let e: Entry | undefined = entry; e?.key !== undefined; e = e.parent) path.unshift(e.key);
  return { path: path as Path, kind: 'schema', message: `${formatPath(path)}: ${nonFiniteMessage(value)}` };
}

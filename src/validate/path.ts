import type { Path } from './types.js';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Renders a path the way people write it: `spec.http[0].route[1].weight`; `<root>` when empty. */
export function formatPath(path: Path): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '<root>' : out;
}

/**
 * A short, safe rendering of a value for messages: bounded in length and depth, so deep or
 * cyclic input never overflows the stack.
 */
export function showValue(value: unknown, budget = 60): string {
  const text = render(value, 3);
  return text.length > budget ? `${text.slice(0, budget - 1)}…` : text;
}

function render(value: unknown, depth: number): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return String(value);
  if (depth === 0) return Array.isArray(value) ? '[…]' : '{…}';
  if (Array.isArray(value)) {
    const shown = value.slice(0, 4).map((v) => render(v, depth - 1));
    return `[${shown.join(', ')}${value.length > 4 ? ', …' : ''}]`;
  }
  const keys = Object.keys(value);
  const shown = keys.slice(0, 4).map((k) => `${JSON.stringify(k)}: ${render((value as Record<string, unknown>)[k], depth - 1)}`);
  return `{${shown.join(', ')}${keys.length > 4 ? ', …' : ''}}`;
}

/** A value's JSON type name as schema messages use it. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

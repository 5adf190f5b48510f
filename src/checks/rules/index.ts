import { RETIRED_RULES } from '../retired-rules.js';
import type { Rule } from '../rule.js';
import * as registered from './registered.js';

const ID = /^[a-z][a-z0-9-]*\/[a-z0-9][a-z0-9-]*$/;

/**
 * Every rule, sorted by id: the one registry that `meshproof check`, `meshproof rules` and SARIF
 * read. To add a rule, add one line to `registered.ts`.
 */
export const ALL_RULES: readonly Rule[] = buildRegistry(Object.values(registered));

/** Sorts rules by id and refuses malformed, duplicate or retired ids (caught by the registry test). */
export function buildRegistry(rules: readonly Rule[]): readonly Rule[] {
  const seen = new Set<string>();
  for (const r of rules) {
    if (!ID.test(r.id)) throw new Error(`rule id ${JSON.stringify(r.id)} is not of the form area/name (lower-case, dashes)`);
    if (seen.has(r.id)) throw new Error(`rule id ${r.id} is registered twice`);
    if (Object.hasOwn(RETIRED_RULES, r.id)) throw new Error(`rule id ${r.id} was retired and is never reused: ${RETIRED_RULES[r.id]}`);
    seen.add(r.id);
  }
  return Object.freeze([...rules].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
}

/** The rule with this id, or undefined. */
export function findRule(id: string): Rule | undefined {
  return ALL_RULES.find((r) => r.id === id);
}

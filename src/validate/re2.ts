import { RE2JS } from 're2js';

/**
 * RE2 for every regular expression the API server would run (OpenAPI `pattern`, CEL
 * `matches`): Go's regexp is RE2, so syntax matches, and matching is linear in the input, so a
 * pathological pattern or input cannot hang validation the way a backtracking RegExp can.
 */
const cache = new Map<string, RE2JS>();
const CACHE_LIMIT = 512;

/** Compiles (once) an RE2 pattern; throws on syntax RE2 rejects. */
export function re2(pattern: string): RE2JS {
  let compiled = cache.get(pattern);
  if (!compiled) {
    compiled = RE2JS.compile(pattern);
    // Patterns in CRDs are few; patterns taken from object data could be unbounded.
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(pattern, compiled);
  }
  return compiled;
}

/** Unanchored search, as both JSON Schema `pattern` and CEL `matches` define it. */
export function re2Test(pattern: string, text: string): boolean {
  return re2(pattern).matcher(text).find();
}

import type { CST } from 'yaml';
import type { FieldPath } from './types.js';

/** A whole double-quoted scalar with no escape, line break or single quote inside. */
const PLAIN_DOUBLE_QUOTED = /^"[^"\\\n\r']*"$/;

/**
 * Rewrites, in place, every double-quoted scalar of a CST document that holds no escape, line
 * break or single quote into the single-quoted scalar with the same value and the same length
 * (so every offset and range stays as it was).
 *
 * Why: `yaml`'s Composer builds a double-quoted value one character at a time (`res += ch`),
 * which V8 keeps as a rope of one ~32-byte node per character until something flattens it. A
 * 10 MB ConfigMap of quoted `data` held 320 MB of ropes; a 50 MB one took 1.9 GB. A single-quoted
 * scalar without `''` is one copy of the text. JSON files, and YAML with flow mappings, are always
 * composed by `yaml` (FastComposer takes block style only), so this is their common case.
 */
export function cheapQuotes(doc: CST.Document): void {
  const stack: (CST.Token | undefined | null)[] = [doc.value];
  while (stack.length > 0) {
    const token = stack.pop();
    if (!token) continue;
    if (token.type === 'double-quoted-scalar') {
      const source = token.source;
      if (PLAIN_DOUBLE_QUOTED.test(source)) {
        token.type = 'single-quoted-scalar';
        token.source = `'${source.slice(1, -1)}'`;
      }
    } else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      for (const item of token.items) {
        if ('key' in item) stack.push(item.key);
        stack.push(item.value);
      }
    }
  }
}

/**
 * Makes every string in `value` a flat string (shared subtrees from aliases are walked once).
 * `yaml` builds block scalars, folded plain scalars and quoted scalars with escapes by repeated
 * concatenation: V8 ropes that cost ~32 bytes a piece for as long as the value lives, that is, the
 * whole run. `Number(s)` has V8 flatten the rope in place (a V8 behaviour, not a language
 * guarantee: on another engine this costs one scan and changes nothing).
 */
export function flattenStrings(value: unknown): void {
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  const flatten = (s: string): void => {
    if (s.length > 12) Number(s);
  };
  if (typeof value === 'string') flatten(value);
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    const children: unknown[] = Array.isArray(v) ? v : Object.values(v);
    for (const child of children) {
      if (typeof child === 'string') flatten(child);
      else if (typeof child === 'object' && child !== null) stack.push(child);
    }
  }
}

/** Finds the offset of the closest existing node along a field path in one composed document. */
export type Locator = (path: FieldPath) => number;

/**
 * The locators of the documents whose positions were asked for most recently, kept while their
 * documents' text adds up to at most `maxChars` and they number at most `maxEntries`; the least
 * recently used is dropped first. A locator holds its document's whole `yaml` node tree (a few
 * hundred bytes a node), so keeping every one that was ever built kept every located document's
 * tree alive for the run. A document larger than `maxChars` is composed for each lookup.
 */
export class LocatorCache {
  private readonly entries = new Map<object, { locator: Locator | null; chars: number }>();
  private chars = 0;

  constructor(
    private readonly maxChars: number,
    private readonly maxEntries: number,
  ) {}

  /** The locator for `owner`, built by `build` (over `chars` characters of text) when not cached. */
  get(owner: object, chars: number, build: () => Locator | null): Locator | null {
    const hit = this.entries.get(owner);
    if (hit) {
      this.entries.delete(owner);
      this.entries.set(owner, hit);
      return hit.locator;
    }
    const locator = build();
    if (chars > this.maxChars) return locator;
    this.entries.set(owner, { locator, chars });
    this.chars += chars;
    for (const [key, entry] of this.entries) {
      if (this.chars <= this.maxChars && this.entries.size <= this.maxEntries) break;
      this.entries.delete(key);
      this.chars -= entry.chars;
    }
    return locator;
  }
}

/**
 * The locator cache of one load (every file of one `loadInputs`): 8 Mi characters of document text
 * (a node tree is ~20-40 bytes a character) and 8,192 documents, enough for each located document
 * of a 10,000-object mesh to be composed once. It lives as long as the load's objects do.
 */
export function newLocatorCache(): LocatorCache {
  return new LocatorCache(8 * 1024 * 1024, 8192);
}

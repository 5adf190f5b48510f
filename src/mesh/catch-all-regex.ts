/**
 * Whether an RE2 regex of an Istio StringMatch (`regex: ".+"`) matches every value a request can carry
 * in that place. Envoy matches `safe_regex` against the whole value (RE2 FullMatch), so anchors are
 * redundant; authors write the same catch-all many ways (`.*`, `^.*$`, `(.*)`, `(?:.+)`, `[\s\S]*`,
 * `.{0,}`, `(?s).*`, `^/.*`), and every one of them must read as a catch-all to the rules that reason
 * about which later routes are reachable. Conservative: a regex not recognised is not a catch-all.
 */

/** What values a matched field can hold. */
export type RegexDomain =
  /** Any string, the empty one included (a header that is present but may be empty). */
  | 'any'
  /** Any non-empty string: `:method`, `:scheme`, `:authority` (Envoy refuses a request without them). */
  | 'nonEmpty'
  /** A URL path (Envoy `:path` without the query): non-empty and starting with `/`. */
  | 'path';

/** Single-character classes that match any character a header value or path can hold (no CR/LF there). */
const ANY_CHAR = new Set(['.', '[\\s\\S]', '[\\S\\s]', '[\\w\\W]', '[\\W\\w]', '[\\d\\D]', '[\\D\\d]', '[^\\n]', '[^\\r\\n]', '[^\\n\\r]', '\\C', '\\p{Any}']);
/** Repetitions of one character: `*` (zero or more), `+` (one or more), lazy or possessive-free forms and `{n,}`. */
const STAR = new Set(['*', '*?', '{0,}', '{0,}?']);
const PLUS = new Set(['+', '+?', '{1,}', '{1,}?']);

/**
 * Whether `regex` matches every value of `domain`, e.g. `.+` on `:scheme` ('nonEmpty'), `^/.*` on a
 * path ('path'); false for `.+` on a header value that may be empty ('any'), or for anything not
 * recognised (`https?`, `/api/.*`).
 */
export function regexMatchesEvery(regex: string, domain: RegexDomain): boolean {
  const body = strip(regex);
  if (body === undefined) return false;
  const rep = repetition(body);
  if (rep === undefined) {
    // `/.*` (and `/.+`? no: it misses "/") on a path: every path starts with "/".
    return domain === 'path' && body.startsWith('/') && repetition(strip(body.slice(1)) ?? '') === 'star';
  }
  return rep === 'star' || domain !== 'any';
}

/** `star` when `body` is any-character `*`, `plus` when any-character `+`, else undefined. */
function repetition(body: string): 'star' | 'plus' | undefined {
  for (const c of ANY_CHAR) {
    if (!body.startsWith(c)) continue;
    const rest = body.slice(c.length);
    if (STAR.has(rest)) return 'star';
    if (PLUS.has(rest)) return 'plus';
  }
  // `(?s:.)*` and `(.)*`: a group around the character.
  const g = /^\((?:\?:|\?s:)?(.+)\)(.*)$/.exec(body);
  if (g && ANY_CHAR.has(g[1]!) && (STAR.has(g[2]!) || PLUS.has(g[2]!))) return STAR.has(g[2]!) ? 'star' : 'plus';
  return undefined;
}

/**
 * `regex` without what does not change the set of whole values it matches: leading flag groups
 * (`(?s)`, `(?i)`, `(?U)`), anchors (`^`, `$`, `\A`, `\z`) and groups around the whole expression
 * (`(…)`, `(?:…)`, `(?P<n>…)`, `(?<n>…)`, `(?i:…)`). Undefined for an empty result.
 */
function strip(regex: string): string | undefined {
  let s = regex;
  for (;;) {
    const before = s;
    s = s.replace(/^\(\?[imsU]+\)/, '');
    if (s.startsWith('^')) s = s.slice(1);
    else if (s.startsWith('\\A')) s = s.slice(2);
    if (s.endsWith('\\z')) s = s.slice(0, -2);
    else if (s.endsWith('$') && !escaped(s, s.length - 1)) s = s.slice(0, -1);
    const open = /^\((?:\?:|\?P?<[A-Za-z_][A-Za-z0-9_]*>|\?[imsU]+:)?/.exec(s);
    if (open && open[0] !== '' && s.endsWith(')') && !escaped(s, s.length - 1) && closingOf(s) === s.length - 1) s = s.slice(open[0].length, -1);
    if (s === before) break;
  }
  return s === '' ? undefined : s;
}

/** Whether the character at `i` is escaped by an odd number of backslashes before it. */
function escaped(s: string, i: number): boolean {
  let n = 0;
  for (let j = i - 1; j >= 0 && s[j] === '\\'; j--) n++;
  return n % 2 === 1;
}

/** The index of the `)` closing the `(` at index 0, skipping escapes and character classes; -1 when unbalanced. */
function closingOf(s: string): number {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') { i++; continue; }
    if (inClass) { if (c === ']') inClass = false; continue; }
    if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

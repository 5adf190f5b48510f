/**
 * Request path normalization of the HTTP connection manager, applied to `:path` before routing and
 * before any HTTP filter (RBAC) sees it, as Envoy's `ConnectionManagerUtility::maybeNormalizePath`:
 *
 * 1. `path_with_escaped_slashes_action`: `%2F` / `%5C` (any case) kept, rejected (400), unescaped
 *    and forwarded, or unescaped and the client redirected to the new path (gRPC: rejected);
 * 2. `normalize_path`: RFC 3986 normalization as Envoy's `PathUtil::canonicalPath` (Chromium's URL
 *    canonicalizer): percent-encoded unreserved characters (ALPHA / DIGIT / `-` `.` `_` `~`) decoded,
 *    other escapes kept as written, `\` read as `/`, dot segments (`.`, `..`, `%2e`) removed (§5.2.4),
 *    the fragment dropped; `%00` is refused (400);
 * 3. `merge_slashes`: runs of `/` become one.
 *
 * The query (from the first `?`) is never touched. Paths that do not start with `/` (`*`,
 * absolute-form) are left alone. Checked against the expectations of Istio's path normalization
 * integration test (tests/integration/pilot, `TestPathNormalization`) in path-normalization.test.ts.
 */

/** Envoy `HttpConnectionManager.PathWithEscapedSlashesAction`. */
export type EscapedSlashesAction = 'KEEP_UNCHANGED' | 'REJECT_REQUEST' | 'UNESCAPE_AND_REDIRECT' | 'UNESCAPE_AND_FORWARD';

/** The HCM fields that decide normalization. */
export interface PathNormalization {
  /** `normalize_path` (Envoy default false; istiod sets true unless MeshConfig `pathNormalization` is NONE). */
  readonly normalizePath: boolean;
  /** `merge_slashes`, default false. */
  readonly mergeSlashes: boolean;
  /** `path_with_escaped_slashes_action`, default (IMPLEMENTATION_SPECIFIC_DEFAULT) KEEP_UNCHANGED. */
  readonly escapedSlashes: EscapedSlashesAction;
}

/** What to do with the request: go on with `path`, answer 400, or redirect the client to `path`. */
export type NormalizeOutcome =
  | { readonly kind: 'forward'; readonly path: string }
  | { readonly kind: 'reject'; readonly details: string }
  | { readonly kind: 'redirect'; readonly path: string };

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function unreserved(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95 || c === 126;
}

/** True when nothing in `p` can change under any setting (the common case, checked without allocating). */
function plain(p: string, merge: boolean): boolean {
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c === 37 || c === 92) return false; // '%' '\'
    if (c === 47) { // '/'
      const n = p.charCodeAt(i + 1);
      if (n === 46 || (merge && n === 47)) return false; // "/." or "//"
    }
  }
  return true;
}

/** Unescapes `%2F`/`%5C` (any case); `found` tells whether there was one. */
function unescapeSlashes(p: string): { path: string; found: boolean } {
  const out = p.replace(/%(2f|5c)/gi, (m) => (m[2] === 'f' || m[2] === 'F' ? '/' : '\\'));
  return { path: out, found: out !== p };
}

/** Decodes escaped unreserved characters (others kept as written), `\` → `/`. */
function canonicalEscapes(p: string): string {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c === 92) { out += '/'; continue; }
    if (c === 37 && i + 2 < p.length) {
      const hi = hexValue(p.charCodeAt(i + 1));
      const lo = hexValue(p.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        const v = hi * 16 + lo;
        out += unreserved(v) ? String.fromCharCode(v) : p.slice(i, i + 3);
        i += 2;
        continue;
      }
    }
    out += p[i];
  }
  return out;
}

/** RFC 3986 §5.2.4 on an absolute path: `.` and `..` segments removed, never above the root. */
export function removeDotSegments(p: string): string {
  const segs = p.split('/');
  const out: string[] = [];
  // segs[0] is '' (the path starts with '/').
  for (let i = 1; i < segs.length; i++) {
    const s = segs[i]!;
    const last = i === segs.length - 1;
    if (s === '.') { if (last) out.push(''); continue; }
    if (s === '..') { out.pop(); if (last) out.push(''); continue; }
    out.push(s);
  }
  return '/' + out.join('/');
}

/**
 * Normalizes a request's `:path` (query included, untouched) under `n`; `grpc` requests are
 * rejected rather than redirected. Pure; never throws.
 */
export function normalizeRequestPath(rawPath: string, n: PathNormalization, grpc = false): NormalizeOutcome {
  if (!n.normalizePath && !n.mergeSlashes && n.escapedSlashes === 'KEEP_UNCHANGED') return { kind: 'forward', path: rawPath };
  if (rawPath.charCodeAt(0) !== 47) return { kind: 'forward', path: rawPath };
  const q = rawPath.indexOf('?');
  let path = q < 0 ? rawPath : rawPath.slice(0, q);
  let query = q < 0 ? '' : rawPath.slice(q);
  // The fragment never reaches the upstream (Envoy strips it).
  const hash = (q < 0 ? path : query).indexOf('#');
  if (hash >= 0) {
    if (q < 0) path = path.slice(0, hash);
    else query = query.slice(0, hash);
  }
  if (plain(path, n.mergeSlashes)) return { kind: 'forward', path: path + query };
  if (n.normalizePath && /%00/.test(path)) return { kind: 'reject', details: 'path_normalization_failed' };
  let unescaped = false;
  if (n.escapedSlashes !== 'KEEP_UNCHANGED') {
    const u = unescapeSlashes(path);
    if (u.found && n.escapedSlashes === 'REJECT_REQUEST') return { kind: 'reject', details: 'path_has_escaped_slashes' };
    path = u.path;
    unescaped = u.found;
  }
  if (n.normalizePath) path = removeDotSegments(canonicalEscapes(path));
  if (n.mergeSlashes) path = path.replace(/\/{2,}/g, '/');
  if (unescaped && n.escapedSlashes === 'UNESCAPE_AND_REDIRECT') {
    return grpc ? { kind: 'reject', details: 'path_has_escaped_slashes' } : { kind: 'redirect', path: path + query };
  }
  return { kind: 'forward', path: path + query };
}

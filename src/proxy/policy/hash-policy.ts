/**
 * Route `hash_policy` → the hash key consistent-hash load balancers use (Envoy
 * `source/common/http/hash_policy.cc`): header (values sorted, XXH64 chained; optional regex
 * rewrite), cookie (generating one with `ttl` when absent), connection `source_ip`, query
 * parameter. Hashes combine as Envoy does: rotate the previous left by one bit, XOR the new one;
 * a `terminal` policy that produced a hash ends the walk. Compiled once per route.
 */
import type { RouteAction_HashPolicy } from '../../xds/gen/envoy/config/route/v3/route_components_pb.js';
import { ConfigError } from '../config/config-error.js';
import type { HeaderBag } from '../route-match.js';
import { compileRegexRewrite } from '../route-rewrite.js';
import { durationMs } from './_common.js';
import { xxHash64, xxHash64Chain } from './lb/xxhash.js';

/** What hashing may read from a request. */
export interface HashInput {
  readonly headers: HeaderBag;
  /** Request path with query (`:path`). */
  readonly path: string;
  /** Downstream peer IP (no port). */
  readonly sourceIp?: string;
  /** Downstream peer and local addresses as `ip:port` (`[ip]:port` for IPv6), for generated cookies. */
  readonly remoteAddress?: string;
  readonly localAddress?: string;
}

/** The hash key (`undefined`: no policy produced one; the LB then draws at random) and a cookie to set. */
export interface HashResult {
  readonly hash: bigint | undefined;
  /** A `Set-Cookie` value to add to the response (generated cookie). */
  readonly setCookie?: string;
}

type Method = (req: HashInput, cookies: string[]) => bigint | undefined;

const MASK64 = (1n << 64n) - 1n;

/** Envoy `Http::Utility::parseCookieValue`: the first `name=value` in any Cookie header, quotes stripped. */
export function cookieValue(headers: HeaderBag, name: string): string | undefined {
  const raw = headers['cookie'];
  const all = raw === undefined ? [] : typeof raw === 'string' ? [raw] : raw;
  for (const line of all) {
    for (const part of line.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      if (part.slice(0, eq).trim() !== name) continue;
      let v = part.slice(eq + 1).trim();
      if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
      return v;
    }
  }
  return undefined;
}

/** Envoy `makeSetCookieValue`: `name="value"; Max-Age=N; Path=p; HttpOnly`. */
export function setCookieValue(name: string, value: string, path: string, maxAgeS: number, attributes: readonly { name: string; value: string }[] = []): string {
  let s = `${name}="${value}"`;
  if (maxAgeS !== 0) s += `; Max-Age=${maxAgeS}`;
  if (path !== '') s += `; Path=${path}`;
  for (const a of attributes) s += a.value === '' ? `; ${a.name}` : `; ${a.name}=${a.value}`;
  return `${s}; HttpOnly`;
}

function compileOne(p: RouteAction_HashPolicy): Method {
  const s = p.policySpecifier;
  switch (s.case) {
    case 'header': {
      const name = s.value.headerName.toLowerCase();
      if (name === '') throw new ConfigError('header.header_name', 'is empty; name the header to hash');
      let rw: ReturnType<typeof compileRegexRewrite> | undefined;
      try { rw = s.value.regexRewrite ? compileRegexRewrite(s.value.regexRewrite) : undefined; } catch (e) { throw e instanceof ConfigError ? e.within('header.regex_rewrite') : e; }
      return (req) => {
        const v = req.headers[name];
        if (v === undefined) return undefined;
        let values = typeof v === 'string' ? [v] : [...v];
        if (rw) values = values.map((x) => rw.re.matcher(x).replaceAll(rw.replacement));
        return xxHash64Chain(values.sort());
      };
    }
    case 'cookie': {
      const { name, path, attributes } = s.value;
      if (name === '') throw new ConfigError('cookie.name', 'is empty; name the cookie to hash');
      const ttlS = s.value.ttl === undefined ? undefined : Math.floor((durationMs(s.value.ttl) ?? 0) / 1000);
      return (req, cookies) => {
        const v = cookieValue(req.headers, name);
        if (v !== undefined) return xxHash64(v);
        if (ttlS === undefined) return undefined;
        // Envoy: the value is the hex XXH64 of the downstream remote + local address strings.
        const value = xxHash64(`${req.remoteAddress ?? ''}${req.localAddress ?? ''}`).toString(16).padStart(16, '0');
        cookies.push(setCookieValue(name, value, path, ttlS, attributes));
        return xxHash64(value);
      };
    }
    case 'connectionProperties':
      if (!s.value.sourceIp) return () => undefined;
      return (req) => (req.sourceIp === undefined || req.sourceIp === '' ? undefined : xxHash64(req.sourceIp));
    case 'queryParameter': {
      const name = s.value.name;
      if (name === '') throw new ConfigError('query_parameter.name', 'is empty; name the query parameter to hash');
      return (req) => {
        const q = req.path.indexOf('?');
        if (q < 0) return undefined;
        for (const kv of req.path.slice(q + 1).split('#')[0]!.split('&')) {
          const eq = kv.indexOf('=');
          if ((eq < 0 ? kv : kv.slice(0, eq)) === name) return xxHash64(eq < 0 ? '' : kv.slice(eq + 1));
        }
        return undefined;
      };
    }
    default:
      throw new ConfigError(s.case === undefined ? 'policy_specifier' : s.case, `${s.case === undefined ? 'no hash method set' : `"${s.case}" is not supported`}; use header, cookie, connection_properties or query_parameter`);
  }
}

/** A route's hash policies compiled; `undefined` when the route has none. Throws {@link ConfigError} at `hash_policy[i]`. */
export function compileHashPolicy(policies: readonly RouteAction_HashPolicy[]): ((req: HashInput) => HashResult) | undefined {
  if (policies.length === 0) return undefined;
  const methods = policies.map((p, i) => {
    try { return { m: compileOne(p), terminal: p.terminal }; } catch (e) { throw e instanceof ConfigError ? e.within(`hash_policy[${i}]`) : e; }
  });
  return (req) => {
    const cookies: string[] = [];
    let hash: bigint | undefined;
    for (const { m, terminal } of methods) {
      const h = m(req, cookies);
      if (h !== undefined) {
        const old = hash === undefined ? 0n : ((hash << 1n) | (hash >> 63n)) & MASK64;
        hash = old ^ h;
      }
      if (terminal && hash !== undefined) break;
    }
    return cookies.length > 0 ? { hash, setCookie: cookies[0]! } : { hash };
  };
}

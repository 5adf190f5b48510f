import { isIP as nodeIsIp } from 'node:net';
import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import { Duration } from '@marcbachmann/cel-js/evaluator';
import { renameCalls, rewriteFormatCalls, rewriteHasOfExpressions } from './cel-source.js';
import { parseGoDuration } from './go-duration.js';
import { parseRequestUri, type K8sUrl } from './k8s-url.js';
import { re2Test } from './re2.js';

/**
 * Kubernetes' CEL `isIP(string)` (k8s.io/apiserver/pkg/cel/library/ip.go): an IPv4 or IPv6 address as Go's
 * `netip.ParseAddr` reads it (no leading zeros in IPv4), without an IPv6 zone (`fe80::1%eth0`) and not an
 * IPv4-mapped IPv6 address (`::ffff:1.2.3.4`), which the library refuses.
 */
export function k8sIsIp(text: string): boolean {
  const family = nodeIsIp(text);
  if (family === 4) return true;
  if (family !== 6 || text.includes('%')) return false;
  // The canonical form of an IPv4-mapped address is ::ffff:<hex>:<hex> (the URL parser canonicalises IPv6 hosts).
  return !/^\[::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}\]$/.test(new URL(`http://[${text}]`).hostname);
}

/** RFC 1123 label, as Kubernetes' `IsDNS1123Label`: lowercase alphanumerics and '-', alphanumeric at both ends, at most 63 characters. */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The value `format.dns1123Label()` returns: Kubernetes' format library `kubernetes.NamedFormat`. */
class CelFormat {
  constructor(readonly name: string, readonly check: (text: string) => string[]) {}
}

/** What `format.<name>(` becomes (see rewriteFormatCalls). */
const FORMAT_PREFIX = 'k8sFormat_';

const DNS1123_LABEL_FORMAT = new CelFormat('dns1123Label', (text) => {
  const errors: string[] = [];
  if (text.length > 63) errors.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(text)) errors.push("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character");
  return errors;
});

/** The value `url()` returns: Kubernetes' `kubernetes.URL`. */
class CelUrl {
  constructor(readonly url: K8sUrl) {}
}

/**
 * Built-ins whose cel-js behaviour differs from the API server's cel-go: `matches` runs a
 * backtracking JS RegExp (RE2 in Kubernetes) and `duration` rejects `"0"` and accepts `"ms"`
 * or out-of-range values (Go's ParseDuration does the reverse). cel-js cannot replace a
 * built-in overload, so rules call Kubernetes-exact functions under other names instead.
 */
const RENAMES: Readonly<Record<string, string>> = { matches: 'k8sMatches', duration: 'k8sDuration' };

/** What `has(<expr>.<field>)` becomes when `<expr>` is not an identifier chain (see rewriteHasOfExpressions). */
const HAS_OF_EXPRESSION = 'k8sHas';

const NANOS_PER_SECOND = 1_000_000_000n;

function durationOf(text: string): Duration {
  const nanos = parseGoDuration(text);
  return new Duration(nanos / NANOS_PER_SECOND, Number(nanos % NANOS_PER_SECOND));
}

/** `has(value.field)` as cel-go evaluates it on a map: is the key present. Other operands are an error. */
function hasField(value: unknown, field: string): boolean {
  if (value instanceof Map) return value.has(field);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return Object.hasOwn(value, field) && (value as Record<string, unknown>)[field] !== undefined;
  throw new Error(`has() of field ${JSON.stringify(field)} on a value that is not a map or message`);
}

function urlOf(text: string): CelUrl {
  const url = parseRequestUri(text);
  if (!url) throw new Error(`URL parse error during conversion from string: ${JSON.stringify(text)}`);
  return new CelUrl(url);
}

/**
 * The CEL environment of `x-kubernetes-validations`: `self` and `oldSelf` as dynamic values, the
 * standard library, and the Kubernetes library functions Istio's rules use (`url`, `isURL` and
 * the URL getters), with `matches` and `duration` as Kubernetes runs them, and `has()` of any
 * expression's field, which cel-js allows only on identifier chains.
 */
const env = new Environment({ homogeneousAggregateLiterals: false })
  .registerVariable('self', 'dyn')
  .registerVariable('oldSelf', 'dyn')
  .registerType('URL', CelUrl)
  .registerFunction('string.k8sMatches(string): bool', (text: string, pattern: string) => re2Test(pattern, text))
  .registerFunction('k8sMatches(string, string): bool', (text: string, pattern: string) => re2Test(pattern, text))
  .registerFunction('k8sDuration(string): google.protobuf.Duration', durationOf)
  .registerFunction(`${HAS_OF_EXPRESSION}(dyn, string): bool`, hasField)
  .registerFunction('isURL(string): bool', (text: string) => parseRequestUri(text) !== undefined)
  .registerFunction('url(string): URL', urlOf)
  .registerFunction('URL.getScheme(): string', (u: CelUrl) => u.url.scheme)
  .registerFunction('URL.getHost(): string', (u: CelUrl) => u.url.host)
  .registerFunction('URL.getHostname(): string', (u: CelUrl) => hostname(u.url.host))
  .registerFunction('URL.getPort(): string', (u: CelUrl) => port(u.url.host))
  .registerFunction('URL.getEscapedPath(): string', (u: CelUrl) => u.url.path)
  .registerFunction('URL.getQuery(): map<string, list<string>>', (u: CelUrl) => query(u.url.query))
  .registerFunction('isIP(string): bool', k8sIsIp)
  .registerType('Format', CelFormat)
  // Kubernetes' format library: `validate` gives the errors, or none (here null, which Gateway API's rules compare with).
  .registerFunction(`${FORMAT_PREFIX}dns1123Label(): Format`, () => DNS1123_LABEL_FORMAT)
  .registerFunction('Format.validate(string): dyn', (f: CelFormat, text: string) => { const e = f.check(text); return e.length > 0 ? e : null; });

/** Parses a rule for evaluation with `self` (and `oldSelf`) bound; throws a ParseError on bad syntax. */
export function compileCel(source: string): ParseResult {
  return env.parse(rewriteHasOfExpressions(rewriteFormatCalls(renameCalls(source, RENAMES), FORMAT_PREFIX), HAS_OF_EXPRESSION));
}

function hostname(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

function port(host: string): string {
  const close = host.lastIndexOf(']');
  const colon = host.lastIndexOf(':');
  return colon > close ? host.slice(colon + 1) : '';
}

function query(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of new URLSearchParams(text)) out.set(k, [...(out.get(k) ?? []), v]);
  return out;
}

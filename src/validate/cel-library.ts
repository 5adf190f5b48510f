import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import { Duration } from '@marcbachmann/cel-js/evaluator';
import { renameCalls, rewriteHasOfExpressions } from './cel-source.js';
import { parseGoDuration } from './go-duration.js';
import { parseRequestUri, type K8sUrl } from './k8s-url.js';
import { re2Test } from './re2.js';

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
  .registerFunction('URL.getQuery(): map<string, list<string>>', (u: CelUrl) => query(u.url.query));

/** Parses a rule for evaluation with `self` (and `oldSelf`) bound; throws a ParseError on bad syntax. */
export function compileCel(source: string): ParseResult {
  return env.parse(rewriteHasOfExpressions(renameCalls(source, RENAMES), HAS_OF_EXPRESSION));
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

import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import { Duration } from '@marcbachmann/cel-js/evaluator';
import { renameCalls } from './cel-source.js';
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

const NANOS_PER_SECOND = 1_000_000_000n;

function durationOf(text: string): Duration {
  const nanos = parseGoDuration(text);
  return new Duration(nanos / NANOS_PER_SECOND, Number(nanos % NANOS_PER_SECOND));
}

function urlOf(text: string): CelUrl {
  const url = parseRequestUri(text);
  if (!url) throw new Error(`URL parse error during conversion from string: ${JSON.stringify(text)}`);
  return new CelUrl(url);
}

/**
 * The CEL environment of `x-kubernetes-validations`: `self` and `oldSelf` as dynamic values, the
 * standard library, and the Kubernetes library functions Istio's rules use (`url`, `isURL` and
 * the URL getters), with `matches` and `duration` as Kubernetes runs them.
 */
const env = new Environment({ homogeneousAggregateLiterals: false })
  .registerVariable('self', 'dyn')
  .registerVariable('oldSelf', 'dyn')
  .registerType('URL', CelUrl)
  .registerFunction('string.k8sMatches(string): bool', (text: string, pattern: string) => re2Test(pattern, text))
  .registerFunction('k8sMatches(string, string): bool', (text: string, pattern: string) => re2Test(pattern, text))
  .registerFunction('k8sDuration(string): google.protobuf.Duration', durationOf)
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
  return env.parse(renameCalls(source, RENAMES));
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

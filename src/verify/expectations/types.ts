import { retryOnRetriesTimeout } from '../../mesh/retry-on.js';
/**
 * Expectations: what a construct (or a user, or a route-test file) promises about traffic, as
 * plain, JSON-serialisable data. `cdk8s synth` writes them to `.meshproof/expectations.json`
 * beside the source map; `meshproof verify` judges each one statically against the per-proxy view
 * and, where a runtime is available, with real requests.
 *
 * Units: durations in milliseconds, shares in percent (0..100) as Istio writes `percentage.value`.
 */

/** Where a promise was made: the construct and the line of the user's TypeScript that created it. */
export interface ExpectationSource {
  /** Construct path, e.g. `customers/customers-canary`; for route-test files the file and case name. */
  readonly constructPath: string;
  /** Project-relative TypeScript (or YAML test) file, when known. */
  readonly file?: string;
  /** 1-based line in `file`, when known. */
  readonly line?: number;
}

/** The proxy a request is sent through. */
export type RequestVia =
  /** A sidecar in `namespace` (a workload of that namespace when dist/ has one). */
  | { readonly kind: 'mesh'; readonly namespace: string }
  /** The ingress gateway bound by Gateway `<ns>/<name>`, on its server `port`. */
  | { readonly kind: 'gateway'; readonly gateway: string; readonly port: number };

/** One HTTP request, as a client sends it. Header names lower case. */
export interface RequestSpec {
  /** Host / `:authority` without port: a service FQDN (`reviews.bookinfo.svc.cluster.local`) or a gateway host. */
  readonly host: string;
  /** Service or gateway port. @default the host's only HTTP port */
  readonly port?: number;
  /** @default '/' */
  readonly path: string;
  /** @default 'GET' */
  readonly method: string;
  /** @default {} */
  readonly headers: Readonly<Record<string, string>>;
  /** @default a sidecar in the destination's namespace */
  readonly via: RequestVia;
}

/** A destination: a host, optionally narrowed to a subset and to the pod labels it must land on. */
export interface DestinationSpec {
  /** Service FQDN. */
  readonly host: string;
  /** DestinationRule subset name. @default none (any endpoint of the host) */
  readonly subset?: string;
  /** Pod labels every endpoint reached must carry, e.g. `{version: 'v2'}`: catches a subset pointed at the wrong version. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Connection-pool limits promised for a cluster (Istio `ConnectionPoolSettings`; Envoy circuit breakers). */
export interface CircuitBreakerLimits {
  readonly maxConnections?: number;
  readonly http1MaxPendingRequests?: number;
  readonly http2MaxRequests?: number;
  readonly maxRequestsPerConnection?: number;
  readonly maxRetries?: number;
}

/**
 * A route's fault abort (Istio `fault.abort`): `percent` of requests are answered `status` by the
 * caller's sidecar (flag FI) before its router, so they never reach a destination, a retry or the
 * route timeout; a routing, retry or timeout promise of that route speaks of the others. A routing
 * promise carries it under 100 % only; at 100 % a retry or timeout promise cannot be shown by traffic.
 */
export interface AbortedShare {
  readonly status: number;
  readonly percent: number;
}

/**
 * A route's fault delay (Istio `fault.delay`): `percent` of requests wait `delayMs` in the caller's
 * sidecar before its router, so the delay adds to the route timeout instead of counting toward it.
 */
export interface DelayedShare {
  readonly delayMs: number;
  readonly percent: number;
}

/** What must happen. `percent` values are 0..100. */
export type Outcome =
  /** Every request reaches this destination; with `aborted`, every request the fault does not abort. */
  | { readonly kind: 'reaches'; readonly destination: DestinationSpec; readonly aborted?: AbortedShare }
  /** Requests split across destinations by these shares (total 100); with `aborted`, the requests the fault does not abort. */
  | { readonly kind: 'split'; readonly shares: readonly { readonly destination: DestinationSpec; readonly percent: number }[]; readonly aborted?: AbortedShare }
  /** `percent` of responses carry `status` with response flag FI (fault abort). */
  | { readonly kind: 'abort'; readonly status: number; readonly percent: number }
  /** `percent` of requests wait at least `delayMs` (fault delay, flag DI). */
  | { readonly kind: 'delay'; readonly delayMs: number; readonly percent: number }
  /** The route retries: `attempts` retries on these conditions, each try limited to `perTryTimeoutMs`; with `aborted`, the requests the fault does not abort (an aborted one is never retried). */
  | { readonly kind: 'retries'; readonly attempts: number; readonly retryOn?: readonly string[]; readonly perTryTimeoutMs?: number; readonly aborted?: AbortedShare }
  /**
   * A request slower than `timeoutMs` ends 504 with flag UT; with `aborted`, one the fault does not
   * abort; with `delayed`, one the fault delays after its delay plus `timeoutMs`. With `perTry`, the
   * route's per-try timeouts end it first (see {@link PerTryEnding}: {@link timeoutWindowMs}).
   * `timeoutMs` 0: the route has no timeout (Istio's default, or `0s`: disabled), and `perTry` alone
   * ends the request: Envoy answers 504 UT when the last try's per-try timeout fires.
   * `routeRetries`: the route writes `retries`, so MeshConfig `defaultHttpRetryPolicy` (which the
   * synth cannot see and verify applies) does not apply to it.
   */
  | { readonly kind: 'timeout'; readonly timeoutMs: number; readonly perTry?: PerTryEnding; readonly routeRetries?: true; readonly aborted?: AbortedShare; readonly delayed?: DelayedShare }
  /** `percent` of requests are copied to `destination` (Host `-shadow`). */
  | { readonly kind: 'mirror'; readonly destination: DestinationSpec; readonly percent: number }
  /** Answered with a redirect. */
  | { readonly kind: 'redirect'; readonly status: number; readonly scheme?: string; readonly authority?: string; readonly uri?: string; readonly port?: number }
  /** Forwarded with the path and/or authority rewritten (Istio `HTTPRewrite`). */
  | { readonly kind: 'rewrite'; readonly uri?: string; readonly authority?: string }
  /** Answered directly with `status`. */
  | { readonly kind: 'status'; readonly status: number }
  /** Concurrency beyond these limits is answered 503 UO. */
  | { readonly kind: 'circuit-breaker'; readonly destination: DestinationSpec; readonly limits: CircuitBreakerLimits }
  /** A failing endpoint is ejected after `consecutive5xxErrors` 5xx. */
  | {
    readonly kind: 'outlier-detection'; readonly destination: DestinationSpec; readonly consecutive5xxErrors: number;
    readonly intervalMs: number; readonly baseEjectionTimeMs: number; readonly maxEjectionPercent: number;
  }
  /** The gateway's TLS server refuses clients without a certificate from the trusted CA. */
  | { readonly kind: 'client-certificate-required'; readonly gateway: string; readonly port: number; readonly hosts: readonly string[] }
  /** Plain HTTP on the gateway's `port` is answered 301 to https. */
  | { readonly kind: 'https-redirect'; readonly gateway: string; readonly port: number; readonly hosts: readonly string[] }
  /** Every workload of the namespace refuses plaintext (PeerAuthentication STRICT). */
  | { readonly kind: 'mtls-strict'; readonly namespace: string }
  /** A caller (principal) gets `allowed` or 403 from the workloads `selector` selects in `namespace`. */
  | {
    readonly kind: 'authorization'; readonly namespace: string; readonly selector: Readonly<Record<string, string>> | null;
    readonly principal: string; readonly port?: number; readonly method?: string; readonly path?: string; readonly allowed: boolean;
  };

/** One promise. */
export interface Expectation {
  /** Stable id, unique in a file: `<construct path>#<kind>[.<n>]`. */
  readonly id: string;
  /** The promise in plain words, e.g. `requests with x-canary: always all reach customers v2`. */
  readonly promise: string;
  readonly source: ExpectationSource;
  /** The request that exercises it; absent for namespace- or gateway-wide promises. */
  readonly request?: RequestSpec;
  readonly outcome: Outcome;
  /** For a route-test case that must *not* match (istio-config-validator `wantMatch: false`). @default true */
  readonly wantMatch?: boolean;
}

/** `.meshproof/expectations.json`. */
export interface ExpectationsFile {
  readonly version: 1;
  readonly expectations: readonly Expectation[];
}

/**
 * How per-try timeouts end a slow request before the route timeout: `tries` tries of
 * `perTryTimeoutMs` (1 when `retryOn` retries no timed-out try: only `5xx`, `gateway-error` and
 * `reset` do; else 1 + attempts), with at most `backoffMaxMs` of retry back-off between them (Envoy's
 * full-jitter back-off: before retry n, up to base · 2^(n-1), capped at 10 × base; base 25 ms
 * unless `backoff` is written).
 */
export interface PerTryEnding {
  readonly perTryTimeoutMs: number;
  readonly tries: number;
  readonly backoffMaxMs?: number;
}

/**
 * The per-try ending of a retry policy (`attempts`, `perTryTimeoutMs`, `retryOn` as written,
 * `backoffMs` base) when it can end a slow request before `timeoutMs` (0: no route timeout, so
 * whenever it has one); undefined when it has no attempts or per-try timeout (Istio then sets no
 * `per_try_timeout`) or the route timeout comes first.
 */
export function perTryEnding(p: { readonly attempts: number; readonly perTryTimeoutMs: number | null | undefined; readonly retryOn: string | readonly string[] | undefined; readonly backoffMs?: number | null | undefined }, timeoutMs: number): PerTryEnding | undefined {
  const perTryTimeoutMs = p.attempts > 0 ? p.perTryTimeoutMs ?? undefined : undefined;
  if (perTryTimeoutMs === undefined || perTryTimeoutMs <= 0) return undefined;
  const tries = retryOnRetriesTimeout(p.retryOn) ? p.attempts + 1 : 1;
  if (timeoutMs > 0 && perTryTimeoutMs * tries >= timeoutMs) return undefined;
  const base = p.backoffMs ?? 25;
  let backoffMaxMs = 0;
  for (let n = 1; n < tries; n++) backoffMaxMs += Math.min(base * 2 ** (n - 1), 10 * base);
  return { perTryTimeoutMs, tries, ...(backoffMaxMs > 0 ? { backoffMaxMs } : {}) };
}

/**
 * When a timeout expectation's request ends (ms after the router starts it, the fault's delay not
 * counted): at the route timeout, or between the per-try timeouts' total and that plus the most
 * back-off, never after the route timeout when there is one (`timeoutMs` > 0) (Envoy's router
 * answers 504 UT when the last try's per-try timeout fires and no retry is left or allowed, or when
 * the route timeout fires first).
 */
export function timeoutWindowMs(o: { readonly timeoutMs: number; readonly perTry?: PerTryEnding | undefined }): { readonly from: number; readonly to: number } {
  if (!o.perTry) return { from: o.timeoutMs, to: o.timeoutMs };
  const tries = o.perTry.perTryTimeoutMs * o.perTry.tries;
  const cap = o.timeoutMs > 0 ? o.timeoutMs : Infinity;
  return { from: Math.min(cap, tries), to: Math.min(cap, tries + (o.perTry.backoffMaxMs ?? 0)) };
}

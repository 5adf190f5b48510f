/**
 * MeshConfig `extensionProviders` of the external-authorization kinds, read as istiod reads them
 * for `AuthorizationPolicy` `action: CUSTOM` (`pilot/pkg/security/authz/builder/extauthz.go`
 * `processExtensionProvider`, `pkg/config/validation/agent/extensionprovider.go`):
 * `envoyExtAuthzHttp` (`EnvoyExternalAuthorizationHttpProvider`) and `envoyExtAuthzGrpc`
 * (`EnvoyExternalAuthorizationGrpcProvider`). Other kinds (tracing, access logging, metrics) are
 * listed by name only: a CUSTOM policy naming one finds no authorizer.
 *
 * istiod does not refuse a MeshConfig for a bad provider ("can be ignored if the given extension
 * provider is not used"); a CUSTOM policy naming a provider that is unknown, duplicated or invalid
 * gets RBAC rules that DENY what its rules match (`getBadCustomDenyRules`). So every problem here is
 * kept on the provider, and what uses it decides.
 */
import { StatusCode } from '../xds/gen/envoy/type/v3/http_status_pb.js';
import { parseGoDuration } from '../validate/go-duration.js';
import { parseIpBlock } from '../validate/authorization.js';
import type { MeshConfig } from './mesh-config.js';

/** Istio's default ext_authz timeout (`timeoutOrDefault`): 600 s. */
export const DEFAULT_EXT_AUTHZ_TIMEOUT_MS = 600_000;

/** `includeRequestBodyInCheck` (`EnvoyExternalAuthorizationRequestBody`), Envoy `with_request_body`. */
export interface ExtAuthzRequestBody {
  /** `maxRequestBytes`: bytes of the body sent with the check. @default 0 */
  readonly maxRequestBytes: number;
  /** `allowPartialMessage`: send the first `maxRequestBytes` of a larger body instead of answering 413. @default false */
  readonly allowPartialMessage: boolean;
  /** `packAsBytes`: gRPC only, body as bytes instead of a UTF-8 string. @default false */
  readonly packAsBytes: boolean;
}

/** One `extensionProviders` entry of an ext_authz kind, as written (camelCase), with istiod's problems. */
export interface ExtAuthzProvider {
  /** `name`: what `AuthorizationPolicy.spec.provider.name` refers to. */
  readonly name: string;
  /** Position in `extensionProviders` (for pointing at it); -1 for Istio's built-in providers. */
  readonly index: number;
  /** Which provider message. */
  readonly kind: 'envoyExtAuthzHttp' | 'envoyExtAuthzGrpc';
  /** `service`: `<namespace>/<hostname>` or a hostname (unique across namespaces), istiod `LookupCluster`. */
  readonly service: string;
  /** `port`: the service port (1–65535). */
  readonly port: number;
  /** `timeout` in milliseconds (Envoy `server_uri.timeout` / `grpc_service.timeout`). @default 600000 */
  readonly timeoutMs: number;
  /** `failOpen` (Envoy `failure_mode_allow`): let the request through when the authorizer cannot be reached. @default false */
  readonly failOpen: boolean;
  /** `statusOnError` (Envoy `status_on_error`), an HTTP status; null: Envoy's default 403. */
  readonly statusOnError: number | null;
  /** HTTP only: `pathPrefix` (Envoy `http_service.path_prefix`). @default '' */
  readonly pathPrefix: string;
  /** HTTP only: `includeRequestHeadersInCheck` (else the deprecated `includeHeadersInCheck`), Envoy `allowed_headers`; `*` at either end is a prefix or suffix match. */
  readonly includeRequestHeadersInCheck: readonly string[];
  /** HTTP only: `includeAdditionalHeadersInCheck` (Envoy `authorization_request.headers_to_add`), sorted by name. */
  readonly includeAdditionalHeadersInCheck: readonly (readonly [name: string, value: string])[];
  /** HTTP only: `headersToUpstreamOnAllow` (Envoy `allowed_upstream_headers`). */
  readonly headersToUpstreamOnAllow: readonly string[];
  /** HTTP only: `headersToDownstreamOnDeny` (Envoy `allowed_client_headers`). */
  readonly headersToDownstreamOnDeny: readonly string[];
  /** HTTP only: `headersToDownstreamOnAllow` (Envoy `allowed_client_headers_on_success`). */
  readonly headersToDownstreamOnAllow: readonly string[];
  /** `includeRequestBodyInCheck`, null when absent (no body sent). */
  readonly includeRequestBody: ExtAuthzRequestBody | null;
  /** Why istiod cannot build this provider (empty when it can): CUSTOM policies naming it deny what they match. */
  readonly problems: readonly string[];
}

/** The MeshConfig's extension providers by name: ext_authz ones parsed, others by kind only. */
export interface ExtensionProviders {
  /**
   * Every named provider, Istio's built-in ones first (`prometheus`, `stackdriver`, `envoy`), then the
   * MeshConfig's: an entry replaces an earlier one of its name (built-in or given), as istiod's
   * `ApplyMeshConfig` merges `extensionProviders` into the defaults by name.
   */
  readonly byName: ReadonlyMap<string, ExtAuthzProvider | { readonly name: string; readonly index: number; readonly kind: string }>;
  /** Problems of entries that have no usable name (an empty name), with their index. */
  readonly unnamed: readonly { readonly index: number; readonly problem: string }[];
}

/** The providers of Istio's default MeshConfig (`mesh.DefaultMeshConfig`): metrics and the stdout access log. */
const BUILT_IN: readonly (readonly [name: string, kind: string])[] = [['prometheus', 'prometheus'], ['stackdriver', 'stackdriver'], ['envoy', 'envoyFileAccessLog']];

const CACHE = new WeakMap<MeshConfig, ExtensionProviders>();

/** {@link ExtensionProviders} of a MeshConfig, parsed once per MeshConfig object. */
export function extensionProvidersOf(meshConfig: MeshConfig): ExtensionProviders {
  let out = CACHE.get(meshConfig);
  if (!out) CACHE.set(meshConfig, (out = parseProviders(meshConfig.raw.extensionProviders)));
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** jsonpb accepts a field's proto name (`status_on_error`) as well as its JSON name (`statusOnError`). */
const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const normalised = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).map(([k, v]) => [camel(k), v]));

function parseProviders(list: unknown): ExtensionProviders {
  const byName = new Map<string, ExtAuthzProvider | { name: string; index: number; kind: string }>(BUILT_IN.map(([name, kind]) => [name, { name, index: -1, kind }]));
  const unnamed: { index: number; problem: string }[] = [];
  if (!Array.isArray(list)) return { byName, unnamed };
  list.forEach((entry, index) => {
    const e = isRecord(entry) ? normalised(entry) : {};
    const name = typeof e.name === 'string' ? e.name : '';
    const problems: string[] = [];
    if (name === '') {
      unnamed.push({ index, problem: `extension provider name must not be empty, found empty at index: ${index}` });
      return;
    }
    const nameProblem = providerNameProblem(name);
    if (nameProblem) problems.push(`invalid provider name "${name}": ${nameProblem}`);
    const kind = (['envoyExtAuthzHttp', 'envoyExtAuthzGrpc'] as const).find((k) => e[k] !== undefined);
    if (!kind) {
      const other = Object.keys(e).find((k) => k !== 'name') ?? 'none';
      byName.set(name, { name, index, kind: other });
      return;
    }
    byName.set(name, extAuthzProvider(name, index, kind, isRecord(e[kind]) ? normalised(e[kind] as Record<string, unknown>) : {}, problems));
  });
  return { byName, unnamed };
}

/** istiod `validateProviderName`: a DNS-1123 label (the name goes into metadata keys and policy names). */
function providerNameProblem(name: string): string | null {
  if (name.length > 63) return `provider name too long (max 63 characters): ${name.length}`;
  for (const [i, c] of [...name].entries()) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '-') continue;
    if (c >= 'A' && c <= 'Z') return `uppercase letters not allowed (use lowercase): character "${c}" at position ${i}`;
    return `invalid character "${c}" at position ${i} (only lowercase letters, digits, and hyphens allowed)`;
  }
  if (name.startsWith('-') || name.endsWith('-')) return 'provider name cannot start or end with hyphen';
  return null;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function extAuthzProvider(name: string, index: number, kind: ExtAuthzProvider['kind'], c: Record<string, unknown>, problems: string[]): ExtAuthzProvider {
  const port = typeof c.port === 'number' ? c.port : typeof c.port === 'string' && /^\d+$/.test(c.port) ? Number(c.port) : 0;
  if (!(Number.isInteger(port) && port >= 1 && port <= 65535)) problems.push(`port must be in the range [1, 65535], found: ${JSON.stringify(c.port ?? 0)}`);
  const service = typeof c.service === 'string' ? c.service : '';
  const serviceProblem = extensionServiceProblem(service);
  if (serviceProblem) problems.push(serviceProblem);
  let timeoutMs = DEFAULT_EXT_AUTHZ_TIMEOUT_MS;
  if (c.timeout !== undefined) {
    try {
      const nanos = typeof c.timeout === 'string' ? parseGoDuration(c.timeout) : -1n;
      if (nanos < 0n) throw new Error('negative');
      timeoutMs = Number(nanos) / 1e6;
    } catch {
      problems.push(`timeout must be a duration such as "1s" or "500ms", found: ${JSON.stringify(c.timeout)}`);
    }
  }
  let statusOnError: number | null = null;
  if (c.statusOnError !== undefined && c.statusOnError !== '') {
    const s = String(c.statusOnError);
    const code = /^[+-]?\d+$/.test(s) ? Number(s) : NaN;
    if (Number.isNaN(code)) problems.push(`invalid statusOnError "${s}": not an integer`);
    else if (StatusCode[code] === undefined) problems.push(`unsupported statusOnError ${s}, supported values: Envoy's StatusCode (e.g. 403, 500, 503)`);
    else statusOnError = code;
  }
  const pathPrefix = kind === 'envoyExtAuthzHttp' && typeof c.pathPrefix === 'string' ? c.pathPrefix : '';
  if (pathPrefix !== '' && !pathPrefix.startsWith('/')) problems.push(`pathPrefix must begin with \`/\`, found: "${pathPrefix}"`);
  const http = kind === 'envoyExtAuthzHttp';
  const requestHeaders = http ? (strings(c.includeRequestHeadersInCheck).length > 0 ? strings(c.includeRequestHeadersInCheck) : strings(c.includeHeadersInCheck)) : [];
  const lists = {
    includeRequestHeadersInCheck: requestHeaders,
    headersToUpstreamOnAllow: http ? strings(c.headersToUpstreamOnAllow) : [],
    headersToDownstreamOnDeny: http ? strings(c.headersToDownstreamOnDeny) : [],
    headersToDownstreamOnAllow: http ? strings(c.headersToDownstreamOnAllow) : [],
  };
  if (http) {
    const fields: [string, readonly string[]][] = [['IncludeRequestHeadersInCheck', strings(c.includeRequestHeadersInCheck)], ['IncludeHeadersInCheck', strings(c.includeHeadersInCheck)],
      ['HeadersToDownstreamOnDeny', lists.headersToDownstreamOnDeny], ['HeadersToDownstreamOnAllow', lists.headersToDownstreamOnAllow], ['HeadersToUpstreamOnAllow', lists.headersToUpstreamOnAllow]];
    for (const [field, values] of fields) {
      if (values.includes('*')) problems.push(`a single wildcard ("*") is not supported, change it to either prefix or suffix match: ${field}`);
    }
  }
  const additional = http && isRecord(c.includeAdditionalHeadersInCheck)
    ? Object.entries(c.includeAdditionalHeadersInCheck).filter((e): e is [string, string] => typeof e[1] === 'string').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    : [];
  const body = isRecord(c.includeRequestBodyInCheck) ? normalised(c.includeRequestBodyInCheck) : null;
  return {
    name, index, kind, service, port, timeoutMs, failOpen: c.failOpen === true, statusOnError, pathPrefix,
    ...lists,
    includeAdditionalHeadersInCheck: additional,
    includeRequestBody: body ? { maxRequestBytes: typeof body.maxRequestBytes === 'number' ? body.maxRequestBytes : 0, allowPartialMessage: body.allowPartialMessage === true, packAsBytes: body.packAsBytes === true } : null,
    problems,
  };
}

/**
 * istiod `validateExtensionProviderService` (`pkg/config/validation/agent`): without `/`, a hostname
 * (`ValidateFQDN`: DNS-1123 labels, a trailing dot allowed, a top-level label not all digits) or an
 * IP address; with `/`, `ValidateNamespaceSlashWildcardHostname` as for a Sidecar egress host: the
 * namespace a DNS label, `*`, `.` or `~`-prefixed, and the host a fully qualified name (no short
 * names) whose first label may be a wildcard (`*.example.com`, a ServiceEntry host). A service that
 * passes may still not be found (`LookupCluster`, `view/custom-authz.ts`).
 */
function extensionServiceProblem(service: string): string | null {
  if (service === '') return 'service must not be empty';
  if (!service.includes('/')) {
    // The service has no `/`, so an IP block here is an address (netip.ParseAddr).
    if (fqdnProblem(service) === null || parseIpBlock(service) !== null) return null;
    return `invalid service fmt ${service}: ${service} is not a valid IP`;
  }
  const slash = service.indexOf('/');
  const [ns, host] = [service.slice(0, slash), service.slice(slash + 1)];
  const errs: string[] = [];
  if (ns === '' || host === '') errs.push('config namespace and dnsName in host entry cannot be empty');
  const bare = ns.startsWith('~') ? ns.slice(1) : ns;
  if (bare !== '' && bare !== '*' && bare !== '.' && !isDnsLabel(bare)) errs.push(`invalid namespace value "${ns}" in sidecar`);
  if (host !== '*' && !host.includes('.')) errs.push('short names (non FQDN) are not allowed');
  const wildcard = wildcardDomainProblem(host);
  if (wildcard !== null) errs.push(wildcard);
  if (host.includes('*') && host.length !== 1 && !host.startsWith('*.')) errs.push(`partial wildcard "${host}" not allowed`);
  return errs.length > 0 ? `invalid service ${service}: ${errs.join('; ')}` : null;
}

const isDnsLabel = (l: string): boolean => l.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(l);

/** istiod `CheckDNS1123Preconditions` + `ValidateDNS1123Labels`. */
function fqdnProblem(name: string): string | null {
  if (name.length > 255) return `domain name "${name}" too long (max 255)`;
  if (name === '') return 'empty domain name not allowed';
  return dnsLabelsProblem(name);
}

function dnsLabelsProblem(domain: string): string | null {
  const labels = domain.split('.');
  const top = labels[labels.length - 1]!;
  if (/^[+-]?\d+$/.test(top)) return `domain name "${domain}" invalid (top level domain "${top}" cannot be all-numeric)`;
  for (const [i, label] of labels.entries()) {
    if (i === labels.length - 1 && label === '') return null;
    if (!isDnsLabel(label)) return `domain name "${domain}" invalid (label "${label}" invalid)`;
  }
  return null;
}

/** istiod `ValidateWildcardDomain`: a wildcard allowed in the first label only. */
function wildcardDomainProblem(domain: string): string | null {
  if (domain.length > 255) return `domain name "${domain}" too long (max 255)`;
  if (domain === '') return 'empty domain name not allowed';
  const dot = domain.indexOf('.');
  const first = dot < 0 ? domain : domain.slice(0, dot);
  if (!(first.length <= 63 && /^(\*|(\*|\*-)?[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.test(first))) return `domain name "${domain}" invalid (label "${first}" invalid)`;
  return dot < 0 ? null : dnsLabelsProblem(domain.slice(dot + 1));
}

/**
 * Whether `p` is an ext_authz provider (the other kinds carry only name, index and kind).
 */
export function isExtAuthzProvider(p: unknown): p is ExtAuthzProvider {
  return isRecord(p) && (p.kind === 'envoyExtAuthzHttp' || p.kind === 'envoyExtAuthzGrpc') && Array.isArray(p.problems);
}

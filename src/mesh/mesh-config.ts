/**
 * The mesh context istiod runs with: MeshConfig (the `mesh` key of the `istio` ConfigMap, the
 * file `istioctl analyze --meshConfigFile` takes) and the Kubernetes cluster domain (istiod's
 * `--domain`, not part of MeshConfig). Defaults are Istio's (`mesh.DefaultMeshConfig()`).
 */
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node as YamlNode } from 'yaml';
import { parseGoDuration } from '../validate/go-duration.js';
import { RETRY_ON_POLICIES, isValidRetryOnEntry } from '../validate/retry-on.js';
import { inertRetryOn } from './retry-on.js';
import type { FileLocation } from './types.js';
import { DEFAULT_CLUSTER_DOMAIN } from './hosts.js';

export { DEFAULT_CLUSTER_DOMAIN };

/** MeshConfig `outboundTrafficPolicy.mode`. */
export type OutboundTrafficMode = 'ALLOW_ANY' | 'REGISTRY_ONLY';

/**
 * MeshConfig `defaultHttpRetryPolicy` (Istio `HTTPRetry`) as istiod's `retry.ConvertPolicy` reads it for
 * a route without `retries`: absent, Istio's built-in policy (2 attempts); present, its fields over that
 * policy, so an unset `attempts` is proto3's 0, which disables retries.
 */
export interface MeshRetryPolicy {
  /** `attempts`: retries after the first try; 0 disables retries. @default 2 (policy absent), 0 (policy without attempts) */
  readonly attempts: number;
  /** `retryOn`, Envoy `retry_on`. @default 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes' */
  readonly retryOn: string;
  /** `perTryTimeout` in ms, Envoy `per_try_timeout`; null: each try may take the route timeout. @default null */
  readonly perTryTimeoutMs: number | null;
  /** `retryRemoteLocalities`: Envoy `retry_priority` previous_priorities (retries go to other localities). @default false */
  readonly retryRemoteLocalities: boolean;
  /** `retryIgnorePreviousHosts`: Envoy `retry_host_predicate` previous_hosts; null leaves it to Istio (on unless the route hashes consistently). @default null */
  readonly retryIgnorePreviousHosts: boolean | null;
  /** `backoff` in ms, Envoy `retry_back_off.base_interval`; null: Envoy's 25 ms. @default null */
  readonly backoffMs: number | null;
}

/**
 * MeshConfig `defaultInboundHttpRetryPolicy` (Istio 1.31) as istiod's `retry.ConvertInboundPolicy` reads
 * it for the default route of every sidecar inbound HTTP chain (`route.BuildDefaultHTTPInboundRoute`):
 * absent, Istio's built-in inbound policy (2 retries on `reset-before-request`); present, `attempts`,
 * `retryOn` and `backoff` over that policy (an unset `attempts` is proto3's 0, which disables inbound
 * retries). `perTryTimeout`, `retryRemoteLocalities` and `retryIgnorePreviousHosts` are accepted and
 * ignored, as istiod does, with a warning each (`mesh-config/ignored-field`, as istiod's validation
 * warns): an inbound route has one local endpoint.
 */
export interface MeshInboundRetryPolicy {
  /** `attempts`: retries after the first try, Envoy `num_retries`; 0 disables inbound retries. @default 2 (policy absent), 0 (policy without attempts) */
  readonly attempts: number;
  /** `retryOn`, Envoy `retry_on` (status codes in it become `retriable_status_codes`). @default 'reset-before-request' */
  readonly retryOn: string;
  /** `backoff` in ms, Envoy `retry_back_off.base_interval`; null: Envoy's 25 ms. @default null */
  readonly backoffMs: number | null;
}

/** Istio's inbound retry condition (`route/retry.defaultInboundRetryOn`): a request reset before it reached the application. */
export const DEFAULT_INBOUND_RETRY_ON = 'reset-before-request';

/** The fields of `HTTPRetry` (istio/api networking/v1alpha3/virtual_service.proto) and their types. */
const HTTP_RETRY_FIELDS: Readonly<Record<string, FieldType>> = {
  attempts: 'int', perTryTimeout: 'duration', retryOn: 'string', retryRemoteLocalities: 'bool', retryIgnorePreviousHosts: 'bool', backoff: 'duration',
};

/**
 * MeshConfig as meshproof reads it: the fields that change what istiod computes are typed with
 * Istio's defaults filled in; `raw` keeps the whole validated input (camelCase keys).
 */
export interface MeshConfig {
  /** `rootNamespace`: mesh-wide Sidecar, PeerAuthentication, DestinationRule… @default 'istio-system' */
  readonly rootNamespace: string;
  /** `trustDomain`: the SPIFFE trust domain of principals (`<td>/ns/<ns>/sa/<sa>`). @default 'cluster.local' */
  readonly trustDomain: string;
  /** `trustDomainAliases`: other trust domains treated as this one. @default [] */
  readonly trustDomainAliases: readonly string[];
  /** `outboundTrafficPolicy.mode`. @default 'ALLOW_ANY' */
  readonly outboundTrafficPolicy: { readonly mode: OutboundTrafficMode };
  /** `defaultConfig` (ProxyConfig), as written. @default {} */
  readonly defaultConfig: Readonly<Record<string, unknown>>;
  /** `ingressService`: the Service of the Kubernetes Ingress controller. @default 'istio-ingressgateway' */
  readonly ingressService: string;
  /** `ingressSelector`: `istio: <value>` label of the Ingress gateway pods. @default 'ingressgateway' */
  readonly ingressSelector: string;
  /** `ingressClass`. @default 'istio' */
  readonly ingressClass: string;
  /** `defaultServiceExportTo` (Services and ServiceEntries). @default ['*'] */
  readonly defaultServiceExportTo: readonly string[];
  /** `defaultVirtualServiceExportTo`. @default ['*'] */
  readonly defaultVirtualServiceExportTo: readonly string[];
  /** `defaultDestinationRuleExportTo`. @default ['*'] */
  readonly defaultDestinationRuleExportTo: readonly string[];
  /** `enableAutoMtls`: clients use ISTIO_MUTUAL toward sidecars without a DestinationRule TLS setting. @default true */
  readonly enableAutoMtls: boolean;
  /** `connectTimeout` in milliseconds (Envoy cluster `connect_timeout`). @default 10000 */
  readonly connectTimeoutMs: number;
  /** `h2UpgradePolicy`. @default 'DO_NOT_UPGRADE' */
  readonly h2UpgradePolicy: 'DO_NOT_UPGRADE' | 'UPGRADE';
  /** `defaultHttpRetryPolicy`, Istio's default when absent. */
  readonly defaultHttpRetryPolicy: MeshRetryPolicy;
  /** `defaultInboundHttpRetryPolicy` (Istio 1.31), Istio's built-in inbound policy when absent. */
  readonly defaultInboundHttpRetryPolicy: MeshInboundRetryPolicy;
  /** `protocolDetectionTimeout` in ms: how long a listener's inspectors wait for the client's first bytes (Envoy `listener_filters_timeout`); 0 waits indefinitely. @default 0 */
  readonly protocolDetectionTimeoutMs: number;
  /** Every field as given (after validation), camelCase. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** The context every model query runs in. */
export interface MeshContext {
  readonly meshConfig: MeshConfig;
  /** Kubernetes cluster domain: `<svc>.<ns>.svc.<clusterDomain>`. @default 'cluster.local' */
  readonly clusterDomain: string;
}

/** Istio's default retry `retry_on` (pilot `route/retry.DefaultPolicy`; MeshConfig `defaultHttpRetryPolicy` docs). */
export const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';

/** Istio's defaults (`mesh.DefaultMeshConfig()`). */
export const DEFAULT_MESH_CONFIG: MeshConfig = Object.freeze({
  rootNamespace: 'istio-system',
  trustDomain: 'cluster.local',
  trustDomainAliases: [],
  outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
  defaultConfig: {},
  ingressService: 'istio-ingressgateway',
  ingressSelector: 'ingressgateway',
  ingressClass: 'istio',
  defaultServiceExportTo: ['*'],
  defaultVirtualServiceExportTo: ['*'],
  defaultDestinationRuleExportTo: ['*'],
  enableAutoMtls: true,
  connectTimeoutMs: 10_000,
  h2UpgradePolicy: 'DO_NOT_UPGRADE',
  defaultHttpRetryPolicy: { attempts: 2, retryOn: DEFAULT_RETRY_ON, perTryTimeoutMs: null, retryRemoteLocalities: false, retryIgnorePreviousHosts: null, backoffMs: null },
  defaultInboundHttpRetryPolicy: { attempts: 2, retryOn: DEFAULT_INBOUND_RETRY_ON, backoffMs: null },
  protocolDetectionTimeoutMs: 0,
  raw: {},
} as MeshConfig);

export const DEFAULT_MESH_CONTEXT: MeshContext = Object.freeze({ meshConfig: DEFAULT_MESH_CONFIG, clusterDomain: DEFAULT_CLUSTER_DOMAIN });

/** Stable codes of mesh-context problems. */
export type MeshContextProblemCode =
  | 'mesh-config/syntax' // the file is not YAML, or not a mapping
  | 'mesh-config/unknown-field' // a field MeshConfig does not have
  | 'mesh-config/bad-value' // a field of the wrong type or outside its allowed values
  | 'mesh-config/cluster-domain'; // a cluster domain that is not a DNS name

/** A problem with the mesh context: the input is unusable (the CLI exits 2). */
export interface MeshContextProblem {
  readonly code: MeshContextProblemCode;
  readonly message: string;
  readonly location: FileLocation;
  /**
   * istiod accepts the MeshConfig with it (its validation does not look there) and the harm is done
   * later, as the message says (e.g. a default retry back-off Envoy refuses). Only in
   * `unknownFields: 'ignore'` mode, which then applies the MeshConfig.
   */
  readonly acceptedByIstiod?: true;
}

/**
 * Something in the mesh context istiod accepts but does not act on (its validation warns): reported
 * with file:line as a warning; the input stays usable.
 */
export interface MeshContextWarning {
  readonly code: 'mesh-config/ignored-field' | 'mesh-config/unknown-field' | 'mesh-config/ignored-document' | 'mesh-config/not-validated';
  readonly message: string;
  readonly location: FileLocation;
}

/** Thrown by `meshContextOrThrow`; carries every problem found. */
export class MeshContextError extends Error {
  readonly code = 'MESHPROOF_MESH_CONTEXT_INVALID';
  constructor(readonly problems: readonly MeshContextProblem[]) {
    super(problems.map((p) => `${p.location.file}:${p.location.line}:${p.location.column}: ${p.message}`).join('\n'));
    this.name = 'MeshContextError';
  }
}

type FieldType = 'string' | 'bool' | 'int' | 'duration' | 'strings' | 'object' | 'list' | 'any' | readonly string[];

/** Every MeshConfig field (istio/api mesh/v1alpha1/config.proto) and the type meshproof checks. */
const FIELDS: Readonly<Record<string, FieldType>> = {
  proxyListenPort: 'int', proxyInboundListenPort: 'int', proxyHttpPort: 'int',
  connectTimeout: 'duration', protocolDetectionTimeout: 'duration', tcpKeepalive: 'object',
  ingressClass: 'string', ingressService: 'string', ingressControllerMode: ['UNSPECIFIED', 'OFF', 'DEFAULT', 'STRICT'],
  ingressSelector: 'string', enableTracing: 'bool', accessLogFile: 'string', accessLogFormat: 'string',
  accessLogEncoding: ['TEXT', 'JSON'], enableEnvoyAccessLogService: 'bool', disableEnvoyListenerLog: 'bool',
  defaultConfig: 'object', outboundTrafficPolicy: 'object', inboundTrafficPolicy: 'object', configSources: 'list',
  enableAutoMtls: 'bool', trustDomain: 'string', trustDomainAliases: 'strings', caCertificates: 'list',
  defaultServiceExportTo: 'strings', defaultVirtualServiceExportTo: 'strings', defaultDestinationRuleExportTo: 'strings',
  rootNamespace: 'string', localityLbSetting: 'object', dnsRefreshRate: 'duration', h2UpgradePolicy: ['DO_NOT_UPGRADE', 'UPGRADE'],
  inboundClusterStatName: 'string', outboundClusterStatName: 'string', certificates: 'list', serviceSettings: 'list',
  enablePrometheusMerge: 'bool', verifyCertificateAtClient: 'bool', ca: 'object', extensionProviders: 'list',
  defaultProviders: 'object', discoverySelectors: 'list', pathNormalization: 'object', defaultHttpRetryPolicy: 'object',
  defaultInboundHttpRetryPolicy: 'object',
  meshMTLS: 'object', tlsDefaults: 'object', compliancePolicy: 'string', serviceScopeConfigs: 'list',
};

const MODES: Readonly<Record<string, readonly string[]>> = {
  outboundTrafficPolicy: ['ALLOW_ANY', 'REGISTRY_ONLY'],
  inboundTrafficPolicy: ['PASSTHROUGH', 'LOCALHOST'],
};

/** The enum values of MODES and of `pathNormalization.normalization` by number (istio/api mesh/v1alpha1/config.proto). */
const MODE_NUMBERS: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  outboundTrafficPolicy: { 0: 'REGISTRY_ONLY', 1: 'ALLOW_ANY', 3: 'ALLOW_ANY_DYNAMIC_DNS' },
  inboundTrafficPolicy: { 0: 'PASSTHROUGH', 1: 'LOCALHOST' },
};
const NORMALIZATION_NUMBERS: Readonly<Record<number, string>> = { 0: 'DEFAULT', 1: 'NONE', 2: 'BASE', 3: 'MERGE_SLASHES', 4: 'DECODE_AND_MERGE_SLASHES' };

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * An enum field written as a number, as istiod's decoder (golang/protobuf jsonpb, protomarshal.ApplyYAML) reads it:
 * any 32-bit integer is taken as the enum number, so a value's number stands for its name (`accessLogEncoding: 1`
 * is JSON); a number outside int32, or not whole, fails the decode and istiod refuses the MeshConfig. A 32-bit
 * number that is no value of the enum (proto3 enums are open) is accepted, but no code of istiod's compares equal to
 * it: a problem istiod accepts, and the field is left at Istio's default here (`name` undefined).
 */
function enumFromNumber(field: string, byNumber: Readonly<Record<number, string>>, v: number, at: FileLocation): { name?: string; problem?: MeshContextProblem } {
  const values = Object.entries(byNumber).map(([n, name]) => `${name} (${n})`).join(', ');
  if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) {
    return { problem: { code: 'mesh-config/bad-value', message: `MeshConfig ${field} ${JSON.stringify(v)} is not an enum number istiod's decoder reads (a whole 32-bit number, or the value's name). Fix: write one of ${values}`, location: at } };
  }
  const name = byNumber[v];
  if (name !== undefined) return { name };
  return {
    problem: {
      code: 'mesh-config/bad-value', acceptedByIstiod: true, location: at,
      message: `MeshConfig ${field} ${v} is no value of the enum: istiod's decoder takes any 32-bit number for an enum, so it accepts the MeshConfig, but none of istiod's code acts on ${v} ` +
        `(meshproof applies Istio's default). Fix: write one of ${values}`,
    },
  };
}

/** `object` with its enum `key` written by name, or without it (Istio's default) when `name` is undefined. */
function withEnumName(object: Readonly<Record<string, unknown>>, key: string, name: string | undefined): Record<string, unknown> {
  const out = { ...object };
  if (name === undefined) delete out[key];
  else out[key] = name;
  return out;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Why `name` is not an RFC 1123 DNS name (lower case labels of ≤ 63, ≤ 253 in all), or null when it is one. */
export function dnsNameProblem(name: string): string | null {
  if (name === '') return 'it is empty';
  if (name.length > 253) return `it is ${name.length} characters long (at most 253)`;
  if (name.split('.').includes('')) return 'it has an empty label (two dots, or a leading or trailing dot)';
  for (const label of name.split('.')) {
    if (!DNS_LABEL.test(label)) {
      return label === '' ? 'it has an empty label (two dots, or a leading or trailing dot)'
        : `the label "${label}" is not lower-case letters, digits and inner "-", at most 63 characters`;
    }
  }
  return null;
}

/**
 * Why `domain` is not a trust domain istiod's `ValidateTrustDomain` accepts (dot-separated DNS-1123
 * labels; a trailing dot allowed), or null when it is one.
 */
function trustDomainProblem(domain: string): string | null {
  if (domain === '') return 'it is empty';
  const labels = domain.split('.');
  for (const [i, label] of labels.entries()) {
    if (i === labels.length - 1 && label === '') return null;
    if (!DNS_LABEL.test(label)) return label === '' ? 'it has an empty label' : `the label "${label}" is not lower-case letters, digits and inner "-", at most 63 characters`;
  }
  return null;
}

/** Validates a cluster domain; `where` says where it was given (`--cluster-domain`, `meshproof.config.yaml:4:3`). */
export function clusterDomainProblem(value: unknown, location: FileLocation): MeshContextProblem | null {
  const why = typeof value === 'string' ? dnsNameProblem(value) : `it is a ${typeof value}, not a string`;
  if (why === null) return null;
  return {
    code: 'mesh-config/cluster-domain',
    message: `cluster domain ${JSON.stringify(value)} is not a DNS name: ${why}. ` +
      'Fix: give the domain your cluster was created with (kubelet --cluster-domain), e.g. "cluster.local" or "corp.example".',
    location,
  };
}

/** Levenshtein distance, for "did you mean" on misspelt field names. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** `proxy_listen_port` → `proxyListenPort` (istiod accepts both spellings). */
function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()).replace(/^meshMtls$/, 'meshMTLS');
}

/**
 * A MeshConfig `google.protobuf.Duration` in milliseconds, as istiod's jsonpb decodes it (Go's
 * time.ParseDuration: `10s`, `500ms`, `1m30s`, `0`); null when it is not a string Go parses, or
 * negative.
 */
function durationMs(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  try {
    const nanos = parseGoDuration(v);
    return nanos < 0n ? null : Number(nanos) / 1e6;
  } catch {
    return null;
  }
}

/**
 * An integer field's value as istiod's jsonpb decodes it: a quoted integer (`"15001"`) is read as
 * the number (proto3 JSON accepts both); any other value is returned as it is.
 */
function jsonpbInt(type: FieldType, v: unknown): unknown {
  return type === 'int' && typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
}

function typeProblem(type: FieldType, v: unknown): string | null {
  if (Array.isArray(type)) return typeof v === 'string' && type.includes(v) ? null : `must be one of ${type.join(', ')}`;
  switch (type) {
    case 'string': return typeof v === 'string' ? null : 'must be a string';
    case 'bool': return typeof v === 'boolean' ? null : 'must be true or false';
    case 'int': return Number.isInteger(v) ? null : 'must be an integer';
    case 'duration': return durationMs(v) !== null ? null : 'must be a duration such as "10s", "500ms" or "1m30s"';
    case 'strings': return Array.isArray(v) && v.every((x) => typeof x === 'string') ? null : 'must be a list of strings';
    case 'object': return typeof v === 'object' && v !== null && !Array.isArray(v) ? null : 'must be a mapping';
    case 'list': return Array.isArray(v) ? null : 'must be a list';
    default: return null;
  }
}

/** A YAML document with positions, for MeshConfig and other small config files. */
class Positions {
  constructor(private readonly file: string, private readonly root: YamlNode | null, private readonly lines: LineCounter) {}

  /** Location of the key (or the value, for list items) at `path`, else of the closest parent. */
  at(path: readonly (string | number)[]): FileLocation {
    let node: unknown = this.root;
    let offset = this.root?.range?.[0] ?? 0;
    for (const p of path) {
      if (isMap(node)) {
        const pair = node.items.find((i) => isScalar(i.key) && (i.key.value === p || camel(String(i.key.value)) === p));
        if (!pair) break;
        offset = (pair.key as YamlNode).range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof p === 'number' && node.items[p]) {
        node = node.items[p];
        offset = (node as YamlNode).range?.[0] ?? offset;
      } else break;
    }
    const pos = this.lines.linePos(offset);
    return { file: this.file, line: pos.line, column: pos.col };
  }
}

/**
 * Parses a MeshConfig file: plain MeshConfig YAML (what `istioctl analyze --meshConfigFile`
 * reads), or the `istio` ConfigMap whose `data.mesh` holds it. Snake_case keys are accepted like
 * istiod does. Unknown fields, wrong types and bad enum values are problems with file:line.
 */
export function parseMeshConfig(text: string, file: string, opts: ParseMeshConfigOptions = {}): { meshConfig: MeshConfig; problems: MeshContextProblem[]; warnings: MeshContextWarning[] } {
  const parsed = parseStrict(text, file, opts);
  if (opts.unknownFields !== 'ignore') return parsed;
  // As istiod's protomarshal.ApplyYAML: a strict decode, then, on failure, one that allows unknown
  // fields, so unknown fields are dropped and the rest applies; wrong types and values still refuse it.
  const unknown = parsed.problems.filter((p) => p.code === 'mesh-config/unknown-field');
  if (unknown.length === 0) return parsed;
  const problems = parsed.problems.filter((p) => p.code !== 'mesh-config/unknown-field');
  const warnings: MeshContextWarning[] = [
    ...unknown.map((p) => ({ code: 'mesh-config/unknown-field' as const, message: p.message.replace('. Fix:', ': istiod drops it and applies the rest of the MeshConfig (protomarshal.ApplyYAML allows unknown fields). Fix:'), location: p.location })),
    ...parsed.warnings,
  ];
  return { meshConfig: problems.some((p) => p.acceptedByIstiod !== true) ? DEFAULT_MESH_CONFIG : parsed.meshConfig, problems, warnings };
}

/** How {@link parseMeshConfig} reads a MeshConfig. */
export interface ParseMeshConfigOptions {
  /**
   * `refuse` (default): an unknown field is a problem (`--mesh-config`: the run cannot trust the
   * file). `ignore`: as istiod reads the `istio` ConfigMap, an unknown field is dropped with a
   * `mesh-config/unknown-field` warning and the rest applies.
   */
  readonly unknownFields?: 'refuse' | 'ignore';
}

function parseStrict(text: string, file: string, opts: ParseMeshConfigOptions): { meshConfig: MeshConfig; problems: MeshContextProblem[]; warnings: MeshContextWarning[] } {
  const problems: MeshContextProblem[] = [];
  const fail = (message: string, line = 1, column = 1) => ({
    meshConfig: DEFAULT_MESH_CONFIG,
    problems: [{ code: 'mesh-config/syntax' as const, message, location: { file, line, column } }],
    warnings: [],
  });
  const lines = new LineCounter();
  // istiod's YAML decoder (sigs.k8s.io/yaml over go-yaml v2 Unmarshal) reads the first document
  // only: later ones, after a `---`, are neither applied nor parsed.
  const all = parseAllDocuments(text, { lineCounter: lines, version: '1.1', uniqueKeys: true, prettyErrors: false });
  const [doc, ...rest] = Array.isArray(all) ? all : [];
  if (doc && doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lines.linePos(e.pos[0]);
    return fail(`not valid YAML: ${e.message.split('\n')[0]}. Fix: the MeshConfig must be a YAML mapping of its fields (rootNamespace:, trustDomain: …)`, pos.line, pos.col);
  }
  let value: unknown = doc?.toJS({ maxAliasCount: 100 }) ?? null;
  const positions = new Positions(file, (doc?.contents ?? null) as YamlNode | null, lines);
  const ignored = rest.find((d) => d.errors.length > 0 || (d.contents !== null && !(isScalar(d.contents) && d.contents.value === null)));
  const documentWarnings: MeshContextWarning[] = [];
  if (ignored) {
    const pos = lines.linePos(ignored.range[0]);
    documentWarnings.push({
      code: 'mesh-config/ignored-document',
      message: 'the MeshConfig text holds more than one YAML document: istiod reads the first only (sigs.k8s.io/yaml), so what follows this "---" is not applied. Fix: remove the "---" line to apply it, or the rest to say what istiod runs with',
      location: { file, line: pos.line, column: pos.col },
    });
  }
  if (value === null || value === undefined) value = {};
  if (typeof value !== 'object' || Array.isArray(value)) return fail('a MeshConfig must be a YAML mapping of its fields (rootNamespace:, trustDomain: …)');
  let body = value as Record<string, unknown>;
  if (body.kind === 'ConfigMap') {
    const data = body.data as Record<string, unknown> | undefined;
    if (typeof data?.mesh !== 'string') return fail('a ConfigMap given as MeshConfig must hold the MeshConfig YAML under data.mesh (like the "istio" ConfigMap)');
    return parseStrict(data.mesh, `${file} (data.mesh)`, opts);
  }
  const raw: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(body)) {
    const name = camel(key);
    const type = FIELDS[name];
    if (!type) {
      const near = Object.keys(FIELDS).find((f) => editDistance(f.toLowerCase(), name.toLowerCase()) <= 2);
      problems.push({
        code: 'mesh-config/unknown-field',
        message: `unknown MeshConfig field "${key}". Fix: ${near ? `write "${near}"` : 'remove it; MeshConfig fields are listed at https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/'}`,
        location: positions.at([key]),
      });
      continue;
    }
    let value = opts.unknownFields === 'ignore' ? jsonpbInt(type, v) : v;
    if (Array.isArray(type) && typeof value === 'number') {
      // The top-level enums list their values in number order (config.proto).
      const e = enumFromNumber(name, Object.fromEntries(type.map((n, i) => [i, n])), value, positions.at([key]));
      if (e.problem) problems.push(e.problem);
      if (e.name === undefined) continue;
      value = e.name;
    }
    const bad = typeProblem(type, value);
    if (bad) {
      problems.push({ code: 'mesh-config/bad-value', message: `MeshConfig ${name} ${bad}; got ${JSON.stringify(v)}`, location: positions.at([key]) });
      continue;
    }
    raw[name] = value;
  }
  for (const [field, modes] of Object.entries(MODES)) {
    let policy = raw[field] as Record<string, unknown> | undefined;
    if (policy === undefined) continue;
    if (typeof policy.mode === 'number') {
      const e = enumFromNumber(`${field}.mode`, MODE_NUMBERS[field]!, policy.mode, positions.at([field, 'mode']));
      if (e.problem) problems.push(e.problem);
      raw[field] = policy = withEnumName(policy, 'mode', e.name);
    }
    for (const k of Object.keys(policy)) {
      if (k !== 'mode') problems.push({ code: 'mesh-config/unknown-field', message: `unknown field "${k}" in MeshConfig ${field}. Fix: only "mode" is allowed`, location: positions.at([field, k]) });
    }
    if (policy.mode !== undefined && !modes.includes(policy.mode as string)) {
      problems.push({ code: 'mesh-config/bad-value', message: `MeshConfig ${field}.mode must be one of ${modes.join(', ')}; got ${JSON.stringify(policy.mode)}`, location: positions.at([field, 'mode']) });
    }
  }
  const normalization = raw.pathNormalization as Record<string, unknown> | undefined;
  if (typeof normalization?.normalization === 'number') {
    const e = enumFromNumber('pathNormalization.normalization', NORMALIZATION_NUMBERS, normalization.normalization, positions.at(['pathNormalization', 'normalization']));
    if (e.problem) problems.push(e.problem);
    raw.pathNormalization = withEnumName(normalization, 'normalization', e.name);
  }
  problems.push(...timeoutProblems(raw, positions));
  // ValidateMeshConfig: ValidatePort(ProxyListenPort) (an explicit 0 overwrites the default 15001 and is refused).
  if (typeof raw.proxyListenPort === 'number' && !(raw.proxyListenPort >= 1 && raw.proxyListenPort <= 65535)) {
    problems.push({ code: 'mesh-config/bad-value', message: `MeshConfig proxyListenPort must be a port from 1 to 65535 (Istio ValidatePort); got ${JSON.stringify(raw.proxyListenPort)}. Fix: remove it (the default is 15001) or give the outbound capture port`, location: positions.at(['proxyListenPort']) });
  }
  for (const f of ['rootNamespace'] as const) {
    if (typeof raw[f] === 'string' && !DNS_LABEL.test(raw[f] as string)) {
      problems.push({ code: 'mesh-config/bad-value', message: `MeshConfig ${f} "${raw[f]}" is not a namespace name (DNS-1123 label). Fix: e.g. "istio-system"`, location: positions.at([f]) });
    }
  }
  const domains: [string, readonly (string | number)[]][] = [
    ...(typeof raw.trustDomain === 'string' ? [[raw.trustDomain, ['trustDomain']] as [string, (string | number)[]]] : []),
    ...((raw.trustDomainAliases as string[] | undefined) ?? []).map((d, i) => [d, ['trustDomainAliases', i]] as [string, (string | number)[]]),
  ];
  for (const [domain, path] of domains) {
    const why = trustDomainProblem(domain);
    if (why !== null) {
      problems.push({
        code: 'mesh-config/bad-value',
        message: `MeshConfig ${path.length === 1 ? 'trustDomain' : `trustDomainAliases[${String(path[1])}]`} ${JSON.stringify(domain)} is not a trust domain istiod accepts (ValidateTrustDomain): ${why}. Fix: dot-separated DNS labels, e.g. "cluster.local" or "corp.example"`,
        location: positions.at(path),
      });
    }
  }
  for (const f of ['defaultServiceExportTo', 'defaultVirtualServiceExportTo', 'defaultDestinationRuleExportTo'] as const) {
    ((raw[f] as string[] | undefined) ?? []).forEach((e, i) => {
      if (e !== '*' && e !== '.' && e !== '~' && !DNS_LABEL.test(e)) {
        problems.push({ code: 'mesh-config/bad-value', message: `MeshConfig ${f}[${i}] "${e}" is not "*", ".", "~" or a namespace name`, location: positions.at([f, i]) });
      }
    });
  }
  const warnings = [
    ...documentWarnings, ...ignoredInboundRetryFields(raw.defaultInboundHttpRetryPolicy as Record<string, unknown> | undefined, positions),
    ...inertDefaultRetryOn(raw.defaultHttpRetryPolicy as Record<string, unknown> | undefined, positions),
  ];
  for (const field of ['defaultHttpRetryPolicy', 'defaultInboundHttpRetryPolicy'] as const) {
    const retry = raw[field] as Record<string, unknown> | undefined;
    // istiod validates only the inbound default (validateMeshConfigDefaultInboundHTTPRetryPolicy);
    // read as istiod, the outbound one's values are judged by what they do (outboundRetryValueFindings).
    if (field === 'defaultHttpRetryPolicy' && opts.unknownFields === 'ignore') {
      const { problems: typed, findings } = retryPolicyProblems(field, retry, positions, false, true);
      problems.push(...typed, ...findings.problems);
      warnings.push(...findings.warnings);
    } else {
      problems.push(...retryPolicyProblems(field, retry, positions, true, opts.unknownFields === 'ignore').problems);
    }
    const jsonpb = opts.unknownFields === 'ignore';
    if (retry) raw[field] = Object.fromEntries(Object.entries(retry).map(([k, v]) => [camel(k), jsonpb && HTTP_RETRY_FIELDS[camel(k)] ? jsonpbInt(HTTP_RETRY_FIELDS[camel(k)]!, v) : v]));
  }
  problems.push(...inboundRetryProblems(raw.defaultInboundHttpRetryPolicy as Record<string, unknown> | undefined, positions));
  // Unknown fields are problems here; meshConfigFrom reads known fields only, so dropping them (`ignore`) is applying the rest.
  const refusing = problems.some((p) => p.code !== 'mesh-config/unknown-field' && p.acceptedByIstiod !== true) || (problems.length > 0 && opts.unknownFields !== 'ignore');
  return { meshConfig: refusing ? DEFAULT_MESH_CONFIG : meshConfigFrom(raw), problems, warnings };
}

/**
 * What istiod's `ValidateMeshConfig` refuses in the MeshConfig timeouts beyond their syntax:
 * `connectTimeout` outside 1ms..1h or finer than a millisecond (`ValidateConnectTimeout`), and
 * `protocolDetectionTimeout` finer than a millisecond (`ValidateProtocolDetectionTimeout`; 0 is
 * allowed and turns the timeout off).
 */
function timeoutProblems(raw: Readonly<Record<string, unknown>>, positions: Positions): MeshContextProblem[] {
  const out: MeshContextProblem[] = [];
  const connect = durationMs(raw.connectTimeout);
  if (connect !== null && (connect < 1 || connect > 3_600_000 || !Number.isInteger(connect))) {
    out.push({
      code: 'mesh-config/bad-value',
      message: `MeshConfig connectTimeout must be from 1ms to 1h in whole milliseconds (Istio ValidateConnectTimeout); got ${JSON.stringify(raw.connectTimeout)}. Fix: e.g. "10s" (the default)`,
      location: positions.at(['connectTimeout']),
    });
  }
  const detection = durationMs(raw.protocolDetectionTimeout);
  if (detection !== null && !Number.isInteger(detection)) {
    out.push({
      code: 'mesh-config/bad-value',
      message: `MeshConfig protocolDetectionTimeout must be whole milliseconds (Istio ValidateProtocolDetectionTimeout); got ${JSON.stringify(raw.protocolDetectionTimeout)}. Fix: e.g. "100ms", or "0s" to turn the timeout off`,
      location: positions.at(['protocolDetectionTimeout']),
    });
  }
  return out;
}

/** The `HTTPRetry` fields istiod's `retry.ConvertInboundPolicy` drops, and why. */
const IGNORED_INBOUND_RETRY_FIELDS: Readonly<Record<string, string>> = {
  perTryTimeout: 'the inbound route goes to the one local application cluster and istiod sets no per-try timeout on it',
  retryRemoteLocalities: 'an inbound route has one local endpoint, so there is no other locality to retry in',
  retryIgnorePreviousHosts: 'an inbound route has one local endpoint, so there is no other host to pick',
};

/**
 * What istiod's `validateMeshConfigDefaultInboundHTTPRetryPolicy` warns about: `perTryTimeout`,
 * `retryRemoteLocalities` and `retryIgnorePreviousHosts` set (any value) in
 * `defaultInboundHttpRetryPolicy`, which `retry.ConvertInboundPolicy` ignores (it keeps `attempts`,
 * `retryOn` and `backoff`). `retry` has the keys as written (snake_case accepted).
 */
function ignoredInboundRetryFields(retry: Record<string, unknown> | undefined, positions: Positions): MeshContextWarning[] {
  if (retry === undefined) return [];
  return Object.keys(retry).flatMap((key) => {
    const why = IGNORED_INBOUND_RETRY_FIELDS[camel(key)];
    if (why === undefined) return [];
    return [{
      code: 'mesh-config/ignored-field' as const,
      message: `MeshConfig defaultInboundHttpRetryPolicy.${camel(key)} is ignored: istiod builds the inbound retry policy from attempts, retryOn and backoff only ` +
        `(retry.ConvertInboundPolicy), since ${why}. Fix: remove it (set it in a VirtualService retries or defaultHttpRetryPolicy for outbound calls)`,
      location: positions.at(['defaultInboundHttpRetryPolicy', key]),
    }];
  });
}

/**
 * A `defaultHttpRetryPolicy` with attempts > 0 whose `retryOn` retries nothing (only `retriable-status-codes`
 * without a code, or `retriable-headers`: `inertRetryOn`). istiod does not validate it and gives it whole to every
 * http route that writes no retries (route.go, retry.ConvertPolicy): one warning here, where it is written, rather
 * than one per route (resilience/retry-on-retries-nothing judges routes' own retries). `retry` has the keys as
 * written (snake_case accepted).
 */
function inertDefaultRetryOn(retry: Record<string, unknown> | undefined, positions: Positions): MeshContextWarning[] {
  if (retry === undefined) return [];
  const key = (name: string) => Object.keys(retry).find((k) => camel(k) === name);
  const retryOnKey = key('retryOn');
  const attemptsKey = key('attempts');
  const attempts = attemptsKey === undefined ? 0 : jsonpbInt('int', retry[attemptsKey]);
  const conditions = retryOnKey === undefined ? undefined : inertRetryOn(retry[retryOnKey]);
  if (!conditions || typeof attempts !== 'number' || !Number.isInteger(attempts) || attempts <= 0) return [];
  return [{
    code: 'mesh-config/not-validated',
    message: `MeshConfig defaultHttpRetryPolicy.retryOn ${JSON.stringify(retry[retryOnKey!])} lists no status code` +
      `${conditions.includes('retriable-headers') ? ' and no header Istio could pass (it sets no retriable_headers)' : ''}: istiod does not validate it and applies it to every ` +
      `http route that writes no retries (retry.ConvertPolicy), where Envoy then retries no response, reset or connect failure, so the ${attempts} ` +
      `${attempts === 1 ? 'attempt never happens' : 'attempts never happen'}. Fix: add the codes to retry (e.g. "retriable-status-codes,503") or name the conditions meant (5xx, gateway-error, connect-failure)`,
    location: positions.at(['defaultHttpRetryPolicy', retryOnKey!]),
  }];
}

/**
 * Problems of a MeshConfig `HTTPRetry` field (`defaultHttpRetryPolicy`, `defaultInboundHttpRetryPolicy`):
 * fields `HTTPRetry` does not have, wrong types (istiod's decode refuses them), and, when `validated`
 * (istiod's validation looks at the field, or the file is read strictly), negative attempts and
 * durations under 1 ms. Not `validated`, those come back as `findings`: what istiod's `ConvertPolicy`
 * and Envoy make of them.
 */
function retryPolicyProblems(field: string, retry: Record<string, unknown> | undefined, positions: Positions, validated: boolean, jsonpb: boolean): { problems: MeshContextProblem[]; findings: { problems: MeshContextProblem[]; warnings: MeshContextWarning[] } } {
  const findings = { problems: [] as MeshContextProblem[], warnings: [] as MeshContextWarning[] };
  if (retry === undefined) return { problems: [], findings };
  const out: MeshContextProblem[] = [];
  for (const [key, written] of Object.entries(retry)) {
    const name = camel(key);
    const at = positions.at([field, key]);
    const type = HTTP_RETRY_FIELDS[name];
    const v = jsonpb && type ? jsonpbInt(type, written) : written;
    if (!type) {
      const near = Object.keys(HTTP_RETRY_FIELDS).find((f) => editDistance(f.toLowerCase(), name.toLowerCase()) <= 2);
      out.push({ code: 'mesh-config/unknown-field', message: `unknown field "${key}" in MeshConfig ${field} (an HTTPRetry). Fix: ${near ? `write "${near}"` : `use ${Object.keys(HTTP_RETRY_FIELDS).join(', ')}`}`, location: at });
      continue;
    }
    const bad = typeProblem(type, v);
    // Validation reads entries as written (" reset" is refused); unvalidated, istiod's parseRetryOn trims them and skips empty ones.
    const unknownConditions = name === 'retryOn' && typeof v === 'string' && v !== ''
      ? v.split(',').filter((c) => (validated ? !isValidRetryOnEntry(c) : c.trim() !== '' && !isValidRetryOnEntry(c.trim())))
      : [];
    if (bad) out.push({ code: 'mesh-config/bad-value', message: `MeshConfig ${field}.${name} ${bad}; got ${JSON.stringify(v)}`, location: at });
    else if (unknownConditions.length > 0) {
      const what = `MeshConfig ${field}.retryOn ${JSON.stringify(v)}: ${unknownConditions.map((c) => JSON.stringify(c)).join(', ')} ${unknownConditions.length === 1 ? 'is not a retry condition' : 'are not retry conditions'} Istio accepts (Envoy's, comma-separated without spaces, or an HTTP status code)`;
      const fix = `Fix: write ${RETRY_ON_POLICIES.slice(0, 6).join(', ')}, … or a status code such as 503`;
      if (validated) out.push({ code: 'mesh-config/bad-value', message: `${what} (validateHTTPRetry). ${fix}`, location: at });
      else findings.warnings.push({ code: 'mesh-config/not-validated', message: `${what}: istiod does not validate ${field} and Envoy ignores a condition it does not know, so those retries never happen. ${fix}`, location: at });
    } else if (!validated) outboundRetryValueFindings(field, name, type, v, at, findings);
    else if (name === 'attempts' && (v as number) < 0) out.push({ code: 'mesh-config/bad-value', message: `MeshConfig ${field}.attempts must be a whole number ≥ 0 (0 disables retries); got ${JSON.stringify(v)}`, location: at });
    else if (type === 'duration' && durationMs(v)! < 1) out.push({ code: 'mesh-config/bad-value', message: `MeshConfig ${field}.${name} must be at least 1ms (Istio ValidateDuration); got ${JSON.stringify(v)}`, location: at });
  }
  return { problems: out, findings };
}

/**
 * The outbound default retry policy's values that istiod accepts without validating them, judged by
 * what they do on every route that writes no retries (`retry.ConvertPolicy`): negative attempts
 * disable retries (a warning); a per-try timeout of 0 sets none (a warning) while one under 1 ms ends
 * every try at once (an error); a back-off of 0 is refused by Envoy (`RetryBackOff.base_interval`
 * must be > 0: every route configuration is NACKed, an error).
 */
function outboundRetryValueFindings(field: string, name: string, type: FieldType, v: unknown, at: FileLocation, out: { problems: MeshContextProblem[]; warnings: MeshContextWarning[] }): void {
  const notValidated = `istiod does not validate ${field} (only the inbound default) and applies it to every route that writes no retries`;
  if (name === 'attempts' && (v as number) < 0) {
    out.warnings.push({ code: 'mesh-config/not-validated', message: `MeshConfig ${field}.attempts is ${JSON.stringify(v)}: ${notValidated}, where attempts ≤ 0 means no retries (retry.ConvertPolicy). Fix: write 0 to disable retries, or the number of retries`, location: at });
    return;
  }
  if (type !== 'duration') return;
  const ms = durationMs(v)!;
  if (ms >= 1) return;
  if (name === 'perTryTimeout' && ms === 0) {
    out.warnings.push({ code: 'mesh-config/not-validated', message: `MeshConfig ${field}.perTryTimeout is ${JSON.stringify(v)}: ${notValidated}, and Envoy reads a per-try timeout of 0 as none. Fix: remove it, or give the time one try may take (≥ 1ms)`, location: at });
  } else if (name === 'perTryTimeout') {
    out.problems.push({ code: 'mesh-config/bad-value', acceptedByIstiod: true, message: `MeshConfig ${field}.perTryTimeout is ${JSON.stringify(v)}: ${notValidated}, so every try of those routes times out after under a millisecond (504 UT). Fix: give the time one try may take, e.g. 2s`, location: at });
  } else if (name === 'backoff' && ms === 0) {
    out.problems.push({ code: 'mesh-config/bad-value', acceptedByIstiod: true, message: `MeshConfig ${field}.backoff is ${JSON.stringify(v)}: ${notValidated}, and Envoy refuses a retry back-off of 0 (RetryBackOff.base_interval must be > 0), so it rejects the route configurations that carry it. Fix: remove it (Envoy's default is 25ms) or give at least 1ms`, location: at });
  }
}

/**
 * What istiod's `validateMeshConfigDefaultInboundHTTPRetryPolicy` (pkg/config/validation/agent)
 * refuses beyond the field types: with `attempts` 0 or unset (inbound retries off), a `retryOn`,
 * `perTryTimeout`, `retryRemoteLocalities` (`ValidateHTTPRetry`: "http retry policy configured when
 * attempts are set to 0") or `backoff` ("backoff configured when attempts are set to 0").
 */
function inboundRetryProblems(retry: Record<string, unknown> | undefined, positions: Positions): MeshContextProblem[] {
  if (retry === undefined || (typeof retry.attempts === 'number' && retry.attempts !== 0)) return [];
  const set = ['retryOn', 'perTryTimeout', 'retryRemoteLocalities', 'backoff'].filter((k) => retry[k] !== undefined && !(k === 'retryOn' && retry[k] === ''));
  if (set.length === 0) return [];
  return [{
    code: 'mesh-config/bad-value',
    message: `MeshConfig defaultInboundHttpRetryPolicy sets ${set.join(', ')} with attempts ${retry.attempts === undefined ? 'unset (0)' : '0'}, which disables inbound retries; ` +
      'istiod refuses the MeshConfig (invalid default inbound http retry policy). Fix: give attempts ≥ 1, or remove the other fields',
    location: positions.at(['defaultInboundHttpRetryPolicy', retry.attempts === undefined ? set[0]! : 'attempts']),
  }];
}

/** MeshConfig `pathNormalization.normalization` (Istio `ProxyPathNormalization.NormalizationType`, `DEFAULT` read as `BASE`). */
export type PathNormalizationType = 'NONE' | 'BASE' | 'MERGE_SLASHES' | 'DECODE_AND_MERGE_SLASHES';

/**
 * The path normalization istiod puts on every HTTP connection manager: MeshConfig
 * `pathNormalization.normalization`, `BASE` when absent, `DEFAULT` or unknown.
 */
export function pathNormalizationOf(meshConfig: MeshConfig): PathNormalizationType {
  const v = (meshConfig.raw.pathNormalization as { normalization?: unknown } | undefined)?.normalization;
  return v === 'NONE' || v === 'MERGE_SLASHES' || v === 'DECODE_AND_MERGE_SLASHES' ? v : 'BASE';
}

/**
 * MeshConfig fields (typed name, and the key it is written under in `raw`) that only per-graph or
 * per-proxy values read, never a value a graph built on its predecessor shares with it (service
 * and DestinationRule indexes, memberships, cluster, service and route views, `view/carry.ts`):
 * (`trustDomainAliases` is not here: service views, which a view base shares, expand the service
 * accounts a client verifies with them, as istiod's `spiffe.ExpandWithTrustDomains`.)
 * - `outboundTrafficPolicy`: the proxy view's own field (its passthrough or blackhole virtual hosts
 *   and clusters; the translation cache keys on it);
 * - `pathNormalization`: the proxy view's own field (every connection manager's normalization);
 * - `defaultInboundHttpRetryPolicy`, `protocolDetectionTimeout`: the inbound view, per graph;
 * - `defaultConfig` (ProxyConfig), `ingressService`, `ingressClass`: read by nothing that builds
 *   the view (`ingressSelector` is not here: memberships, which a view base copies, read it).
 * `view-carry-diff.test.ts` edits each of them and holds every proxy's output on the view base equal
 * to a from-scratch one; an edit of any other field (and of a field meshproof does not model) gives
 * no view base.
 */
export const PER_GRAPH_MESH_CONFIG_FIELDS: readonly (readonly [keyof MeshConfig | null, string])[] = [
  ['outboundTrafficPolicy', 'outboundTrafficPolicy'],
  [null, 'pathNormalization'],
  ['defaultInboundHttpRetryPolicy', 'defaultInboundHttpRetryPolicy'],
  ['protocolDetectionTimeoutMs', 'protocolDetectionTimeout'],
  ['defaultConfig', 'defaultConfig'],
  ['ingressService', 'ingressService'],
  ['ingressClass', 'ingressClass'],
];

/**
 * Whether `a` and `b` agree on every field a value shared between graphs may read: all but
 * {@link PER_GRAPH_MESH_CONFIG_FIELDS}, as modelled and as written (`raw`, so a field meshproof
 * reads only through `raw` counts). `MeshGraph` keeps its predecessor's view base only then.
 */
export function sameForSharedViews(a: MeshConfig, b: MeshConfig): boolean {
  if (a === b) return true;
  const typed = new Set<string>(PER_GRAPH_MESH_CONFIG_FIELDS.flatMap(([k]) => (k === null ? [] : [k])));
  const raw = new Set(PER_GRAPH_MESH_CONFIG_FIELDS.map(([, k]) => k));
  const shared = (o: Readonly<Record<string, unknown>>, skip: Set<string>): string =>
    JSON.stringify(Object.keys(o).filter((k) => !skip.has(k) && o[k] !== undefined).sort().map((k) => [k, o[k]]));
  const { raw: rawA, ...restA } = a;
  const { raw: rawB, ...restB } = b;
  return shared(restA, typed) === shared(restB, typed) && shared(rawA, raw) === shared(rawB, raw);
}

/** MeshConfig from already-validated camelCase fields, Istio's defaults for the rest. */
export function meshConfigFrom(raw: Readonly<Record<string, unknown>>): MeshConfig {
  const d = DEFAULT_MESH_CONFIG;
  const str = (k: string, def: string): string => (typeof raw[k] === 'string' && raw[k] !== '' ? (raw[k] as string) : def);
  const list = (k: string, def: readonly string[]): readonly string[] => (Array.isArray(raw[k]) && (raw[k] as unknown[]).length > 0 ? (raw[k] as string[]) : def);
  const retry = raw.defaultHttpRetryPolicy as Record<string, unknown> | undefined;
  const inboundRetry = raw.defaultInboundHttpRetryPolicy as Record<string, unknown> | undefined;
  const outbound = (raw.outboundTrafficPolicy ?? {}) as Record<string, unknown>;
  return Object.freeze({
    rootNamespace: str('rootNamespace', d.rootNamespace),
    trustDomain: str('trustDomain', d.trustDomain),
    trustDomainAliases: list('trustDomainAliases', d.trustDomainAliases),
    outboundTrafficPolicy: { mode: outbound.mode === 'REGISTRY_ONLY' ? 'REGISTRY_ONLY' : d.outboundTrafficPolicy.mode },
    defaultConfig: (raw.defaultConfig as Record<string, unknown> | undefined) ?? d.defaultConfig,
    ingressService: str('ingressService', d.ingressService),
    ingressSelector: str('ingressSelector', d.ingressSelector),
    ingressClass: str('ingressClass', d.ingressClass),
    defaultServiceExportTo: list('defaultServiceExportTo', d.defaultServiceExportTo),
    defaultVirtualServiceExportTo: list('defaultVirtualServiceExportTo', d.defaultVirtualServiceExportTo),
    defaultDestinationRuleExportTo: list('defaultDestinationRuleExportTo', d.defaultDestinationRuleExportTo),
    enableAutoMtls: typeof raw.enableAutoMtls === 'boolean' ? raw.enableAutoMtls : d.enableAutoMtls,
    connectTimeoutMs: durationMs(raw.connectTimeout) ?? d.connectTimeoutMs,
    h2UpgradePolicy: raw.h2UpgradePolicy === 'UPGRADE' ? 'UPGRADE' : 'DO_NOT_UPGRADE',
    defaultHttpRetryPolicy: retry === undefined ? d.defaultHttpRetryPolicy : {
      attempts: typeof retry.attempts === 'number' ? retry.attempts : 0,
      retryOn: typeof retry.retryOn === 'string' && retry.retryOn !== '' ? retry.retryOn : d.defaultHttpRetryPolicy.retryOn,
      perTryTimeoutMs: durationMs(retry.perTryTimeout),
      retryRemoteLocalities: retry.retryRemoteLocalities === true,
      retryIgnorePreviousHosts: typeof retry.retryIgnorePreviousHosts === 'boolean' ? retry.retryIgnorePreviousHosts : null,
      backoffMs: durationMs(retry.backoff),
    },
    protocolDetectionTimeoutMs: durationMs(raw.protocolDetectionTimeout) ?? d.protocolDetectionTimeoutMs,
    defaultInboundHttpRetryPolicy: inboundRetry === undefined ? d.defaultInboundHttpRetryPolicy : {
      attempts: typeof inboundRetry.attempts === 'number' ? inboundRetry.attempts : 0,
      retryOn: typeof inboundRetry.retryOn === 'string' && inboundRetry.retryOn !== '' ? inboundRetry.retryOn : DEFAULT_INBOUND_RETRY_ON,
      backoffMs: durationMs(inboundRetry.backoff),
    },
    raw: Object.freeze({ ...raw }),
  });
}

/**
 * Builds the mesh context from a MeshConfig file's text (or none) and a cluster domain (or
 * none), collecting every problem. `clusterDomainAt` says where the domain was given.
 */
export function meshContextFrom(input: {
  readonly meshConfig?: { readonly text: string; readonly file: string };
  readonly clusterDomain?: { readonly value: unknown; readonly at: FileLocation };
}): { context: MeshContext; problems: MeshContextProblem[]; warnings: MeshContextWarning[] } {
  const parsed = input.meshConfig ? parseMeshConfig(input.meshConfig.text, input.meshConfig.file) : { meshConfig: DEFAULT_MESH_CONFIG, problems: [], warnings: [] };
  const problems = [...parsed.problems];
  let clusterDomain = DEFAULT_CLUSTER_DOMAIN;
  if (input.clusterDomain) {
    const p = clusterDomainProblem(input.clusterDomain.value, input.clusterDomain.at);
    if (p) problems.push(p);
    else clusterDomain = input.clusterDomain.value as string;
  }
  return { context: Object.freeze({ meshConfig: parsed.meshConfig, clusterDomain }), problems, warnings: parsed.warnings };
}

/** `meshContextFrom`, throwing a MeshContextError (every problem) when anything is wrong. */
export function meshContextOrThrow(input: Parameters<typeof meshContextFrom>[0]): MeshContext {
  const { context, problems } = meshContextFrom(input);
  if (problems.length > 0) throw new MeshContextError(problems);
  return context;
}

/** A SPIFFE principal as Istio writes it: `<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. */
export function principalOf(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`, each part non-empty. */
const ISTIO_IDENTITY = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/;

/**
 * The parts of an Istio workload identity (`spiffe.ParseIdentity`), the inverse of
 * `spiffe://` + {@link principalOf}; undefined for anything else (a DNS name, another SPIFFE path).
 */
export function parseIstioIdentity(id: string): { trustDomain: string; namespace: string; serviceAccount: string } | undefined {
  const m = ISTIO_IDENTITY.exec(id);
  return m ? { trustDomain: m[1]!, namespace: m[2]!, serviceAccount: m[3]! } : undefined;
}

import { X509Certificate } from 'node:crypto';
import type { MeshGraph } from '../../../mesh/graph.js';
import { isRecord, type MeshObject } from '../../../mesh/object.js';
import type { GatewayInfo, GatewayServer } from './_helpers.js';

/**
 * Where a Gateway server's `tls.credentialName` points, the way istiod resolves it for a gateway
 * proxy (pilot `credentials.ParseResourceName`, analyzer `gateway.SecretAnalyzer`): a Secret named
 * `credentialName` in the namespace of the gateway PODS, not of the Gateway resource. `ns/name`
 * and `kubernetes-gateway://ns/name` name another namespace; `kubernetes://name` is `name`;
 * other `scheme://` names are SDS providers meshproof cannot see (undefined).
 */
export function credentialRef(credentialName: string, podNamespace: string): { namespace: string; name: string } | undefined {
  let cn = credentialName;
  const scheme = cn.match(/^([a-z][a-z0-9+.-]*):\/\//i);
  if (scheme) {
    const kind = scheme[1]!.toLowerCase();
    if (kind !== 'kubernetes' && kind !== 'kubernetes-gateway') return undefined;
    cn = cn.slice(scheme[0].length);
  }
  const slash = cn.indexOf('/');
  return slash < 0 ? { namespace: podNamespace, name: cn } : { namespace: cn.slice(0, slash), name: cn.slice(slash + 1) };
}

/**
 * Whether `istioctl analyze` (gateway.SecretAnalyzer) can find the Secret behind `credentialName` at all:
 * it splits the name at the first `/` (resource.NewShortOrFullName) with no scheme handling, so
 * `kubernetes://name` and `kubernetes-gateway://ns/name`, which istiod resolves, are looked up as
 * namespace `kubernetes:` (or `kubernetes-gateway:`) and never found.
 */
export function analyzerMissesScheme(credentialName: string): boolean {
  return /^kubernetes(-gateway)?:\/\//i.test(credentialName);
}

/** The `tls.credentialName` of a server, or undefined. */
export function credentialNameOf(s: GatewayServer): string | undefined {
  const cn = s.tls?.credentialName;
  return typeof cn === 'string' && cn !== '' ? cn : undefined;
}

/** Namespaces the gateway's pods run in, sorted (Istio takes the first matching pod's). */
export function podNamespaces(g: GatewayInfo): string[] {
  return [...new Set(g.workloads.map((w) => w.namespace))].sort();
}

/** An object that is, or will become, a Secret: the Secret itself or a controller object that writes it. */
export interface SecretSource {
  readonly object: MeshObject;
  /** The Secret itself when the input has it (its content can be checked); undefined for a producer. */
  readonly secret?: MeshObject;
}

/** Objects of other controllers that create a Secret, and the name of the Secret they create. */
const PRODUCERS: readonly { kind: string; group: string; name: (o: MeshObject) => unknown }[] = [
  { kind: 'Certificate', group: 'cert-manager.io', name: (o) => o.spec.secretName },
  { kind: 'ExternalSecret', group: 'external-secrets.io', name: (o) => (isRecord(o.spec.target) && o.spec.target.name) || o.name },
  { kind: 'SealedSecret', group: 'bitnami.com', name: (o) => (isRecord(o.spec.template) && isRecord(o.spec.template.metadata) && o.spec.template.metadata.name) || o.name },
];

/** Secrets (and Secret producers) of the input by namespace and name. */
export class SecretCatalog {
  private readonly byKey = new Map<string, SecretSource>();
  private readonly byName = new Map<string, string[]>();
  private readonly namespaces = new Set<string>();

  constructor(graph: MeshGraph) {
    for (const s of graph.ofKind('Secret')) this.add(s.namespace, s.name, { object: s, secret: s });
    for (const o of graph.objects) {
      const producer = PRODUCERS.find((p) => p.kind === o.kind && o.apiVersion.startsWith(`${p.group}/`));
      const name = producer?.name(o);
      if (typeof name === 'string' && name !== '') this.add(o.namespace, name, { object: o });
    }
  }

  private add(namespace: string, name: string, source: SecretSource): void {
    const key = `${namespace}/${name}`;
    if (this.byKey.has(key)) return;
    this.byKey.set(key, source);
    this.namespaces.add(namespace);
    const list = this.byName.get(name);
    if (list) list.push(namespace);
    else this.byName.set(name, [namespace]);
  }

  find(namespace: string, name: string): SecretSource | undefined {
    return this.byKey.get(`${namespace}/${name}`);
  }

  /** Namespaces holding a Secret of this name, sorted. */
  namespacesOf(name: string): string[] {
    return [...(this.byName.get(name) ?? [])].sort();
  }

  /** Whether the input carries any Secret (or producer) in `namespace`. */
  covers(namespace: string): boolean {
    return this.namespaces.has(namespace);
  }
}

const catalogs = new WeakMap<MeshGraph, SecretCatalog>();

/** The graph's SecretCatalog, built once. */
export function secretCatalog(graph: MeshGraph): SecretCatalog {
  let c = catalogs.get(graph);
  if (!c) catalogs.set(graph, (c = new SecretCatalog(graph)));
  return c;
}

/** The certificate and key of a Secret, under the keys they were found at. */
export interface CertInfo {
  readonly certKey: 'cert' | 'tls.crt';
  readonly cert: Buffer;
  readonly key: Buffer;
}

/**
 * The certificate and key istiod reads from a Secret (Istio `kube.ExtractCertInfo`): non-empty `cert` and `key`,
 * else non-empty `tls.crt` and `tls.key`; else why not (a string). Reads `data` (base64) and `stringData` (plain
 * text, as the API server merges it).
 */
export function certInfoOf(secret: MeshObject): CertInfo | string {
  const data = secretData(secret);
  if (data === undefined) return '`data` is not valid base64';
  // A Buffer is truthy even when empty: Istio's hasValue() wants len > 0 for both keys of a pair.
  const filled = (a: string, b: string): boolean => (data.get(a)?.length ?? 0) > 0 && (data.get(b)?.length ?? 0) > 0;
  const pair = filled('cert', 'key') ? (['cert', 'key'] as const) : filled('tls.crt', 'tls.key') ? (['tls.crt', 'tls.key'] as const) : undefined;
  if (!pair) {
    const keys = [...data.keys()].sort();
    const empty = keys.filter((k) => data.get(k)!.length === 0);
    return `it holds ${keys.length > 0 ? `only the keys ${keys.join(', ')}${empty.length > 0 ? ` (empty: ${empty.join(', ')})` : ''}` : 'no data'}, but a server certificate needs non-empty tls.crt and tls.key (or cert and key)`;
  }
  return { certKey: pair[0], cert: data.get(pair[0])!, key: data.get(pair[1])! };
}

/**
 * Why a gateway proxy would refuse the Secret as a server certificate, or undefined when it would
 * load it (Istio `kube.ExtractCertInfo` then `xds.ValidateCertificate`): it needs non-empty `cert`
 * and `key`, or `tls.crt` and `tls.key` ({@link certInfoOf}); the first PEM block of the certificate must parse as
 * X.509 and `now` must lie between its NotBefore and NotAfter.
 */
export function certificateProblem(secret: MeshObject, now: Date): string | undefined {
  const info = certInfoOf(secret);
  if (typeof info === 'string') return info;
  const pem = info.cert.toString('utf8');
  const block = pem.match(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/);
  if (!block) return `${info.certKey} is not PEM (no -----BEGIN CERTIFICATE----- block)`;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(block[2]!.replace(/\s+/g, ''), 'base64'));
  } catch {
    return `${info.certKey} holds a PEM block that is not an X.509 certificate`;
  }
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (now < from) return `${info.certKey} is not valid before ${from.toISOString()}`;
  if (now > to) return `${info.certKey} expired on ${to.toISOString()}`;
  return undefined;
}

/**
 * Whether the Secret holds keys but no content at all (every value empty): a placeholder whose content another
 * tool fills in at deploy time (a sealed or injected Secret), not a certificate anyone meant to serve.
 */
export function isPlaceholderSecret(secret: MeshObject): boolean {
  const data = secretData(secret);
  return data !== undefined && data.size > 0 && [...data.values()].every((v) => v.length === 0);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function secretData(secret: MeshObject): Map<string, Buffer> | undefined {
  const out = new Map<string, Buffer>();
  const data = isRecord(secret.body.data) ? secret.body.data : {};
  for (const [k, v] of Object.entries(data)) {
    if (typeof v !== 'string') continue;
    const compact = v.replace(/\s+/g, '');
    if (!BASE64.test(compact)) return undefined;
    out.set(k, Buffer.from(compact, 'base64'));
  }
  const stringData = isRecord(secret.body.stringData) ? secret.body.stringData : {};
  for (const [k, v] of Object.entries(stringData)) if (typeof v === 'string') out.set(k, Buffer.from(v, 'utf8'));
  return out;
}

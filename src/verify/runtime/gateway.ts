/**
 * The ingress gateway of the embedded mesh: the gateway workload a Gateway's `selector` picks (e.g.
 * `istio-ingress/istio-ingressgateway` of the platform app) runs as one proxy (`--role gateway`,
 * Istio's `router`) on its own loopback address (`127.79.y.z`), serving the translator's gateway
 * listeners (`0.0.0.0_<port>`, moved to that address; the port is the server's, or the gateway
 * Service's `targetPort` for it) and routes, with the credentials
 * istiod would serve it over SDS:
 *
 * - `default` and `ROOTCA` for its own identity (the mTLS hop to inbound sidecars);
 * - `kubernetes://<credentialName>`: a server certificate for the hosts of every server naming that
 *   credential, issued by the runtime's throwaway CA (a `*` label becomes `meshproof-verify`);
 * - `kubernetes://<credentialName>-cacert` (or `caCertCredentialName`): that CA's root, the trust
 *   anchor of MUTUAL and OPTIONAL_MUTUAL servers, so a client certificate from the throwaway CA
 *   is admitted and one from any other CA is not.
 *
 * One gateway proxy per gateway workload, started on first use and stopped with the runtime.
 */
import type { MeshGraph, Workload } from '../../mesh/graph.js';
import { isRecord, stringMap } from '../../mesh/object.js';
import { selects } from '../../mesh/services.js';
import { buildProxyView, gatewayServerTlsMode, proxyOf, type GatewayServerView, type ProxyView } from '../../mesh/view/index.js';
import { issueServerCertificate } from '../../pki/index.js';
import type { Secret } from '../../xds/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import { buildTlsCertificateSecret, buildValidationContextSecret } from '../../xds/sds/secrets.js';
import { CA_SUFFIX } from '../../xds/translate/downstream-tls.js';
import { translateProxy } from '../../xds/translate/index.js';
import type { AccessLogEntry } from '../../proxy/access-log.js';
import { allocateFree, LoopbackAllocator } from './addresses.js';
import type { EmbeddedMesh } from './mesh.js';

/** Gateway proxies' addresses (`127.79.y.z`), never reused within a process. */
const gatewayAddresses = new LoopbackAllocator(79);

/** A running ingress gateway proxy. */
export interface IngressGateway {
  /** `namespace/name` of the gateway workload. */
  readonly workload: string;
  readonly address: string;
  /** The per-proxy view it was translated from (its Gateway servers, routes). */
  readonly view: ProxyView;
  /** Root certificate (PEM) its server certificates chain to, and that MUTUAL servers trust for clients. */
  readonly caPem: string;
  /** The port its listener for a Gateway server port is bound on (the port itself, or the gateway Service's targetPort for it), or undefined when it has none. */
  listenerPort(serverPort: number): number | undefined;
  /** Access-log entries so far. */
  log(): readonly AccessLogEntry[];
}

/** Envoy's TLS server modes that terminate TLS with a credential. */
const TERMINATING = new Set(['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL']);

/** The server `tls` block, typed loosely (as written in the Gateway). */
export function serverTls(s: GatewayServerView): { mode?: string; credentialName?: string; credentialNames?: string[]; caCertCredentialName?: string; httpsRedirect?: boolean } {
  return (s.tls ?? {}) as ReturnType<typeof serverTls>;
}

/** A concrete name for a server host: `ns/` dropped, `*` labels made concrete, `*` alone → `meshproof-verify.local`. */
export function concreteHost(host: string): string {
  const bare = host.includes('/') ? host.slice(host.indexOf('/') + 1) : host;
  if (bare === '*') return 'meshproof-verify.local';
  return bare.replace(/^\*/, 'meshproof-verify');
}

/** The gateway workload a Gateway `namespace/name` selects, or why there is none. */
export function gatewayWorkload(graph: MeshGraph, gatewayRef: string): Workload | string {
  const [ns, name] = gatewayRef.includes('/') ? gatewayRef.split('/') : ['default', gatewayRef];
  const gw = graph.get('Gateway', ns!, name!);
  if (!gw) return `Gateway ${gatewayRef} is not in the input`;
  const selector = isRecord(gw.spec.selector) ? stringMap(gw.spec.selector) : {};
  if (Object.keys(selector).length === 0) return `Gateway ${gatewayRef} has no selector: no gateway workload to start`;
  const w = graph.workloads.all.find((x) => selects(selector, x.labels) && graph.membershipOf(x).dataplane === 'gateway')
    ?? graph.workloads.all.find((x) => selects(selector, x.labels));
  return w ?? `no workload in dist/ matches Gateway ${gatewayRef}'s selector ${JSON.stringify(selector)} (the gateway Deployment, e.g. of the platform app, is not in the input)`;
}

/**
 * The container port a Gateway server port is served on: the `targetPort` of the gateway Service
 * port with that number (a name resolved among the workload's container ports), as Istio binds
 * gateway listeners (server port 443 → Service 443 → targetPort 8443).
 */
function targetPortOf(graph: MeshGraph, workload: Workload, serverPort: number): number | undefined {
  for (const svc of graph.servicesSelecting(workload)) {
    const target = svc.ports.find((p) => p.number === serverPort)?.targetPort;
    if (typeof target === 'number') return target;
    if (typeof target === 'string') return workload.containerPorts.find((c) => c.name === target)?.containerPort;
  }
  return undefined;
}

/** SDS secrets for the credentials of the view's terminating servers, from the runtime's CA. */
async function credentialSecrets(view: ProxyView, mesh: EmbeddedMesh): Promise<Secret[]> {
  const hostsByCredential = new Map<string, Set<string>>();
  const caNames = new Set<string>();
  for (const s of view.gatewayServers) {
    const tls = serverTls(s);
    if (s.tls === null || !TERMINATING.has(gatewayServerTlsMode(s)!)) continue;
    const names = tls.credentialNames && tls.credentialNames.length > 0 ? tls.credentialNames : tls.credentialName ? [tls.credentialName] : [];
    for (const c of names) {
      const set = hostsByCredential.get(c) ?? new Set<string>();
      for (const h of s.hosts) set.add(concreteHost(h));
      hostsByCredential.set(c, set);
    }
    if (tls.mode === 'MUTUAL' || tls.mode === 'OPTIONAL_MUTUAL') {
      if (tls.caCertCredentialName) caNames.add(tls.caCertCredentialName);
      else if (names[0]) caNames.add(`${names[0]}${CA_SUFFIX}`);
    }
  }
  const secrets: Secret[] = [];
  for (const [credential, hosts] of [...hostsByCredential].sort(([a], [b]) => a.localeCompare(b))) {
    const cert = await issueServerCertificate(mesh.identities.ca, { dnsNames: [...hosts].sort(), ttlSeconds: 3600 });
    secrets.push(buildTlsCertificateSecret(`kubernetes://${credential}`, cert.certificateChainPem, cert.privateKeyPem));
  }
  for (const name of [...caNames].sort()) secrets.push(buildValidationContextSecret(`kubernetes://${name}`, mesh.identities.rootPem));
  return secrets;
}

/** Starts the gateway proxy of `workload`; a string says why it could not. */
async function startGateway(graph: MeshGraph, mesh: EmbeddedMesh, workload: Workload): Promise<IngressGateway | string> {
  const view = buildProxyView(graph, { ...proxyOf(graph, workload), type: 'router' });
  const set = translateProxy(view, [...mesh.instances]);
  const listeners = set.listeners.filter((l) => l.name.startsWith('0.0.0.0_'));
  if (listeners.length === 0) return `the gateway ${workload.namespace}/${workload.name} has no listener: no Gateway server selects it with a port the translator serves`;
  const ports = new Map<number, number>();
  for (const l of listeners) {
    const sa = l.address?.address;
    if (sa?.case === 'socketAddress' && sa.value.portSpecifier.case === 'portValue') ports.set(sa.value.portSpecifier.value, sa.value.portSpecifier.value);
  }
  // Another verify run on this machine may hold the same 127.79.y.z addresses: skip those.
  let address: string;
  try {
    address = await allocateFree(gatewayAddresses, [...ports.keys()], mesh.leases);
  } catch (e) {
    return `no address for the gateway ${workload.namespace}/${workload.name}: ${(e as Error).message}`;
  }
  for (const l of listeners) if (l.address?.address.case === 'socketAddress') l.address.address.value.address = address;
  let secrets: Secret[];
  try {
    secrets = [...await mesh.identities.secretsFor(workload.namespace, workload.serviceAccount), ...await credentialSecrets(view, mesh)];
  } catch (e) {
    return `cannot issue the gateway's credentials: ${(e as Error).message}`;
  }
  const started = await mesh.launchProxy(`${workload.namespace}/${workload.name}~gateway`, address, { ...set, listeners, secrets }, 'gateway');
  if (typeof started === 'string') return started;
  return {
    workload: `${workload.namespace}/${workload.name}`, address, view, caPem: mesh.identities.rootPem,
    listenerPort: (serverPort) => ports.get(serverPort) ?? ports.get(targetPortOf(graph, workload, serverPort) ?? -1), log: started.log,
  };
}

/** Gateway proxies by gateway workload, each started on first use. */
export class GatewayPool {
  private readonly started = new Map<string, Promise<IngressGateway | string>>();
  constructor(private readonly graph: MeshGraph, private readonly mesh: EmbeddedMesh) {}

  /** The running gateway that serves Gateway `namespace/name`, or why there is none. */
  forGateway(gatewayRef: string): Promise<IngressGateway | string> {
    const w = gatewayWorkload(this.graph, gatewayRef);
    if (typeof w === 'string') return Promise.resolve(w);
    const key = `${w.namespace}/${w.name}`;
    let g = this.started.get(key);
    if (!g) this.started.set(key, (g = startGateway(this.graph, this.mesh, w)));
    return g;
  }
}

/**
 * Traffic judgement of the security promises, straight at the workloads' inbound sidecars (the
 * translated `virtualInbound` chains): `mtls-strict` (a plaintext request to every port of every
 * sidecar workload of the namespace gets no HTTP answer, while an mTLS client with a mesh
 * certificate completes its handshake there, so the refusal is the chain's doing, not a dead port)
 * and `authorization` (an mTLS client holding the principal's certificate from the runtime's CA,
 * sending the promised method, path and port, is answered by the echo backend when allowed, and 403
 * `RBAC: access denied` by the proxy when not).
 *
 * A port declared TCP (a Service port named tcp, tls, redis, mysql, mongo…: network RBAC and a
 * `tcp_proxy`) answers no 403: the network RBAC filter closes a denied
 * connection once the mTLS handshake is done, sending nothing back. There an allowed connection is
 * proven by the echo backend's answer relayed through the `tcp_proxy`, a refusal by a completed
 * handshake followed by a close with no bytes (no TLS alert, no timeout), and STRICT mTLS by plaintext
 * getting no bytes while an mTLS client completes its handshake (answered or closed by RBAC).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import type { MeshGraph } from '../../mesh/graph.js';
import { inboundPortIsTcp, proxyOf } from '../../mesh/view/index.js';
import { MTLS_HTTP11_ALPN } from '../../xds/translate/alpn.js';
import type { Expectation } from '../expectations/types.js';
import type { TrafficVerdict } from '../report/types.js';
import { arrivalOf, explainArrival, noArrival } from '../static/arrival-port.js';
import type { EmbeddedMesh, RuntimeWorkload } from './mesh.js';

type Of<K extends Expectation['outcome']['kind']> = Extract<Expectation['outcome'], { kind: K }>;

/** What the security proofs read of a runtime: the workloads (inbound sidecar addresses) and the mesh CA. */
export type SecurityMesh = Pick<EmbeddedMesh, 'workloads' | 'identities'>;

/** What one request to an inbound sidecar got. */
export interface Probe {
  /** HTTP status; 0 when no HTTP answer came (refused, reset, handshake failed). */
  readonly status: number;
  readonly body: string;
  /** `namespace/workload` of the echo backend that answered, or ''. */
  readonly workload: string;
  readonly error?: string;
  /** An mTLS probe's TLS handshake completed (the client sent its certificate and got the server's Finished). */
  readonly handshake: boolean;
  /** Bytes received after the handshake (the answer, raw). */
  readonly bytes: number;
}

interface ProbeOptions {
  readonly method?: string;
  readonly path?: string;
  /** mTLS client credentials; plaintext when absent. */
  readonly tls?: { readonly ca: string; readonly cert: string; readonly key: string };
}

/**
 * The ALPN a client sidecar offers for HTTP/1.1 it sends over mTLS (the `istio.alpn` filter the
 * translator puts on outbound HCMs, `mtlsHTTP11ALPN`): the probe is such a request, so it meets the
 * chain a mesh HTTP caller meets (a sniffed port's HTTP chain, not its TCP chain; declared ports
 * match no ALPN).
 */
const SIDECAR_MTLS_ALPN = [...MTLS_HTTP11_ALPN];
/** node:https hands every option to `tls.connect`, ALPN included; its types leave ALPN out. */
type HttpsRequestOptions = RequestOptions & Pick<ConnectionOptions, 'ALPNProtocols'>;

/** One request to `address:port`, a fresh connection each time, 5 s at most. */
export function probe(address: string, port: number, o: ProbeOptions = {}): Promise<Probe> {
  return new Promise((resolve) => {
    let handshake = false;
    let bytes = 0;
    const options = { host: address, port, method: o.method ?? 'GET', path: o.path ?? '/', agent: false as const, timeout: 5000, headers: { host: `${address}:${port}` } };
    const onResponse = (res: import('node:http').IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), workload: String(res.headers['x-meshproof-workload'] ?? ''), handshake, bytes }));
    };
    const req = o.tls
      ? httpsRequest({ ...options, ca: o.tls.ca, cert: o.tls.cert, key: o.tls.key, ALPNProtocols: SIDECAR_MTLS_ALPN, checkServerIdentity: () => undefined } as HttpsRequestOptions, onResponse)
      : httpRequest(options, onResponse);
    req.on('socket', (socket) => {
      socket.once('secureConnect', () => { handshake = true; });
      socket.on('data', (c: Buffer) => { bytes += c.length; });
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5000 ms')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, body: '', workload: '', error: e.code ?? e.message, handshake, bytes }));
    req.end();
  });
}

/**
 * The network RBAC filter's refusal as a client sees it: the mTLS handshake completed, then the
 * connection was closed (reset or ended) with no byte back. A TLS alert (a refused certificate) or a
 * timeout is not one.
 */
export function closedAfterHandshake(r: Probe): boolean {
  return r.handshake && r.bytes === 0 && r.status === 0 && (r.error === 'ECONNRESET' || r.error === 'EPIPE');
}

/** Whether container `port` of `w` is declared TCP: network RBAC and a `tcp_proxy`, no HTTP connection manager. */
function tcpPort(graph: MeshGraph, w: RuntimeWorkload, port: number): boolean {
  return inboundPortIsTcp(graph, proxyOf(graph, w.workload), port);
}

const notRun = (detail: string): TrafficVerdict => ({ status: 'not-run', detail, requests: 0 });
const selects = (selector: Readonly<Record<string, string>> | null, labels: Readonly<Record<string, string>>) => Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);

function targets(mesh: SecurityMesh, namespace: string, selector: Readonly<Record<string, string>> | null): RuntimeWorkload[] {
  return mesh.workloads.filter((w) => w.sidecar && w.workload.namespace === namespace && selects(selector, w.workload.labels));
}

/**
 * Plaintext to every port of every sidecar workload of the namespace is refused; mTLS is not (on a
 * TCP port, `graph` says which: a completed handshake the network RBAC then closes is mTLS served).
 */
export async function judgeStrictMtlsWithTraffic(o: Of<'mtls-strict'>, mesh: SecurityMesh, graph: MeshGraph): Promise<TrafficVerdict> {
  const ws = targets(mesh, o.namespace, null);
  if (ws.length === 0) return notRun(`namespace ${o.namespace} has no workload with a sidecar to send to`);
  const cert = await mesh.identities.forPrincipal(`${mesh.identities.ca.trustDomain}/ns/${o.namespace}/sa/meshproof-verify-prober`);
  const tls = { ca: mesh.identities.rootPem, cert: cert.certificateChainPem, key: cert.privateKeyPem };
  let requests = 0;
  const held: string[] = [];
  for (const w of ws) {
    for (const port of new Set(w.workload.containerPorts.map((p) => p.containerPort))) {
      const at = `${w.workload.namespace}/${w.workload.name} port ${port}`;
      const tcp = tcpPort(graph, w, port);
      const plain = await probe(w.address, port);
      const secure = await probe(w.address, port, { tls });
      requests += 2;
      if (plain.status !== 0) return { status: 'broken', detail: `${at} answered plaintext with ${plain.status}${plain.workload ? ` from ${plain.workload}` : ''}${tcp ? ` through the tcp_proxy of TCP port ${port}` : ''}: plaintext gets through`, requests };
      if (plain.bytes > 0) return { status: 'broken', detail: `${at} sent ${plain.bytes} bytes back to plaintext (${plain.error}): plaintext gets through`, requests };
      const rbacClosed = tcp && closedAfterHandshake(secure);
      if (secure.status === 0 && !rbacClosed) {
        const how = secure.handshake ? `handshake done, then ${secure.error}${secure.bytes > 0 ? ` after ${secure.bytes} bytes` : ''}` : secure.error;
        return { status: 'broken', detail: `${at} refused plaintext (${plain.error}) but also an mTLS client with a mesh certificate (${how}): nothing is served there`, requests };
      }
      held.push(`${at}: plaintext ${plain.error}, mTLS ${rbacClosed ? `handshake done, then closed with no bytes by network RBAC on TCP port ${port} (${secure.error})` : secure.status}`);
    }
  }
  return { status: 'held', detail: held.join('; '), requests };
}

/**
 * The principal's mTLS client gets the echo backend (allowed) or 403 `RBAC: access denied` (denied)
 * from every selected workload. A promised Service port is sent to the container port it arrives on
 * (its `targetPort`, as kube-proxy forwards it and Envoy's RBAC sees it), read from `graph`.
 */
export async function judgeAuthorizationWithTraffic(o: Of<'authorization'>, mesh: SecurityMesh, graph: MeshGraph): Promise<TrafficVerdict> {
  const ws = targets(mesh, o.namespace, o.selector);
  if (ws.length === 0) return notRun(`no workload with a sidecar in ${o.namespace} matches ${o.selector ? JSON.stringify(o.selector) : 'the namespace'}`);
  let cert;
  try {
    cert = await mesh.identities.forPrincipal(o.principal);
  } catch (e) {
    return notRun(`cannot issue a certificate for ${o.principal}: ${(e as Error).message}`);
  }
  const tls = { ca: mesh.identities.rootPem, cert: cert.certificateChainPem, key: cert.privateKeyPem };
  const seen: string[] = [];
  let requests = 0;
  for (const w of ws) {
    const arrival = o.port === undefined ? undefined : arrivalOf(graph, w.workload, o.port);
    if (arrival === null) return { status: 'broken', detail: noArrival(w.workload, o.port!), requests };
    const port = arrival?.port ?? w.workload.containerPorts[0]?.containerPort;
    if (port === undefined) continue;
    const method = o.method ?? 'GET';
    const path = o.path ?? '/';
    const tcp = tcpPort(graph, w, port);
    const r = await probe(w.address, port, { tls, method, path });
    requests++;
    const at = `${w.workload.namespace}/${w.workload.name}:${port}${arrival?.via ? ` (Service port ${arrival.via.servicePort})` : ''} ${tcp ? '(TCP)' : `${method} ${path}`}`;
    const got = r.status !== 0 ? `${r.status}${r.workload ? ` from ${r.workload}` : r.body ? ` "${r.body.slice(0, 40)}"` : ''}`
      : tcp && closedAfterHandshake(r) ? `mTLS handshake done, then closed with no bytes (${r.error})`
        : tcp && r.handshake ? `mTLS handshake done, then ${r.error}${r.bytes > 0 ? ` after ${r.bytes} bytes` : ''}`
          : `no answer (${r.error})`;
    const denied = tcp ? closedAfterHandshake(r) : r.status === 403 && r.body === 'RBAC: access denied';
    const ok = o.allowed ? r.status !== 0 && r.status !== 403 && r.workload !== '' : denied;
    const why = arrival ? explainArrival(arrival, graph.authorizationPoliciesFor(w.workload)) : '';
    const promised = o.allowed ? 'to be let through' : tcp ? 'the connection closed by network RBAC after the mTLS handshake (TCP port: no 403)' : '403 RBAC: access denied';
    if (!ok) return { status: 'broken', detail: `${at} as ${o.principal}: ${got}; promised ${promised}${why}`, requests };
    seen.push(`${at}: ${got}`);
  }
  if (requests === 0) return notRun('the selected workloads have no container port');
  return { status: 'held', detail: `as ${o.principal}: ${seen.join('; ')}`, requests };
}

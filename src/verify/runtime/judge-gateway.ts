/**
 * Traffic judgement of the ingress gateway's promises, by a client outside the mesh talking to the
 * gateway proxy (`gateway.ts`):
 *
 * - `https-redirect` (Gateway `tls.httpsRedirect`, Envoy virtual host `require_tls: ALL` with an
 *   `https_redirect` route): plain HTTP for each server host is answered 301 by the proxy itself
 *   with `Location: https://<host>/<same path and query>`;
 * - `client-certificate-required` (Gateway `tls.mode: MUTUAL`, Envoy
 *   `require_client_certificate`): over TLS with SNI, a client without a certificate and one with a
 *   certificate from another CA get no HTTP answer (the handshake is refused), while one with a
 *   certificate from the credential's CA (`<credentialName>-cacert`) is answered;
 * - requests of route promises sent through a gateway server: TLS with SNI (and a client
 *   certificate on MUTUAL servers) or plain HTTP, as the server asks ({@link clientTlsFor});
 * - `redirect` route promises, through the gateway or a caller sidecar: status and `Location`.
 */
import { createCa, issueWorkloadCertificate, workloadSpiffeId } from '../../pki/index.js';
import { hostMatches } from '../../mesh/hosts.js';
import { gatewayServerTlsMode } from '../../mesh/view/index.js';
import type { Expectation, RequestSpec } from '../expectations/types.js';
import type { TrafficVerdict } from '../report/types.js';
import { concreteHost, serverTls, type IngressGateway } from './gateway.js';
import type { ClientTls, GatewayClient, GatewaySent } from './gateway-client.js';
import type { MeshIdentities } from './identities.js';

type Of<K extends Expectation['outcome']['kind']> = Extract<Expectation['outcome'], { kind: K }>;

const notRun = (detail: string): TrafficVerdict => ({ status: 'not-run', detail, requests: 0 });

/** Service account of the client certificate the runtime presents to MUTUAL gateway servers. */
const CLIENT_SA = 'meshproof-verify-client';

/** `301 Location https://…`, `no answer (ECONNRESET: …)`, `200 from ns/w`. */
function got(s: GatewaySent): string {
  if (s.status === 0) return `no answer (${s.error ?? 'closed'})`;
  return `${s.status}${s.location ? ` Location ${s.location}` : ''}${s.workload ? ` from ${s.workload}` : ''}`;
}

/**
 * How a client speaks to the gateway's server on `port` for `host`: undefined for plain HTTP, TLS
 * (SNI `host`, the runtime's CA) for SIMPLE, plus a client certificate from the runtime's CA for
 * MUTUAL and OPTIONAL_MUTUAL; a string when the server's mode is one a client outside the mesh
 * cannot be judged through here (PASSTHROUGH, AUTO_PASSTHROUGH, ISTIO_MUTUAL).
 */
export async function clientTlsFor(gw: IngressGateway, identities: MeshIdentities, gatewayRef: string, port: number, host: string): Promise<ClientTls | undefined | string> {
  // Server hosts are kept as written; host names compare case-insensitively (Envoy lower-cases SNI and server names).
  const servers = gw.view.gatewayServers.filter((s) => s.gateway === gatewayRef && s.port === port && s.hosts.some((h) => hostMatches((h.includes('/') ? h.slice(h.indexOf('/') + 1) : h).toLowerCase(), host.toLowerCase())));
  const server = servers[0];
  if (!server) return `gateway ${gatewayRef} has no server on port ${port} for host ${host}`;
  const tls = serverTls(server);
  const terminating = server.protocol === 'HTTPS' || (server.tls !== null && tls.mode !== undefined && !tls.httpsRedirect);
  if (!terminating) return undefined;
  const mode = gatewayServerTlsMode(server) ?? 'SIMPLE';
  if (mode !== 'SIMPLE' && mode !== 'MUTUAL' && mode !== 'OPTIONAL_MUTUAL') return `gateway ${gatewayRef}:${port} is ${mode}: a client outside the mesh is not sent through it here`;
  if (mode === 'SIMPLE') return { servername: host, ca: gw.caPem };
  const cert = await identities.forPrincipal(`${identities.ca.trustDomain}/ns/${gw.workload.split('/')[0]}/sa/${CLIENT_SA}`);
  return { servername: host, ca: gw.caPem, cert: cert.certificateChainPem, key: cert.privateKeyPem };
}

/** Plain HTTP to each server host is answered 301 by the gateway with `Location: https://<host>/<path>`. */
export async function judgeHttpsRedirectWithTraffic(o: Of<'https-redirect'>, gw: IngressGateway, client: GatewayClient): Promise<TrafficVerdict> {
  const port = gw.listenerPort(o.port);
  if (port === undefined) return { status: 'broken', detail: `the gateway ${gw.workload} has no listener for port ${o.port} (nothing serves plain HTTP there)`, requests: 0 };
  const hosts = [...new Set(o.hosts.map(concreteHost))];
  if (hosts.length === 0) return notRun(`gateway ${o.gateway}:${o.port} names no host to send`);
  const seen: string[] = [];
  for (const host of hosts) {
    const path = '/meshproof-verify/redirect?from=http';
    const request: RequestSpec = { host, path, method: 'GET', headers: {}, via: { kind: 'gateway', gateway: o.gateway, port: o.port } };
    const s = await client.send(port, request);
    let target: URL | undefined;
    try {
      target = s.location ? new URL(s.location) : undefined;
    } catch {
      target = undefined;
    }
    // URL lower-cases the host name; host names compare case-insensitively.
    const ok = s.status === 301 && s.workload === '' && target?.protocol === 'https:' && target.hostname === host.toLowerCase() && `${target.pathname}${target.search}` === path;
    const line = `http://${host}${path} → ${got(s)}`;
    if (!ok) return { status: 'broken', detail: `${line}; promised 301 from the gateway with Location https://${host}${path}`, requests: seen.length + 1 };
    seen.push(line);
  }
  return { status: 'held', detail: seen.join('; '), requests: seen.length };
}

/**
 * On the MUTUAL server: no client certificate → refused; a certificate from another CA → refused;
 * a certificate from the credential's CA → answered. Each attempt on a connection of its own.
 */
export async function judgeClientCertificateWithTraffic(o: Of<'client-certificate-required'>, gw: IngressGateway, client: GatewayClient, identities: MeshIdentities): Promise<TrafficVerdict> {
  const port = gw.listenerPort(o.port);
  if (port === undefined) return { status: 'broken', detail: `the gateway ${gw.workload} has no listener for port ${o.port}`, requests: 0 };
  const hosts = [...new Set(o.hosts.map(concreteHost))];
  if (hosts.length === 0) return notRun(`gateway ${o.gateway}:${o.port} names no host to send`);
  const td = identities.ca.trustDomain;
  const ns = gw.workload.split('/')[0]!;
  const valid = await identities.forPrincipal(`${td}/ns/${ns}/sa/${CLIENT_SA}`);
  const otherCa = await createCa({ trustDomain: td });
  const foreign = await issueWorkloadCertificate(otherCa, { spiffeId: workloadSpiffeId(td, ns, CLIENT_SA), ttlSeconds: 3600 });
  const seen: string[] = [];
  let requests = 0;
  for (const host of hosts) {
    const request: RequestSpec = { host, path: '/', method: 'GET', headers: {}, via: { kind: 'gateway', gateway: o.gateway, port: o.port } };
    const base = { servername: host, ca: gw.caPem };
    const none = await client.send(port, request, {}, { tls: base, fresh: true, timeoutMs: 5000 });
    const wrong = await client.send(port, request, {}, { tls: { ...base, cert: foreign.certificateChainPem, key: foreign.privateKeyPem }, fresh: true, timeoutMs: 5000 });
    const right = await client.send(port, request, {}, { tls: { ...base, cert: valid.certificateChainPem, key: valid.privateKeyPem }, fresh: true, timeoutMs: 5000 });
    requests += 3;
    const line = `${host}:${o.port}: no client certificate → ${got(none)}; a certificate from another CA → ${got(wrong)}; one from the credential's CA → ${got(right)}${right.tlsVersion ? ` (${right.tlsVersion})` : ''}`;
    const broken = none.status !== 0 ? 'a client without a certificate was answered'
      : wrong.status !== 0 ? 'a client certificate from another CA was accepted'
        : right.status === 0 ? 'a client certificate from the trusted CA was refused too (nothing is served there)' : undefined;
    if (broken) return { status: 'broken', detail: `${broken}: ${line}`, requests };
    seen.push(line);
  }
  return { status: 'held', detail: seen.join('; '), requests };
}

/** A route's redirect (through the gateway or a caller sidecar): status and `Location` as promised (scheme, authority, path, port when given). */
export async function judgeRedirectWithTraffic(o: Of<'redirect'>, request: RequestSpec, send: (r: RequestSpec) => Promise<GatewaySent>): Promise<TrafficVerdict> {
  const s = await send(request);
  let target: URL | undefined;
  try {
    target = s.location ? new URL(s.location, 'http://meshproof-verify.invalid') : undefined;
  } catch {
    target = undefined;
  }
  const wrong: string[] = [];
  if (s.status !== o.status) wrong.push(`status ${s.status || s.error}, not ${o.status}`);
  if (s.workload !== '') wrong.push(`answered by the backend ${s.workload}, not by the proxy`);
  if (!target) wrong.push('no Location');
  else {
    if (o.scheme !== undefined && target.protocol !== `${o.scheme}:`) wrong.push(`scheme ${target.protocol.slice(0, -1)}, not ${o.scheme}`);
    if (o.authority !== undefined && target.hostname !== o.authority.toLowerCase()) wrong.push(`authority ${target.hostname}, not ${o.authority}`);
    if (o.uri !== undefined && target.pathname !== o.uri) wrong.push(`path ${target.pathname}, not ${o.uri}`);
    if (o.port !== undefined && Number(target.port || (target.protocol === 'https:' ? 443 : 80)) !== o.port) wrong.push(`port ${target.port || '(default)'}, not ${o.port}`);
  }
  return { status: wrong.length === 0 ? 'held' : 'broken', detail: `${request.method} ${request.host}${request.path} → ${got(s)}${wrong.length > 0 ? `: ${wrong.join('; ')}` : ''}`, requests: 1 };
}

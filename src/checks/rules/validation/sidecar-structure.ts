import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';
import { ipBindProblem, outboundTrafficPolicyProblems, portProblems, type SidecarProblem, UNIX_PREFIX, unixAddressProblem } from './_sidecar-ports.js';
import { trafficPolicyProblems } from './_traffic-policy.js';

/** The loopback and wildcard hosts ValidateSidecar accepts in an ingress `defaultEndpoint` ("" is ":port"). */
const ENDPOINT_HOSTS = ['', '127.0.0.1', '0.0.0.0', '::1', '::'];

/**
 * Why Istio's ValidateSidecar refuses an ingress `defaultEndpoint`, or undefined: `unix://<path>`, or
 * host:port as Go's net.SplitHostPort reads it, with a loopback or wildcard host and a port NUMBER in
 * 1..65535 (a port name such as `127.0.0.1:http` is "not a number").
 */
function defaultEndpointProblem(endpoint: string): string | undefined {
  if (endpoint.startsWith('unix://')) return endpoint.length > 'unix://'.length ? undefined : 'unix address must not be empty';
  const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(endpoint);
  const colon = endpoint.lastIndexOf(':');
  if (!bracketed && colon < 0) return `address ${endpoint}: missing port in address`;
  const [host, port] = bracketed ? [bracketed[1]!, bracketed[2]!] : [endpoint.slice(0, colon), endpoint.slice(colon + 1)];
  if (!bracketed && host.includes(':')) return `address ${endpoint}: too many colons in address`;
  if (!ENDPOINT_HOSTS.includes(host)) return 'sidecar: defaultEndpoint must be of form 127.0.0.1:<port>,0.0.0.0:<port>,[::1]:port,[::]:port,unix://filepath or unset';
  if (!/^[+-]?\d+$/.test(port)) return `sidecar: defaultEndpoint port (${port}) is not a number`;
  const n = Number(port);
  return n >= 1 && n <= 65535 ? undefined : `port number ${n} must be in the range 1..65535`;
}

/**
 * What validateConnectionPool refuses in a Sidecar connection pool (`spec.inboundConnectionPool` or
 * `spec.ingress[i].connectionPool`, the DestinationRule's ConnectionPoolSettings): neither http nor tcp, negative
 * counts, UPGRADE with useClientProtocol, an http2KeepAlive without interval or timeout, durations that are not whole
 * milliseconds. `at` is the pool's path; messages name it.
 */
function connectionPoolProblems(pool: unknown, at: FieldPath): SidecarProblem[] {
  if (!isRecord(pool)) return [];
  const where = at.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${p}`)).join('');
  return trafficPolicyProblems({ connectionPool: pool }).map(([message, rel]) =>
    [message.replace(/\bconnectionPool\b/g, where), [...at, ...rel.slice(1)]] as SidecarProblem);
}

/** Ingress TLS settings ValidateSidecar refuses whatever the port: [field, what Istio says]. */
const INGRESS_TLS_UNSUPPORTED: readonly [string, string][] = [
  ['subjectAltNames', 'subjectAltNames is not supported in ingress tls'],
  ['httpsRedirect', 'httpsRedirect is not supported'],
  ['credentialName', 'credentialName is not currently supported'],
  ['credentialNames', 'credentialNames is not currently supported'],
  ['tlsCertificates', 'tls_certificates is not currently supported'],
];

const filled = (v: unknown): boolean => (typeof v === 'string' && v !== '') || (Array.isArray(v) && v.length > 0);

/**
 * What validateTLSOptions refuses in a terminating ingress `tls` (mode SIMPLE, MUTUAL or OPTIONAL_MUTUAL) that names no
 * credential (credentialName is refused on Sidecars anyway): the certificate is read from files, so `serverCertificate`
 * and `privateKey` (or each `tlsCertificates` entry's) are required, a client CA bundle for MUTUAL / OPTIONAL_MUTUAL,
 * and `caCrl` is refused with SIMPLE. `at` is the path of the tls block.
 */
function ingressTlsFileProblems(tls: Readonly<Record<string, unknown>>, at: FieldPath, where: string): SidecarProblem[] {
  const mode = typeof tls.mode === 'string' ? tls.mode : 'PASSTHROUGH';
  if (!['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL'].includes(mode) || filled(tls.credentialName) || filled(tls.credentialNames)) return [];
  const prefix = mode === 'SIMPLE' ? 'SIMPLE TLS' : 'MUTUAL TLS';
  const out: SidecarProblem[] = [];
  const fix = 'mount the certificate files into the proxy (sidecar.istio.io/userVolumeMount) and name them';
  if (mode !== 'SIMPLE' && !filled(tls.caCertificates)) out.push([`${prefix} requires a client CA bundle: ${where} is ${mode} without caCertificates; ${fix} in caCertificates`, [...at, 'mode']]);
  const certs = Array.isArray(tls.tlsCertificates) && tls.tlsCertificates.length > 0 ? tls.tlsCertificates : [tls];
  for (const c of certs) {
    const cert = isRecord(c) ? c : {};
    if (!filled(cert.serverCertificate)) out.push([`${prefix} requires a server certificate: ${where} is ${mode} without serverCertificate; ${fix} in serverCertificate and privateKey`, [...at, 'mode']]);
    if (!filled(cert.privateKey)) out.push([`${prefix} requires a private key: ${where} is ${mode} without privateKey; ${fix} in serverCertificate and privateKey`, [...at, 'mode']]);
  }
  if (filled(tls.caCrl) && mode === 'SIMPLE') out.push([`CRL is not supported with SIMPLE TLS: ${where}.caCrl; remove it, or use mode MUTUAL to verify client certificates`, [...at, 'caCrl']]);
  return out;
}

/** Whether protocol.Parse(p).IsTLS() holds: HTTPS or TLS, any case. */
const isTlsProtocol = (p: unknown): boolean => typeof p === 'string' && ['https', 'tls'].includes(p.toLowerCase());

/**
 * What ValidateSidecar refuses in the ingress listeners: a defaultEndpoint that is not a loopback or wildcard
 * address with a port number, a port without number, a port number used twice, `port.targetPort` (no effect on
 * Sidecars), and `tls` on a port that is not HTTPS or TLS, in mode ISTIO_MUTUAL or AUTO_PASSTHROUGH, or with a
 * field ingress TLS does not support. Each problem is `[message, path]`.
 */
function ingressProblems(ingress: unknown): [string, FieldPath][] {
  const out: [string, FieldPath][] = [];
  const ports = new Set<number>();
  (Array.isArray(ingress) ? ingress : []).forEach((l, i) => {
    if (!isRecord(l)) return;
    const path: FieldPath = ['spec', 'ingress', i];
    if (typeof l.defaultEndpoint === 'string' && l.defaultEndpoint !== '') {
      const problem = defaultEndpointProblem(l.defaultEndpoint);
      if (problem) {
        out.push([`${problem}: spec.ingress[${i}].defaultEndpoint is "${l.defaultEndpoint}"; write the address the application listens on as ` +
          '127.0.0.1:<port number>, 0.0.0.0:<port number> (or [::1], [::]), or unix://<path>, e.g. 127.0.0.1:8080', [...path, 'defaultEndpoint']]);
      }
    }
    out.push(...connectionPoolProblems(l.connectionPool, [...path, 'connectionPool']));
    if (!isRecord(l.port)) return;
    out.push(...portProblems(l.port, [...path, 'port'], `spec.ingress[${i}]`), ...ipBindProblem(l.bind, path, `spec.ingress[${i}]`));
    const n = l.port.number;
    if (n === undefined || n === 0) {
      out.push([`port number 0 must be in the range 1..65535: spec.ingress[${i}].port has no number` +
        `${typeof l.port.name === 'string' ? ` (only name "${l.port.name}", which does not identify a port)` : ''}; set port.number to the port the workload receives traffic on`, [...path, 'port']]);
    } else if (typeof n === 'number') {
      if (ports.has(n)) out.push([`sidecar: ports on IP bound listeners must be unique: spec.ingress[${i}] repeats port ${n}; give each ingress listener its own port number (one listener per port the workload serves)`, [...path, 'port', 'number']]);
      ports.add(n);
    }
    if (typeof l.port.targetPort === 'number' && l.port.targetPort > 0) {
      out.push([`targetPort has no impact on Sidecars: spec.ingress[${i}].port.targetPort is ${l.port.targetPort}; remove it and send the traffic on with defaultEndpoint (127.0.0.1:<port>)`, [...path, 'port', 'targetPort']]);
    }
    if (!isRecord(l.tls)) return;
    const tls = l.tls;
    if (!isTlsProtocol(l.port.protocol)) {
      out.push([`server cannot have TLS settings for non HTTPS/TLS ports: spec.ingress[${i}] sets tls on port ${String(n)} with protocol ${JSON.stringify(l.port.protocol ?? '')}; ` +
        'declare the port protocol HTTPS (or TLS), or remove tls', [...path, 'tls']]);
    }
    if (tls.mode === 'ISTIO_MUTUAL' || tls.mode === 'AUTO_PASSTHROUGH') {
      out.push([`configuration is invalid: cannot set mode to ${tls.mode} in sidecar ingress tls: spec.ingress[${i}].tls.mode; use SIMPLE or MUTUAL (the mesh's own mTLS needs no ingress tls)`, [...path, 'tls', 'mode']]);
    }
    out.push(...ingressTlsFileProblems(tls, [...path, 'tls'], `spec.ingress[${i}].tls`));
    for (const [field, said] of INGRESS_TLS_UNSUPPORTED) {
      const v = tls[field];
      if (v === undefined || v === false || v === '' || (Array.isArray(v) && v.length === 0)) continue;
      out.push([`sidecar: ${said}: spec.ingress[${i}].tls.${field}; remove it (a Sidecar's ingress TLS reads its certificate files from serverCertificate and privateKey)`, [...path, 'tls', field]]);
    }
  });
  return out;
}

/**
 * What ValidateSidecar refuses in the egress listeners: a listener without port that is not the last, or a second one;
 * a port without number unless bound to `unix://` (then a valid unix address, captureMode DEFAULT or NONE, and a bind
 * not used twice); a port number used twice; `port.targetPort`; a port name, protocol or number validateSidecarEgress-
 * PortBindAndCaptureMode refuses; an IP bind that is not an IP; `hosts: []`. Each problem is `[message, path]`.
 */
function egressProblems(egress: unknown): SidecarProblem[] {
  const listeners = Array.isArray(egress) ? egress : [];
  const out: SidecarProblem[] = [];
  let catchAll = false;
  const ports = new Set<number>();
  const sockets = new Set<string>();
  listeners.forEach((l, i) => {
    if (!isRecord(l)) return;
    const path: FieldPath = ['spec', 'egress', i];
    const where = `spec.egress[${i}]`;
    if (Array.isArray(l.hosts) && l.hosts.length === 0) {
      out.push([`sidecar: egress listener must contain at least one host: ${where}.hosts is empty; list the services it reaches as namespace/host, e.g. "./*" or "istio-system/*"`, [...path, 'hosts']]);
    }
    if (!isRecord(l.port)) {
      if (catchAll) {
        out.push([`sidecar: egress can have only one listener with empty port: ${where} is a second listener without port; merge its hosts into the last one`, path]);
      } else if (i !== listeners.length - 1) {
        out.push([`sidecar: the egress listener with empty port should be the last listener in the list: ${where} has no port but ${listeners.length - 1 - i} listener(s) follow it; move it to the end`, path]);
      } else {
        catchAll = true;
      }
      return;
    }
    if (typeof l.port.targetPort === 'number' && l.port.targetPort > 0) {
      out.push([`targetPort has no impact on Sidecars: ${where}.port.targetPort is ${l.port.targetPort}; remove it (the egress listener sends to the destination's own port)`, [...path, 'port', 'targetPort']]);
    }
    out.push(...portProblems(l.port, [...path, 'port'], where));
    const n = l.port.number;
    const bind = typeof l.bind === 'string' ? l.bind : '';
    if (n === undefined || n === 0) {
      if (!bind.startsWith(UNIX_PREFIX)) {
        out.push([`sidecar: ports with 0 value must have a unix domain socket bind address: ${where}.port has no number` +
          `${typeof l.port.name === 'string' ? ` (only name "${l.port.name}", which does not identify a port)` : ''}; set port.number, or bind to unix://<path>`, [...path, 'port']]);
        return;
      }
      const problem = unixAddressProblem(bind.slice(UNIX_PREFIX.length));
      if (problem) out.push([`${problem}: ${where}.bind is "${bind}"; write unix:///<absolute path of the socket file> or unix://@<abstract name>`, [...path, 'bind']]);
      if (typeof l.captureMode === 'string' && l.captureMode !== 'DEFAULT' && l.captureMode !== 'NONE') {
        out.push([`sidecar: captureMode must be DEFAULT/NONE for unix domain socket listeners: ${where}.captureMode is ${l.captureMode}; remove it or set NONE`, [...path, 'captureMode']]);
      }
      if (sockets.has(bind)) out.push([`sidecar: unix domain socket values for listeners must be unique: ${where} binds ${bind} again; give each listener its own socket`, [...path, 'bind']]);
      sockets.add(bind);
      return;
    }
    if (typeof n !== 'number' || n <= 0) return;
    out.push(...ipBindProblem(l.bind, path, where));
    if (ports.has(n)) out.push([`sidecar: ports on IP bound listeners must be unique: ${where} repeats port ${n}; merge the two listeners' hosts`, [...path, 'port', 'number']]);
    ports.add(n);
  });
  return out;
}

/** `validation/sidecar-structure` (IST0106): Sidecar egress listeners Istio's ValidateSidecar refuses beyond the CRD schema. */
const sidecarStructure: Rule = {
  id: 'validation/sidecar-structure',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A Sidecar Istio\'s admission webhook refuses: no egress, ingress, outboundTrafficPolicy or inboundConnectionPool at all; an egress listener without port that is not the last, two without port, two listeners on the same port or unix socket, a listener port without number, a port name, protocol or bind Istio does not accept, an egress listener with hosts: [], an ingress defaultEndpoint that is not a loopback or wildcard address with a port number, ingress tls on a port that is not HTTPS/TLS, a connection pool validateConnectionPool refuses, or an egressProxy outside ALLOW_ANY mode or without port.',
  docs: [
    'Istio\'s `ValidateSidecar` (pkg/config/validation) refuses egress listeners the CRD schema lets through: the',
    'catch-all listener (no `port`) must be the last one ("the egress listener with empty port should be the last',
    'listener in the list"), there can be only one ("egress can have only one listener with empty port"), and two',
    'listeners bound to IP addresses may not use the same port number ("ports on IP bound listeners must be unique").',
    'A listener `port` written without `number` (by `name` only) is refused too: an egress port 0 needs a `unix://` bind',
    '("ports with 0 value must have a unix domain socket bind address"), an ingress port needs a number in 1..65535.',
    'An ingress `defaultEndpoint` must be `127.0.0.1:<port>`, `0.0.0.0:<port>`, `[::1]:<port>`, `[::]:<port>` or',
    '`unix://<path>` with a port NUMBER: `127.0.0.1:http` is refused ("defaultEndpoint port (http) is not a number"),',
    'as is a host name such as `localhost:8080`. Two ingress listeners may not share a port number either, an ingress',
    '`port.targetPort` has no effect and is refused, and ingress `tls` is refused on a port whose protocol is not',
    'HTTPS or TLS, in mode ISTIO_MUTUAL or AUTO_PASSTHROUGH, or with credentialName(s), subjectAltNames,',
    'httpsRedirect or tlsCertificates; a terminating ingress `tls` (SIMPLE, MUTUAL, OPTIONAL_MUTUAL) needs `serverCertificate`',
    'and `privateKey` files (and `caCertificates` for MUTUAL), and takes no `caCrl` with SIMPLE (`validateTLSOptions`).',
    'A Sidecar with none of egress, ingress, outboundTrafficPolicy, inboundConnectionPool is refused ("sidecar: empty',
    'configuration provided"; a workloadSelector alone configures nothing), as are an egress listener with `hosts: []`,',
    'a listener port name that is not a DNS-1123 label ("invalid port name"), a protocol `protocol.Parse` does not know',
    '("unsupported protocol"), a port number above 65535, a `bind` that is not an IP address on a numbered port, an egress',
    '`port.targetPort`, and for an egress port 0 bound to `unix://`: a path that is not absolute (or `@abstract`), a',
    '`captureMode` other than DEFAULT/NONE, a socket bound twice. `inboundConnectionPool` and ingress `connectionPool`',
    'are checked as a DestinationRule\'s (`validateConnectionPool`: neither http nor tcp, negative counts, UPGRADE with',
    'useClientProtocol, http2KeepAlive without interval or timeout). `outboundTrafficPolicy.egressProxy` needs mode',
    'ALLOW_ANY ("egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode"), an FQDN host, a `port`',
    '("egress_proxy port must be non-nil") in 1..65535 and a DNS-1123 subset.',
    'The whole Sidecar is then refused, so the workloads keep the namespace or mesh default. `kubectl apply` fails',
    'with the webhook\'s message and `istioctl analyze` reports IST0106. Fix: move the listener without port to the',
    'end, merge the duplicates; declare a TLS ingress port HTTPS or TLS.',
  ].join(' '),
  kinds: ['Sidecar'],
  check(graph, ctx) {
    for (const sc of graph.ofKind('Sidecar')) {
      const spec = sc.spec;
      const listed = (k: string) => Array.isArray(spec[k]) && (spec[k] as unknown[]).length > 0;
      const given = (k: string) => spec[k] !== undefined && spec[k] !== null;
      if (!listed('egress') && !listed('ingress') && !given('outboundTrafficPolicy') && !given('inboundConnectionPool')) {
        ctx.report(sc, 'sidecar: empty configuration provided: the Sidecar sets none of egress, ingress, outboundTrafficPolicy, inboundConnectionPool ' +
          '(a workloadSelector alone configures nothing); add egress hosts, e.g. egress: [{hosts: ["./*", "istio-system/*"]}], or delete the Sidecar', { path: ['spec'] });
        continue;
      }
      egressProblems(spec.egress).forEach(([message, path]) => ctx.report(sc, message, { path }));
      ingressProblems(spec.ingress).forEach(([message, path]) => ctx.report(sc, message, { path }));
      connectionPoolProblems(spec.inboundConnectionPool, ['spec', 'inboundConnectionPool']).forEach(([message, path]) => ctx.report(sc, message, { path }));
      outboundTrafficPolicyProblems(spec.outboundTrafficPolicy).forEach(([message, path]) => ctx.report(sc, message, { path }));
    }
  },
};

export default sidecarStructure;

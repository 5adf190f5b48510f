import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';

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

/** Ingress TLS settings ValidateSidecar refuses whatever the port: [field, what Istio says]. */
const INGRESS_TLS_UNSUPPORTED: readonly [string, string][] = [
  ['subjectAltNames', 'subjectAltNames is not supported in ingress tls'],
  ['httpsRedirect', 'httpsRedirect is not supported'],
  ['credentialName', 'credentialName is not currently supported'],
  ['credentialNames', 'credentialNames is not currently supported'],
  ['tlsCertificates', 'tls_certificates is not currently supported'],
];

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
    if (!isRecord(l.port)) return;
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
    for (const [field, said] of INGRESS_TLS_UNSUPPORTED) {
      const v = tls[field];
      if (v === undefined || v === false || v === '' || (Array.isArray(v) && v.length === 0)) continue;
      out.push([`sidecar: ${said}: spec.ingress[${i}].tls.${field}; remove it (a Sidecar's ingress TLS reads its certificate files from serverCertificate and privateKey)`, [...path, 'tls', field]]);
    }
  });
  return out;
}

/** `validation/sidecar-structure` (IST0106): Sidecar egress listeners Istio's ValidateSidecar refuses beyond the CRD schema. */
const sidecarStructure: Rule = {
  id: 'validation/sidecar-structure',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A Sidecar whose listeners Istio\'s admission webhook refuses: an egress listener without port that is not the last, two without port, two listeners on the same port, a listener port without number, an ingress defaultEndpoint that is not a loopback or wildcard address with a port number, or ingress tls on a port that is not HTTPS/TLS.',
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
    'httpsRedirect or tlsCertificates.',
    'The whole Sidecar is then refused, so the workloads keep the namespace or mesh default. `kubectl apply` fails',
    'with the webhook\'s message and `istioctl analyze` reports IST0106. Fix: move the listener without port to the',
    'end, merge the duplicates; declare a TLS ingress port HTTPS or TLS.',
  ].join(' '),
  kinds: ['Sidecar'],
  check(graph, ctx) {
    for (const sc of graph.ofKind('Sidecar')) {
      const egress = Array.isArray(sc.spec.egress) ? sc.spec.egress : [];
      let catchAll = false;
      const ports = new Set<number>();
      egress.forEach((l, i) => {
        if (!isRecord(l)) return;
        const path = ['spec', 'egress', i];
        if (!isRecord(l.port)) {
          if (catchAll) {
            ctx.report(sc, `sidecar: egress can have only one listener with empty port: spec.egress[${i}] is a second listener without port; merge its hosts into the last one`, { path });
          } else if (i !== egress.length - 1) {
            ctx.report(sc, `sidecar: the egress listener with empty port should be the last listener in the list: spec.egress[${i}] has no port but ${egress.length - 1 - i} listener(s) follow it; move it to the end`, { path });
          } else {
            catchAll = true;
          }
          return;
        }
        const n = l.port.number;
        if (n === undefined || n === 0) {
          const bind = typeof l.bind === 'string' ? l.bind : '';
          if (!bind.startsWith('unix://')) {
            ctx.report(sc, `sidecar: ports with 0 value must have a unix domain socket bind address: spec.egress[${i}].port has no number` +
              `${typeof l.port.name === 'string' ? ` (only name "${l.port.name}", which does not identify a port)` : ''}; set port.number, or bind to unix://<path>`, { path: [...path, 'port'] });
          }
          return;
        }
        if (typeof n !== 'number' || n <= 0) return;
        if (ports.has(n)) ctx.report(sc, `sidecar: ports on IP bound listeners must be unique: spec.egress[${i}] repeats port ${n}; merge the two listeners' hosts`, { path: [...path, 'port', 'number'] });
        ports.add(n);
      });
      ingressProblems(sc.spec.ingress).forEach(([message, path]) => ctx.report(sc, message, { path }));
    }
  },
};

export default sidecarStructure;

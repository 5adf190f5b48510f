import { isIP } from 'node:net';
import { isRecord, type MeshObject } from '../../../mesh/object.js';
import { parseProtocol } from '../../../mesh/protocol.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';
import { isDns1123Label } from './_dns.js';

const UNIX_PREFIX = 'unix://';
const SUPPORTED = 'HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP';

/** What validateServerPort and validateServerBind refuse in one Gateway server: [message, path]. */
function serverPortProblems(server: Readonly<Record<string, unknown>>, at: FieldPath): [string, FieldPath][] {
  if (!isRecord(server.port)) return [];
  const port = server.port;
  const bind = typeof server.bind === 'string' ? server.bind : '';
  const unix = bind.startsWith(UNIX_PREFIX);
  const number = typeof port.number === 'number' ? port.number : 0;
  const out: [string, FieldPath][] = [];
  if (typeof port.protocol === 'string' && parseProtocol(port.protocol) === 'UnsupportedProtocol') {
    out.push([`invalid protocol "${port.protocol}", supported protocols are ${SUPPORTED} (and HTTPS, TLS): the server's port.protocol is none of Istio's protocol names`, [...at, 'port', 'protocol']]);
  }
  // A missing number is the CRD's (required field); a written one the webhook's.
  if (typeof port.number === 'number' && (number > 0 || !unix) && !(number >= 1 && number <= 65535)) {
    out.push([`port number ${number} must be in the range 1..65535: set the server's port.number to the port the gateway listens on (a port of its Service)`, [...at, 'port', 'number']]);
  }
  if (typeof port.targetPort === 'number' && port.targetPort > 0) {
    out.push([`targetPort has no impact on Gateways: the server sets port.targetPort ${port.targetPort}, which only ServiceEntry ports take; remove it (istiod already maps ` +
      `server port ${number} to the targetPort of the gateway Service's port ${number})`, [...at, 'port', 'targetPort']]);
  }
  if (port.name === '') {
    out.push([`port name must be set: the server on port ${number} has port.name ""; give it a name unique within the Gateway (e.g. http-${number})`, [...at, 'port', 'name']]);
  }
  if (unix && number !== 0) {
    out.push([`port number must be 0 for unix domain socket: the server binds ${bind} and sets port.number ${number}; set it to 0`, [...at, 'port', 'number']]);
  } else if (!unix && bind !== '' && isIP(bind) === 0) {
    out.push([`bind "${bind}" is not a valid IP address (nor a unix:// path): give the IP the gateway listens on, or remove bind`, [...at, 'bind']]);
  }
  return out;
}

/**
 * What ValidateGateway refuses across the servers: none at all, a server without hosts, and two servers whose
 * `port.name` is equal ("port names in servers must be unique"): [message, path].
 */
function serverListProblems(servers: unknown): [string, FieldPath][] {
  if (!Array.isArray(servers) || servers.length === 0) {
    return [['gateway must have at least one server: spec.servers is empty, so the Gateway opens no port; add a server {port: {number, name, protocol}, hosts}', ['spec', 'servers']]];
  }
  const out: [string, FieldPath][] = [];
  const names = new Map<string, number>();
  servers.forEach((s, i) => {
    if (!isRecord(s)) return;
    if (Array.isArray(s.hosts) && s.hosts.length === 0) {
      out.push([`server config must contain at least one host: spec.servers[${i}].hosts is empty; list the hosts it serves (e.g. "*/app.example.com", or "*")`, ['spec', 'servers', i, 'hosts']]);
    }
    if (!isRecord(s.port) || typeof s.port.name !== 'string') return;
    const first = names.get(s.port.name);
    if (first !== undefined) {
      out.push([`port names in servers must be unique: duplicate name ${s.port.name} (spec.servers[${first}] and spec.servers[${i}]); rename one, e.g. ` +
        `${String(s.port.protocol ?? 'http').toLowerCase()}-${String(s.port.number ?? i)}`, ['spec', 'servers', i, 'port', 'name']]);
    } else names.set(s.port.name, i);
  });
  return out;
}

/** `validation/gateway-server-port` (IST0106): a Gateway server list, port or bind that Istio's admission webhook refuses. */
const gatewayServerPort: Rule = {
  id: 'validation/gateway-server-port',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A Gateway name, server list, port or bind that Istio\'s admission webhook refuses: a name with dots, no servers, a server without hosts, duplicate or empty port names, an unknown protocol, a port number outside 1-65535, a targetPort (ServiceEntries only), or a bind that is neither an IP nor a unix socket with port 0.',
  docs: [
    'Istio\'s `validateServerPort` and `validateServerBind` (pkg/config/validation, run by ValidateGateway for every',
    'server) refuse a `port.protocol` that `protocol.Parse` does not know (case-insensitive HTTP, HTTPS, HTTP2, GRPC,',
    'GRPC-WEB, TCP, TLS, MONGO, REDIS, MYSQL, UDP, HTTP_PROXY), a `port.number` outside 1..65535 (0 only with a',
    '`unix://` bind), any `port.targetPort` ("targetPort has no impact on Gateways": istiod binds the listener to the',
    'targetPort of the gateway Service port whose number the server names, `resolvePorts`), a non-zero port with a',
    'unix socket bind, a `bind` that is not an IP address, an empty `port.name`, and (ValidateGateway) a Gateway without',
    'servers, a server with `hosts: []`, two servers with the same `port.name`, and a Gateway name that is not a DNS-1123',
    'label ("invalid gateway name": Kubernetes allows dots, Istio does not). `kubectl apply` fails with the webhook\'s message and',
    '`istioctl analyze` reports IST0106: no host of the Gateway is served. Fix: name the Service port in',
    '`port.number` with a known protocol, drop `targetPort`, bind an IP or a unix socket with port 0.',
  ].join(' '),
  kinds: ['Gateway'],
  check(graph, ctx) {
    for (const gw of graph.ofKind('Gateway') as MeshObject[]) {
      if (!isDns1123Label(gw.name)) {
        ctx.report(gw, `invalid gateway name: "${gw.name}": a Gateway name must be a DNS-1123 label (no dots, at most 63 letters, digits and '-'), ` +
          'because VirtualServices refer to it as <namespace>/<name>; rename it (e.g. with "-" for ".") and update the VirtualServices\' gateways', { path: ['metadata', 'name'] });
      }
      for (const [message, path] of serverListProblems(gw.spec.servers)) ctx.report(gw, message, { path });
      (Array.isArray(gw.spec.servers) ? gw.spec.servers : []).forEach((s, i) => {
        if (!isRecord(s)) return;
        for (const [message, path] of serverPortProblems(s, ['spec', 'servers', i])) ctx.report(gw, message, { path });
      });
    }
  },
};

export default gatewayServerPort;

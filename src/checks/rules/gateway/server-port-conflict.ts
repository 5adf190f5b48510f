import { buildProxyView, gatewayListenerName, mergeGatewayServers, proxiesOf, type GatewayServerView, type SkippedGatewayServerView } from '../../../mesh/view/index.js';
import { isHttp } from '../../../mesh/protocol.js';
import type { Rule } from '../../rule.js';

/**
 * `gateway/server-port-conflict`: a Gateway server that istiod leaves out of a gateway's listeners because an earlier
 * server (of the same or another Gateway on that workload) holds its listener port and `bind` with a protocol it
 * cannot merge with (`pilot/pkg/model/gateway.go` `mergeGateways`: "skipping server on gateway ...: conflict with
 * existing server"), or replaced it. Host conflicts between TLS servers are
 * `gateway/conflicting-gateways` (IST0145) and `gateway/duplicate-sni-host`; two HTTPS servers of one Gateway with
 * one port name are refused by validation first.
 */
const serverPortConflict: Rule = {
  id: 'gateway/server-port-conflict',
  severity: 'error',
  summary: 'A Gateway server shares its gateway port (and bind) with an earlier server of a protocol it cannot merge with (TCP after HTTP, HTTPS after HTTP, a second TCP server): istiod skips it, and its hosts are not served.',
  docs: [
    'istiod merges the servers of every Gateway that selects a gateway workload, in Gateway creation order and then',
    'as written, per listener port and `bind` (`mergeGateways`). The first plain-text server on a port (one without',
    '`tls`, or an HTTP server) holds it: a later server with the same `bind` joins it only when both are HTTP-like',
    '(HTTP, HTTP2, GRPC, GRPC-Web, HTTP_PROXY), which then share one connection manager and route configuration',
    '`http.<port>`. Any other later server on that port and bind is skipped: a TCP or TLS server after an HTTP one, an',
    'HTTPS server after an HTTP one, a second TCP server ("conflict with existing server"). A skipped server gets no filter chain and no routes; istiod only logs it and counts the',
    'Gateway as rejected config, so its hosts answer with the other server\'s protocol or not at all. A plain TCP',
    'server after a TCP server with `tls` on the same port replaces it. TLS servers first, then a plain-text server,',
    'coexist (SNI chains and one default chain). Judged on the per-proxy view of every gateway workload in the input.',
    'Fix: put the server on its own port, or give it a different `bind` address; merge two TCP servers into one.',
  ].join(' '),
  kinds: ['Gateway', 'Service', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod'],
  check(graph, ctx) {
    if (serverCount(graph.ofKind('Gateway')) < 2) return;
    const reported = new Set<string>();
    for (const proxy of proxiesOf(graph)) {
      if (proxy.type !== 'router') continue;
      for (const skip of mergeGatewayServers(buildProxyView(graph, proxy).gatewayServers).skipped) {
        if (skip.reason === 'duplicate-tls-host' || skip.reason === 'route-name-taken') continue;
        const { ref, path } = skip.server.origin;
        const object = graph.get(ref.kind, ref.namespace, ref.name);
        const id = `${ref.kind}/${ref.namespace}/${ref.name}\u0000${path.join('.')}`;
        if (!object || reported.has(id)) continue;
        reported.add(id);
        ctx.report(object, messageOf(skip, `${proxy.namespace}/${proxy.name}`), { path: [...path, 'port'] });
      }
    }
  },
};

export default serverPortConflict;

function describe(s: GatewayServerView): string {
  const tls = s.tls === null ? '' : typeof (s.tls as { mode?: unknown }).mode === 'string' ? ` ${(s.tls as { mode: string }).mode}` : ' (tls.mode unset: PASSTHROUGH)';
  return `${s.protocol}${tls} server port ${s.port}${s.portName ? ` (${s.portName})` : ''} of Gateway ${s.gateway}`;
}

function messageOf(skip: SkippedGatewayServerView, workload: string): string {
  const { server, heldBy } = skip;
  const at = `listener ${gatewayListenerName({ port: server.listenerPort, bind: server.bind })} of gateway ${workload}`;
  const fix = 'Fix: move the server to its own port, or give the servers different `bind` addresses';
  if (skip.reason === 'replaced') {
    return `The ${describe(server)} is replaced on ${at} by the later ${describe(heldBy)}, which has the same port, protocol and bind: istiod keeps only the later server, so this one's hosts get no filter chain. ${fix}`;
  }
  const why = isHttp(heldBy.protocol)
    ? `only an HTTP-like server (HTTP, HTTP2, GRPC, GRPC-Web, HTTP_PROXY) joins it on one port and bind, not ${server.protocol} ("conflict with existing server")`
    : `a plain-text ${heldBy.protocol} server shares its port and bind with no other server ("conflict with existing server")`;
  return `The ${describe(server)} is skipped on ${at}: the ${describe(heldBy)} holds that port first, and ${why}; istiod builds no filter chain and no routes for this server, ` +
    `so its hosts ${server.hosts.map((h) => `"${h}"`).join(', ')} are served only by the other server's ${heldBy.protocol} chain, if at all. ${fix}`;
}

/**
 * The cheap test before building views: the number of servers the input's Gateways write (two servers with different
 * port numbers can still share a listener port, the Service's targetPort).
 */
function serverCount(gateways: readonly { readonly spec: Record<string, unknown> }[]): number {
  return gateways.reduce((n, g) => n + (Array.isArray(g.spec.servers) ? g.spec.servers.length : 0), 0);
}

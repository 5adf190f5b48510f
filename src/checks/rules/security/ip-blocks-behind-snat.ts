import { isRecord, type MeshObject } from '../../../mesh/object.js';
import { isDryRun } from '../../../mesh/policy.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';

/** Where a rule reads the connection's peer address: `from[].source.ipBlocks` / `notIpBlocks`, `when source.ip`. */
function peerAddressFields(rule: Readonly<Record<string, unknown>>, at: FieldPath): { readonly what: string; readonly path: FieldPath }[] {
  const out: { what: string; path: FieldPath }[] = [];
  (Array.isArray(rule.from) ? rule.from : []).forEach((f, j) => {
    const source = isRecord(f) && isRecord(f.source) ? f.source : {};
    for (const k of ['ipBlocks', 'notIpBlocks']) {
      if (Array.isArray(source[k]) && source[k].length > 0) out.push({ what: `from[${j}].source.${k} ${JSON.stringify(source[k])}`, path: [...at, 'from', j, 'source', k] });
    }
  });
  (Array.isArray(rule.when) ? rule.when : []).forEach((c, j) => {
    if (isRecord(c) && c.key === 'source.ip') out.push({ what: `when source.ip`, path: [...at, 'when', j] });
  });
  return out;
}

/** A Service exposing pods outside the cluster through kube-proxy with source NAT: LoadBalancer or NodePort, externalTrafficPolicy not Local. */
function snatsExternalClients(svc: MeshObject): boolean {
  const type = svc.spec.type;
  return (type === 'LoadBalancer' || type === 'NodePort') && svc.spec.externalTrafficPolicy !== 'Local' && isRecord(svc.spec.selector);
}

/**
 * `security/ip-blocks-behind-snat`: an AuthorizationPolicy matches the peer address (`ipBlocks`, `source.ip`)
 * of workloads that external clients reach only through source NAT, so it never sees the clients' addresses.
 */
const ipBlocksBehindSnat: Rule = {
  id: 'security/ip-blocks-behind-snat',
  severity: 'warning',
  summary: 'An AuthorizationPolicy matches ipBlocks / notIpBlocks / source.ip on workloads exposed by a LoadBalancer or NodePort Service with externalTrafficPolicy Cluster: kube-proxy replaces the client address by a node address, so the rule never sees the external clients it names.',
  docs: [
    '`source.ipBlocks` and the `source.ip` condition match the connection\'s peer address, from the IP header',
    '(istio/api authorization.proto; `remoteIpBlocks` / `remote.ip` match the original client from',
    'X-Forwarded-For or the PROXY protocol). A Service of type LoadBalancer or NodePort with the default',
    '`externalTrafficPolicy: Cluster` has kube-proxy source-NAT external connections to a node address (Kubernetes:',
    '"obscures the client source IP"), so on the workloads behind it, typically the ingress gateway, an ALLOW list',
    'of client ranges lets no external client in (and may let every one in when it lists the node range), and a',
    'DENY list of client ranges blocks none. Dry-run policies are not judged. Fix: set `externalTrafficPolicy: Local`',
    'on the Service, or match `remoteIpBlocks` with MeshConfig `gatewayTopology.numTrustedProxies` (or the PROXY',
    'protocol) so the gateway learns the client address.',
  ].join(' '),
  kinds: ['AuthorizationPolicy', 'Service'],
  check(graph, ctx) {
    const reported = new Set<string>();
    for (const svc of graph.ofKind('Service').filter(snatsExternalClients)) {
      for (const w of graph.workloadsSelectedBy(svc.namespace, svc.spec.selector as Record<string, string>)) {
        const dataplane = graph.membershipOf(w).dataplane;
        if (dataplane !== 'sidecar' && dataplane !== 'gateway') continue;
        for (const policy of graph.authorizationPoliciesFor(w).filter((p) => !isDryRun(p))) {
          const action = typeof policy.spec.action === 'string' ? policy.spec.action : 'ALLOW';
          if (action !== 'ALLOW' && action !== 'DENY') continue;
          (Array.isArray(policy.spec.rules) ? policy.spec.rules : []).forEach((rule, i) => {
            if (!isRecord(rule)) return;
            for (const { what, path } of peerAddressFields(rule, ['spec', 'rules', i])) {
              const key = `${policy.namespace}/${policy.name}#${path.join('.')}`;
              if (reported.has(key)) continue;
              reported.add(key);
              const effect = action === 'ALLOW' ? 'so the external clients it lists are not allowed by it' : 'so it denies none of the external clients it lists';
              ctx.report(policy, `spec.rules[${i}] matches ${what}, the peer address, on ${w.kind} ${w.namespace}/${w.name}, which external clients reach through ` +
                `Service ${svc.namespace}/${svc.name} (type ${String(svc.spec.type)}, externalTrafficPolicy ${typeof svc.spec.externalTrafficPolicy === 'string' ? svc.spec.externalTrafficPolicy : 'Cluster (default)'}): ` +
                `kube-proxy replaces their address by a node's, ${effect}; set externalTrafficPolicy: Local on the Service, or match remoteIpBlocks with ` +
                'MeshConfig gatewayTopology.numTrustedProxies so the gateway reads the client address', { path });
            }
          });
        }
      }
    }
  },
};

export default ipBlocksBehindSnat;

import type { MeshObject } from '../../../mesh/object.js';
import { push } from '../../../mesh/services.js';
import type { Rule } from '../../rule.js';
import { listOrNone, nameOf } from './_helpers.js';

/** `references/gateway-exists` (IST0101): every gateway a VirtualService binds to exists. */
const gatewayExists: Rule = {
  id: 'references/gateway-exists',
  istioCode: 'IST0101',
  severity: 'error',
  summary: 'A VirtualService binds to a Gateway (`spec.gateways`) that does not exist.',
  docs: [
    'Entries of `spec.gateways` are `namespace/name`, or a short name that Istio looks up in the',
    'VirtualService\'s own namespace (not the gateway\'s); `mesh` stands for the sidecars. A VirtualService bound',
    'to a missing Gateway configures nothing on the ingress proxy, so its hosts answer 404 (`NR`). Short names',
    'are the usual culprit when the Gateway lives in `istio-ingress` or `istio-system`: write `istio-system/name`.',
    'Mirrors `istioctl analyze` IST0101 ("gateway").',
  ].join(' '),
  kinds: ['VirtualService', 'Gateway'],
  check(graph, ctx) {
    let byName: Map<string, MeshObject[]> | undefined;
    let byNamespace: Map<string, string[]> | undefined;
    for (const vs of graph.ofKind('VirtualService')) {
      for (const g of graph.gatewaysOf(vs)) {
        if (g.mesh || g.gateway) continue;
        if (!byName || !byNamespace) {
          byName = new Map();
          byNamespace = new Map();
          for (const gw of graph.ofKind('Gateway')) {
            push(byName, gw.name, gw);
            push(byNamespace, gw.namespace, gw.name);
          }
        }
        const same = byName.get(g.name) ?? [];
        const resolved = g.ref.includes('/') ? '' : ` (a short name means ${g.key}, in the VirtualService namespace)`;
        const siblings = byNamespace.get(g.namespace) ?? [];
        const hint = same.length > 0
          ? `; did you mean ${same.map((gw) => `"${nameOf(gw)}"`).join(' or ')}?`
          : siblings.length > 0
            ? `; Gateways in namespace ${g.namespace}: ${listOrNone(siblings)}`
            : `; create Gateway ${g.key} or bind to an existing one as namespace/name`;
        ctx.report(vs, `Referenced gateway not found: "${g.ref}"${resolved}${hint}`, { path: g.path });
      }
    }
  },
};

export default gatewayExists;

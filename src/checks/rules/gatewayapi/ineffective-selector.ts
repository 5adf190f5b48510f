import { gatewayApiOf, gatewayHandledByIstiod } from '../../../mesh/gateway-api.js';
import { isRecord, stringMap } from '../../../mesh/object.js';
import { selects } from '../../../mesh/services.js';
import type { Rule } from '../../rule.js';

/** The pod label the Gateway API deployment controller puts on a Gateway's pods. */
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';
const POLICY_KINDS = ['AuthorizationPolicy', 'RequestAuthentication', 'Telemetry', 'WasmPlugin'];

/** `gatewayapi/ineffective-selector` (IST0166): a `selector` policy aimed at a Kubernetes Gateway's pods. */
const ineffectiveSelector: Rule = {
  id: 'gatewayapi/ineffective-selector',
  istioCode: 'IST0166',
  severity: 'warning',
  summary: 'An AuthorizationPolicy, RequestAuthentication, Telemetry or WasmPlugin selects the pods of a Kubernetes Gateway with `selector`, which has no effect there.',
  docs: [
    'Pods that Istio deploys for a Gateway API Gateway carry `gateway.networking.k8s.io/gateway-name`. Istio ignores',
    '`selector` on policies for them: a policy must attach with `targetRef(s)` (kind Gateway) instead, so the policy',
    'silently does nothing (an ALLOW/DENY rule is not enforced, a JWT is not validated). As in `istioctl analyze`',
    'IST0166 (IneffectiveSelector), every such policy without `targetRef` whose selector matches a gateway pod (Pod',
    'or pod template) of its own namespace is reported. Fix: replace `selector` with',
    '`targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: <gateway>}]`. Unlike istioctl, pods of a',
    'Gateway in the input that istiod does not program (another controller\'s gatewayClassName) are left out: they run',
    'no Istio proxy, so neither a selector nor a targetRef applies Istio policy there.',
  ].join(' '),
  kinds: [...POLICY_KINDS, 'Pod', 'Deployment', 'Rollout'],
  check(graph, ctx) {
    const k8s = gatewayApiOf(graph);
    // istioctl judges the pods it is given: not the deployment istiod would create for a Gateway (workloads.inInput).
    const gatewayPods = graph.workloads.inInput.filter((w) => {
      const name = w.labels[GATEWAY_NAME_LABEL];
      if (name === undefined) return false;
      const gateway = k8s.get('Gateway', w.namespace, name);
      return gateway === undefined || gatewayHandledByIstiod(gateway, k8s);
    });
    if (gatewayPods.length === 0) return;
    for (const kind of POLICY_KINDS) {
      for (const p of graph.ofKind(kind)) {
        if (p.spec.targetRef !== undefined || !isRecord(p.spec.selector)) continue;
        const selector = stringMap(p.spec.selector.matchLabels);
        const hit = new Set(gatewayPods.filter((w) => w.namespace === p.namespace && selects(selector, w.labels)).map((w) => w.labels[GATEWAY_NAME_LABEL]!));
        for (const gateway of [...hit].sort()) {
          ctx.report(p, `Ineffective selector on Kubernetes Gateway ${gateway}: Istio ignores selector for Gateway API gateway pods; use targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: ${gateway}}] instead`, { path: ['spec', 'selector'] });
        }
      }
    }
  },
};

export default ineffectiveSelector;

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
    '`targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: <gateway>}]`. Like istioctl, which reads',
    'only the pod label, pods of a Gateway in the input that istiod does not program (another controller\'s',
    'gatewayClassName) count too; those findings are info: such pods run no Istio proxy, so neither a selector nor a',
    'targetRef applies Istio policy there.',
  ].join(' '),
  kinds: [...POLICY_KINDS, 'Pod', 'Deployment', 'Rollout'],
  check(graph, ctx) {
    const k8s = gatewayApiOf(graph);
    // istioctl judges the pods it is given: not the deployment istiod would create for a Gateway (workloads.inInput).
    const gatewayPods = graph.workloads.inInput.filter((w) => w.labels[GATEWAY_NAME_LABEL] !== undefined);
    if (gatewayPods.length === 0) return;
    /** The gatewayClassName of a Gateway of the input istiod does not program; undefined when it does or is not in the input. */
    const foreignClass = (namespace: string, name: string): string | undefined => {
      const gateway = k8s.get('Gateway', namespace, name);
      if (gateway === undefined || gatewayHandledByIstiod(gateway, k8s)) return undefined;
      return typeof gateway.spec.gatewayClassName === 'string' ? gateway.spec.gatewayClassName : '(none)';
    };
    for (const kind of POLICY_KINDS) {
      for (const p of graph.ofKind(kind)) {
        if (p.spec.targetRef !== undefined || !isRecord(p.spec.selector)) continue;
        const selector = stringMap(p.spec.selector.matchLabels);
        const hit = new Set(gatewayPods.filter((w) => w.namespace === p.namespace && selects(selector, w.labels)).map((w) => w.labels[GATEWAY_NAME_LABEL]!));
        for (const gateway of [...hit].sort()) {
          const cls = foreignClass(p.namespace, gateway);
          if (cls !== undefined) {
            ctx.report(p, `Ineffective selector on Kubernetes Gateway ${gateway} as istioctl analyze reports it (IST0166: the pod carries ${GATEWAY_NAME_LABEL}); but Gateway ${p.namespace}/${gateway} has gatewayClassName ${cls}, which istiod does not program, so its pods run no Istio proxy and no Istio policy applies there, by selector or targetRefs: nothing to fix for Istio unless the selector was meant for another workload`,
              { path: ['spec', 'selector'], severity: 'info' });
            continue;
          }
          ctx.report(p, `Ineffective selector on Kubernetes Gateway ${gateway}: Istio ignores selector for Gateway API gateway pods; use targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: ${gateway}}] instead`, { path: ['spec', 'selector'] });
        }
      }
    }
  },
};

export default ineffectiveSelector;

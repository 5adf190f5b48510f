import { gatewayApiOf } from '../../../mesh/gateway-api.js';
import { NAMESPACE_NAME_LABEL } from '../../../mesh/gateway-api-attachment.js';
import { listenerSetAttachment, listenerSetParentRef } from '../../../mesh/gateway-api-listener-sets.js';
import type { Rule } from '../../rule.js';

/** `gatewayapi/listener-set-not-accepted`: a ListenerSet istiod builds no listener of (parent missing, not allowed, or of a class without ListenerSets). */
const listenerSetNotAccepted: Rule = {
  id: 'gatewayapi/listener-set-not-accepted',
  severity: 'error',
  summary: 'A ListenerSet whose parent Gateway is not in the input, does not admit ListenerSets from its namespace (`allowedListeners`), or is of an Istio class that takes none: istiod programs none of its listeners, and routes attached to it are never served.',
  docs: [
    'A ListenerSet (gateway.networking.k8s.io/v1) adds listeners to the pods of its `spec.parentRef` Gateway. istiod',
    '(gateway_collection.go `ListenerSetCollection`) builds them only when the parent is a Gateway of its gateway',
    'controller (class `istio`; waypoint and east-west classes report "not supported") and the parent\'s',
    '`spec.allowedListeners.namespaces` admits the ListenerSet\'s namespace (`NamespaceAcceptedByAllowListeners`): unset',
    'or `from: None` admits none, which is the default, so a Gateway must opt in; `Same` admits its own namespace,',
    '`All` every one, `Selector` the namespaces its label selector matches. Otherwise the ListenerSet is Accepted',
    'False (NotAllowed) and its ports serve nothing. A parent Gateway that is not in the input is reported too (fix the',
    'name or namespace, or pass the Gateway with `--context`); a parent of another controller\'s class is not judged.',
    'A `Selector` that asks for labels of a Namespace the input does not hold is taken as matching (as for routes: the',
    'Namespace may live in another repository) and reported as info, since the answer rests on labels meshproof does not know.',
    'Fix: add `allowedListeners: {namespaces: {from: All}}` (or `Same`, or a `Selector`) to the Gateway, or attach',
    'the ListenerSet to a Gateway of class `istio`.',
  ].join(' '),
  kinds: ['ListenerSet', 'Gateway', 'GatewayClass', 'Namespace'],
  check(graph, ctx) {
    for (const set of gatewayApiOf(graph).ofKind('ListenerSet')) {
      const a = listenerSetAttachment(graph, set);
      const ref = listenerSetParentRef(set);
      if (a.status === 'parent-not-found') {
        if (!ref) continue; // no parentRef name: the CRD refuses it (schema/crd-validation).
        if (ref.kind !== 'Gateway') {
          ctx.report(set, `ListenerSet parentRef ${ref.kind} "${ref.namespace}/${ref.name}" is not a Gateway: istiod takes only a Gateway (group gateway.networking.k8s.io) as a ListenerSet's parent and programs none of its listeners; set parentRef to the Gateway`, { path: ['spec', 'parentRef', 'kind'] });
        } else {
          ctx.report(set, `ListenerSet parentRef Gateway "${ref.namespace}/${ref.name}" not found: none of its listeners is programmed and routes attached to it are never served; fix the name or namespace (a namespace left out is the ListenerSet's), or pass the Gateway with --context`, { path: ['spec', 'parentRef', 'name'] });
        }
      } else if (a.status === 'not-allowed') {
        const gw = a.gateway;
        const why = a.from === 'None' ? 'does not admit ListenerSets (allowedListeners unset or from: None, the default)' : `admits ListenerSets from ${a.from === 'Same' ? `its own namespace ${gw.namespace} only` : 'the namespaces its selector matches, not this one'}`;
        ctx.report(set, `ListenerSet ${set.namespace}/${set.name} is not accepted by Gateway ${gw.namespace}/${gw.name}, which ${why}: istiod programs none of its listeners (NotAllowed) and routes attached to it are never served; ` +
          `add allowedListeners: {namespaces: {from: All}} (or Same, or a Selector matching namespace ${set.namespace}) to the Gateway`, { path: ['spec', 'parentRef'] });
      } else if (a.status === 'accepted' && a.namespaceLabelsUnknown) {
        const gw = a.gateway;
        const allowed = gw.spec.allowedListeners as { namespaces?: { selector?: unknown } } | undefined;
        ctx.report(set, `ListenerSet ${set.namespace}/${set.name} is taken as accepted by Gateway ${gw.namespace}/${gw.name}, whose allowedListeners.namespaces.from is Selector ${JSON.stringify(allowed?.namespaces?.selector ?? {})}, ` +
          `but the Namespace ${set.namespace} is not in the input, so its labels are unknown (only ${NAMESPACE_NAME_LABEL}: ${set.namespace} is known) and meshproof assumes they match, as it does for routes; ` +
          `if they do not, istiod programs none of its listeners (NotAllowed). Add the Namespace ${set.namespace} to the input (or pass it with --context), or select it by ${NAMESPACE_NAME_LABEL}`, { path: ['spec', 'parentRef'], severity: 'info' });
      } else if (a.status === 'unsupported-class') {
        const gw = a.gateway;
        ctx.report(set, `ListenerSet parent Gateway ${gw.namespace}/${gw.name} is of class ${String(gw.spec.gatewayClassName)}, which does not support ListenerSets: istiod programs none of its listeners; attach it to a Gateway of class istio`, { path: ['spec', 'parentRef'] });
      }
    }
  },
};

export default listenerSetNotAccepted;

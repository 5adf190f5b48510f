import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';

/**
 * `validation/authorization-policy-ports` (IST0106): `rules[].to[].operation.ports` / `notPorts` entries that Istio's
 * ValidateAuthorizationPolicy (`validatePorts`) refuses: anything but a decimal port number 0-65535.
 */
const authorizationPolicyPorts: Rule = {
  id: 'validation/authorization-policy-ports',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'An AuthorizationPolicy `to.operation.ports` or `notPorts` entry that is not a port number 0-65535 (a port name such as "http"), so Istio\'s admission webhook refuses the policy.',
  docs: [
    'Istio parses each `ports` / `notPorts` entry of `rules[].to[].operation` as an unsigned integer and refuses',
    'anything else or a value over 65535 ("invalid port"). Port names are not resolved: `ports: ["http"]` is refused.',
    '`kubectl apply` fails and `istioctl analyze` reports IST0106. Fix: write the workload\'s container (target) port',
    'number as a string, e.g. `ports: ["8080"]`.',
  ].join(' '),
  kinds: ['AuthorizationPolicy'],
  check(graph, ctx) {
    for (const ap of graph.ofKind('AuthorizationPolicy')) {
      (Array.isArray(ap.spec.rules) ? ap.spec.rules : []).forEach((rule, i) => {
        if (!isRecord(rule) || !Array.isArray(rule.to)) return;
        rule.to.forEach((to, j) => {
          if (!isRecord(to) || !isRecord(to.operation)) return;
          for (const field of ['ports', 'notPorts'] as const) {
            const list = to.operation[field];
            if (!Array.isArray(list)) continue;
            list.forEach((p, k) => {
              const text = typeof p === 'number' ? String(p) : p;
              if (typeof text === 'string' && /^\d+$/.test(text) && Number(text) <= 65535) return;
              ctx.report(ap, `invalid port: ${JSON.stringify(p)} in ${field}; AuthorizationPolicy ports are port numbers 0-65535 (the workload's container port), not Service port names`, { path: ['spec', 'rules', i, 'to', j, 'operation', field, k] });
            });
          }
        });
      });
    }
  },
};

export default authorizationPolicyPorts;

import type { MeshGraph } from '../../../mesh/graph.js';
import { isRecord, type MeshObject } from '../../../mesh/object.js';
import { allowRuleMatchesEverything, describeOpenFields } from '../../../validate/authorization.js';
import type { Rule } from '../../rule.js';
import { refusedRuleShapes } from '../validation/authorization-policy-structure.js';
import { isAllowPolicy, selectorOf } from './_helpers.js';

/**
 * `security/allow-everything`: an ALLOW rule that matches every request. What "every request"
 * means is defined once, in src/validate/authorization.ts, and shared with the AllowPolicy
 * construct, which refuses the same rules at synth time.
 */
const allowEverything: Rule = {
  id: 'security/allow-everything',
  severity: 'error',
  summary: 'An ALLOW AuthorizationPolicy has a rule that matches every request, silently defeating default-deny.',
  docs: [
    'An ALLOW rule matches a request when one of its `from` entries, one of its `to` entries and all `when`',
    'conditions match. A rule matches every request — and a namespace with default-deny is wide open again,',
    'with no finding anywhere — when it has nothing in it (`rules: [{}]`), or when every field of some `from`',
    'entry and of some `to` entry is one of: a wildcard (`principals`, `requestPrincipals` or `namespaces`',
    '`["*"]` — under STRICT mTLS every caller has a principal; `principals` `["<trustDomain>/*"]` or any other',
    'prefix pattern covering `<trustDomain>/ns/` (MeshConfig trustDomain or an alias; `cluster.local/*`,',
    '`cluster.local/ns/*`), which in a single-trust-domain mesh is every caller; `methods` or `hosts` `["*"]`; `paths` `["*"]`',
    'or `["/*"]`; `ipBlocks` whose CIDRs together cover every IPv4 or every IPv6 address, e.g. `0.0.0.0/0`,',
    'or `0.0.0.0/1` + `128.0.0.0/1`); an exclusion over an unbounded set (`notPrincipals`, `notIpBlocks`,',
    '`notPaths`, `notHosts` alone admit everything they do not name: a denylist, the job of a DENY policy);',
    'or `ports` listing every declared container port of the workloads the policy selects (only decided when',
    'all of them are in the input and declare their ports). `notNamespaces`, `notMethods`, `notPorts` and any',
    '`when` condition count as restrictions. `spec: {}` (no rules) allows nothing and is not reported, nor is a rule',
    'Istio\'s webhook refuses (`from: []`, `source: {}`, `operation: {}`: see validation/authorization-policy-structure).',
    'Fix: name the callers (`principals: ["cluster.local/ns/<ns>/sa/<sa>"]`) and the operations, move',
    'exceptions into a DENY policy, or delete the rule.',
  ].join(' '),
  kinds: ['AuthorizationPolicy', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod'],
  check(graph, ctx) {
    const trustDomains = [graph.trustDomain, ...graph.meshConfig.trustDomainAliases];
    for (const ap of graph.ofKind('AuthorizationPolicy')) {
      if (!isAllowPolicy(ap) || !Array.isArray(ap.spec.rules)) continue;
      const workloadPorts = () => selectedContainerPorts(graph, ap);
      ap.spec.rules.forEach((rule, i) => {
        if (refusedRuleShapes(rule, i).length > 0) return; // refused by the webhook: validation/authorization-policy-structure says so
        const open = allowRuleMatchesEverything(rule, { workloadPorts, trustDomains });
        if (open === null) return;
        const detail = open.fields.length > 0 ? ` (${describeOpenFields(open.fields)})` : '';
        ctx.report(ap, `ALLOW rule spec.rules[${i}] ${open.because}, so it allows every request to the workloads this policy selects${detail} ` +
          'and defeats default-deny; name the callers (from.source.principals) and operations (to.operation), put exceptions in a DENY ' +
          'policy, or delete the rule', { path: ['spec', 'rules', i] });
      });
    }
  },
};

/**
 * The declared container ports of every workload `ap` applies to (its namespace, or every
 * namespace from the root namespace; its selector, or all); undefined when that is not knowable:
 * no workload in the input, one without declared ports, or a `targetRef` policy.
 */
function selectedContainerPorts(graph: MeshGraph, ap: MeshObject): number[] | undefined {
  if (isRecord(ap.spec) && (ap.spec.targetRef !== undefined || ap.spec.targetRefs !== undefined)) return undefined;
  const namespace = ap.namespace === graph.rootNamespace ? null : ap.namespace;
  const workloads = graph.workloadsSelectedBy(namespace, selectorOf(ap) ?? {});
  if (workloads.length === 0 || workloads.some((w) => w.containerPorts.length === 0)) return undefined;
  return [...new Set(workloads.flatMap((w) => w.containerPorts.map((p) => p.containerPort)))].sort((a, b) => a - b);
}

export default allowEverything;

import { destinationRuleReaches } from '../../../mesh/destination-rule-reach.js';
import type { MeshGraph, Workload } from '../../../mesh/graph.js';
import { parseIstioIdentity } from '../../../mesh/mesh-config.js';
import { stringList } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { clientTlsSettings, describeTarget, firstForItsPort, portLevelPorts, subsetLabelsOf, tlsMode } from './_helpers.js';

/**
 * `tls/subject-alt-names-match-no-workload`: an ISTIO_MUTUAL DestinationRule pins `subjectAltNames` that no
 * workload behind its host presents, so every handshake fails.
 */
const subjectAltNamesMatchNoWorkload: Rule = {
  id: 'tls/subject-alt-names-match-no-workload',
  severity: 'warning',
  summary: 'An ISTIO_MUTUAL DestinationRule pins subjectAltNames that workloads behind its host do not present, so connections to them fail the TLS handshake.',
  docs: [
    'With `tls.mode: ISTIO_MUTUAL`, istiod verifies the server\'s certificate against the service\'s accounts, unless the',
    'DestinationRule writes `subjectAltNames`: then those are used instead (cluster_tls.go buildUpstreamTLSSettings,',
    '"Use Service Accounts if Subject Alt names are not specified"), matched exactly (match_subject_alt_names). A sidecar\'s',
    'certificate carries `spiffe://<trust domain>/ns/<namespace>/sa/<service account>`, so a workload the host\'s services',
    'select whose trust domain (MeshConfig `trustDomain`), namespace and account no SPIFFE name written matches refuses every connection that lands on it',
    '(CERTIFICATE_VERIFY_FAILED, 503 UF): all of them when none matches. Judged for SPIFFE names only (a DNS name cannot be checked here), for blocks whose',
    'host resolves to services that select workloads in the input (subsets narrow them). Fix: name the account the pods run',
    'as (`serviceAccountName`), or drop subjectAltNames to verify against the service\'s accounts.',
    'Only a block istiod hands to some client is judged: not a trafficPolicy merged behind an older rule of the same host and namespace (the first wins), a subset an older rule already defines, a wildcard or root-namespace rule a more specific one beats, or a rule whose workloadSelector selects no workload of the input.',
  ].join(' '),
  kinds: ['DestinationRule', 'Service', 'ServiceEntry', 'Deployment', 'StatefulSet', 'DaemonSet', 'Pod', 'WorkloadEntry'],
  check(graph, ctx) {
    for (const dr of graph.ofKind('DestinationRule')) {
      const host = dr.spec.host;
      if (typeof host !== 'string') continue;
      const services = graph.servicesForHost(host, dr.namespace).filter((s) => s.location === 'MESH_INTERNAL' && s.selector !== null);
      if (services.length === 0) continue;
      for (const at of [...clientTlsSettings(dr, false), ...clientTlsSettings(dr, true)]) {
        if (tlsMode(at.tls) !== 'ISTIO_MUTUAL') continue;
        const sans = stringList(at.tls.subjectAltNames) ?? [];
        const parsed = sans.map(parseIstioIdentity);
        if (sans.length === 0 || parsed.some((m) => m === undefined)) continue;
        const subset = at.subset === undefined ? {} : subsetLabelsOf(dr, at.subset);
        // Only the services this block reaches a client for (not merged away, not beaten by a more specific rule).
        // A later portLevelSettings entry for a port already named is never read; a policy-wide block does not reach a
        // service whose every port has its own entry (util.GetPortLevelTrafficPolicy).
        if (!firstForItsPort(dr, at)) continue;
        const own = at.port === undefined ? portLevelPorts(dr, at.subset) : new Set<number>();
        const reached = services.filter((s) => destinationRuleReaches(graph, dr, s.host, at.subset)
          && (own.size === 0 || s.ports.length === 0 || s.ports.some((p) => !own.has(p.number))));
        const workloads: Workload[] = reached.flatMap((s) => graph.workloadsSelectedBy(s.namespace, { ...s.selector, ...subset }));
        if (workloads.length === 0) continue;
        // The certificate carries only the mesh trust domain, and written names are matched exactly (no aliases).
        const presents = (w: Workload) => parsed.some((m) => m!.trustDomain === graph.trustDomain && m!.namespace === w.namespace && m!.serviceAccount === w.serviceAccount);
        const refused = workloads.filter((w) => !presents(w));
        if (refused.length === 0) continue;
        const accounts = [...new Set(refused.map((w) => `spiffe://${graph.principalOf(w)}`))];
        const shown = accounts.slice(0, 3).join(', ') + (accounts.length > 3 ? `, and ${accounts.length - 3} more` : '');
        const all = refused.length === workloads.length;
        ctx.report(dr, `tls.mode ISTIO_MUTUAL ${describeTarget(dr, at)} pins subjectAltNames [${sans.join(', ')}], but ${all ? 'the workloads behind it' : 'some workloads behind it'} ` +
          `(${refused.slice(0, 2).map((w) => `${w.kind} ${w.namespace}/${w.name}`).join(', ')}${refused.length > 2 ? ', …' : ''}) present ${shown}: ` +
          `the written names replace the service's accounts in the upstream check, so ${all ? 'every handshake fails' : 'every connection that lands on them fails'} (503 UF, CERTIFICATE_VERIFY_FAILED); ` +
          `${all ? 'write' : 'add'} ${accounts.length === 1 ? accounts[0] : 'those names'}, or drop subjectAltNames${otherTrustDomain(parsed.map((m) => m!.trustDomain), graph)}`, { path: [...at.path, 'subjectAltNames'] });
      }
    }
  },
};

/**
 * `''` when every written name is in the mesh trust domain; else a sentence naming the trust domain the
 * certificates carry, and that `cluster.local` is only Istio's default.
 */
function otherTrustDomain(written: readonly string[], graph: MeshGraph): string {
  const trustDomain = graph.trustDomain;
  const other = [...new Set(written.filter((t) => t !== trustDomain))];
  if (other.length === 0) return '';
  const source = graph.meshConfigAssumed
    ? `assumed: no MeshConfig applies (no --mesh-config, no istio ConfigMap in the input), so Istio's default; if this mesh uses ${other[0]}, tell meshproof with the istio ConfigMap in the input or --mesh-config`
    : `MeshConfig trustDomain${trustDomain === 'cluster.local' ? ", Istio's default; set it if this mesh uses another" : ''}`;
  return `; ${other.map((t) => `"${t}"`).join(', ')} is not the mesh trust domain ${trustDomain} (${source}), ` +
    'and certificates carry only that one (subjectAltNames are matched exactly, without trustDomainAliases)';
}

export default subjectAltNamesMatchNoWorkload;

import { meshNetworksInInput } from '../../../mesh/mesh-networks.js';
import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { listSome } from '../_lists.js';

/** The registries istiod always knows (pilot/pkg/serviceregistry/provider), compared case-sensitively. */
const BUILT_IN_REGISTRIES = ['Mock', 'Kubernetes', 'External'];
const MULTICLUSTER_SECRET_LABEL = 'istio/multiCluster';

/**
 * `multicluster/unknown-service-registry` (IST0126): a meshNetworks endpoint names a registry
 * istiod does not have. Mirrors Istio's `multicluster.MeshNetworksAnalyzer`
 * (`pkg/config/analysis/analyzers/multicluster/meshnetworks.go`).
 */
const unknownServiceRegistry: Rule = {
  id: 'multicluster/unknown-service-registry',
  istioCode: 'IST0126',
  severity: 'error',
  summary: 'A meshNetworks endpoint `fromRegistry` names a service registry that is neither built in nor a cluster of a remote secret, so no endpoint is placed in that network.',
  docs: [
    'In a multi-network mesh, `meshNetworks` (the `meshNetworks` key of the `istio` ConfigMap) assigns the endpoints',
    'of each registry to a network with `endpoints[].fromRegistry`; the registry of a remote cluster is named by the',
    'cluster ID, which is a data key of its remote secret (label `istio/multiCluster: "true"`). A name that matches',
    'no registry puts nothing into that network, so cross-network traffic is not routed through its gateways. As',
    'in `istioctl analyze` IST0126 (UnknownMeshNetworksServiceRegistry), which reads this ConfigMap from the cluster, a',
    'registry is known when it is `Mock`, `Kubernetes` or `External` (case-sensitive, so the lower-case names',
    'meshNetworks validation demands never match these) or a data key (or `stringData` key, which the API server',
    'merges into data) of such a Secret in the input. Nothing is judged when meshNetworks fails istiod\'s own',
    'validation (`agent.ValidateMeshNetworks`: registry names must be DNS-1123 labels, gateways need a port',
    '1-65535): istiod then ignores it. As in Istio, the local cluster\'s own ID is not known either (it is in no',
    'remote secret), so an endpoint naming it is reported too. Fix: name the cluster ID of a remote secret, or add that secret.',
  ].join(' '),
  kinds: ['ConfigMap', 'Secret'],
  check(graph, ctx) {
    const networks = meshNetworksInInput(graph.objects, graph.rootNamespace);
    if (networks === null || networks.problem !== undefined) return;
    const known = new Set(BUILT_IN_REGISTRIES);
    for (const s of graph.ofKind('Secret')) {
      if (s.labels[MULTICLUSTER_SECRET_LABEL] !== 'true') continue;
      for (const field of [s.body.data, s.body.stringData]) if (isRecord(field)) for (const k of Object.keys(field)) known.add(k);
    }
    const clusters = [...known].filter((k) => !BUILT_IN_REGISTRIES.includes(k));
    for (const e of networks.endpoints) {
      if (e.fromRegistry === undefined || known.has(e.fromRegistry)) continue;
      ctx.report(networks.from, `Unknown service registry ${e.fromRegistry} in network ${e.network} (data.meshNetworks networks.${e.network}.endpoints[${e.index}].fromRegistry): ` +
        `no remote secret (label ${MULTICLUSTER_SECRET_LABEL}: "true") has a cluster of that name${clusters.length > 0 ? ` (clusters: ${listSome(clusters.sort())})` : ''}, so no endpoint joins network ${e.network}. ` +
        'Fix: write the cluster ID its remote secret uses as the data key, or add that secret', { path: ['data', 'meshNetworks'] });
    }
  },
};

export default unknownServiceRegistry;

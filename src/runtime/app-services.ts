import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { MeshGraph } from '../mesh/graph.js';

export interface AppServicesProps {
  /** The mesh model of dist/: its Namespaces and selector Services are copied. */
  readonly graph: MeshGraph;
}

/**
 * The app's Namespaces (with their labels) and its Kubernetes Services with a selector, copied from
 * dist/ as written (name, namespace, labels, annotations, spec), so the cluster makes EndpointSlices
 * for the echo pods exactly as it would for the app's pods: the xDS server reads endpoints from
 * those. A namespace the app uses but does not declare gets a plain Namespace. The service accounts
 * the app's workloads run as are made too (copied when dist/ declares them; `default` exists
 * already): the echo pods run as them, and their inbound sidecars hold those identities. Istio
 * objects are not applied: the xDS server reads them from the ConfigMap.
 */
export class AppServices extends Construct {
  constructor(scope: Construct, id: string, props: AppServicesProps) {
    super(scope, id);
    const g = props.graph;
    const declared = new Map(g.ofKind('Namespace').map((n) => [n.name, n]));
    const used = new Set([...declared.keys(), ...g.workloads.all.map((w) => w.namespace), ...g.services.all.filter((s) => s.kind === 'Service').map((s) => s.namespace)]);
    for (const ns of [...used].sort()) {
      const o = declared.get(ns);
      new ApiObject(this, `Namespace-${ns}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, ...(o && Object.keys(o.labels).length > 0 ? { labels: { ...o.labels } } : {}) } });
    }
    const accounts = new Map(g.ofKind('ServiceAccount').map((a) => [`${a.namespace}/${a.name}`, a]));
    const needed = new Set(g.workloads.all.filter((w) => w.kind !== 'WorkloadEntry' && g.membershipOf(w).dataplane !== 'gateway' && w.containerPorts.length > 0 && w.serviceAccount !== 'default').map((w) => `${w.namespace}/${w.serviceAccount}`));
    for (const key of [...needed].sort()) {
      const [namespace, name] = key.split('/') as [string, string];
      const labels = accounts.get(key)?.labels ?? {};
      new ApiObject(this, `ServiceAccount-${namespace}-${name}`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, ...(Object.keys(labels).length > 0 ? { labels: { ...labels } } : {}) }, automountServiceAccountToken: false });
    }
    const services = g.ofKind('Service').filter((s) => s.group === '' && typeof s.spec.selector === 'object' && s.spec.selector !== null);
    for (const s of [...services].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))) {
      new ApiObject(this, `Service-${s.namespace}-${s.name}`, {
        apiVersion: 'v1', kind: 'Service',
        metadata: { name: s.name, namespace: s.namespace, ...(Object.keys(s.labels).length > 0 ? { labels: { ...s.labels } } : {}), ...(Object.keys(s.annotations).length > 0 ? { annotations: { ...s.annotations } } : {}) },
        spec: s.spec,
      });
    }
  }
}

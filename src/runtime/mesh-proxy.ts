import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { ProxyPlan } from './plan.js';
import { CONTAINER_SECURITY, MANAGED_BY, RESOURCES, SYSTEM_NAMESPACE, XDS_CLIENT_LABEL, dnsLabel, podSecurity, systemDeployment } from './_pod.js';

export interface MeshProxyProps {
  /** The runtime image (`meshproof proxy`). */
  readonly image: string;
  /** `host:port` of the xDS server (`XdsServer.address`). */
  readonly xds: string;
  /** Which workload's view it serves (node id), its role and listener ports. */
  readonly proxy: ProxyPlan;
  /** @default 'IfNotPresent' */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

/** Istio's readiness port (`/healthz/ready`). */
export const READINESS_PORT = 15021;
/** Envoy's admin port: `verify --runtime` reads the caller's `/ready` and `/access_log` there. */
export const ADMIN_PORT = 15000;

/**
 * A caller sidecar or the ingress gateway as its own Deployment and Service in `meshproof-system`
 * (`proxy-<namespace>-<workload>`, `…-as-<namespace>-<service account>` when it holds a borrowed
 * identity), running `meshproof proxy --node <ns>/<workload>[?as=<ns>/<sa>]` against the xDS server;
 * its Service also exposes the admin port ({@link ADMIN_PORT}) for `verify --runtime`. Not a container in the echo pods: a sidecar's outbound listeners bind `0.0.0.0:<port>` for
 * every port it sees, which would collide with the echo's own ports in a shared pod network. Without
 * iptables nothing is intercepted: a client reaches the proxy explicitly, at its Service on the
 * listener's port, with the destination in the `Host` header (`Host: reviews.bookinfo.svc.cluster.local:9080`),
 * which is what the outbound listener's route table matches on. Its pods carry only runtime labels, so
 * no app Service selects them; `meshproof.dev/xds-client` lets them through the xDS server's NetworkPolicy.
 */
export class MeshProxy extends Construct {
  /** The Service name (in `meshproof-system`). */
  readonly serviceName: string;

  /** The Service (and Deployment) name of a proxy: `proxy-<namespace>-<workload>[-as-<namespace>-<service account>]`. */
  static serviceNameOf(p: Pick<ProxyPlan, 'namespace' | 'workload' | 'as'>): string {
    return p.as ? dnsLabel('proxy', p.namespace, p.workload, 'as', p.as.namespace, p.as.serviceAccount) : dnsLabel('proxy', p.namespace, p.workload);
  }

  constructor(scope: Construct, id: string, props: MeshProxyProps) {
    super(scope, id);
    const p = props.proxy;
    if (p.ports.length === 0) throw new Error(`${this.node.path}: the ${p.role} of ${p.nodeId} has no outbound HTTP listener; nothing would reach it`);
    const name = MeshProxy.serviceNameOf(p);
    this.serviceName = name;
    const labels = { app: name, ...MANAGED_BY };
    systemDeployment(this, name, {
      automountServiceAccountToken: false, securityContext: podSecurity(p.ports.some((x) => x < 1024)),
      containers: [{
        name: 'proxy', image: props.image, imagePullPolicy: props.imagePullPolicy ?? 'IfNotPresent',
        args: ['proxy', '--xds', props.xds, '--node', p.nodeId, '--role', p.role, '--admin', `0.0.0.0:${ADMIN_PORT}`, '--prometheus', '0.0.0.0:15090', '--readiness', `0.0.0.0:${READINESS_PORT}`, '--access-log', '-'],
        ports: [...p.ports.map((port) => ({ name: `http-${port}`, containerPort: port })), { name: 'http-admin', containerPort: ADMIN_PORT }, { name: 'http-envoy-prom', containerPort: 15090 }, { name: 'http-ready', containerPort: READINESS_PORT }],
        readinessProbe: { httpGet: { path: '/healthz/ready', port: READINESS_PORT }, periodSeconds: 2, failureThreshold: 60 },
        resources: RESOURCES, securityContext: CONTAINER_SECURITY,
      }],
    }, XDS_CLIENT_LABEL);
    new ApiObject(this, 'Service', {
      apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: SYSTEM_NAMESPACE, labels },
      spec: { selector: { app: name }, ports: [...p.ports.map((port) => ({ name: `http-${port}`, port, targetPort: port })), { name: 'http-admin', port: ADMIN_PORT, targetPort: ADMIN_PORT }] },
    });
  }
}

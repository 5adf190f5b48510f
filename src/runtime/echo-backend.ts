import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { EchoWorkloadPlan } from './plan.js';
import { CONTAINER_SECURITY, MANAGED_BY, RESOURCES, XDS_CLIENT_LABEL, dnsLabel, podSecurity } from './_pod.js';

export interface EchoBackendProps {
  /** The runtime image (`meshproof echo`, `meshproof proxy`). */
  readonly image: string;
  /** The app workload version it stands in for: namespace, name, pod labels, service account, container ports. */
  readonly workload: EchoWorkloadPlan;
  /** `host:port` of the xDS server (`XdsServer.address`), for the inbound sidecar. */
  readonly xds: string;
  /** @default 'IfNotPresent' */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

/** Pod label naming the app workload an echo pod stands in for; keeps each echo Deployment's selector its own. */
export const ECHO_LABEL = 'meshproof.dev/echo-of';
/** Istio's injector label on pods with a sidecar: callers' auto mTLS picks ISTIO_MUTUAL for endpoints that carry it. */
export const TLS_MODE_LABEL = 'security.istio.io/tlsMode';
/** Istio's readiness port (`/healthz/ready`) of the inbound sidecar. */
export const SIDECAR_READINESS_PORT = 15021;

/**
 * An echo backend standing in for one app workload version: a Deployment `<workload>-echo` in the
 * app's namespace whose pods carry the app pod template's labels (so the app's Services and the
 * DestinationRule subsets select them, as they would the app's pods) plus {@link ECHO_LABEL}, run
 * as the app's service account, answering with `<namespace>/<workload>` and the `version` label
 * over HTTP/1.1 and h2c (`meshproof echo`). A workload with a sidecar in dist/ gets an **inbound
 * sidecar** as a second container, `istio-proxy` (`meshproof proxy --node
 * '<ns>/<workload>?inbound=$(POD_IP)'`): its inbound listeners on the pod IP (downward API
 * `status.podIP`) on the container ports, mTLS with the workload certificate the xDS server issues
 * over SDS for the pod's service account, the workload's AuthorizationPolicies, and inbound
 * clusters to the echo on 127.0.0.1 on the same ports (two sockets on different addresses: no
 * iptables). Its pods carry {@link TLS_MODE_LABEL} `istio`, as Istio's injector sets it, so callers
 * keep ISTIO_MUTUAL. Without a sidecar the echo listens on the pod IP itself, in plaintext.
 *
 * Also a headless Service `<workload>-echo` selecting only these pods, with the ports of the app's
 * Service (so the two agree on each port's protocol): its name resolves to the pod IPs, which
 * `verify --runtime` probes on the container ports (STRICT mTLS, authorization) and uses to place
 * RBAC refusals.
 */
export class EchoBackend extends Construct {
  /** The headless Service's DNS name, `<workload>-echo.<namespace>.svc`. */
  readonly address: string;

  constructor(scope: Construct, id: string, props: EchoBackendProps) {
    super(scope, id);
    const w = props.workload;
    if (w.ports.length === 0) throw new Error(`${this.node.path}: workload ${w.namespace}/${w.workload} has no container port; an echo backend needs one to listen on`);
    if (w.ports.some((p) => p.port === SIDECAR_READINESS_PORT) && w.sidecar) throw new Error(`${this.node.path}: workload ${w.namespace}/${w.workload} uses port ${SIDECAR_READINESS_PORT}, the inbound sidecar's readiness port (Istio reserves 15000-15090 for its proxy); move the app to another port`);
    const name = dnsLabel(w.workload, 'echo');
    this.address = `${name}.${w.namespace}.svc`;
    const echoOf = { [ECHO_LABEL]: dnsLabel(w.workload) };
    const podLabels = { ...w.labels, ...echoOf, 'sidecar.istio.io/inject': 'false', ...(w.sidecar ? { [TLS_MODE_LABEL]: 'istio' } : {}) };
    const pull = props.imagePullPolicy ?? 'IfNotPresent';
    const ports = w.ports.map((p) => ({ containerPort: p.port, ...(p.name ? { name: p.name } : {}) }));
    const echo = {
      name: 'echo', image: props.image, imagePullPolicy: pull,
      args: ['echo', '--namespace', w.namespace, '--workload', w.workload,
        ...Object.entries(w.labels).sort(([a], [b]) => a.localeCompare(b)).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
        ...w.ports.flatMap((p) => ['--listen', `${w.sidecar ? '127.0.0.1' : '0.0.0.0'}:${p.port}`])],
      ...(w.sidecar ? {} : { ports, readinessProbe: { tcpSocket: { port: w.ports[0]!.port }, periodSeconds: 2 } }),
      resources: RESOURCES, securityContext: CONTAINER_SECURITY,
    };
    const sidecar = {
      name: 'istio-proxy', image: props.image, imagePullPolicy: pull,
      env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
      args: ['proxy', '--xds', props.xds, '--node', `${w.namespace}/${w.workload}?inbound=$(POD_IP)`, '--role', 'sidecar',
        '--admin', '127.0.0.1:15000', '--prometheus', 'off', '--readiness', `0.0.0.0:${SIDECAR_READINESS_PORT}`, '--access-log', '-'],
      ports: [...ports, { name: 'http-ready', containerPort: SIDECAR_READINESS_PORT }],
      readinessProbe: { httpGet: { path: '/healthz/ready', port: SIDECAR_READINESS_PORT }, periodSeconds: 2, failureThreshold: 60 },
      resources: RESOURCES, securityContext: CONTAINER_SECURITY,
    };
    new ApiObject(this, 'Deployment', {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name, namespace: w.namespace, labels: { ...MANAGED_BY, ...echoOf } },
      spec: {
        replicas: 1, selector: { matchLabels: podLabels },
        template: {
          // The inbound sidecar dials the xDS server: its pod passes the server's NetworkPolicy (not part of the selector).
          metadata: { labels: w.sidecar ? { ...podLabels, ...XDS_CLIENT_LABEL } : podLabels },
          spec: {
            serviceAccountName: w.serviceAccount, automountServiceAccountToken: false,
            securityContext: podSecurity(w.ports.some((p) => p.port < 1024)),
            containers: w.sidecar ? [echo, sidecar] : [echo],
          },
        },
      },
    });
    new ApiObject(this, 'Service', {
      apiVersion: 'v1', kind: 'Service',
      metadata: { name, namespace: w.namespace, labels: { ...MANAGED_BY, ...echoOf } },
      spec: { clusterIP: 'None', selector: echoOf, ports: w.servicePorts.length > 0 ? w.servicePorts : w.ports.map((p) => ({ name: `http-${p.port}`, port: p.port, targetPort: p.port })) },
    });
  }
}

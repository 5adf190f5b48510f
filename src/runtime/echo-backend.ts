import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { EchoWorkloadPlan } from './plan.js';
import { CONTAINER_SECURITY, MANAGED_BY, RESOURCES, dnsLabel, podSecurity } from './_pod.js';

export interface EchoBackendProps {
  /** The runtime image (`meshproof echo`). */
  readonly image: string;
  /** The app workload version it stands in for: namespace, name, pod labels, container ports. */
  readonly workload: EchoWorkloadPlan;
  /** @default 'IfNotPresent' */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

/** Pod label naming the app workload an echo pod stands in for; keeps each echo Deployment's selector its own. */
export const ECHO_LABEL = 'meshproof.dev/echo-of';

/**
 * An echo backend standing in for one app workload version: a Deployment `<workload>-echo` in the
 * app's namespace whose pods carry the app pod template's labels (so the app's Services and the
 * DestinationRule subsets select them, as they would the app's pods) plus {@link ECHO_LABEL}, and
 * listen on the app's container ports (same names, so named `targetPort`s resolve), answering with
 * `<namespace>/<workload>` and the `version` label over HTTP/1.1 and h2c (`meshproof echo`). No
 * sidecar (label `sidecar.istio.io/inject: "false"`) and no `security.istio.io/tlsMode` label, so callers reach it in plaintext (auto mTLS).
 */
export class EchoBackend extends Construct {
  constructor(scope: Construct, id: string, props: EchoBackendProps) {
    super(scope, id);
    const w = props.workload;
    if (w.ports.length === 0) throw new Error(`${this.node.path}: workload ${w.namespace}/${w.workload} has no container port; an echo backend needs one to listen on`);
    const name = dnsLabel(w.workload, 'echo');
    const podLabels = { ...w.labels, [ECHO_LABEL]: dnsLabel(w.workload), 'sidecar.istio.io/inject': 'false' };
    new ApiObject(this, 'Deployment', {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name, namespace: w.namespace, labels: { ...MANAGED_BY, [ECHO_LABEL]: dnsLabel(w.workload) } },
      spec: {
        replicas: 1, selector: { matchLabels: podLabels },
        template: {
          metadata: { labels: podLabels },
          spec: {
            automountServiceAccountToken: false, securityContext: podSecurity(w.ports.some((p) => p.port < 1024)),
            containers: [{
              name: 'echo', image: props.image, imagePullPolicy: props.imagePullPolicy ?? 'IfNotPresent',
              args: ['echo', '--namespace', w.namespace, '--workload', w.workload,
                ...Object.entries(w.labels).sort(([a], [b]) => a.localeCompare(b)).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
                ...w.ports.flatMap((p) => ['--listen', `0.0.0.0:${p.port}`])],
              ports: w.ports.map((p) => ({ containerPort: p.port, ...(p.name ? { name: p.name } : {}) })),
              readinessProbe: { tcpSocket: { port: w.ports[0]!.port }, periodSeconds: 2 },
              resources: RESOURCES, securityContext: CONTAINER_SECURITY,
            }],
          },
        },
      },
    });
  }
}

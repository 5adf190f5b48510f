import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { ConfigBundle } from './config-bundle.js';
import { CA_MOUNT } from './xds-server.js';
import { CONTAINER_SECURITY, MANAGED_BY, RESOURCES, SYSTEM_NAMESPACE, podSecurity } from './_pod.js';

export interface ExpectationsJobProps {
  readonly image: string;
  /** dist/, `.meshproof/expectations.json`, `runtime-targets.json` and `smoke-plan.json`, mounted at `/config`. */
  readonly bundle: ConfigBundle;
  /** Run `meshproof verify /config --runtime /config/runtime-targets.json` first (needs expectations.json in the bundle). */
  readonly verify: boolean;
  /** The mesh CA Secret (`XdsServer.caSecret`), mounted at `/ca`: the security proofs' clients get certificates from it. */
  readonly caSecret: string;
  /** Share tolerance of `verify` (`--tolerance`). @default 0.05, verify's own default */
  readonly tolerance?: number;
  /** Requests per smoke target. @default 10 */
  readonly requestsPerTarget?: number;
  /** Seconds the Job may run before Kubernetes fails it. @default 600 */
  readonly activeDeadlineSeconds?: number;
  /** @default 'IfNotPresent' */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

/** Where the targets file lies in the bundle. */
export const TARGETS_PATH = 'runtime-targets.json';

/**
 * The expectations, run once in the cluster as the Job `meshproof-expectations` (no retries:
 * `backoffLimit: 0`, so a broken promise fails the Job at once). First, when the bundle has
 * expectations, `meshproof verify /config --runtime /config/runtime-targets.json` (an init
 * container): every promise judged statically against the same dist/ the xDS server serves, then
 * proven with traffic through the in-cluster callers and inbound sidecars, with the same judgement
 * code as the embedded runtime (`src/verify/external/`); then `meshproof runtime smoke` sends plain
 * requests through the gateway proxies (redirects and plaintext upstreams; see `smoke.ts`).
 */
export class ExpectationsJob extends Construct {
  static readonly NAME = 'meshproof-expectations';

  constructor(scope: Construct, id: string, props: ExpectationsJobProps) {
    super(scope, id);
    const common = {
      image: props.image, imagePullPolicy: props.imagePullPolicy ?? 'IfNotPresent', resources: RESOURCES, securityContext: CONTAINER_SECURITY,
      volumeMounts: [{ name: 'config', mountPath: '/config', readOnly: true }, { name: 'ca', mountPath: CA_MOUNT.path, readOnly: true }],
    };
    const verifyArgs = ['verify', '/config', '--runtime', `/config/${TARGETS_PATH}`, ...(props.tolerance !== undefined ? ['--tolerance', String(props.tolerance)] : [])];
    new ApiObject(this, 'Resource', {
      apiVersion: 'batch/v1', kind: 'Job',
      metadata: { name: ExpectationsJob.NAME, namespace: SYSTEM_NAMESPACE, labels: { app: ExpectationsJob.NAME, ...MANAGED_BY } },
      spec: {
        backoffLimit: 0, activeDeadlineSeconds: props.activeDeadlineSeconds ?? 600,
        template: {
          metadata: { labels: { app: ExpectationsJob.NAME, ...MANAGED_BY } },
          spec: {
            restartPolicy: 'Never', automountServiceAccountToken: false, securityContext: podSecurity(false),
            ...(props.verify ? { initContainers: [{ name: 'verify', ...common, args: verifyArgs }] } : {}),
            containers: [{ name: 'smoke', ...common, args: ['runtime', 'smoke', '--plan', '/config/smoke-plan.json', '--requests', String(props.requestsPerTarget ?? 10)] }],
            volumes: [props.bundle.volume('config'), { name: 'ca', secret: { secretName: props.caSecret, defaultMode: 0o440 } }],
          },
        },
      },
    });
  }
}

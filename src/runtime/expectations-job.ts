import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { ConfigBundle } from './config-bundle.js';
import { CONTAINER_SECURITY, MANAGED_BY, RESOURCES, SYSTEM_NAMESPACE, podSecurity } from './_pod.js';

export interface ExpectationsJobProps {
  readonly image: string;
  /** dist/, `.meshproof/expectations.json` and `smoke-plan.json`, mounted at `/config`. */
  readonly bundle: ConfigBundle;
  /** Run `meshproof verify /config --static-only` first (needs expectations.json in the bundle). */
  readonly staticVerify: boolean;
  /** Requests per smoke target. @default 10 */
  readonly requestsPerTarget?: number;
  /** Seconds the Job may run before Kubernetes fails it. @default 600 */
  readonly activeDeadlineSeconds?: number;
  /** @default 'IfNotPresent' */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

/**
 * The expectations, run once in the cluster as the Job `meshproof-expectations` (no retries:
 * `backoffLimit: 0`, so a broken promise fails the Job at once). First, when the bundle has
 * expectations, `meshproof verify /config --static-only` (an init container: the static judgement of
 * every promise against the same dist/ the xDS server serves); then `meshproof runtime smoke` sends
 * real requests through the in-cluster proxies (see `smoke.ts` for exactly what it asserts).
 */
export class ExpectationsJob extends Construct {
  static readonly NAME = 'meshproof-expectations';

  constructor(scope: Construct, id: string, props: ExpectationsJobProps) {
    super(scope, id);
    const common = {
      image: props.image, imagePullPolicy: props.imagePullPolicy ?? 'IfNotPresent', resources: RESOURCES, securityContext: CONTAINER_SECURITY,
      volumeMounts: [{ name: 'config', mountPath: '/config', readOnly: true }],
    };
    new ApiObject(this, 'Resource', {
      apiVersion: 'batch/v1', kind: 'Job',
      metadata: { name: ExpectationsJob.NAME, namespace: SYSTEM_NAMESPACE, labels: { app: ExpectationsJob.NAME, ...MANAGED_BY } },
      spec: {
        backoffLimit: 0, activeDeadlineSeconds: props.activeDeadlineSeconds ?? 600,
        template: {
          metadata: { labels: { app: ExpectationsJob.NAME, ...MANAGED_BY } },
          spec: {
            restartPolicy: 'Never', automountServiceAccountToken: false, securityContext: podSecurity(false),
            ...(props.staticVerify ? { initContainers: [{ name: 'verify-static', ...common, args: ['verify', '/config', '--static-only'] }] } : {}),
            containers: [{ name: 'smoke', ...common, args: ['runtime', 'smoke', '--plan', '/config/smoke-plan.json', '--requests', String(props.requestsPerTarget ?? 10)] }],
            volumes: [props.bundle.volume('config')],
          },
        },
      },
    });
  }
}

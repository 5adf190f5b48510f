/**
 * An endpoint source for in-cluster use: lists and watches EndpointSlices and Pods in every
 * namespace through `@kubernetes/client-node`'s informers (list, then watch from the list's
 * resourceVersion; a watch the API server ends is resumed from the last resourceVersion seen; a
 * `410 Gone` relists), and turns them into the workload list the translator reads
 * ({@link workloadsFromKubernetes}). Changes are reported, debounced, through `onChange`.
 */
import * as k8s from '@kubernetes/client-node';
import type { WorkloadInstance } from '../translate/index.js';
import { workloadsFromKubernetes } from './from-kubernetes.js';

export interface KubernetesEndpointSourceOptions {
  /** Where the API server is and how to authenticate: `KubeConfig` loaded from a file or in-cluster. */
  readonly kubeConfig: k8s.KubeConfig;
  /** Called after the workload list changed (after `debounceMs` of quiet). */
  readonly onChange: () => void;
  /** Diagnostics: watch errors and restarts. */
  readonly log: (line: string) => void;
  /** @default 100 */
  readonly debounceMs?: number;
  /** Wait before restarting an informer that stopped on an error, ms. @default 2000 */
  readonly retryMs?: number;
}

/** A kubeconfig that cannot be used; the message names the flag and what to pass instead. */
export class KubeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeConfigError';
  }
}

/**
 * Loads a kubeconfig file, or the in-cluster service account config when `file` is undefined.
 * @throws KubeConfigError when the file cannot be read or names no cluster, or when not in a pod
 *   (client-node would go on to `https://undefined:undefined`, or throw "No active cluster!" later)
 */
export function loadKubeConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  if (file === undefined) {
    if (!env.KUBERNETES_SERVICE_HOST || !env.KUBERNETES_SERVICE_PORT) {
      throw new KubeConfigError('--in-cluster: not running in a Kubernetes pod (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set); run it in a pod with a service account, or pass --kubeconfig <file>');
    }
    kc.loadFromCluster();
    return kc;
  }
  try {
    kc.loadFromFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new KubeConfigError(`--kubeconfig ${file}: ${code ? `cannot read it (${code})` : `is not a kubeconfig (${(e as Error).message.split('\n')[0]})`}`);
  }
  if (!kc.getCurrentCluster()) {
    const context = kc.getCurrentContext();
    throw new KubeConfigError(`--kubeconfig ${file}: names no cluster to talk to (${context ? `current-context "${context}" has no cluster in clusters` : 'no current-context'}); pass a kubeconfig with a current context, as kubectl uses`);
  }
  return kc;
}

export class KubernetesEndpointSource {
  private readonly slices: k8s.Informer<k8s.V1EndpointSlice> & k8s.ObjectCache<k8s.V1EndpointSlice>;
  private readonly pods: k8s.Informer<k8s.V1Pod> & k8s.ObjectCache<k8s.V1Pod>;
  private timer: NodeJS.Timeout | undefined;
  private readonly retries = new Set<NodeJS.Timeout>();
  private stopped = false;
  /** Set while `start()` runs: the first error rejects it instead of scheduling a retry. */
  private failStart: ((err: unknown) => void) | undefined;

  constructor(private readonly opts: KubernetesEndpointSourceOptions) {
    const discovery = opts.kubeConfig.makeApiClient(k8s.DiscoveryV1Api);
    const core = opts.kubeConfig.makeApiClient(k8s.CoreV1Api);
    this.slices = k8s.makeInformer(opts.kubeConfig, '/apis/discovery.k8s.io/v1/endpointslices', () => discovery.listEndpointSliceForAllNamespaces());
    this.pods = k8s.makeInformer(opts.kubeConfig, '/api/v1/pods', () => core.listPodForAllNamespaces());
    this.subscribe('EndpointSlices', this.slices);
    this.subscribe('Pods', this.pods);
  }

  private subscribe<T extends k8s.KubernetesObject>(what: string, informer: k8s.Informer<T>): void {
    const changed = () => this.changed();
    informer.on('add', changed);
    informer.on('update', changed);
    informer.on('delete', changed);
    informer.on('error', (err: unknown) => this.restart(what, informer, err));
  }

  /**
   * Lists both kinds and starts watching; resolves once the first lists are in. Rejects (and stops)
   * when the API server cannot be reached or refuses; later failures are logged and retried.
   */
  async start(): Promise<void> {
    let failed: unknown;
    this.failStart = (err) => { failed ??= err; };
    try {
      await Promise.all([this.slices.start(), this.pods.start()]);
    } finally {
      this.failStart = undefined;
    }
    if (failed !== undefined) {
      await this.stop();
      throw new Error(`cannot list EndpointSlices and Pods from ${this.opts.kubeConfig.getCurrentCluster()?.server ?? 'the API server'}: ${describeError(failed)}; check the kubeconfig and that its user may list and watch endpointslices (discovery.k8s.io) and pods in all namespaces`);
    }
  }

  /** The current workload instances (ready endpoints with their pods' labels). */
  workloads(): WorkloadInstance[] {
    return workloadsFromKubernetes(this.slices.list(), this.pods.list());
  }

  /** Stops both watches and pending timers. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const t of this.retries) clearTimeout(t);
    await Promise.all([this.slices.stop(), this.pods.stop()]);
  }

  private changed(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.opts.onChange(), this.opts.debounceMs ?? 100);
  }

  // The informer stops on any error other than 410 Gone (which it handles by relisting); restart it,
  // as client-node's documentation advises, after a pause so a down API server is not hammered.
  private restart<T extends k8s.KubernetesObject>(what: string, informer: k8s.Informer<T>, err: unknown): void {
    if (this.stopped) return;
    if (this.failStart) return this.failStart(err);
    this.opts.log(`xds serve: watching ${what} failed (${describeError(err)}); retrying in ${this.opts.retryMs ?? 2000} ms`);
    const t = setTimeout(() => {
      this.retries.delete(t);
      if (!this.stopped) informer.start().catch((e2: unknown) => this.restart(what, informer, e2));
    }, this.opts.retryMs ?? 2000);
    this.retries.add(t);
  }
}

/** One line for an error of client-node (ApiException messages carry the whole response, headers included). */
function describeError(err: unknown): string {
  const e = err as { statusCode?: number; code?: number | string; message?: string };
  const status = e.statusCode ?? (typeof e.code === 'number' ? e.code : undefined);
  const first = (e.message ?? String(err)).split('\n')[0]!.trim();
  return status !== undefined && !first.includes(String(status)) ? `HTTP ${status}: ${first}` : first;
}

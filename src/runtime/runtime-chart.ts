/**
 * `synthRuntime`: the in-cluster runtime for one synthesized dist/, as two manifest files: the
 * runtime (the app's Namespaces and Services, `meshproof-system` with the xDS server and its RBAC,
 * the ConfigMap of dist/, echo backends, proxies) and the expectations Job, applied after the
 * runtime rolled out. The dist/ must load and pass the check suite (the same one `xds serve` runs
 * before it serves anything), else {@link RuntimeSynthError}.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ApiObject, App, Chart } from 'cdk8s';
import { parseDocument, stringify } from 'yaml';
import { checkPaths, type MeshModel } from '../checks/api.js';
import { findConfigFile } from '../checks/config/index.js';
import { AppServices } from './app-services.js';
import { bundleKey, ConfigBundle, type BundleFile } from './config-bundle.js';
import { EchoBackend } from './echo-backend.js';
import { ExpectationsJob } from './expectations-job.js';
import { MeshProxy } from './mesh-proxy.js';
import { planRuntime, type RuntimePlan } from './plan.js';
import { MANAGED_BY, SYSTEM_NAMESPACE, dnsLabel } from './_pod.js';
import { CA_MOUNT, XdsServer } from './xds-server.js';
import { TARGETS_PATH } from './expectations-job.js';
import { ADMIN_PORT } from './mesh-proxy.js';
import { EXPECTATIONS_PATH } from '../verify/expectations/path.js';
import type { Expectation, ExpectationsFile } from '../verify/expectations/types.js';
import type { RuntimeTargets } from '../verify/external/targets.js';
import { fileLineColumn } from '../mesh/lines.js';

export interface RuntimeSynthOptions {
  /** The synthesized manifests (a folder of `.yaml`/`.yml`/`.json`). */
  readonly dist: string;
  /**
   * The project folder: its `.meshproof/expectations.json` and `meshproof.config.yaml` (found there
   * or above, as `check` finds it) are used when present; the config's context files and MeshConfig
   * shape the runtime (their Services and workloads are stood in for) and travel in the bundle.
   */
  readonly project: string;
  /** The runtime image reference, e.g. `meshproof-runtime:e2e`. */
  readonly image: string;
  /** @default 'IfNotPresent' */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /**
   * Refuse (`RUNTIME_NO_EXPECTATIONS`) when `project` holds no `.meshproof/expectations.json`, instead
   * of a runtime whose Job only smoke-tests the gateway. `meshproof runtime synth` sets it.
   * @default false
   */
  readonly requireExpectations?: boolean;
}

export interface RuntimeManifests {
  /** `runtime.k8s.yaml`: everything but the Job. */
  readonly runtime: string;
  /** `expectations-job.k8s.yaml`. */
  readonly job: string;
  /**
   * `runtime-targets.json`: the targets file of `verify --runtime` for this cluster, byte-identical
   * to the ConfigMap `meshproof-config` key of that name (which the expectations Job mounts).
   */
  readonly targets: string;
  readonly plan: RuntimePlan;
}

/** Why nothing was synthesized; `code` is stable. */
export class RuntimeSynthError extends Error {
  constructor(readonly code: 'RUNTIME_INPUT_UNUSABLE' | 'RUNTIME_INPUT_REJECTED' | 'RUNTIME_NO_EXPECTATIONS' | 'RUNTIME_NOTHING_TO_RUN' | 'RUNTIME_CONFIGMAP_TOO_LARGE' | 'RUNTIME_CONFIGMAP_BAD_KEY', message: string) {
    super(message);
    this.name = 'RuntimeSynthError';
  }
}

const MANIFEST = /\.(ya?ml|json)$/;

/**
 * Share tolerance of the in-cluster verify: 10 points (bookinfo's 75/25 split: 643 requests instead
 * of 2,482), so every app's traffic fits the Job's 10 minutes on a CI runner's kind cluster.
 */
export const CLUSTER_TOLERANCE = 0.1;

export async function synthRuntime(opts: RuntimeSynthOptions): Promise<RuntimeManifests> {
  if (!/^[a-z0-9]([a-z0-9._\/:@-]*[a-zA-Z0-9])?$/i.test(opts.image)) throw new RuntimeSynthError('RUNTIME_INPUT_UNUSABLE', `--image "${opts.image}" is not an image reference (e.g. meshproof-runtime:e2e or ghcr.io/org/meshproof-runtime@sha256:…)`);
  if (!existsSync(opts.dist)) throw new RuntimeSynthError('RUNTIME_INPUT_UNUSABLE', `${opts.dist}: no such folder; run cdk8s synth first, or name the folder of synthesized manifests`);
  // The mesh `meshproof check` judges, read once: dist/ with the project's meshproof.config.yaml
  // (context paths, MeshConfig, cluster domain), so the runtime stands in for the same mesh.
  const configFile = findConfigFile(opts.project);
  const run = await checkPaths([opts.dist], {
    cwd: opts.project, config: configFile ?? false,
    // runtime synth has no --allow-empty: a runtime for no mesh has nothing to run.
    emptyHint: 'The runtime stands in for a synthesized mesh: synthesize the app first (npx cdk8s synth), or name the folder of synthesized manifests',
  });
  const unusable = [...run.problems.filter((p) => p.unusable), ...run.model.mesh.problems].map((p) => `${fileLineColumn(p.location)}: ${p.message}`);
  if (unusable.length > 0) throw new RuntimeSynthError('RUNTIME_INPUT_UNUSABLE', `${opts.dist} cannot be read:\n  ${unusable.join('\n  ')}`);
  const errors = run.result.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    throw new RuntimeSynthError('RUNTIME_INPUT_REJECTED', `${opts.dist} fails the check suite (${errors.length} error${errors.length === 1 ? '' : 's'}); the in-cluster xDS server would refuse to serve it. Fix these and synthesize again (meshproof check ${relative(opts.project, opts.dist) || '.'} shows them in full):\n  ${errors.slice(0, 20).map((f) => `${f.location.file}:${f.location.line}: ${f.ruleId}: ${f.message}`).join('\n  ')}${errors.length > 20 ? `\n  … and ${errors.length - 20} more` : ''}`);
  }
  const graph = run.graph;
  const expectationsFile = join(opts.project, EXPECTATIONS_PATH);
  const hasExpectations = existsSync(expectationsFile);
  if (!hasExpectations && opts.requireExpectations) {
    throw new RuntimeSynthError('RUNTIME_NO_EXPECTATIONS', `no promises for ${opts.dist}: looked for ${expectationsFile}, which does not exist, so the in-cluster Job would have nothing to verify. Synthesize the app (npx cdk8s synth writes dist/ and .meshproof/expectations.json side by side), or pass --project <dir> naming the project folder whose .meshproof/ belongs to this dist/`);
  }
  const expectationsText = hasExpectations ? readFileSync(expectationsFile, 'utf8') : '';
  let promises: Expectation[] = [];
  if (hasExpectations) {
    try {
      promises = [...(JSON.parse(expectationsText) as ExpectationsFile).expectations];
    } catch (e) {
      throw new RuntimeSynthError('RUNTIME_INPUT_UNUSABLE', `${EXPECTATIONS_PATH} is not valid JSON (${(e as Error).message}); run \`npx cdk8s synth\` to write it again`);
    }
  }
  const plan = planRuntime(graph, promises);
  if (plan.echoes.length === 0) throw new RuntimeSynthError('RUNTIME_NOTHING_TO_RUN', `${opts.dist} holds no workload with a container port (Deployment, StatefulSet, …); there is nothing to stand an echo backend in for`);

  const files: BundleFile[] = readdirSync(opts.dist, { recursive: true, encoding: 'utf8' })
    .filter((f) => MANIFEST.test(f)).sort()
    .map((f) => {
      const path = ['dist', ...f.split(sep)].join('/');
      return { key: bundleKey(path), path, text: readFileSync(join(opts.dist, f), 'utf8') };
    });
  if (hasExpectations) files.push({ key: 'expectations.json', path: EXPECTATIONS_PATH, text: expectationsText });
  if (configFile !== undefined) files.push(...configFiles(configFile, run.model));
  files.push({ key: 'smoke-plan.json', path: 'smoke-plan.json', text: `${JSON.stringify(smokePlan(plan), null, 2)}\n` });
  const targets = `${JSON.stringify(runtimeTargets(plan), null, 2)}\n`;
  files.push({ key: TARGETS_PATH, path: TARGETS_PATH, text: targets });

  const app = new App();
  const runtime = new Chart(app, 'runtime');
  const jobChart = new Chart(app, 'job');
  new ApiObject(runtime, 'Namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SYSTEM_NAMESPACE, labels: { ...MANAGED_BY, 'istio-injection': 'disabled' } } });
  new AppServices(runtime, 'AppServices', { graph });
  let bundle: ConfigBundle;
  try {
    bundle = new ConfigBundle(runtime, 'Config', { files });
  } catch (e) {
    const err = e as { code?: string; message: string };
    throw new RuntimeSynthError(err.code === 'RUNTIME_CONFIGMAP_BAD_KEY' ? 'RUNTIME_CONFIGMAP_BAD_KEY' : 'RUNTIME_CONFIGMAP_TOO_LARGE', err.message);
  }
  const pull = opts.imagePullPolicy ?? 'IfNotPresent';
  const xds = new XdsServer(runtime, 'Xds', { image: opts.image, bundle, imagePullPolicy: pull });
  for (const w of plan.echoes) new EchoBackend(runtime, `Echo-${w.namespace}-${w.workload}`, { image: opts.image, workload: w, xds: xds.address, imagePullPolicy: pull });
  for (const p of plan.proxies) if (p.ports.length > 0) new MeshProxy(runtime, `Proxy-${MeshProxy.serviceNameOf(p)}`, { image: opts.image, xds: xds.address, proxy: p, imagePullPolicy: pull });
  new ExpectationsJob(jobChart, 'Expectations', { image: opts.image, bundle, verify: hasExpectations, caSecret: xds.caSecret, tolerance: CLUSTER_TOLERANCE, imagePullPolicy: pull });
  return { runtime: toYaml(runtime), job: toYaml(jobChart), targets, plan };
}

/**
 * `meshproof.config.yaml` and what it names, as bundle files the in-cluster `xds serve` and `verify`
 * (both run in `/config`) read as the project's own: the context files that hold objects under
 * `context/`, each at its path below the folder all of them share (`platform/dist/shop/cart.yaml` and
 * `platform/dist/pay/cart.yaml` stay `context/shop/cart.yaml` and `context/pay/cart.yaml`), and the
 * MeshConfig file as `meshconfig.yaml`, with the config's `context` and
 * `meshConfig` rewritten to point at them (everything else, comments included, as written).
 */
function configFiles(file: string, model: MeshModel): BundleFile[] {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const out: BundleFile[] = [];
  const meshConfig = doc.get('meshConfig');
  if (typeof meshConfig === 'string') {
    out.push({ key: 'meshconfig.yaml', path: 'meshconfig.yaml', text: readFileSync(resolve(dirname(file), meshConfig), 'utf8') });
    doc.set('meshConfig', 'meshconfig.yaml');
  }
  if (doc.has('context')) {
    const files = model.contextFiles.flatMap((f) => (f.objects.length > 0 && f.absolutePath ? [f.absolutePath] : []));
    const root = commonFolder(files);
    for (const abs of files) {
      const path = ['context', ...relative(root, abs).split(sep)].join('/');
      out.push({ key: bundleKey(path), path, text: readFileSync(abs, 'utf8') });
    }
    doc.set('context', ['context']);
  }
  out.push({ key: 'meshproof.config.yaml', path: 'meshproof.config.yaml', text: doc.toString() });
  return out;
}

/** The deepest folder that holds every one of `files` (absolute paths); the file's own folder for one file. */
function commonFolder(files: readonly string[]): string {
  if (files.length === 0) return '';
  let root = dirname(files[0]!);
  for (const f of files) while (!f.startsWith(root.endsWith(sep) ? root : `${root}${sep}`)) root = dirname(root);
  return root;
}

/** What `meshproof runtime smoke` reads: per proxy, its Service URL base and its targets. */
export interface SmokePlan {
  readonly proxies: readonly { readonly nodeId: string; readonly role: string; readonly service: string; readonly targets: RuntimePlan['proxies'][number]['targets']; readonly skipped?: RuntimePlan['proxies'][number]['skipped'] }[];
}

/**
 * The targets file of `verify --runtime` for the cluster: each caller proxy by its Service (admin
 * port for readiness and the access log), each workload by its echo's headless Service (resolving
 * to the pod IP its inbound sidecar listens on), the mesh CA where the Job mounts it.
 */
function runtimeTargets(plan: RuntimePlan): RuntimeTargets {
  return {
    version: 1,
    callers: plan.proxies.filter((p) => p.role === 'sidecar' && p.ports.length > 0).map((p) => {
      const service = `${MeshProxy.serviceNameOf(p)}.${SYSTEM_NAMESPACE}.svc`;
      return { workload: `${p.namespace}/${p.workload}`, ...(p.as ? { as: `${p.as.namespace}/${p.as.serviceAccount}` } : {}), address: service, admin: `${service}:${ADMIN_PORT}` };
    }),
    workloads: plan.echoes.map((w) => ({ workload: `${w.namespace}/${w.workload}`, address: `${dnsLabel(w.workload, 'echo')}.${w.namespace}.svc` })),
    ca: { cert: CA_MOUNT.cert, key: CA_MOUNT.key },
    waitSeconds: 180,
  };
}

function smokePlan(plan: RuntimePlan): SmokePlan {
  return {
    proxies: plan.proxies.filter((p) => p.ports.length > 0 && p.role === 'gateway').map((p) => ({
      nodeId: p.nodeId, role: p.role, service: `${MeshProxy.serviceNameOf(p)}.${SYSTEM_NAMESPACE}.svc`, targets: p.targets, skipped: p.skipped,
    })),
  };
}

function toYaml(chart: Chart): string {
  return chart.toJson().map((o) => stringify(o, { lineWidth: 0, version: '1.1' })).join('---\n');
}

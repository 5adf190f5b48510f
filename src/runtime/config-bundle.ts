import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { MANAGED_BY, SYSTEM_NAMESPACE } from './_pod.js';

/** One file of the bundle. */
export interface BundleFile {
  /**
   * ConfigMap key (`[-._a-zA-Z0-9]+`, as the API server demands): {@link bundleKey} of `path` for
   * files of a tree (dist/, context/), so two files of one base name in different folders never share one.
   */
  readonly key: string;
  /** Where the file appears under the mount, relative (`dist/bookinfo.k8s.yaml`). */
  readonly path: string;
  readonly text: string;
}

/**
 * The ConfigMap key of a bundle path: the path itself where the API server allows its characters,
 * `/` written `_-`, `_` written `__` and any other byte `_<hex>` (`dist/a/x.yaml` → `dist_-a_-x.yaml`).
 * One path, one key, and no two paths share one (the encoding reads back unambiguously), so files of
 * the same base name in different folders keep apart and keep their place; a path with a `/` never
 * meets an unencoded key such as `smoke-plan.json`.
 */
export function bundleKey(path: string): string {
  let key = '';
  for (const byte of Buffer.from(path, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[-.a-zA-Z0-9]/.test(c)) key += c;
    else if (c === '/') key += '_-';
    else if (c === '_') key += '__';
    else key += `_${byte.toString(16).padStart(2, '0')}`;
  }
  return key;
}

export interface ConfigBundleProps {
  /** The files to carry: dist/ manifests, `.meshproof/expectations.json`, the smoke plan. */
  readonly files: readonly BundleFile[];
  /** ConfigMap name. @default 'meshproof-config' */
  readonly name?: string;
}

/**
 * The Kubernetes ConfigMap data limit in bytes: keys plus values at most 1 MiB (`ValidateConfigMap`
 * in Kubernetes' `pkg/apis/core/validation` compares the total with `core.MaxSecretSize`).
 */
export const CONFIG_MAP_LIMIT_BYTES = 1024 * 1024;

/** Thrown when the bundle cannot be a ConfigMap (too large, or a key the API server refuses). */
export class ConfigBundleError extends Error {
  readonly code: 'RUNTIME_CONFIGMAP_TOO_LARGE' | 'RUNTIME_CONFIGMAP_BAD_KEY';
  constructor(code: ConfigBundleError['code'], message: string) {
    super(message);
    this.name = 'ConfigBundleError';
    this.code = code;
  }
}

/**
 * The app manifests as one ConfigMap in `meshproof-system`, and the volume that lays its keys out
 * as files (`items[].path`) so `xds serve --input /config/dist` and `verify /config` read the same
 * tree the repository has. Throws {@link ConfigBundleError} over {@link CONFIG_MAP_LIMIT_BYTES},
 * naming the size and the largest files.
 */
export class ConfigBundle extends Construct {
  /** ConfigMap name. */
  readonly name: string;
  readonly files: readonly BundleFile[];

  constructor(scope: Construct, id: string, props: ConfigBundleProps) {
    super(scope, id);
    this.name = props.name ?? 'meshproof-config';
    this.files = [...props.files].sort((a, b) => a.key.localeCompare(b.key));
    const seen = new Set<string>();
    for (const f of this.files) {
      if (!/^[-._a-zA-Z0-9]+$/.test(f.key) || f.key.length > 253) throw new ConfigBundleError('RUNTIME_CONFIGMAP_BAD_KEY', `${this.node.path}: file "${f.path}" gives the ConfigMap key "${f.key}", which the API server refuses (keys are [-._a-zA-Z0-9]+, at most 253 characters); rename the file`);
      if (seen.has(f.key)) throw new ConfigBundleError('RUNTIME_CONFIGMAP_BAD_KEY', `${this.node.path}: two files share the ConfigMap key "${f.key}" (${this.files.filter((x) => x.key === f.key).map((x) => x.path).join(', ')}); rename one`);
      seen.add(f.key);
    }
    const size = this.files.reduce((n, f) => n + Buffer.byteLength(f.key) + Buffer.byteLength(f.text), 0);
    if (size > CONFIG_MAP_LIMIT_BYTES) {
      const largest = [...this.files].sort((a, b) => b.text.length - a.text.length).slice(0, 3).map((f) => `${f.path} ${Buffer.byteLength(f.text)} bytes`).join(', ');
      throw new ConfigBundleError('RUNTIME_CONFIGMAP_TOO_LARGE', `${this.node.path}: the manifests come to ${size} bytes, over the ${CONFIG_MAP_LIMIT_BYTES}-byte (1 MiB) ConfigMap limit (largest: ${largest}); synthesize fewer apps into this dist/ (meshproof runtime synth takes one dist/ per run) or split them across runs`);
    }
    new ApiObject(this, 'Resource', {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: this.name, namespace: SYSTEM_NAMESPACE, labels: { ...MANAGED_BY } },
      data: Object.fromEntries(this.files.map((f) => [f.key, f.text])),
    });
  }

  /** A pod volume named `name` that lays the files out under their paths. */
  volume(name: string): Record<string, unknown> {
    return { name, configMap: { name: this.name, items: this.files.map((f) => ({ key: f.key, path: f.path })) } };
  }
}

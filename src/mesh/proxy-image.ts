/**
 * The istio-proxy image the sidecar injector puts into pods, and the image variant (`imageType`)
 * a pod gets, as `istioctl analyze`'s `injection.ImageAnalyzer` computes them
 * (`pkg/config/analysis/analyzers/injection/injection-image.go`, `analyzers/util/proxyconfig.go`).
 */
import { parse } from 'yaml';
import type { MeshGraph } from './graph.js';
import { isRecord, stringMap, type MeshObject } from './object.js';
import { selects } from './services.js';

/** The injector ConfigMap of the default revision; a revision's is `istio-sidecar-injector-<rev>`. */
export const INJECTOR_CONFIG_MAP = 'istio-sidecar-injector';

/** What one injector ConfigMap says the proxy image is. */
export interface InjectorProxyImage {
  /** `global.proxy.image` when it holds a `/`, else `global.hub/global.proxy.image:global.tag` ('' when `data.values` is not read). */
  readonly image: string;
  /** Why `data.values` could not be read (the image is then ''), or undefined. */
  readonly problem?: string;
  readonly configMap: MeshObject;
}

/**
 * Every ConfigMap whose name starts with `istio-sidecar-injector`, in any namespace, by name (the
 * analyzer keys them by name only), with the image its `data.values` JSON gives, read as Go's
 * `encoding/json` fills `{global: {hub, tag, proxy: {image}}}`: keys matched ignoring case, unknown
 * keys ignored, `null` leaving a field empty, and any other type, or text that is not JSON, making
 * the whole image ''.
 */
export function injectorProxyImages(graph: MeshGraph): ReadonlyMap<string, InjectorProxyImage> {
  const out = new Map<string, InjectorProxyImage>();
  for (const cm of graph.ofKind('ConfigMap')) {
    if (!cm.name.startsWith(INJECTOR_CONFIG_MAP)) continue;
    const values = isRecord(cm.body.data) && typeof cm.body.data.values === 'string' ? cm.body.data.values : '';
    out.set(cm.name, { ...imageOfValues(values), configMap: cm });
  }
  return out;
}

/** The injector ConfigMap a namespace's pods are injected from: `istio-sidecar-injector` for '' and `default`, else `-<revision>`. */
export function injectorConfigMapName(revision: string): string {
  return revision === '' || revision === 'default' ? INJECTOR_CONFIG_MAP : `${INJECTOR_CONFIG_MAP}-${revision}`;
}

function imageOfValues(values: string): { image: string; problem?: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(values);
  } catch {
    return { image: '', problem: values === '' ? 'it has no data.values' : 'its data.values is not JSON' };
  }
  const global = field(doc, 'global', 'object');
  const hub = field(global.value, 'hub', 'string');
  const tag = field(global.value, 'tag', 'string');
  const proxy = field(global.value, 'proxy', 'object');
  const image = field(proxy.value, 'image', 'string');
  const bad = [global, hub, tag, proxy, image].find((f) => f.bad) ?? (doc !== null && !isRecord(doc) ? { bad: 'the document' } : undefined);
  if (bad?.bad) return { image: '', problem: `its data.values has the wrong type at ${bad.bad}` };
  const [h, t, i] = [hub.value ?? '', tag.value ?? '', image.value ?? ''] as string[];
  return { image: i.includes('/') ? i : `${h}/${i}:${t}` };
}

interface Field { readonly value?: unknown; readonly bad?: string }

/** `obj[name]` as Go's json fills a struct field: the last key equal to `name` ignoring case; null is unset. */
function field(obj: unknown, name: string, type: 'object' | 'string'): Field {
  if (!isRecord(obj)) return {};
  let value: unknown;
  for (const k of Object.keys(obj)) if (k.toLowerCase() === name) value = obj[k];
  if (value === undefined || value === null) return {};
  const ok = type === 'object' ? isRecord(value) : typeof value === 'string';
  return ok ? { value } : { bad: name };
}

/**
 * The proxy image variant istiod would inject into `pod` (`EffectiveProxyConfigResolver.ImageType`):
 * MeshConfig `defaultConfig.image.imageType`, overridden in this order by a ProxyConfig in the root
 * namespace, one without `selector` in the pod's namespace, ones with a `selector` its labels match
 * (Istio keys these by `namespace/name` and takes any whose key merely starts with the pod's
 * namespace), and the pod's `proxy.istio.io/config` annotation; `default` is ''.
 */
export function proxyImageType(graph: MeshGraph, pod: MeshObject): string {
  let variant = imageTypeOf(graph.meshConfig.defaultConfig);
  const proxyConfigs = graph.ofKind('ProxyConfig');
  const root = graph.meshConfig.rootNamespace || 'istio-system';
  const at = (list: readonly MeshObject[]) => list.map((p) => imageTypeOf(p.spec)).filter((v) => v !== '').at(-1);
  variant = at(proxyConfigs.filter((p) => p.namespace === root)) ?? variant;
  const rest = proxyConfigs.filter((p) => p.namespace !== root);
  variant = at(rest.filter((p) => p.namespace === pod.namespace && (p.spec.selector === undefined || p.spec.selector === null))) ?? variant;
  variant = at(rest.filter((p) => isRecord(p.spec.selector) && `${p.namespace}/${p.name}`.startsWith(pod.namespace)
    && selects(stringMap(p.spec.selector.matchLabels), pod.labels))) ?? variant;
  const annotation = pod.annotations['proxy.istio.io/config'];
  if (annotation !== undefined) variant = imageTypeOf(parseQuietly(annotation)) || variant;
  return variant === 'default' ? '' : variant;
}

const imageTypeOf = (config: unknown): string =>
  isRecord(config) && isRecord(config.image) && typeof config.image.imageType === 'string' ? config.image.imageType : '';

function parseQuietly(text: string): unknown {
  try {
    return parse(text);
  } catch {
    return undefined;
  }
}

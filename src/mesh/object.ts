import type { FieldPath, FileLocation, ResourceRef, SourceOrigin } from './types.js';
import { groupOf, kindInfo } from './kinds.js';
import type { ManifestObject } from './parse.js';

/** One Kubernetes object in the mesh model, with everything needed to report on it. */
export interface MeshObject {
  readonly kind: string;
  readonly apiVersion: string;
  /** API group, `''` for core: `networking.istio.io`. */
  readonly group: string;
  /** `metadata.namespace ?? 'default'`; `''` for cluster-scoped kinds (Namespace). */
  readonly namespace: string;
  readonly name: string;
  /** The object as plain JSON (as parsed; treat as read-only). */
  readonly body: Readonly<Record<string, unknown>>;
  /** `body.spec` when it is a mapping, else an empty object. */
  readonly spec: Readonly<Record<string, unknown>>;
  readonly file: string;
  /** 0-based YAML document index in the file. */
  readonly docIndex: number;
  /** Index in a `kind: List`, else null. */
  readonly itemIndex: number | null;
  /** Where the object starts. */
  readonly location: FileLocation;
  /** `metadata.labels` (string values only; no prototype, so any key is safe to look up). */
  readonly labels: Readonly<Record<string, string>>;
  /** `metadata.annotations`, same treatment as labels. */
  readonly annotations: Readonly<Record<string, string>>;
  /** TypeScript origin from a cdk8s source map, or null. */
  readonly source: SourceOrigin | null;
  /** False for kinds meshproof does not model; rules never see those. */
  readonly known: boolean;
  /** `{kind, namespace, name}` for findings. */
  readonly ref: ResourceRef;
  /** `kind/namespace/name`, unique per graph. */
  readonly key: string;
  /** Location of the closest existing node along `path` (a key's line for mapping entries). */
  locate(path: FieldPath): FileLocation;
  /** The source text of the object's document (`ManifestObject.span`); absent when not read from text. */
  readonly span?: string;
}

/**
 * An object istiod generates from another one (a Gateway's Service and Deployment, a BackendTLSPolicy's
 * DestinationRule): it has no document of its own, so it takes its file, document and TypeScript origin from
 * `from`, and `locate` maps its own field paths to where the fault lies in the source (default: `at` for every
 * path). `body` is the generated object as istiod writes it (`apiVersion`, `kind`, `metadata.{name,namespace}`).
 */
export function generatedObject(
  from: MeshObject,
  generated: { readonly group: string; readonly body: Readonly<Record<string, unknown>> & { readonly apiVersion: string; readonly kind: string; readonly spec: Readonly<Record<string, unknown>> } },
  meta: { readonly namespace: string; readonly name: string; readonly labels?: Readonly<Record<string, string>>; readonly annotations?: Readonly<Record<string, string>> },
  at: FileLocation,
  locate: (path: FieldPath) => FileLocation = () => at,
): MeshObject {
  const { body, group } = generated;
  const { namespace, name } = meta;
  return {
    kind: body.kind, apiVersion: body.apiVersion, group, namespace, name,
    body, spec: body.spec, file: from.file, docIndex: from.docIndex, itemIndex: from.itemIndex,
    location: at, labels: meta.labels ?? {}, annotations: meta.annotations ?? {}, source: from.source, known: true,
    ref: { kind: body.kind, namespace, name }, key: objectKey(body.kind, namespace, name),
    locate,
  };
}

/** The index key of an object: `kind/namespace/name`. */
export function objectKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** Types a manifest object. */
export function toMeshObject(m: ManifestObject): MeshObject {
  const body = m.body;
  const kind = body.kind as string;
  const apiVersion = body.apiVersion as string;
  const meta = body.metadata as Record<string, unknown>;
  const info = kindInfo(kind, apiVersion);
  const namespace = info && !info.namespaced ? '' : typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : 'default';
  const name = meta.name as string;
  const spec = isRecord(body.spec) ? body.spec : {};
  return {
    kind,
    apiVersion,
    group: groupOf(apiVersion),
    namespace,
    name,
    body,
    spec,
    file: m.file,
    docIndex: m.docIndex,
    itemIndex: m.itemIndex,
    location: m.location,
    labels: stringMap(meta.labels),
    annotations: stringMap(meta.annotations),
    source: m.source,
    known: info !== undefined,
    ref: { kind, namespace, name },
    key: objectKey(kind, namespace, name),
    locate: m.locate,
    ...(m.span !== undefined ? { span: m.span } : {}),
  };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string→string map with no prototype, from an untrusted value (non-string values dropped). */
export function stringMap(v: unknown): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  if (isRecord(v)) for (const k of Object.keys(v)) if (typeof v[k] === 'string') out[k] = v[k] as string;
  return out;
}

/** `v` as an array of strings (non-strings dropped), or undefined when not an array. */
export function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

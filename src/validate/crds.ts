import { readFileSync } from 'node:fs';
import { packagePath } from '../package-root.js';
import { parse } from 'yaml';
import type { StructuralSchema } from './types.js';

/** Istio's own CRDs, vendored byte for byte (see schemas/istio/SOURCES.md). */
const CRD_FILE = packagePath('schemas', 'istio', 'crd-all.gen.yaml');

/** One version of a CRD as the API server serves it. */
export interface CrdVersion {
  /** e.g. `v1`, `v1beta1`, `v1alpha3`. */
  readonly name: string;
  readonly served: boolean;
  /** `spec.versions[].schema.openAPIV3Schema`. */
  readonly schema: StructuralSchema;
}

/** A CustomResourceDefinition reduced to what validation needs. */
export interface Crd {
  readonly group: string;
  readonly kind: string;
  readonly versions: readonly CrdVersion[];
}

interface Entry {
  readonly text: string;
  crd?: Crd;
}

let index: Map<string, Entry> | undefined;

/**
 * Indexes the CRD file by `group/kind` without parsing it: the file is ~1 MB of YAML and a run
 * usually needs a handful of kinds, so each CRD document is parsed the first time it is asked for.
 */
function crdIndex(): Map<string, Entry> {
  if (index) return index;
  const built = new Map<string, Entry>();
  for (const text of readFileSync(CRD_FILE, 'utf8').split(/^---$/m)) {
    const group = /^ {2}group: (\S+)$/m.exec(text)?.[1];
    const kind = /^ {4}kind: (\S+)$/m.exec(text)?.[1];
    if (group && kind) {
      built.set(`${group}/${kind}`, { text });
    } else if (text.trim() !== '') {
      const crd = toCrd(parse(text));
      if (crd) built.set(`${crd.group}/${crd.kind}`, { text, crd });
    }
  }
  index = built;
  return built;
}

function toCrd(doc: unknown): Crd | undefined {
  const spec = (doc as { spec?: { group?: string; names?: { kind?: string }; versions?: unknown[] } } | null)?.spec;
  if (!spec?.group || !spec.names?.kind || !Array.isArray(spec.versions)) return undefined;
  const versions = spec.versions.map((v) => {
    const version = v as { name: string; served?: boolean; schema?: { openAPIV3Schema?: StructuralSchema } };
    return { name: version.name, served: version.served !== false, schema: version.schema?.openAPIV3Schema ?? {} };
  });
  return { group: spec.group, kind: spec.names.kind, versions };
}

/** The CRD for `group` and `kind`, or undefined when the file has none. */
export function tryFindCrd(group: string, kind: string): Crd | undefined {
  const entry = crdIndex().get(`${group}/${kind}`);
  if (!entry) return undefined;
  entry.crd ??= toCrd(parse(entry.text));
  return entry.crd;
}

/** The kinds the CRD file defines in `group`, sorted. */
export function kindsInGroup(group: string): string[] {
  return [...crdIndex().keys()].filter((k) => k.startsWith(`${group}/`)).map((k) => k.slice(group.length + 1)).sort();
}

/** Splits `networking.istio.io/v1` into group and version; undefined for a core (`v1`) or malformed apiVersion. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } | undefined {
  const slash = apiVersion.indexOf('/');
  if (slash <= 0 || slash !== apiVersion.lastIndexOf('/') || slash === apiVersion.length - 1) return undefined;
  return { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** True when `group` is an Istio API group: `istio.io` or a subdomain of it. */
export function isIstioGroup(group: string): boolean {
  return group === 'istio.io' || group.endsWith('.istio.io');
}

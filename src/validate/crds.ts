import { generatedIndex, generatedSchema } from './generated.js';
import type { StructuralSchema } from './types.js';

/** One version of a CRD as the API server serves it. */
export interface CrdVersion {
  /** e.g. `v1`, `v1beta1`, `v1alpha3`. */
  readonly name: string;
  readonly served: boolean;
  /** Id of its schema in the generated artifacts; versions with identical schemas share one. */
  readonly schemaId: string;
  /** `spec.versions[].schema.openAPIV3Schema`, read on first access. */
  readonly schema: StructuralSchema;
}

/** A vendored CustomResourceDefinition (Istio's schemas/istio/crd-all.gen.yaml, Gateway API's schemas/gateway-api/), reduced to what validation needs. */
export interface Crd {
  readonly group: string;
  readonly kind: string;
  readonly versions: readonly CrdVersion[];
}

let crds: Map<string, Crd> | undefined;

/**
 * The CRDs by `group/kind`, from the index generated at build time (codegen.ts): the CRD files
 * themselves (~2 MB of YAML) are never parsed at run time, and a version's schema is read only
 * when an object of that version is validated.
 */
function crdIndex(): Map<string, Crd> {
  if (crds) return crds;
  crds = new Map();
  for (const crd of generatedIndex().crds) {
    const versions = crd.versions.map((v): CrdVersion => ({
      name: v.name,
      served: v.served,
      schemaId: v.schema,
      get schema() { return generatedSchema(v.schema); },
    }));
    crds.set(`${crd.group}/${crd.kind}`, { group: crd.group, kind: crd.kind, versions });
  }
  return crds;
}

/** The CRD for `group` and `kind`, or undefined when the file has none. */
export function tryFindCrd(group: string, kind: string): Crd | undefined {
  return crdIndex().get(`${group}/${kind}`);
}

/** The kinds the vendored CRDs define in `group`, sorted. */
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

/** The Gateway API groups: the APIs (`gateway.networking.k8s.io`) and the experimental `X` kinds (`gateway.networking.x-k8s.io`). */
export const GATEWAY_API_GROUPS: ReadonlySet<string> = new Set(['gateway.networking.k8s.io', 'gateway.networking.x-k8s.io']);

/** True when `group` is a Gateway API group. */
export function isGatewayApiGroup(group: string): boolean {
  return GATEWAY_API_GROUPS.has(group);
}

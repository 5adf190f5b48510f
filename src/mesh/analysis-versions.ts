/**
 * Which apiVersions `istioctl analyze` reads for a kind. Its file source looks a document's
 * group/version/kind up among the schemas it knows, each with its version aliases
 * (`collection.Schemas.FindByGroupVersionAliasesKind`, pkg/config/schema/collections); a document
 * whose version is not among them is skipped as of an unknown schema, so no analyzer sees it. The
 * table holds the kinds whose analyzers need it (pkg/config/schema/collections/collections.gen.go).
 */
import { GATEWAY_API_GROUP } from './kinds.js';
import type { MeshObject } from './object.js';

const VERSIONS: Readonly<Record<string, readonly string[]>> = {
  '/Service': ['v1'],
  'networking.istio.io/ServiceEntry': ['v1', 'v1alpha3', 'v1beta1'],
  'networking.istio.io/WorkloadEntry': ['v1', 'v1alpha3', 'v1beta1'],
  'security.istio.io/AuthorizationPolicy': ['v1', 'v1beta1'],
  [`${GATEWAY_API_GROUP}/Gateway`]: ['v1', 'v1alpha2', 'v1beta1'],
  [`${GATEWAY_API_GROUP}/HTTPRoute`]: ['v1', 'v1alpha2', 'v1beta1'],
  [`${GATEWAY_API_GROUP}/GRPCRoute`]: ['v1', 'v1alpha2'],
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': ['v1'],
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': ['v1'],
};

/**
 * Whether istioctl analyze reads `o` at its apiVersion. Kinds outside the table: true (their rules
 * do not ask).
 */
export function readByIstioAnalysis(o: MeshObject): boolean {
  const versions = VERSIONS[`${o.group}/${o.kind}`];
  if (!versions) return true;
  const slash = o.apiVersion.lastIndexOf('/');
  return versions.includes(slash < 0 ? o.apiVersion : o.apiVersion.slice(slash + 1));
}

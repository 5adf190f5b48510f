import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { AllowPolicy, DefaultDenyPolicy, type AuthorizationRule } from '../src/constructs/authorization-policy.js';
import { PeerAuthenticationPolicy, PolicyScope } from '../src/constructs/peer-authentication.js';

/**
 * A namespace joined to the mesh the way every app here does it: sidecar injection on, STRICT
 * mTLS, and deny-by-default authorization with one ALLOW policy per workload that receives calls.
 */
export function meshNamespace(scope: Construct, name: string): void {
  const ns = new kplus.Namespace(scope, `namespace-${name}`, { metadata: { name, labels: { 'istio-injection': 'enabled' } } });
  // Namespaces are cluster-scoped; the chart's default namespace must not be stamped on them.
  ApiObject.of(ns).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  new PeerAuthenticationPolicy(scope, `mtls-${name}`, { scope: PolicyScope.namespace(name), name: 'default' });
  new DefaultDenyPolicy(scope, `deny-${name}`, { namespace: name });
}

/** The SPIFFE principal of a service account, as AuthorizationPolicy `from.source.principals` names it. */
export function principal(namespace: string, serviceAccount: string): string {
  return `cluster.local/ns/${namespace}/sa/${serviceAccount}`;
}

/** The ingress gateway's identity (see apps/platform.ts). */
export const INGRESS_PRINCIPAL = principal('istio-ingress', 'istio-ingressgateway');

/** Allows `callers` (principals) to call the workload `app` in `namespace` with `methods` on `ports`. */
export function allowCallers(scope: Construct, namespace: string, app: string, callers: readonly string[], to: AuthorizationRule['to']): AllowPolicy {
  return new AllowPolicy(scope, `allow-${app}`, {
    name: `allow-${app}`,
    scope: PolicyScope.workload({ app }, namespace),
    rules: [{ from: [{ principals: callers }], to }],
  });
}

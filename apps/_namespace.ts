import type { Construct } from 'constructs';
import { AllowPolicy, type AuthorizationRule } from '../src/constructs/authorization-policy.js';
import { meshSettingsOf } from '../src/constructs/mesh-namespace.js';
import { PolicyScope } from '../src/constructs/peer-authentication.js';

/** The ingress gateway's identity (see apps/platform.ts), in the trust domain in force for `scope`. */
export function ingressPrincipal(scope: Construct): string {
  return `${meshSettingsOf(scope).trustDomain}/ns/istio-ingress/sa/istio-ingressgateway`;
}

/** Allows `callers` (principals) to call the workload `app` in `namespace` with `methods` on `ports`. */
export function allowCallers(scope: Construct, namespace: string, app: string, callers: readonly string[], to: AuthorizationRule['to']): AllowPolicy {
  return new AllowPolicy(scope, `allow-${app}`, {
    name: `allow-${app}`,
    scope: PolicyScope.workload({ app }, namespace),
    rules: [{ from: [{ principals: callers }], to }],
  });
}

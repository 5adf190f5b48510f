// Istio `validateGatewayNames` (pkg/config/validation/validation.go), the errors: a VirtualService's `gateways` and
// its http/tcp/tls `match[].gateways` entries are `<namespace>/<name>` with both parts DNS-1123 labels, or a name
// without `/` (the legacy `name.namespace` form, or `mesh`) that is a valid FQDN. The legacy-form warning is
// `validation/virtualservice-warnings`.
import { fqdnError, isDns1123Label } from './_dns.js';

/**
 * The refusals among `names` as [message, index]. Like Istio, the check stops after the first entry without `/`
 * (whether or not it is valid), so later entries of that list are not looked at.
 */
export function gatewayNameProblems(names: readonly unknown[]): [string, number][] {
  const out: [string, number][] = [];
  for (const [i, name] of names.entries()) {
    if (typeof name !== 'string') continue;
    const slash = name.indexOf('/');
    if (slash < 0) {
      const why = fqdnError(name);
      if (why) out.push([`${why}: gateway "${name}" is neither <namespace>/<name> nor a valid legacy name; write it as <namespace>/<gateway name>`, i]);
      return out;
    }
    const ns = name.slice(0, slash);
    const gw = name.slice(slash + 1);
    const fix = `write the gateway as <namespace>/<name>, e.g. istio-system/ingressgateway`;
    if (ns === '' || gw === '') out.push([`config namespace and gateway name cannot be empty: gateway "${name}"; ${fix}`, i]);
    if (!isDns1123Label(ns)) out.push([`invalid value for namespace: "${ns}" in gateway "${name}": a namespace is a DNS-1123 label; ${fix}`, i]);
    if (!isDns1123Label(gw)) out.push([`invalid value for gateway name: "${gw}" in gateway "${name}": a Gateway name is a DNS-1123 label (no dots, no further "/"); ${fix}`, i]);
  }
  return out;
}

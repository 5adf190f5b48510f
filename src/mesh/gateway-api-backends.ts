/** Gateway API backendRefs as istiod reads them (pilot/pkg/config/kube/gateway conversion.go). Pure functions. */

type Raw = Readonly<Record<string, unknown>>;

/** A backendRef's `weight` (API default 1). */
export function backendWeight(b: Raw): number {
  return typeof b.weight === 'number' ? b.weight : 1;
}

/** A backendRef's kind as istiod normalises it: `Service` (group "" or unset), `Hostname` (group networking.istio.io), else `other`. */
export function backendKind(b: Raw): 'Service' | 'Hostname' | 'other' {
  const group = typeof b.group === 'string' ? b.group : '';
  const kind = typeof b.kind === 'string' ? b.kind : 'Service';
  if (group === '' && kind === 'Service') return 'Service';
  if (group === 'networking.istio.io' && kind === 'Hostname') return 'Hostname';
  return 'other';
}

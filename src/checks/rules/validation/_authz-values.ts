/*
 * The identity value checks of pkg/config/security/security.go that Istio's ValidateAuthorizationPolicy applies
 * to source fields (serviceAccounts, trustDomains) and to `when` conditions (source.serviceAccount,
 * source.trustDomain) alike.
 */

/** Why security.CheckServiceAccount refuses `values` of `field`, or undefined when it accepts them. */
export function serviceAccountProblem(field: string, values: readonly string[]): string | undefined {
  if (values.length > 16) return `may not have more than 16 values, found ${values.length} in ${field}`;
  for (const v of values) {
    if (v === '') return `empty value not allowed, found in ${field}`;
    if (v.includes('*')) return `wildcard not allowed, found ${JSON.stringify(v)} in ${field} (service accounts are exact; list each one, or use principals for a pattern)`;
    const slashes = v.split('/').length - 1;
    if (slashes > 1) return `expected format 'serviceAccount' or 'namespace/serviceAccount', found ${JSON.stringify(v)} in ${field}`;
    if (v.length > 320) return `value cannot exceed 320 characters, found in ${field}`;
    const [ns, sa] = v.split('/');
    if (slashes === 1 && ns === '') return `expected format 'serviceAccount' or 'namespace/serviceAccount', found empty namespace ${JSON.stringify(v)} in ${field}`;
    if (slashes === 1 && sa === '') return `expected format 'serviceAccount' or 'namespace/serviceAccount', found empty serviceAccount ${JSON.stringify(v)} in ${field}`;
  }
  return undefined;
}

/** Why security.CheckWildcardValues refuses `values` of `field` (empty, two wildcards, one in the middle), or undefined. */
export function wildcardProblem(field: string, values: readonly string[]): string | undefined {
  for (const v of values) {
    if (v === '') return `empty value not allowed, found in ${field}`;
    const stars = v.split('*').length - 1;
    if (stars > 1) return `at most one wildcard is allowed, found in ${field}: ${JSON.stringify(v)}`;
    if (stars === 1 && v !== '*' && !v.startsWith('*') && !v.endsWith('*')) return `wildcard is only allowed at the start or end, found in ${field}: ${JSON.stringify(v)}`;
  }
  return undefined;
}

/** Why security.CheckTrustDomainValues refuses `values` of `field` (CheckWildcardValues, then no '/'), or undefined. */
export function trustDomainProblem(field: string, values: readonly string[]): string | undefined {
  const wildcard = wildcardProblem(field, values);
  if (wildcard) return wildcard;
  const slashed = values.find((v) => v.includes('/'));
  return slashed !== undefined ? `trust domain must not contain '/', found in ${field}: ${JSON.stringify(slashed)}` : undefined;
}

import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';
import { durationPrecisionProblem } from './_durations.js';
import { readJwks } from './_jwks.js';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * What Istio's validateJwtRule (pkg/config/validation/validation.go) refuses in `spec.jwtRules[i]` beyond the CRD
 * schema (which already refuses empty audiences, token locations and claim headers, and invalid claim header names):
 * neither `issuer` nor `jwksUri`; an inline `jwks` jwk.Parse refuses; a `timeout` that is not whole milliseconds.
 * Each problem is `[message, path]`.
 */
export function jwtRuleProblems(rule: Readonly<Record<string, unknown>>, i: number): [string, FieldPath][] {
  const out: [string, FieldPath][] = [];
  const at: FieldPath = ['spec', 'jwtRules', i];
  const where = `spec.jwtRules[${i}]`;
  if (str(rule.issuer) === '' && str(rule.jwksUri) === '' && str(rule.jwks_uri) === '') {
    out.push([`issuer or jwksUri must be non-empty string: ${where} sets neither; set issuer to the tokens' iss claim (and jwksUri or jwks for their keys)`, at]);
  }
  if (str(rule.jwks) !== '') {
    const { error } = readJwks(str(rule.jwks));
    if (error) out.push([`jwks parse error: ${error}: ${where}.jwks must be a JSON Web Key Set ({"keys": [{"kty": "RSA", "n": …, "e": …}]}); paste the issuer's JWKS document, or use jwksUri`, [...at, 'jwks']]);
  }
  const timeout = durationPrecisionProblem(rule.timeout, `${where}.timeout`);
  if (timeout) out.push([timeout, [...at, 'timeout']]);
  return out;
}

/** `validation/requestauthentication-structure` (IST0106): JWT rules Istio's ValidateRequestAuthentication refuses beyond the CRD schema. */
const requestAuthenticationStructure: Rule = {
  id: 'validation/requestauthentication-structure',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A RequestAuthentication JWT rule Istio\'s admission webhook refuses beyond the CRD schema: neither issuer nor jwksUri, an inline jwks that does not parse, or a timeout that is not a whole number of milliseconds.',
  docs: [
    'Istio\'s `ValidateRequestAuthentication` runs `validateJwtRule` on each `spec.jwtRules` entry. The CRD schema',
    'already refuses empty audiences, token locations (`fromHeaders[].name`, `fromParams`, `fromCookies`) and',
    '`outputClaimToHeaders` entries; the webhook also refuses a rule with neither `issuer` nor `jwksUri` ("issuer or',
    'jwksUri must be non-empty string": `jwtRules: [{}]` or a rule with only `jwks`), an inline `jwks` that jwk.Parse',
    'refuses ("jwks parse error": not JSON, a key without a known `kty` (RSA, EC, OKP, oct), an RSA key without `n` or',
    '`e`; the base64 of each member and curve names are not checked here), and a `timeout` that is not a whole number',
    'of milliseconds. The whole RequestAuthentication is then refused, so no token is validated (and an ALLOW policy',
    'on request principals denies every request). Fix: set `issuer` to the tokens\' `iss`; paste the issuer\'s JWKS',
    'document as it is served; round the timeout.',
  ].join(' '),
  kinds: ['RequestAuthentication'],
  check(graph, ctx) {
    for (const ra of graph.ofKind('RequestAuthentication')) {
      (Array.isArray(ra.spec.jwtRules) ? ra.spec.jwtRules : []).forEach((rule, i) => {
        if (!isRecord(rule)) return;
        for (const [message, path] of jwtRuleProblems(rule, i)) ctx.report(ra, message, { path });
      });
    }
  },
};

export default requestAuthenticationStructure;

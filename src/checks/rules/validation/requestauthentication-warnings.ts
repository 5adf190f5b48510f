import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { readJwks } from './_jwks.js';
import { SCHEMA_WARNING } from './_schema-warning.js';

/**
 * `validation/requestauthentication-warnings` (IST0133): what Istio's webhook accepts on a RequestAuthentication with a
 * warning. Mirrors `warnPrivateJwksKeys` (`pkg/config/validation/validation.go`), run on every JWT rule.
 */
const requestAuthenticationWarnings: Rule = {
  id: 'validation/requestauthentication-warnings',
  istioCode: 'IST0133',
  severity: 'warning',
  summary: 'A RequestAuthentication whose inline jwks holds private key material (an RSA, EC or OKP key with "d", or a symmetric "oct" key), which Istio accepts with a warning.',
  docs: [
    'Istio\'s webhook accepts an inline `jwtRules[].jwks` that holds private key material with a warning, which',
    '`istioctl analyze` reports as IST0133 (SchemaWarning): "jwks key at index N contains private key material; only',
    'public keys are used for verification". A key counts as private when jwk.Parse reads it as one: an RSA, EC or OKP',
    'key with a `d` member, or any symmetric (`kty: oct`) key. The manifest, and every proxy the JWKS is pushed to, then',
    'carries the signing key: anyone who can read the RequestAuthentication can mint tokens it accepts. Nothing is',
    'warned when the JWKS does not parse (`validation/requestauthentication-structure` reports that). Fix: publish the',
    'public half only (drop `d`, `p`, `q`, `dp`, `dq`, `qi`; for HMAC, use asymmetric keys), and rotate the exposed key.',
  ].join(' '),
  kinds: ['RequestAuthentication'],
  check(graph, ctx) {
    for (const ra of graph.ofKind('RequestAuthentication')) {
      (Array.isArray(ra.spec.jwtRules) ? ra.spec.jwtRules : []).forEach((rule, i) => {
        if (!isRecord(rule) || typeof rule.jwks !== 'string' || rule.jwks === '') return;
        const { error, privateKeys } = readJwks(rule.jwks);
        if (error) return;
        for (const k of privateKeys) {
          ctx.report(ra, `${SCHEMA_WARNING} jwks key at index ${k} contains private key material; only public keys are used for verification: ` +
            `spec.jwtRules[${i}].jwks publishes a signing key; keep only its public members (kty, n, e / crv, x, y) and rotate the key`, { path: ['spec', 'jwtRules', i, 'jwks'] });
        }
      });
    }
  },
};

export default requestAuthenticationWarnings;

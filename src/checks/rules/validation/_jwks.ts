// What Istio's webhook finds in an inline JWKS (RequestAuthentication `jwtRules[].jwks`), which it reads with
// lestrrat-go/jwx v1 `jwk.Parse`: validateJwtRule refuses what does not parse ("jwks parse error"), and
// warnPrivateJwksKeys warns about private key material (pkg/config/validation/validation.go).

/**
 * The key types jwk.Parse knows, with the members an RSA key requires (`n` and `e`; Istio's own tests accept a private
 * RSA key with `d` but no primes, so `p` and `q` are not required here).
 */
const REQUIRED: Readonly<Record<string, readonly string[]>> = { RSA: ['e', 'n'], EC: [], OKP: [], oct: [] };

/** What one inline JWKS holds: why it does not parse, or the indexes of the keys carrying private material. */
export interface JwksReading {
  readonly error?: string;
  readonly privateKeys: readonly number[];
}

/**
 * Reads `jwks` as jwk.Parse does, as far as meshproof follows it: a JSON object, either one key or `{"keys": [...]}`,
 * each key an object whose `kty` is RSA, EC, OKP or oct, an RSA key with `n` and `e`. Keys with a private
 * exponent or scalar (`d`), and symmetric (`oct`) keys, are private key material (jwk.RSAPrivateKey,
 * ECDSAPrivateKey, OKPPrivateKey, SymmetricKey). Deeper checks of jwx (base64 of each member, curve names) are not
 * reproduced, so a JWKS read as valid here may still be refused.
 */
export function readJwks(jwks: string): JwksReading {
  let doc: unknown;
  try {
    doc = JSON.parse(jwks);
  } catch (e) {
    return { error: `failed to unmarshal JSON: ${(e as Error).message}`, privateKeys: [] };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { error: 'failed to unmarshal JSON: not a JSON object (a JWK or {"keys": [...]})', privateKeys: [] };
  const set = doc as Record<string, unknown>;
  const keys = 'keys' in set ? set.keys : [set];
  if (!Array.isArray(keys)) return { error: 'failed to unmarshal JSON: "keys" is not a list', privateKeys: [] };
  const privateKeys: number[] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (typeof key !== 'object' || key === null || Array.isArray(key)) return { error: `key ${i} is not a JSON object`, privateKeys: [] };
    const k = key as Record<string, unknown>;
    if (typeof k.kty !== 'string' || !(k.kty in REQUIRED)) {
      return { error: `failed to parse key ${i}: invalid key type from JSON (${typeof k.kty === 'string' ? k.kty : 'no kty'}); kty must be RSA, EC, OKP or oct`, privateKeys: [] };
    }
    const priv = k.kty === 'oct' || k.d !== undefined;
    const missing = REQUIRED[k.kty]!.find((m) => k[m] === undefined || k[m] === null);
    if (missing) return { error: `failed to parse key ${i}: required field ${missing} is missing`, privateKeys: [] };
    if (priv) privateKeys.push(i);
  }
  return { privateKeys };
}

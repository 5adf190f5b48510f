/**
 * Kubernetes service-account token authentication of ADS clients, as istiod's `KubeJWTAuthenticator`
 * (`security/pkg/server/ca/authenticate/kubeauth/kube_jwt.go`, `security/pkg/k8s/tokenreview`): the
 * client sends `authorization: Bearer <token>` gRPC metadata, the API server judges the token with a
 * TokenReview (audiences `istio-ca` by default, istiod's `TOKEN_AUDIENCES`), and the identity is the
 * reviewed user `system:serviceaccount:<namespace>:<service account>`.
 */
import * as k8s from '@kubernetes/client-node';

/** The service account a token was issued for. */
export interface TokenIdentity {
  readonly namespace: string;
  readonly serviceAccount: string;
}

/** Judges a bearer token; rejects with a {@link TokenReviewError} saying why it is not accepted. */
export type TokenAuthenticator = (token: string) => Promise<TokenIdentity>;

/** istiod's default token audience (`TOKEN_AUDIENCES`). */
export const DEFAULT_TOKEN_AUDIENCES: readonly string[] = ['istio-ca'];

/**
 * Why a token was not accepted. `code`: `TOKEN_REFUSED` (the API server reviewed it and said no, or the
 * user is no service account), `TOKEN_REVIEW_FAILED` (the review itself failed: API server down,
 * TokenReview forbidden to this server) or `TOKEN_REVIEWS_BUSY` (too many reviews already waiting, see
 * token-review-cache.ts: not judged, retry).
 */
export class TokenReviewError extends Error {
  constructor(readonly code: 'TOKEN_REFUSED' | 'TOKEN_REVIEW_FAILED' | 'TOKEN_REVIEWS_BUSY', message: string) {
    super(message);
    this.name = 'TokenReviewError';
  }
}

/** The part of a TokenReview's `status` that is read. */
export interface TokenReviewStatus {
  readonly authenticated?: boolean;
  readonly error?: string;
  readonly user?: { readonly username?: string; readonly groups?: readonly string[] };
}

/** The identity of a reviewed token (istiod's `getTokenReviewResult`); throws TOKEN_REFUSED naming what is missing. */
export function identityOfTokenReview(status: TokenReviewStatus | undefined): TokenIdentity {
  if (status?.error) throw new TokenReviewError('TOKEN_REFUSED', `the API server refused the token: ${status.error.slice(0, 300)}`);
  if (!status?.authenticated) throw new TokenReviewError('TOKEN_REFUSED', 'the API server did not authenticate the token (TokenReview status.authenticated false)');
  if (!status.user?.groups?.includes('system:serviceaccounts')) throw new TokenReviewError('TOKEN_REFUSED', `the token is not a service account's (user ${JSON.stringify(status.user?.username ?? '')} is not in group system:serviceaccounts)`);
  const parts = (status.user.username ?? '').split(':');
  if (parts.length !== 4 || parts[0] !== 'system' || parts[1] !== 'serviceaccount' || !parts[2] || !parts[3]) {
    throw new TokenReviewError('TOKEN_REFUSED', `the reviewed user ${JSON.stringify(status.user.username ?? '')} is not system:serviceaccount:<namespace>:<service account>`);
  }
  return { namespace: parts[2], serviceAccount: parts[3] };
}

/**
 * A {@link TokenAuthenticator} that creates a TokenReview (authentication.k8s.io/v1) through the
 * cluster `kubeConfig` reaches, with `audiences` (default `istio-ca`); the server's own credentials need
 * RBAC `create` on `tokenreviews` (ClusterRole `system:auth-delegator`). `timeoutMs` (default 10000)
 * bounds one review.
 */
export function kubeTokenReviewer(kubeConfig: k8s.KubeConfig, audiences: readonly string[] = DEFAULT_TOKEN_AUDIENCES, timeoutMs = 10_000): TokenAuthenticator {
  const api = kubeConfig.makeApiClient(k8s.AuthenticationV1Api);
  const server = kubeConfig.getCurrentCluster()?.server ?? '(no cluster)';
  return async (token) => {
    let review: k8s.V1TokenReview;
    let timer: NodeJS.Timeout | undefined;
    try {
      review = await Promise.race([
        api.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: [...audiences] } } }),
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs); }),
      ]);
    } catch (e) {
      throw new TokenReviewError('TOKEN_REVIEW_FAILED', `cannot review the token with the API server ${server} (${describe(e)}); check that it is reachable and that this server may create tokenreviews (ClusterRole system:auth-delegator)`);
    } finally {
      clearTimeout(timer);
    }
    return identityOfTokenReview(review.status);
  };
}

/** One line for an error of client-node (an ApiException's message carries the whole response). */
function describe(err: unknown): string {
  const e = err as { code?: number | string; message?: string; cause?: { code?: string } };
  const first = (e.message ?? String(err)).split('\n')[0]!.trim().slice(0, 200);
  if (typeof e.code === 'number') return `HTTP ${e.code}${first.includes(String(e.code)) ? '' : `: ${first}`}`;
  const errno = typeof e.code === 'string' ? e.code : e.cause?.code;
  return errno && !first.includes(errno) ? `${errno}: ${first}` : first;
}

/**
 * A bounded cache in front of a {@link TokenAuthenticator}, so that a proxy reconnecting (every
 * stream opening sends its token again) does not cost a TokenReview at the API server each time,
 * and a flood of streams cannot queue reviews without limit.
 */
import { createHash } from 'node:crypto';
import { type TokenAuthenticator, type TokenIdentity, TokenReviewError } from './token-review.js';

export interface TokenReviewCacheOptions {
  /** Distinct tokens whose review may wait for the API server at once; a token past it is refused `TOKEN_REVIEWS_BUSY`. @default 64 */
  readonly maxPending?: number;
  /** Tokens remembered; past it the oldest entry is forgotten. @default 4096 */
  readonly maxEntries?: number;
  /**
   * How long an accepted token stays accepted, in ms: this long, or until its JWT `exp` when that
   * comes first (kube-apiserver's token webhook cache keeps an accepted token 2 minutes too, so a
   * token revoked early, its pod deleted, stops working within that). @default 120000
   */
  readonly ttlMs?: number;
  /** How long a token the API server refused (`TOKEN_REFUSED`) stays refused, in ms; failed reviews (`TOKEN_REVIEW_FAILED`) are not kept. @default 5000 */
  readonly refusedTtlMs?: number;
  /** The clock, in ms since the epoch. @default Date.now */
  readonly now?: () => number;
}

export const DEFAULT_MAX_PENDING_REVIEWS = 64;
const DEFAULT_MAX_ENTRIES = 4096;
const DEFAULT_TTL_MS = 120_000;
const DEFAULT_REFUSED_TTL_MS = 5_000;

type Entry = { readonly until: number } & ({ readonly identity: TokenIdentity } | { readonly refused: TokenReviewError });

/**
 * `review` with its answers kept per token (by SHA-256, the token itself is not held): an accepted
 * token for `ttlMs`, or until its JWT `exp` when that comes first (a bound token revoked earlier,
 * its pod deleted, stays accepted here at most `ttlMs`); a
 * refused one for `refusedTtlMs`; a review that failed (API server down) not at all. Streams that
 * send the same token while it is reviewed share that one review. At most `maxPending` distinct
 * tokens wait for the API server; another is refused at once with `TOKEN_REVIEWS_BUSY` (the client
 * retries with backoff), so a flood of streams cannot pile up reviews.
 */
export function cachedTokenReviewer(review: TokenAuthenticator, options: TokenReviewCacheOptions = {}): TokenAuthenticator {
  const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING_REVIEWS;
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  const refusedTtlMs = options.refusedTtlMs ?? DEFAULT_REFUSED_TTL_MS;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const pending = new Map<string, Promise<TokenIdentity>>();

  const remember = (key: string, entry: Entry) => {
    if (entry.until <= now()) return;
    entries.delete(key);
    entries.set(key, entry);
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
  };

  return (token) => {
    const key = createHash('sha256').update(token).digest('base64');
    const known = entries.get(key);
    if (known !== undefined) {
      if (known.until > now()) return 'identity' in known ? Promise.resolve(known.identity) : Promise.reject(known.refused);
      entries.delete(key);
    }
    const waiting = pending.get(key);
    if (waiting !== undefined) return waiting;
    if (pending.size >= maxPending) {
      return Promise.reject(new TokenReviewError('TOKEN_REVIEWS_BUSY', `${maxPending} service-account tokens are already waiting for the API server's TokenReview; this one was not sent. Retry shortly (proxies reconnect with backoff); if it persists, check how fast the API server answers TokenReviews`));
    }
    const reviewed = review(token).then((identity) => {
      remember(key, { identity, until: Math.min(expiryOf(token) ?? Infinity, now() + ttlMs) });
      return identity;
    }, (e: unknown) => {
      if (e instanceof TokenReviewError && e.code === 'TOKEN_REFUSED') remember(key, { refused: e, until: now() + refusedTtlMs });
      throw e;
    }).finally(() => pending.delete(key));
    pending.set(key, reviewed);
    return reviewed;
  };
}

/** The `exp` of a JWT in ms since the epoch, read without verifying (the API server verified it); undefined for anything else. */
export function expiryOf(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

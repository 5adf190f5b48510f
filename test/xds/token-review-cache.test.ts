/**
 * The TokenReview cache of `xds serve --token-review` (src/xds/server/token-review-cache.ts) on its own,
 * with a reviewer that counts its calls and a clock the test moves; the same cache over real gRPC and
 * a fake API server is in serve-token-review.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cachedTokenReviewer, expiryOf } from '../../src/xds/server/token-review-cache.js';
import { type TokenIdentity, TokenReviewError } from '../../src/xds/server/token-review.js';

const DETAILS: TokenIdentity = { namespace: 'bookinfo', serviceAccount: 'details' };
const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);

/** A JWT-shaped token (not signed: the cache reads `exp` only, the API server verifies) expiring at `exp` (ms). */
function jwt(exp: number, sub = 'system:serviceaccount:bookinfo:details'): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part({ sub, exp: Math.floor(exp / 1000) })}.c2ln`;
}

function reviewer(answer: (token: string) => Promise<TokenIdentity>) {
  const calls: string[] = [];
  let now = T0;
  const review = cachedTokenReviewer((token) => { calls.push(token); return answer(token); }, { now: () => now });
  return { review, calls, advance: (ms: number) => { now += ms; } };
}

test('GIVEN a JWT the API server accepted WHEN it comes again THEN it is accepted without a review for 2 minutes at most, and reviewed again after', async () => {
  const token = jwt(T0 + 10 * 60_000);
  const r = reviewer(async () => DETAILS);
  assert.equal(await r.review(token), DETAILS);
  r.advance(119_999);
  assert.equal(await r.review(token), DETAILS);
  assert.is(r.calls.length, 1, 'kept for 2 minutes though the token is good for 10');
  r.advance(1);
  await r.review(token);
  assert.is(r.calls.length, 2, 'a revoked token is not trusted past 2 minutes: reviewed again');
});

test('GIVEN a JWT expiring in 30 s WHEN accepted THEN it is kept until its exp, not 2 minutes', async () => {
  const token = jwt(T0 + 30_000);
  const r = reviewer(async () => DETAILS);
  await r.review(token);
  r.advance(29_999);
  await r.review(token);
  assert.is(r.calls.length, 1);
  r.advance(1);
  await r.review(token);
  assert.is(r.calls.length, 2, 'expired: reviewed again');
});

test('GIVEN a token whose expiry is unknown (not a JWT) WHEN accepted THEN it is kept 2 minutes', async () => {
  const r = reviewer(async () => DETAILS);
  await r.review('opaque-token');
  r.advance(119_999);
  await r.review('opaque-token');
  assert.is(r.calls.length, 1);
  r.advance(1);
  await r.review('opaque-token');
  assert.is(r.calls.length, 2);
  assert.is(expiryOf('opaque-token'), undefined);
  assert.is(expiryOf('a.not-base64-json.c'), undefined);
  assert.is(expiryOf(jwt(T0)), T0);
});

test('GIVEN a token the API server refused WHEN it comes again THEN it is refused with the same reason for 5 s without a review; a review that failed (API server down) is not kept', async () => {
  const refused = new TokenReviewError('TOKEN_REFUSED', 'the API server refused the token: [invalid bearer token]');
  const r = reviewer(async (token) => { throw token === 'bad' ? refused : new TokenReviewError('TOKEN_REVIEW_FAILED', 'cannot review the token (ECONNREFUSED)'); });
  for (let i = 0; i < 2; i++) await r.review('bad').then(() => assert.unreachable(), (e: unknown) => assert.is(e, refused));
  r.advance(5_000);
  await r.review('bad').catch(() => {});
  assert.equal(r.calls, ['bad', 'bad'], 'kept 5 s, then reviewed again');
  for (let i = 0; i < 2; i++) await r.review('down').catch((e: TokenReviewError) => assert.is(e.code, 'TOKEN_REVIEW_FAILED'));
  assert.equal(r.calls, ['bad', 'bad', 'down', 'down'], 'a failed review is tried again at once');
});

test('GIVEN 64 distinct tokens waiting for the API server WHEN another comes THEN it is refused TOKEN_REVIEWS_BUSY at once, a token already waiting shares its review, and once answered new tokens are reviewed again', async () => {
  let answer!: () => void;
  const gate = new Promise<void>((r) => (answer = r));
  const r = reviewer(async () => { await gate; return DETAILS; });
  const waiting = Array.from({ length: 64 }, (_, i) => r.review(`t${i}`));
  const shared = r.review('t0');
  const busy = await r.review('t64').then(() => undefined, (e: unknown) => e);
  assert.instance(busy, TokenReviewError);
  assert.is((busy as TokenReviewError).code, 'TOKEN_REVIEWS_BUSY');
  assert.match((busy as TokenReviewError).message, /^64 service-account tokens are already waiting for the API server's TokenReview; this one was not sent\. Retry shortly/);
  assert.is(r.calls.length, 64, 'no 65th review, and t0 asked twice is one review');
  answer();
  assert.equal(await Promise.all([...waiting, shared]), Array.from({ length: 65 }, () => DETAILS));
  assert.equal(await r.review('t64'), DETAILS);
  assert.is(r.calls.length, 65);
});

test('GIVEN more accepted tokens than the cache holds WHEN the oldest comes again THEN it is reviewed again (the cache is bounded)', async () => {
  const calls: string[] = [];
  const review = cachedTokenReviewer(async (t) => { calls.push(t); return DETAILS; }, { maxEntries: 3 });
  for (const t of ['a', 'b', 'c', 'd']) await review(t);
  await review('d');
  await review('a');
  assert.equal(calls, ['a', 'b', 'c', 'd', 'a']);
});

test.run();

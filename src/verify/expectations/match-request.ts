// The request of a promise as route matching sees it. Its own module: the static judgement reads
// it without loading from-routes.ts, which loads the construct library (Duration) at synth time.
import type { MatchRequest } from '../static/match.js';
import type { RequestSpec } from './types.js';

/** The request as route matching sees it. */
export function asMatchRequest(r: RequestSpec): MatchRequest {
  return { authority: r.host, path: r.path, method: r.method, headers: r.headers };
}

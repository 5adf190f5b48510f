import type { IConstruct } from 'constructs';
import { PropError } from './_errors.js';
import type { IRoutable } from './destination.js';
import type { RequestMatch } from './http-route-match.js';
import type { RouteTable } from './route-table.js';

/**
 * Per-port routes. A route without `match.port` applies on every HTTP port of its host (istiod
 * adds it to each port's route configuration), so a CanaryRelease or HeaderSplit for one port of
 * a service serving HTTP on several would also take the other ports' requests, sending them to
 * its destination port. Matching the port keeps the routes on their port's route configuration,
 * and releases of other ports compose in one table.
 */

/** The ports of `service` whose requests take http routes. */
export function httpPortsOf(service: IRoutable): readonly number[] {
  return service.httpPortNumbers ?? service.portNumbers;
}

/**
 * The port the routes of a construct targeting `port` of `service` match (`HTTPMatchRequest.port`):
 * `port` when it is one of several HTTP ports and the routes go to a table that binds only the
 * sidecars (`mesh`); otherwise undefined, because one HTTP port is the whole host, and on a gateway
 * `match.port` names the gateway's listener port, not the service's.
 */
export function matchPortOf(service: IRoutable, port: number | undefined, table: RouteTable | undefined): number | undefined {
  if (port === undefined || (table !== undefined && !table.bindsSidecarsOnly)) return undefined;
  const http = httpPortsOf(service);
  return http.length > 1 && http.includes(port) ? port : undefined;
}

/**
 * `matches` restricted to `port`: each match gets it (Istio ORs the matches, so every one needs it),
 * and no match becomes `[{ port }]`. A match already naming another port is refused, naming `fieldOf(index)`.
 */
export function onPort(scope: IConstruct, fieldOf: (i: number) => string, matches: readonly RequestMatch[], port: number | undefined): readonly RequestMatch[] {
  if (port === undefined) return matches;
  if (matches.length === 0) return [{ port }];
  return matches.map((m, i) => {
    if (m.port !== undefined && m.port !== port) {
      throw new PropError('MP_INVALID_PORT', scope, `${fieldOf(i)}.port`, m.port,
        `expected no port or ${port}: the routes are for port ${port} (the port prop), so a match on port ${m.port} would never apply`);
    }
    return { ...m, port };
  });
}

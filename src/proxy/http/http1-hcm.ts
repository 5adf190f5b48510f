/**
 * The HTTP connection manager's decisions that exist on HTTP/1 only (conn_manager_impl.cc):
 * upgrade requests (Envoy's `Utility::isUpgrade`, refused without `upgrade_configs`) and a response
 * begun before the request finished (the connection closes after it).
 */
import type { CompiledHcm } from '../config/listener-config.js';
import { type DownstreamRequest, requestBody } from './downstream.js';
import type { LocalReply } from './pipeline.js';

/**
 * HTTP/1: the request body is still arriving. Envoy's encodeHeaders then sets the connection to
 * close (`connection: close`; it will not read the rest of the body to reach the next request), as
 * for a 403 from RBAC on a large POST; an upgrade request's payload never completes.
 */
export function requestIncomplete(req: DownstreamRequest): boolean {
  return (requestBody(req) !== null && !(req as { complete?: boolean }).complete) || upgradeType(req) !== undefined;
}

const UPGRADE_TOKEN = /(?:^|[\s,])upgrade(?:$|[\s,])/i;

/**
 * Envoy's `Utility::isUpgrade` (a `connection` token `upgrade` and an `upgrade` header) on HTTP/1.
 * `h2c` is served as a plain request (Envoy's codec removes it; so does upstreamHeaders). Any other
 * upgrade without `upgrade_configs` for its type is refused as Envoy's HCM refuses it (403, empty
 * body, details `upgrade_failed`); the reply closes the connection (the upgrade payload that would
 * follow is never read). With `upgrade_configs` Envoy would tunnel the connection: this proxy does
 * not tunnel, so it refuses the same way and says why in the body.
 */
export function upgradeReply(req: DownstreamRequest, hcm: CompiledHcm): LocalReply | undefined {
  const type = upgradeType(req);
  if (type === undefined) return undefined;
  const configured = hcm.source.upgradeConfigs.some((u) => u.upgradeType.toLowerCase() === type && u.enabled !== false);
  return { status: 403, body: configured ? `meshproof proxy does not tunnel ${type} upgrades` : '', details: 'upgrade_failed' };
}

/** The HTTP/1 upgrade a request asks for (lower case), h2c excepted; undefined for none. */
function upgradeType(req: DownstreamRequest): string | undefined {
  const upgrade = req.headers.upgrade;
  if (upgrade === undefined || 'stream' in req) return undefined;
  const conn = req.headers.connection;
  if (typeof conn !== 'string' || !UPGRADE_TOKEN.test(conn)) return undefined;
  const type = upgrade.toLowerCase();
  return type === 'h2c' ? undefined : type;
}

import type { Finding } from '../types.js';
import type { ConfigException } from './types.js';

/** Today's date as `YYYY-MM-DD` in UTC. */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** An exception stops applying on its expiry date (ISO dates compare as strings). */
export function isExpired(exception: ConfigException, today: string): boolean {
  return exception.expires <= today;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** `Kind namespace/name`, the form exceptions and messages use. */
export function resourceKey(resource: { kind: string; namespace: string; name: string }): string {
  return `${resource.kind} ${resource.namespace}/${resource.name}`;
}

/** Whether the exception names this finding's rule (id or istioctl code) and resource. */
export function exceptionMatches(exception: ConfigException, finding: Finding): boolean {
  if (finding.resource === null) return false;
  if (exception.rule !== finding.ruleId && exception.rule !== finding.istioCode) return false;
  return globToRegExp(exception.resource).test(resourceKey(finding.resource));
}

/** The notice printed for an expired exception. */
export function expiredNotice(exception: ConfigException): string {
  return `exception for ${exception.rule} on ${exception.resource} expired on ${exception.expires}: ${exception.reason}`;
}

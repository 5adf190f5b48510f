// Istio's host-name checks (istio/istio pkg/config/validation/agent: ValidateWildcardDomain, ValidateDNS1123Labels;
// pkg/config/labels: IsDNS1123Label, IsWildcardDNS1123Label).

const LABEL = /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const WILDCARD_LABEL = /^(?:\*|(?:\*|\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;

/** Istio `labels.IsDNS1123Label`: 1-63 ASCII letters, digits and '-', starting and ending with a letter or digit. */
export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && LABEL.test(value);
}

/**
 * Istio `ValidateWildcardDomain`: the reason `domain` is refused, or null when it is valid. At most 255 characters;
 * the first label may be `*` or start with `*` / `*-`; every other label a DNS-1123 label (a trailing dot is allowed);
 * the top-level label not all digits.
 */
export function wildcardDomainError(domain: string): string | null {
  if (domain.length === 0) return 'empty domain name not allowed';
  if (domain.length > 255) return `domain name "${domain.slice(0, 40)}…" too long (max 255)`;
  const dot = domain.indexOf('.');
  const first = dot < 0 ? domain : domain.slice(0, dot);
  if (!(first.length <= 63 && WILDCARD_LABEL.test(first))) return `domain name "${domain}" invalid (label "${first}" invalid)`;
  if (dot < 0) return null;
  const parts = domain.slice(dot + 1).split('.');
  const top = parts[parts.length - 1]!;
  if (/^[+-]?\d+$/.test(top)) return `domain name "${domain}" invalid (top level domain "${top}" cannot be all-numeric)`;
  for (let i = 0; i < parts.length; i++) {
    const label = parts[i]!;
    if (i === parts.length - 1 && label === '') return null;
    if (!isDns1123Label(label)) return `domain name "${domain}" invalid (label "${label}" invalid)`;
  }
  return null;
}

/** Whether `host` is an IPv4 or IPv6 address (Istio `netutil.IsValidIPAddress`), which VirtualService and ServiceEntry hosts may be. */
export function isIpAddress(host: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return host.split('.').every((o) => Number(o) <= 255);
  return host.includes(':') && /^[0-9a-fA-F:.]+$/.test(host);
}

/**
 * Istio `agent.ValidateFQDN`: the reason `name` is refused as a domain name without wildcards, or null. At most 255
 * characters, not empty, every label a DNS-1123 label (a trailing dot allowed), the last label not all digits.
 */
export function fqdnError(name: string): string | null {
  if (name.length > 255) return `domain name "${name.slice(0, 40)}…" too long (max 255)`;
  if (name.length === 0) return 'empty domain name not allowed';
  const parts = name.split('.');
  const top = parts[parts.length - 1]!;
  if (/^[+-]?\d+$/.test(top)) return `domain name "${name}" invalid (top level domain "${top}" cannot be all-numeric)`;
  for (let i = 0; i < parts.length; i++) {
    if (i === parts.length - 1 && parts[i] === '') return null;
    if (!isDns1123Label(parts[i]!)) return `domain name "${name}" invalid (label "${parts[i]}" invalid)`;
  }
  return null;
}

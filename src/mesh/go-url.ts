/**
 * A URL read the way Go's `net/url.Parse` reads it (Go 1.26, the toolchain istioctl is built with),
 * and the host part `URL.Hostname()` returns. Istio's analyzers parse webhook `clientConfig.url`s
 * with it, so what Go refuses, and what Go takes for an IP address, must be judged by Go's rules: a
 * WHATWG `URL` (Node's) accepts and refuses other strings (`10.0.0.1:15017/inject` is a valid
 * WHATWG URL with scheme `10.0.0.1`; Go refuses it). Pure; no name is resolved.
 */
import { isIPv6 } from 'node:net';

/** What Go's `url.Parse` makes of a string. */
export type GoUrl =
  | { readonly ok: true; /** `URL.Hostname()`: the host without port and brackets, `''` when the URL has no authority. */ readonly hostname: string }
  | { readonly ok: false; /** Go's error text, e.g. `first path segment in URL cannot contain colon`. */ readonly error: string };

const HOST_OK = new Set('!$&\'()*+,;=:[]<>"-_.~');
const USERINFO_OK = new Set('-._:~!$&\'()*+,;=%@');
const isAlnum = (c: string) => /^[A-Za-z0-9]$/.test(c);
const isHex = (c: string | undefined) => c !== undefined && /^[0-9A-Fa-f]$/.test(c);

/** `net/url` unescape's checks for a host (`host`) or other component (`other`): the first bad escape or host byte. */
function unescapeError(s: string, mode: 'host' | 'other'): string | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '%') {
      if (!isHex(s[i + 1]) || !isHex(s[i + 2])) return `invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`;
      // In a host, %-escapes are allowed only for non-ASCII bytes (and %25, an IPv6 zone's percent sign).
      if (mode === 'host' && parseInt(s[i + 1]!, 16) < 8 && s.slice(i, i + 3) !== '%25') return `invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`;
      i += 2;
    } else if (mode === 'host' && c.charCodeAt(0) < 0x80 && !isAlnum(c) && !HOST_OK.has(c)) {
      return `invalid character ${JSON.stringify(c)} in host name`;
    }
  }
  return undefined;
}

/** `":"` followed by digits only, or empty. */
const validOptionalPort = (p: string) => p === '' || /^:[0-9]*$/.test(p);

/** The host of an authority (`user@host:port`), or Go's error. */
function parseHost(host: string): { host: string } | { error: string } {
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0) return { error: 'missing \']\' in host' };
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) return { error: `invalid port ${JSON.stringify(colonPort)} after host` };
    // Only an IPv6 address may stand in brackets (RFC 3986; enforced since Go 1.25.2, CVE-2025-47912); `%25` starts a zone.
    const literal = host.slice(1, close);
    const zone = literal.indexOf('%25');
    if (!isIPv6(zone >= 0 ? literal.slice(0, zone) : literal)) return { error: `invalid IP-literal ${JSON.stringify(host.slice(0, close + 1))}` };
    const bad = unescapeError(zone >= 0 ? literal.slice(0, zone) : literal, 'host') ?? unescapeError(host.slice(close), 'host');
    return bad ? { error: bad } : { host: decode(host) };
  }
  // An IPv6 literal must open the host (CVE-2026-25679, Go 1.26.1): `evil[::1]` is refused.
  if (host.includes('[')) return { error: `invalid IP-literal in host ${JSON.stringify(host)}` };
  // Go 1.26 reads the port from the first colon ("localhost:80:80" is refused).
  const colon = host.indexOf(':');
  if (colon >= 0 && !validOptionalPort(host.slice(colon))) return { error: `invalid port ${JSON.stringify(host.slice(colon))} after host` };
  const bad = unescapeError(host, 'host');
  return bad ? { error: bad } : { host: decode(host) };
}

const decode = (s: string) => s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

/** Go's `url.Parse(raw)` as far as its errors and `Hostname()` go. */
export function parseGoUrl(raw: string): GoUrl {
  const fail = (error: string): GoUrl => ({ ok: false, error });
  const hash = raw.indexOf('#');
  const beforeFragment = hash < 0 ? raw : raw.slice(0, hash);
  if (/[\x00-\x1f\x7f]/.test(beforeFragment)) return fail('net/url: invalid control character in URL');
  if (beforeFragment === '*') return { ok: true, hostname: '' };
  // getScheme: letters, then letters, digits, + - . up to a colon.
  let scheme = '';
  let rest = beforeFragment;
  for (let i = 0; i < beforeFragment.length; i++) {
    const c = beforeFragment[i]!;
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) { if (i === 0) break; continue; }
    if (c === ':') {
      if (i === 0) return fail('missing protocol scheme');
      scheme = beforeFragment.slice(0, i);
      rest = beforeFragment.slice(i + 1);
    }
    break;
  }
  if (rest.endsWith('?') && rest.split('?').length === 2) rest = rest.slice(0, -1);
  else if (rest.includes('?')) rest = rest.slice(0, rest.indexOf('?'));
  let hostname = '';
  if (!rest.startsWith('/')) {
    if (scheme !== '') return finishFragment(raw, hash, ''); // opaque: `scheme:rest`
    if ((rest.split('/')[0] ?? '').includes(':')) return fail('first path segment in URL cannot contain colon');
  }
  if ((scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    const slash = authority.indexOf('/');
    rest = slash >= 0 ? authority.slice(slash) : '';
    if (slash >= 0) authority = authority.slice(0, slash);
    const at = authority.lastIndexOf('@');
    const parsed = parseHost(at < 0 ? authority : authority.slice(at + 1));
    if ('error' in parsed) return fail(parsed.error);
    if (at >= 0) {
      const userinfo = authority.slice(0, at);
      if ([...userinfo].some((c) => !isAlnum(c) && !USERINFO_OK.has(c))) return fail('net/url: invalid userinfo');
      const bad = userinfo.split(':').slice(0, 2).map((p) => unescapeError(p, 'other')).find((e) => e !== undefined);
      if (bad) return fail(bad);
    }
    hostname = hostnameOf(parsed.host);
  }
  const badPath = unescapeError(rest, 'other');
  if (badPath) return fail(badPath);
  return finishFragment(raw, hash, hostname);
}

function finishFragment(raw: string, hash: number, hostname: string): GoUrl {
  const bad = hash < 0 ? undefined : unescapeError(raw.slice(hash + 1), 'other');
  return bad ? { ok: false, error: bad } : { ok: true, hostname };
}

/** `URL.Hostname()`: drops a valid `:port` and the brackets of an IPv6 literal. */
function hostnameOf(host: string): string {
  let h = host;
  const colon = h.lastIndexOf(':');
  if (colon >= 0 && validOptionalPort(h.slice(colon))) h = h.slice(0, colon);
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h;
}

/**
 * Whether Go's `net.ParseIP` reads `s` as an IP address: dotted-quad IPv4 without leading zeros, or
 * IPv6 (an IPv4 tail allowed) without a zone.
 */
export function isGoIp(s: string): boolean {
  if (/^\d+(\.\d+){3}$/.test(s)) return s.split('.').every((p) => (p === '0' || !p.startsWith('0')) && Number(p) <= 255);
  return !s.includes('%') && isIPv6(s);
}

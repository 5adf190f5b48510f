/** The parts of a URL that Kubernetes' CEL URL library exposes. */
export interface K8sUrl {
  readonly scheme: string;
  readonly host: string;
  readonly path: string;
  readonly query: string;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
const CONTROL = /[\x00-\x1f\x7f]/;
const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/;

/**
 * Go's `url.ParseRequestURI`, which backs Kubernetes' CEL `url()` and `isURL()`: an absolute
 * URI (`https://host/path`, `mailto:x`) or an absolute path (`/path`); undefined where Go
 * returns an error. Covers the checks that decide validity for config values (control
 * characters, missing scheme, bad port, bad percent-escapes); Go's host-character rules are
 * approximated.
 */
export function parseRequestUri(text: string): K8sUrl | undefined {
  if (text === '' || CONTROL.test(text) || text.startsWith(':')) return undefined;
  if (text === '*') return { scheme: '', host: '', path: '*', query: '' };
  const scheme = SCHEME.exec(text);
  let rest = scheme ? text.slice(scheme[0].length) : text;
  const q = rest.indexOf('?');
  const query = q >= 0 ? rest.slice(q + 1) : '';
  if (q >= 0) rest = rest.slice(0, q);
  if (!rest.startsWith('/')) {
    // `scheme:opaque` is valid; a relative path is not a request URI.
    return scheme ? { scheme: scheme[1]!.toLowerCase(), host: '', path: '', query } : undefined;
  }
  let host = '';
  if (scheme && rest.startsWith('//')) {
    const end = rest.indexOf('/', 2);
    const authority = end >= 0 ? rest.slice(2, end) : rest.slice(2);
    rest = end >= 0 ? rest.slice(end) : '';
    host = authority.slice(authority.lastIndexOf('@') + 1);
    if (!validHostPort(host)) return undefined;
  }
  if (BAD_ESCAPE.test(rest) || BAD_ESCAPE.test(host)) return undefined;
  return { scheme: scheme ? scheme[1]!.toLowerCase() : '', host, path: rest, query };
}

function validHostPort(hostPort: string): boolean {
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) return false;
    const after = hostPort.slice(close + 1);
    return after === '' || /^:[0-9]*$/.test(after);
  }
  const colon = hostPort.lastIndexOf(':');
  return colon < 0 || /^[0-9]*$/.test(hostPort.slice(colon + 1));
}

import { isIPv6 } from 'node:net';
import { re2 } from './re2.js';

/**
 * What the generated validators (lib/generated/crds/*.validate.cjs, see codegen.ts) call back
 * into: the regular-expression engine and the string formats. Build-time compilation and run
 * time share these definitions (generated code reads them as `rt.re2` and `rt.formats`), so a generated validator behaves exactly like one compiled now.
 */
export interface ValidatorRuntime {
  /** ajv's `code.regExp` engine: RE2, as the API server's Go regexp. */
  readonly re2: (pattern: string) => { test(text: string): boolean };
  /** ajv's formats, by name. */
  readonly formats: Readonly<Record<string, (text: string) => boolean>>;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DOTTED_QUAD = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/;

/**
 * An address Go's `net.ParseIP` accepts, as Kubernetes' `ipv4` and `ipv6` formats read it (the
 * lenient parser: octets of any number of digits up to 255, leading zeros allowed): a dotted quad,
 * or IPv6 text (an IPv4 tail allowed, no zone).
 */
function goParsesIp(text: string): boolean {
  const quad = DOTTED_QUAD.exec(text);
  if (quad) return quad.slice(1).every((octet) => Number(octet) <= 255);
  return !text.includes('%') && isIPv6(text);
}

/**
 * ajv's hook for a custom regular-expression engine, as generated code calls it once per
 * pattern when a validator is built. A pattern is compiled on its first test, so building a
 * validator does not pay for patterns the manifest never reaches. (`npm run build` compiles
 * every pattern eagerly instead, so one RE2 rejects fails the build: see codegen.ts.)
 */
function lazyRe2(pattern: string): { test(text: string): boolean } {
  let compiled: ReturnType<typeof re2> | undefined;
  return { test: (text: string) => (compiled ??= re2(pattern)).matcher(text).find() };
}

export const VALIDATOR_RUNTIME: ValidatorRuntime = {
  re2: lazyRe2,
  formats: {
    'date-time': (s: string) => RFC3339.test(s) && !Number.isNaN(Date.parse(s.replace(' ', 'T'))),
    date: (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s)),
    byte: (s: string) => BASE64.test(s),
    // kube-openapi strfmt: net.ParseIP succeeds and the text holds a "." (ipv4) or a ":" (ipv6).
    ipv4: (s: string) => s.includes('.') && goParsesIp(s),
    ipv6: (s: string) => s.includes(':') && goParsesIp(s),
  },
};

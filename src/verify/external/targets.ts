/**
 * The targets file of `meshproof verify --runtime <targets.json>`: where a runtime that verify did
 * not start can be reached. `meshproof runtime synth` writes one for the cluster
 * (`runtime-targets.json`, Service DNS names); a test writes one for proxies on loopback.
 *
 * ```json
 * {
 *   "version": 1,
 *   "callers": [{ "workload": "bookinfo/productpage-v1", "as": "bookinfo/productpage",
 *                 "address": "proxy-bookinfo-productpage-v1.meshproof-system.svc", "admin": "proxy-bookinfo-productpage-v1.meshproof-system.svc:15000" }],
 *   "workloads": [{ "workload": "bookinfo/reviews-v1", "address": "reviews-v1-echo.bookinfo.svc" }],
 *   "ca": { "cert": "/ca/ca-cert.pem", "key": "/ca/ca-key.pem" },
 *   "waitSeconds": 120
 * }
 * ```
 *
 * - `callers`: caller sidecars (outbound listeners reached at `address` on the service port, the
 *   destination in `Host`), by the workload whose per-proxy view they serve and the identity they
 *   hold (`as`, default the workload's own service account), as `pickCaller` picks them; `admin`
 *   (`host:port` of the proxy's admin server) gives response flags from its `/access_log` and its
 *   readiness (`/ready`).
 * - `workloads`: where each workload's inbound sidecar listens (its pod, or a Service selecting only
 *   it), on its container ports: mTLS and authorization proofs connect there.
 * - `ca`: the mesh CA the xDS server signs workload certificates with (PEM files, paths relative to
 *   the targets file): clients of the security proofs get certificates from it. Without it those
 *   proofs are reported as not run.
 * - `waitSeconds`: how long to wait for every caller to be ready and every workload port to accept
 *   connections. Default 120.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { editDistance } from '../../did-you-mean.js';

export interface CallerTarget {
  /** `<namespace>/<workload>` whose per-proxy view the caller serves. */
  readonly workload: string;
  /** `<namespace>/<service account>` it holds; undefined: the workload's own. */
  readonly as?: string;
  /** Host name or IP its outbound listeners answer on. */
  readonly address: string;
  /** `host:port` of its admin server. */
  readonly admin?: string;
}

export interface WorkloadTarget {
  /** `<namespace>/<workload>`. */
  readonly workload: string;
  /** Host name or IP of its inbound sidecar. */
  readonly address: string;
}

export interface RuntimeTargets {
  readonly version: 1;
  readonly callers: readonly CallerTarget[];
  readonly workloads: readonly WorkloadTarget[];
  /** Absolute paths of the mesh CA's certificate and key. */
  readonly ca?: { readonly cert: string; readonly key: string };
  readonly waitSeconds: number;
}

/** A targets file verify cannot use; the message names the file, the field and a valid value. */
export class TargetsError extends Error {
  readonly code = 'VERIFY_BAD_TARGETS';
  constructor(file: string, at: string, what: string) {
    super(`${file}: ${at}: ${what}`);
    this.name = 'TargetsError';
  }
}

const KEYS: Readonly<Record<string, readonly string[]>> = {
  file: ['version', 'callers', 'workloads', 'ca', 'waitSeconds'],
  callers: ['workload', 'as', 'address', 'admin'],
  workloads: ['workload', 'address'],
  ca: ['cert', 'key'],
};

/** The key of `keys` closest to `k` (edit distance at most 2), for "did you mean". */
function nearest(k: string, keys: readonly string[]): string | undefined {
  return keys.map((x) => [x, editDistance(k.toLowerCase(), x.toLowerCase())] as const).filter(([, n]) => n <= 2).sort((a, b) => a[1] - b[1])[0]?.[0];
}

const REF = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^:\s\/]+):\d{1,5}$/;
const HOST = /^[^\s\/:]+$/;

/** Reads and checks a targets file. Throws {@link TargetsError}. */
export function loadTargets(file: string): RuntimeTargets {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TargetsError(file, 'file', `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass the targets file meshproof runtime synth wrote (runtime-targets.json)`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new TargetsError(file, 'file', `is not JSON (${(e as Error).message})`);
  }
  return parseTargets(doc, file);
}

/** Checks a parsed targets document; `file` names it in errors and anchors relative CA paths. */
export function parseTargets(doc: unknown, file: string): RuntimeTargets {
  const fail = (at: string, what: string): never => { throw new TargetsError(file, at, what); };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return fail('file', 'is not an object; expected {"version":1,"callers":[…],"workloads":[…]}');
  const o = doc as Record<string, unknown>;
  // An unknown key (a typo such as `workloadz`) is an error, never read as an empty list.
  const known = (x: Record<string, unknown>, at: string, kind: keyof typeof KEYS) => {
    for (const k of Object.keys(x)) {
      if (KEYS[kind]!.includes(k)) continue;
      const near = nearest(k, KEYS[kind]!);
      fail(`${at === '' ? '' : `${at}.`}${k}`, `is not a known key${near ? ` (did you mean "${near}"?)` : ''}; expected ${KEYS[kind]!.join(', ')}`);
    }
  };
  known(o, '', 'file');
  if (o.version !== 1) fail('version', `is ${JSON.stringify(o.version)}; expected 1`);
  const list = (k: string): Record<string, unknown>[] => {
    const v = o[k] ?? [];
    if (!Array.isArray(v)) return fail(k, `is ${JSON.stringify(v)}; expected an array`);
    return v.map((x, i) => (typeof x === 'object' && x !== null && !Array.isArray(x) ? x as Record<string, unknown> : fail(`${k}[${i}]`, `is ${JSON.stringify(x)}; expected an object`)));
  };
  const str = (x: Record<string, unknown>, k: string, at: string, re: RegExp, example: string, optional = false): string | undefined => {
    const v = x[k];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'string' || !re.test(v)) return fail(`${at}.${k}`, `is ${JSON.stringify(v)}; expected ${example}`);
    return v;
  };
  const callers = list('callers').map((c, i): CallerTarget => {
    const at = `callers[${i}]`;
    known(c, at, 'callers');
    const as = str(c, 'as', at, REF, '<namespace>/<service account>', true);
    const admin = str(c, 'admin', at, HOST_PORT, 'host:port, e.g. 127.0.0.1:15000', true);
    return { workload: str(c, 'workload', at, REF, '<namespace>/<workload>, e.g. bookinfo/productpage-v1')!, address: str(c, 'address', at, HOST, 'a host name or IP, e.g. proxy-bookinfo-productpage-v1.meshproof-system.svc')!, ...(as ? { as } : {}), ...(admin ? { admin } : {}) };
  });
  const workloads = list('workloads').map((w, i): WorkloadTarget => (known(w, `workloads[${i}]`, 'workloads'), {
    workload: str(w, 'workload', `workloads[${i}]`, REF, '<namespace>/<workload>')!,
    address: str(w, 'address', `workloads[${i}]`, HOST, 'a host name or IP, e.g. reviews-v1-echo.bookinfo.svc')!,
  }));
  if (callers.length === 0 && workloads.length === 0) fail('file', 'names no callers and no workloads; there is nothing to send traffic to');
  let ca: RuntimeTargets['ca'];
  if (o.ca !== undefined) {
    const c = typeof o.ca === 'object' && o.ca !== null ? o.ca as Record<string, unknown> : fail('ca', `is ${JSON.stringify(o.ca)}; expected {"cert":"ca-cert.pem","key":"ca-key.pem"}`);
    known(c, 'ca', 'ca');
    const path = (k: string) => resolve(dirname(file), str(c, k, 'ca', /./, `the path of the CA's ${k === 'cert' ? 'certificate' : 'private key'} (PEM)`)!);
    ca = { cert: path('cert'), key: path('key') };
  }
  const wait = o.waitSeconds ?? 120;
  if (typeof wait !== 'number' || !Number.isFinite(wait) || wait < 0 || wait > 3600) fail('waitSeconds', `is ${JSON.stringify(o.waitSeconds)}; expected seconds, 0..3600`);
  return { version: 1, callers, workloads, ...(ca ? { ca } : {}), waitSeconds: wait as number };
}

/**
 * Bootstrap client certificates for ADS over mutual TLS (`xds serve --tls`): a workload certificate
 * for one identity `<namespace>/<service account>` (SPIFFE URI SAN `spiffe://<trust domain>/ns/<ns>/sa/<sa>`),
 * signed by the mesh CA, written as istio-agent lays out its files (`cert-chain.pem`, `key.pem`,
 * `root-cert.pem`), for `meshproof proxy --xds-cert/--xds-key/--xds-ca`. Used by
 * `meshproof xds client-cert` (a CA from files) and `xds serve --issue-client-cert` (the serving CA,
 * throwaway or not).
 *
 * `meshproof xds client-cert --identity <ns>/<sa> --out <dir> --ca-cert <file> --ca-key <file>
 * [--trust-domain <td>] [--ttl <seconds>]`
 */
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXIT_OK, EXIT_USAGE, type ExitCode } from '../checks/exit-code.js';
import { type CertificateAuthority, issueWorkloadCertificate, loadCaFromFiles, PkiError, workloadSpiffeId } from '../pki/index.js';
import { parseArgs } from './args.js';
import type { CliIO } from './io.js';
import { UsageError } from './usage.js';

/** File names in the output folder (istio-agent's `OUTPUT_CERTS` layout). */
export const CLIENT_CERT_FILES = { chain: 'cert-chain.pem', key: 'key.pem', root: 'root-cert.pem' } as const;

/** Default validity of a bootstrap client certificate, seconds: 7 days. */
export const CLIENT_CERT_TTL_SECONDS = 7 * 86_400;

const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * `<namespace>/<service account>` → [namespace, service account]. Throws a UsageError naming `flag`
 * when it has another shape (namespace a DNS-1123 label, service account a DNS-1123 subdomain).
 */
export function parseIdentity(value: string, flag: string): [string, string] {
  const [ns, sa, ...rest] = value.split('/');
  if (!ns || !sa || rest.length > 0 || !LABEL.test(ns) || !SUBDOMAIN.test(sa)) {
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not <namespace>/<service account> (lowercase letters, digits and "-"), e.g. bookinfo/bookinfo-productpage`);
  }
  return [ns, sa];
}

/** What {@link writeClientCertificate} wrote. */
export interface WrittenClientCertificate {
  readonly spiffeId: string;
  readonly notAfter: Date;
  /** Absolute paths of the three files. */
  readonly files: { readonly chain: string; readonly key: string; readonly root: string };
}

/**
 * Issues a workload certificate for `namespace`/`serviceAccount` in `ca`'s trust domain and writes it to
 * `dir` (made when missing): `cert-chain.pem` (leaf and intermediates), `key.pem` (PKCS#8, mode 0600),
 * `root-cert.pem` (the CA's root, which `xds serve --tls`'s server certificate chains to). Each file is
 * written to a temporary name and renamed, so a reader never sees half a file. Throws `PkiError`
 * (`PKI_TTL_EXCEEDS_CA`, …) or the file system's error.
 */
export async function writeClientCertificate(ca: CertificateAuthority, namespace: string, serviceAccount: string, dir: string, ttlSeconds = CLIENT_CERT_TTL_SECONDS): Promise<WrittenClientCertificate> {
  const spiffeId = workloadSpiffeId(ca.trustDomain, namespace, serviceAccount);
  const cert = await issueWorkloadCertificate(ca, { spiffeId, ttlSeconds });
  mkdirSync(dir, { recursive: true });
  const files = { chain: join(dir, CLIENT_CERT_FILES.chain), key: join(dir, CLIENT_CERT_FILES.key), root: join(dir, CLIENT_CERT_FILES.root) };
  const write = (file: string, text: string, mode: number) => {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode });
    chmodSync(tmp, mode);
    renameSync(tmp, file);
  };
  write(files.key, cert.privateKeyPem, 0o600);
  write(files.chain, cert.certificateChainPem, 0o644);
  write(files.root, cert.rootCertificatePem, 0o644);
  return { spiffeId, notAfter: cert.notAfter, files };
}

/** `meshproof xds client-cert`: one bootstrap client certificate from a CA in files. */
export async function clientCertCommand(args: string[], io: CliIO): Promise<ExitCode> {
  const { values } = parseArgs({
    args, strict: true,
    options: { identity: { type: 'string' }, out: { type: 'string' }, 'ca-cert': { type: 'string' }, 'ca-key': { type: 'string' }, 'trust-domain': { type: 'string' }, ttl: { type: 'string' } },
  });
  if (values.identity === undefined) throw new UsageError('xds client-cert: --identity <namespace>/<service account> is required (the identity the proxy authenticates as, e.g. bookinfo/bookinfo-productpage)');
  const [ns, sa] = parseIdentity(values.identity, 'xds client-cert: --identity');
  if (values.out === undefined) throw new UsageError('xds client-cert: --out <dir> is required (the folder for cert-chain.pem, key.pem and root-cert.pem)');
  if (values['ca-cert'] === undefined || values['ca-key'] === undefined) throw new UsageError('xds client-cert: --ca-cert <file> and --ca-key <file> are required: the mesh CA that xds serve --tls is started with');
  const ttl = values.ttl === undefined ? CLIENT_CERT_TTL_SECONDS : Number(values.ttl);
  if (!/^\d+$/.test(values.ttl ?? '1') || !Number.isSafeInteger(ttl) || ttl <= 0) throw new UsageError(`xds client-cert: --ttl ${JSON.stringify(values.ttl)} is not a whole number of seconds > 0, e.g. 86400 for a day`);
  try {
    const ca = await loadCaFromFiles({ certFile: resolve(io.cwd, values['ca-cert']), keyFile: resolve(io.cwd, values['ca-key']), trustDomain: values['trust-domain'] ?? 'cluster.local' });
    const written = await writeClientCertificate(ca, ns, sa, resolve(io.cwd, values.out), ttl);
    io.stdout.write(`xds client-cert: ${written.spiffeId} until ${written.notAfter.toISOString()} → ${values.out}/{${CLIENT_CERT_FILES.chain},${CLIENT_CERT_FILES.key},${CLIENT_CERT_FILES.root}}; use them with meshproof proxy --xds-cert, --xds-key and --xds-ca\n`);
    return EXIT_OK;
  } catch (e) {
    if (e instanceof PkiError) {
      io.stderr.write(`xds client-cert: ${e.message}\n`);
      return EXIT_USAGE;
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('E')) {
      io.stderr.write(`xds client-cert: --out ${values.out}: cannot write there (${code}); choose a folder this user may write\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
}

/**
 * Workload certificates for SDS `default`, one per SPIFFE identity, issued by the mesh CA and kept
 * until they are due for renewal (so re-translating the mesh does not change the secret, and pushes
 * nothing). Renewal at half the lifetime, like istio-agent's `SECRET_GRACE_PERIOD_RATIO` 0.5.
 */
import { type CertificateAuthority, type IssuedCertificate, issueWorkloadCertificate } from '../../pki/index.js';

export interface WorkloadCertificatesOptions {
  /** Validity of each certificate, seconds. @default 86400 */
  readonly ttlSeconds?: number;
  /** Fraction of the lifetime after which a certificate is replaced. @default 0.5 */
  readonly renewAfter?: number;
  /** Clock, ms since the epoch (tests). @default Date.now */
  readonly now?: () => number;
}

export class WorkloadCertificates {
  private readonly issued = new Map<string, Promise<IssuedCertificate>>();
  private readonly ttlSeconds: number;
  private readonly renewAfter: number;
  private readonly now: () => number;

  constructor(readonly ca: CertificateAuthority, opts: WorkloadCertificatesOptions = {}) {
    this.ttlSeconds = opts.ttlSeconds ?? 86_400;
    this.renewAfter = opts.renewAfter ?? 0.5;
    this.now = opts.now ?? Date.now;
  }

  /** The current certificate for `spiffeId`, issued on first use and again once past its renewal time. Rejects with a `PkiError` for a bad id. */
  async certificateFor(spiffeId: string): Promise<IssuedCertificate> {
    const cached = this.issued.get(spiffeId);
    if (cached) {
      const cert = await cached.catch(() => undefined);
      if (cert && this.now() < this.renewalTime(cert)) return cert;
    }
    const next = issueWorkloadCertificate(this.ca, { spiffeId, ttlSeconds: this.ttlSeconds });
    this.issued.set(spiffeId, next);
    next.catch(() => this.issued.delete(spiffeId));
    return next;
  }

  /** When the earliest certificate held is due for renewal (ms since the epoch), or `undefined` when none is held. */
  async nextRenewal(): Promise<number | undefined> {
    let min: number | undefined;
    for (const p of this.issued.values()) {
      const c = await p.catch(() => undefined);
      if (c) min = Math.min(min ?? Infinity, this.renewalTime(c));
    }
    return min;
  }

  /** Whether a certificate held is past its renewal time (this object's clock): {@link certificateFor} re-issues it. */
  async due(): Promise<boolean> {
    const next = await this.nextRenewal();
    return next !== undefined && this.now() >= next;
  }

  /** Forgets identities not in `keep` (workloads that left the mesh). */
  retain(keep: ReadonlySet<string>): void {
    for (const id of this.issued.keys()) if (!keep.has(id)) this.issued.delete(id);
  }

  private renewalTime(c: IssuedCertificate): number {
    const start = c.notBefore.getTime();
    return start + (c.notAfter.getTime() - start) * this.renewAfter;
  }
}

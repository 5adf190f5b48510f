/** Pod pieces every runtime workload shares. */
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';

/** The namespace the control plane, the proxies and the expectations Job run in. */
export const SYSTEM_NAMESPACE = 'meshproof-system';

/** Label on every object the runtime makes (app Services excepted: they are the app's). */
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'meshproof-runtime' } as const;

/**
 * Pod label of the runtime's proxies (callers, gateway, the echo pods' inbound sidecars): the xDS
 * server's NetworkPolicy admits ADS connections only from pods that carry it. On pod templates only,
 * never in a selector (adding it leaves existing Deployments' selectors as they were).
 */
export const XDS_CLIENT_LABEL = { 'meshproof.dev/xds-client': 'true' } as const;

/**
 * Pod security: non-root (the image's `node` user, uid 1000; group 1000 owns mounted Secrets, read
 * 0440), no privilege escalation, read-only root
 * file system, every capability dropped; `net.ipv4.ip_unprivileged_port_start=0` (a safe sysctl
 * since Kubernetes 1.22) so apps' ports under 1024 (80, 443) bind without `NET_BIND_SERVICE`.
 */
export function podSecurity(lowPorts: boolean): Record<string, unknown> {
  return {
    runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' },
    ...(lowPorts ? { sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] } : {}),
  };
}

export const CONTAINER_SECURITY = {
  allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
} as const;

export const RESOURCES = { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } } as const;

/** A Kubernetes name (RFC 1123 label, at most 63 characters) from parts; long ones end with a hash. */
export function dnsLabel(...parts: string[]): string {
  const raw = parts.join('-').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  if (raw.length <= 63) return raw;
  let h = 0;
  for (const c of raw) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return `${raw.slice(0, 54).replace(/-+$/, '')}-${h.toString(16).padStart(8, '0')}`;
}

/**
 * A one-replica Deployment of the runtime's own (`meshproof-system`) with pods labelled `app: <name>`
 * and managed-by (and `podLabels`, on the pods only), as construct `Deployment` under `scope`.
 * `podSpec` is the pod template's spec.
 */
export function systemDeployment(scope: Construct, name: string, podSpec: Record<string, unknown>, podLabels: Record<string, string> = {}): ApiObject {
  const labels = { app: name, ...MANAGED_BY };
  return new ApiObject(scope, 'Deployment', {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: SYSTEM_NAMESPACE, labels },
    spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { ...labels, ...podLabels } }, spec: podSpec } },
  });
}

import type { Construct } from 'constructs';
import { IngressGateway, type IngressGatewayProps } from './ingress-gateway.js';

export type { TlsVersion } from './ingress-gateway.js';

/** Props of a MutualTlsGateway: those of an IngressGateway, with the TLS mode fixed to MUTUAL. */
export type MutualTlsGatewayProps = Omit<IngressGatewayProps, 'tlsMode'>;

/**
 * An ingress Gateway that terminates TLS and requires client certificates (`tls.mode: MUTUAL`),
 * with TLS 1.2 or later and, by default, an HTTP server that redirects to HTTPS. Its routes live
 * in `routes`, a RouteTable bound to this gateway only (`gateways: [<ns>/<name>]`).
 */
export class MutualTlsGateway extends IngressGateway {
  constructor(scope: Construct, id: string, props: MutualTlsGatewayProps) {
    super(scope, id, { ...props, tlsMode: 'MUTUAL' });
  }
}

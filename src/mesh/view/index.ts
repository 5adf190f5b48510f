/** The per-proxy view: istiod's SidecarScope and PushContext for one proxy. The xDS translator's only input. */
export { buildProxyView, graphOfView } from './build.js';
export { describeProxy, proxiesOf, proxiesOfWorkload, proxyIdCollisions, proxyOf } from './proxy.js';
export { outboundClusterName } from './traffic-policy.js';
export { sharedClusterView } from './clusters.js';
export { servedByHcm } from './routes.js';
export { buildInbound, containerPortOf, inboundPortIsTcp, inboundPortProtocols, inboundRetriesOfStatus, inboundRetryOf, mtlsView } from './inbound.js';
export { replaceTrustDomainAliases, ruleOnTcpChain, unusableFieldDropsRule } from './inbound-authz.js';
export { customAuthzOf, resolveCustomProvider } from './custom-authz.js';
export { OUTLIER_DEFAULTS, UNLIMITED, DEFAULT_RETRY_BACKOFF_MS } from './defaults.js';
export type * from './types.js';
export { gatewayListenerName, gatewayServerRouteName, gatewayServerTlsMode, isHttpGatewayServer, isTlsGatewayServer, mergeGatewayServers, terminatesHttps } from './gateway-merge.js';
export type { GatewayServerPortView, MergedGatewayView, SkippedGatewayServerView, SkippedServerReason } from './gateway-merge.js';

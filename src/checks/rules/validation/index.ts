// Rules of the validation area (Istio's admission webhook beyond the CRD schema), one line each.
export { default as authorizationPolicyPorts } from './authorization-policy-ports.js';
export { default as authorizationPolicyStructure } from './authorization-policy-structure.js';
export { default as destinationRuleStructure } from './destinationrule-structure.js';
export { default as exportTo } from './export-to.js';
export { default as gatewayServerPort } from './gateway-server-port.js';
export { default as gatewayServerTls } from './gateway-server-tls.js';
export { default as headerName } from './header-name.js';
export { default as hostFormat } from './host-format.js';
export { default as httpRetry } from './http-retry.js';
export { default as httpRouteValues } from './http-route-values.js';
export { default as invalidRegex } from './invalid-regex.js';
export { default as meshConfig } from './mesh-config.js';
export { default as policyTargetRef } from './policy-target-ref.js';
export { default as serviceEntryStructure } from './serviceentry-structure.js';
export { default as sidecarStructure } from './sidecar-structure.js';
export { default as subsetName } from './subset-name.js';
export { default as virtualServiceStructure } from './virtualservice-structure.js';

// Rules of the references area, one line each.
export { default as destinationHostExists } from './destination-host-exists.js';
export { default as destinationPortRequired } from './destination-port-required.js';
export { default as destinationRuleHostExists } from './destination-rule-host-exists.js';
export { default as duplicateObject } from './duplicate-object.js';
export { default as exportToNamespaceNotFound } from './export-to-namespace-not-found.js';
export { default as gatewayExists } from './gateway-exists.js';
export { default as hostNotExpanded } from './host-not-expanded.js';
export { default as internalGateway } from './internal-gateway.js';
export { default as matchGatewayExists } from './match-gateway-exists.js';
export { default as portLevelSettingsPortNotFound } from './port-level-settings-port-not-found.js';
export { default as rolloutTrafficRouting } from './rollout-traffic-routing.js';
export { default as rolloutWorkloadRef } from './rollout-workload-ref.js';
export { default as subsetExists } from './subset-exists.js';
export { default as subsetNotApplied } from './subset-not-applied.js';
export { default as subsetHiddenFromClients } from './subset-hidden-from-clients.js';
export { default as subsetSelectsWorkload } from './subset-selects-workload.js';

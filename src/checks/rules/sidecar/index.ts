// Rules of the sidecar area, one line each: export { default as camelName } from './file.js';
export { default as egressHostNotFound } from './egress-host-not-found.js';
export { default as egressNamespaceNotFound } from './egress-namespace-not-found.js';
export { default as egressPortMatchesNoService } from './egress-port-matches-no-service.js';
export { default as ineffectivePolicy } from './ineffective-policy.js';
export { default as multipleDefaultSidecars } from './multiple-default-sidecars.js';
export { default as routeDestinationNotImported } from './route-destination-not-imported.js';
export { default as sidecarSelectorMatchesNoWorkload } from './selector-matches-no-workload.js';
export { default as sidecarWorkloadSelectedTwice } from './workload-selected-twice.js';

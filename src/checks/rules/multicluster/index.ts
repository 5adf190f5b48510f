// Rules of the multicluster area (meshNetworks and remote clusters), one line each.
export { default as unknownServiceRegistry } from './unknown-service-registry.js';

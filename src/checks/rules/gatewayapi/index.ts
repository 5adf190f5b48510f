// Rules of the gatewayapi area (Kubernetes Gateway API objects), one line each.
export { default as ineffectiveSelector } from './ineffective-selector.js';
export { default as routeReferenceNotFound } from './route-reference-not-found.js';

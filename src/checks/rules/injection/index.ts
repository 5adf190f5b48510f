// Rules of the injection area (which namespaces and pods get a proxy), one line each.
export { default as multipleInjectionLabels } from './multiple-injection-labels.js';
export { default as namespaceInjectionEnabledByDefault } from './namespace-injection-enabled-by-default.js';
export { default as namespaceNotInjected } from './namespace-not-injected.js';
export { default as imageAutoDeployment } from './image-auto-deployment.js';
export { default as imageAutoPod } from './image-auto-pod.js';
export { default as podMissingProxy } from './pod-missing-proxy.js';
export { default as proxyImageMismatch } from './proxy-image-mismatch.js';

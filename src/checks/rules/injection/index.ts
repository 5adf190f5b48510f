// Rules of the injection area (which namespaces and pods get a proxy), one line each.
export { default as multipleInjectionLabels } from './multiple-injection-labels.js';
export { default as namespaceNotInjected } from './namespace-not-injected.js';

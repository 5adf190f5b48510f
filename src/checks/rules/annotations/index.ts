// Rules of the annotations area (Istio's annotation catalogue, annotations.K8sAnalyzer), one line each.
export { default as deprecatedAnnotation } from './deprecated-annotation.js';
export { default as invalidAnnotation } from './invalid-annotation.js';
export { default as misplacedAnnotation } from './misplaced-annotation.js';
export { default as unknownAnnotation } from './unknown-annotation.js';

// Rules of the validation area (Istio's admission webhook beyond the CRD schema), one line each.
export { default as headerName } from './header-name.js';
export { default as invalidRegex } from './invalid-regex.js';
export { default as serviceEntryStructure } from './serviceentry-structure.js';
export { default as virtualServiceStructure } from './virtualservice-structure.js';

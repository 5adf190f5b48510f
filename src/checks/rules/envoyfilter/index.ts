// Rules of the envoyfilter area, one line each: export { default as camelName } from './file.js';
export { default as addOperationMisuse } from './add-operation-misuse.js';
export { default as relativeOperationWithProxyVersion } from './relative-operation-with-proxy-version.js';
export { default as relativeOperationWithoutPriority } from './relative-operation-without-priority.js';
export { default as removeOperationMisuse } from './remove-operation-misuse.js';
export { default as replaceOperationMisuse } from './replace-operation-misuse.js';

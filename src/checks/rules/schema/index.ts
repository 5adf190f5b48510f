// Rules of the schema area, one line each: export { default as camelName } from './file.js';
export { default as apiVersion } from './api-version.js';
export { default as crdValidation } from './crd-validation.js';
export { default as objectMeta } from './object-meta.js';
export { default as servicePorts } from './service-ports.js';
export { default as workloadRanges } from './workload-ranges.js';

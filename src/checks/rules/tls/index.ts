// Rules of the tls area, one line each: export { default as camelName } from './file.js';
export { default as upstreamCaMissing } from './upstream-ca-missing.js';
export { default as upstreamPortCaMissing } from './upstream-port-ca-missing.js';
export { default as subjectAltNamesMatchNoWorkload } from './subject-alt-names-match-no-workload.js';

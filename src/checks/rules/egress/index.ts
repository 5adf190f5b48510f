// Rules of the egress area, one line each: export { default as camelName } from './file.js';
export { default as externalWithoutResilience } from './external-without-resilience.js';

// Rules of the service area, one line each: export { default as camelName } from './file.js';
export { default as portNameConvention } from './port-name-convention.js';

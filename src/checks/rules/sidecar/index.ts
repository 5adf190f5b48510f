// Rules of the sidecar area, one line each: export { default as camelName } from './file.js';
export {};

// Rules of the gateway area, one line each: export { default as camelName } from './file.js';
export {};

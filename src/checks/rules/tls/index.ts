// Rules of the tls area, one line each: export { default as camelName } from './file.js';
export {};

// Rules of the security area, one line each: export { default as camelName } from './file.js';
export {};

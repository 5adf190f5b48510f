// Rules of the deprecation area, one line each: export { default as camelName } from './file.js';
export {};

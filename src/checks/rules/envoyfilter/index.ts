// Rules of the envoyfilter area, one line each: export { default as camelName } from './file.js';
export {};

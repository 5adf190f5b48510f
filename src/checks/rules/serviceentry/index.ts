// Rules of the serviceentry area, one line each: export { default as camelName } from './file.js';
export {};

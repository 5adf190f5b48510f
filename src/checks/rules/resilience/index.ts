// Rules of the resilience area, one line each: export { default as camelName } from './file.js';
export {};

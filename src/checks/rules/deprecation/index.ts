// Rules of the deprecation area, one line each: export { default as camelName } from './file.js';
export { default as deprecatedFields } from './deprecated-fields.js';

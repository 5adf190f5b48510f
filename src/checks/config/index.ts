export * from './types.js';
export * from './profiles.js';
export * from './exceptions.js';
export { CONFIG_FILE_NAMES, findConfigFile, isProfile, loadConfigFile, parseConfig } from './load.js';
export { isCalendarDate, parseSize } from './limits.js';

// Rules of the serviceentry area, one line each: export { default as camelName } from './file.js';
export { default as addressesRequired } from './addresses-required.js';
export { default as conflictingProtocols } from './conflicting-protocols.js';
export { default as staticWithoutEndpoints } from './static-without-endpoints.js';
export { default as workloadEntryPortNameNotFound } from './workloadentry-port-name-not-found.js';
export { default as hostLetterCase } from './host-letter-case.js';
export { default as shortHostNeverRouted } from './short-host-never-routed.js';

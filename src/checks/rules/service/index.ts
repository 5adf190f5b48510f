// Rules of the service area, one line each: export { default as camelName } from './file.js';
export { default as conflictingTargetPortProtocols } from './conflicting-target-port-protocols.js';
export { default as externalNamePortName } from './external-name-port-name.js';
export { default as portNameConvention } from './port-name-convention.js';
export { default as undeclaredTargetPort } from './undeclared-target-port.js';
export { default as unknownTargetPortName } from './unknown-target-port-name.js';

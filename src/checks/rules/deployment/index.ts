// Rules of the deployment area (Deployments and the Services in front of them), one line each.
export { default as conflictingTargetPorts } from './conflicting-target-ports.js';
export { default as invalidApplicationUid } from './invalid-application-uid.js';
export { default as multipleServicesOnePort } from './multiple-services-one-port.js';

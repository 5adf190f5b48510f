// Rules of the status area (conditions controllers wrote into objects' status), one line each.
export { default as negativeConditionStatus } from './negative-condition-status.js';

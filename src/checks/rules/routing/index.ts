// Rules of the routing area, one line each.
export { default as weightsTotal100 } from './weights-total-100.js';

// Rules of the references area, one line each.
export { default as destinationHostExists } from './destination-host-exists.js';

/** The rules' and the config loader's import path of `src/did-you-mean.ts`, which every stage shares. */
export { closest, editDistance } from '../../did-you-mean.js';

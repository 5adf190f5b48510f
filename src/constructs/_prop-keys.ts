import type { IConstruct } from 'constructs';
import { closest } from '../did-you-mean.js';
import { PropError } from './_errors.js';

/**
 * Every key of a construct's props interface, for {@link checkPropKeys}: written as
 * `Record<keyof XProps, true>`, so TypeScript refuses the list when it misses a key or names one
 * the interface does not have.
 */
export type PropKeys<P> = Readonly<Record<keyof P, true>>;

/**
 * Refuses a props object with a key the construct does not read (`canaryWieght`, `subsets`): from
 * TypeScript the compiler refuses it, but props spread from an `any` value, JSON or JavaScript reach
 * the construct unchecked, and an unknown key would be silently ignored (the default used instead).
 * Keys whose value is `undefined` are accepted (an optional prop passed explicitly unset).
 *
 * @throws PropError (`MP_INVALID_PROP`) naming the key, the nearest known one, and the known keys.
 */
export function checkPropKeys<P>(scope: IConstruct, props: P, known: PropKeys<P>): void {
  if (props === null || typeof props !== 'object') return;
  const names = Object.keys(known).sort();
  for (const key of Object.keys(props as object)) {
    const value = (props as Record<string, unknown>)[key];
    if (value === undefined || Object.prototype.hasOwnProperty.call(known, key)) continue;
    const near = closest(key, names);
    throw new PropError('MP_INVALID_PROP', scope, key, value,
      `expected a prop of ${scope.constructor.name}${near !== undefined ? `; did you mean "${near}"?` : ''} (it has ${names.join(', ')}); an unknown prop would be ignored`);
  }
}

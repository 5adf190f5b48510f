import { parseArgs as nodeParseArgs, type ParseArgsConfig } from 'node:util';
import { closest } from '../did-you-mean.js';
import { UsageError } from './usage.js';

/**
 * node:util `parseArgs`, but an unknown option is a UsageError naming the closest known flag
 * (`unknown option --foramt; did you mean --format?`) instead of Node's advice to put it after `--`.
 * Other parse errors (a missing value, an unexpected positional) pass through unchanged.
 */
export function parseArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof nodeParseArgs<T>> {
  try {
    return nodeParseArgs(config);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw e;
    const given = /Unknown option '([^']+)'/.exec((e as Error).message)?.[1];
    if (given === undefined) throw e;
    throw new UsageError(unknownOption(given.replace(/=.*$/s, ''), config.options ?? {}));
  }
}

/** `unknown option --x; did you mean --y?`, or the list of options when none is close. */
export function unknownOption(given: string, options: NonNullable<ParseArgsConfig['options']>): string {
  const long = Object.keys(options).map((name) => `--${name}`);
  const best = given.startsWith('--') ? closest(given, long) : undefined;
  if (best !== undefined) return `unknown option ${given}; did you mean ${best}?`;
  return long.length > 0 ? `unknown option ${given}; the options are ${long.join(', ')}` : `unknown option ${given}; this command takes no options`;
}

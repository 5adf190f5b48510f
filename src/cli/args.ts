import { parseArgs as nodeParseArgs, type ParseArgsConfig } from 'node:util';
import { closest } from '../did-you-mean.js';
import { UsageError } from './usage.js';

/**
 * node:util `parseArgs`, but
 * - an unknown option is a UsageError naming the closest known flag
 *   (`unknown option --foramt; did you mean --format?`) instead of Node's advice to put it after `--`;
 * - a string option without `multiple: true` given twice (`--format json --format sarif`, or
 *   `-o a --output b`) is a UsageError naming the option and both values, where Node keeps the last.
 * Other parse errors (a missing value, an unexpected positional) pass through unchanged.
 */
export function parseArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof nodeParseArgs<T>> {
  let parsed: { tokens?: Token[] };
  try {
    parsed = nodeParseArgs({ ...(config as ParseArgsConfig), tokens: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw e;
    const given = /Unknown option '([^']+)'/.exec((e as Error).message)?.[1];
    if (given === undefined) throw e;
    throw new UsageError(unknownOption(given.replace(/=.*$/s, ''), config.options ?? {}));
  }
  const { tokens = [], ...rest } = parsed;
  const repeated = repeatedOption(tokens, config.options ?? {});
  if (repeated !== undefined) throw new UsageError(repeated);
  return (config.tokens === true ? parsed : rest) as ReturnType<typeof nodeParseArgs<T>>;
}

type Token = NonNullable<ReturnType<typeof nodeParseArgs>['tokens']>[number];

/**
 * `--format given twice ("json", then "sarif"); it takes one value`, for the first string option
 * without `multiple` that `tokens` hold twice (by its long name, so `-o` and `--output` are one
 * option); undefined when none is. Booleans may repeat: `--allow-empty --allow-empty` says one thing.
 */
export function repeatedOption(tokens: readonly Token[], options: NonNullable<ParseArgsConfig['options']>): string | undefined {
  const seen = new Map<string, Extract<Token, { kind: 'option' }>>();
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const option = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (option === undefined || option.type !== 'string' || option.multiple === true) continue;
    const first = seen.get(token.name);
    if (first === undefined) {
      seen.set(token.name, token);
      continue;
    }
    const as = (t: typeof first) => (t.rawName === `--${token.name}` ? '' : ` (as ${t.rawName})`);
    return `--${token.name} given twice (${JSON.stringify(first.value)}${as(first)}, then ${JSON.stringify(token.value)}${as(token)}); it takes one value: give it once`;
  }
  return undefined;
}

/** `unknown option --x; did you mean --y?`, or the list of options when none is close. */
export function unknownOption(given: string, options: NonNullable<ParseArgsConfig['options']>): string {
  const long = Object.keys(options).map((name) => `--${name}`);
  const best = given.startsWith('--') ? closest(given, long) : undefined;
  if (best !== undefined) return `unknown option ${given}; did you mean ${best}?`;
  return long.length > 0 ? `unknown option ${given}; the options are ${long.join(', ')}` : `unknown option ${given}; this command takes no options`;
}

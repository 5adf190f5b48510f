import picomatch from 'picomatch';

/**
 * Why `glob` is not a usable `exclude` glob, or undefined when it is. picomatch by itself reads an
 * unclosed `[`, `{` or `(` as a literal and a reversed range (`[z-a]`) as "match nothing", so a
 * typo would exclude nothing, silently; here both are errors.
 */
export function globError(glob: string): string | undefined {
  if (glob.trim() === '') return 'an empty glob matches nothing';
  try {
    const re = picomatch.makeRe(glob, { dot: true, strictBrackets: true });
    if (re.source === '$^') return 'it can never match (a range such as [z-a] is reversed?)';
  } catch (e) {
    return (e as Error).message.replace(/^Missing/, 'missing');
  }
  return undefined;
}

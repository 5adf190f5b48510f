import { EXIT_OK, EXIT_USAGE, type ExitCode } from '../checks/exit-code.js';
import { COMMANDS } from './commands.js';
import type { CliIO } from './io.js';
import { commandUsage, helpHint, isConfigError, isUsageError, USAGE, UsageError } from './usage.js';
import { VERSION } from './version.js';

export type { CliIO } from './io.js';
export { processIO } from './io.js';

/** Parse errors from node:util carry these codes; they are the user's mistake, not ours. */
function isArgError(e: unknown): e is Error {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && (e as NodeJS.ErrnoException).code!.startsWith('ERR_PARSE_ARGS');
}

/**
 * The meshproof command line. Never calls `process.exit`; returns the exit code (see exit-code.ts).
 * Everything it reads or writes of the process goes through `io`. Commands are loaded on demand
 * (commands.ts), so `--version` and `--help` load none of them.
 */
export async function main(argv: readonly string[], io: CliIO): Promise<ExitCode> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      (command === undefined ? io.stderr : io.stdout).write(USAGE);
      return command === undefined ? EXIT_USAGE : EXIT_OK;
    }
    if (command === '--version' || command === '-V') {
      io.stdout.write(`meshproof ${VERSION}\n`);
      return EXIT_OK;
    }
    const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!entry) {
      const commands = Object.keys(COMMANDS);
      // `meshproof --format json check`: an option before any command.
      if (command.startsWith('-')) throw new UsageError(`${command} is an option, not a command: options go after the command (meshproof <command> ${command}); commands are ${commands.join(', ')}`);
      throw new UsageError(`unknown command "${command}"; commands are ${commands.join(', ')}`);
    }
    // Flags after `--` are operands (a file named --help), not requests for help.
    const flags = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
    if (flags.includes('--help') || flags.includes('-h')) {
      // `xds serve --help`: the sub-command's usage when the first operand names one.
      const sub = flags.find((a) => !a.startsWith('-'));
      io.stdout.write((sub !== undefined ? commandUsage(`${command} ${sub}`) : undefined) ?? commandUsage(command) ?? USAGE);
      return EXIT_OK;
    }
    if (flags.includes('--version') || flags.includes('-V')) {
      io.stdout.write(`meshproof ${VERSION}\n`);
      return EXIT_OK;
    }
    return await entry.run(rest, io);
  } catch (e) {
    // By brand and name, not instanceof: a command loaded outside the CLI bundle (`runtime`) throws
    // errors of its own copy of these classes (see usage.ts).
    if (isUsageError(e) || isArgError(e)) {
      // `xds serve …`: the sub-command's own help when the first operand names one.
      const sub = rest.find((a) => !a.startsWith('-'));
      const withSub = command !== undefined && sub !== undefined && commandUsage(`${command} ${sub}`) !== undefined ? `${command} ${sub}` : command;
      io.stderr.write(`meshproof: ${e.message}\n${helpHint(withSub)}\n`);
      return EXIT_USAGE;
    }
    if (isConfigError(e)) {
      io.stderr.write(`meshproof: invalid config: ${e.message}\n`);
      return EXIT_USAGE;
    }
    // A bug, not a finding: exit 2 so that a crashed run can never read as "passed" or "findings".
    io.stderr.write(`meshproof: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT_USAGE;
  }
}

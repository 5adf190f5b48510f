import type { ExitCode } from '../checks/exit-code.js';
import type { CliIO } from './io.js';

/** One CLI command: loaded only when called, so `meshproof --version` loads none of them. */
export interface Command {
  /** One line for the usage text. */
  readonly summary: string;
  /** Imports the command's module and runs it with the arguments after the command name. */
  readonly run: (args: string[], io: CliIO) => Promise<ExitCode>;
}

/**
 * Every command, by name. Each entry imports its module on first use: start-up cost is paid only
 * by the command that runs (see bench/startup).
 */
export const COMMANDS: Readonly<Record<string, Command>> = {
  check: {
    summary: 'Check Istio manifests (files or directories; - for stdin). Default path: dist/',
    run: async (args, io) => (await import('./check-command.js')).checkCommand(args, io),
  },
  init: {
    summary: 'Scaffold a team repository (apps/, cdk8s.yaml, PR workflow, Argo CD Application)',
    run: async (args, io) => (await import('./init-command.js')).initCommand(args, io),
  },
  proxy: {
    summary: 'Run the reference proxy: proxy --xds <host:port> --node <id> serves what ADS configures',
    run: async (args, io) => (await import('./proxy-command.js')).proxyCommand(args, io),
  },
  rules: {
    summary: 'List the rule catalogue',
    run: async (args, io) => (await import('./rules-command.js')).rulesCommand(args, io),
  },
  diff: {
    summary: 'Semantic diff of two synthesized trees: meshproof diff <base> <head>',
    run: async (args, io) => (await import('./diff-command.js')).diffCommand(args, io),
  },
  verify: {
    summary: 'Prove the apps\' promises: verify [dir] judges .meshproof/expectations.json against dist/',
    run: async (args, io) => (await import('./verify-command.js')).verifyCommand(args, io),
  },
  map: {
    summary: 'Traffic map of every host as one static HTML page: meshproof map [paths...] --out map.html',
    run: async (args, io) => (await import('./map-command.js')).mapCommand(args, io),
  },
  runtime: {
    summary: 'In-cluster runtime: runtime synth [dist] --out <dir> --image <ref> writes its manifests; runtime smoke --plan <file> runs its traffic test',
    run: async (args, io) => (await import('./runtime-command.js')).runtimeCommand(args, io),
  },
  echo: {
    summary: 'Echo backend of the in-cluster runtime: echo --namespace <ns> --workload <name> [--label k=v]... [--listen host:port]...',
    run: async (args, io) => (await import('./echo-command.js')).echoCommand(args, io),
  },
  xds: {
    summary: 'Proxy config: xds compile [paths...] --out <dir> writes one Envoy config dump per proxy',
    run: async (args, io) => (await import('./xds-command.js')).xdsCommand(args, io),
  },
};

import { Command, CommanderError } from 'commander';
import { type Environment, readEnvironment } from './environment.ts';
import { asRun, type CliIo, processIo, stderr, stdout } from './io.ts';
import { printError } from './output.ts';

type CommandFactory = (env: Environment) => Command;

interface CommandTree {
  description: string;
  load: () => Promise<CommandFactory>;
}

// Each tree is imported only when asked for: `leasehold server serve` need not load the central
// server's PostgreSQL drivers and WASM, nor the demo's X.509 code, and `leasehold --help` needs
// only these names and descriptions (start time, docs/performance.md).
export const COMMAND_TREES: Record<string, CommandTree> = {
  central: {
    description: "the vendor's central license server",
    load: async () => (await import('./commands/central.ts')).centralCommand,
  },
  server: {
    description: "the customer's local license server",
    load: async () => (await import('./commands/server.ts')).serverCommand,
  },
  client: {
    description:
      'an application of the local license server: activate, renew, release, checkout, return, show',
    load: async () => (await import('./commands/client.ts')).clientCommand,
  },
  demo: {
    description: 'run both servers with a demo license and one sync, until Ctrl-C',
    load: async () => (await import('./commands/demo.ts')).demoCommand,
  },
};

/**
 * Runs the program once: `argv` as Node gives it (the first two entries are skipped), writing to
 * `io`'s streams and reading `io.env`; resolves with the exit code. The bin runs it with the
 * process's own; tests call it in-process with buffers.
 */
export function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  return asRun(io, () => run(argv, io.env));
}

async function run(argv: string[], environment: NodeJS.ProcessEnv): Promise<number | undefined> {
  let env: ReturnType<typeof readEnvironment>;
  try {
    env = readEnvironment(environment);
  } catch (error) {
    return printError(error, argv.includes('--json'));
  }
  const program = new Command('leasehold')
    .description('Leasehold floating licenses: central server, local server, client, demo')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: (text) => stdout().write(text), writeErr: (text) => stderr().write(text) })
    .showHelpAfterError();
  const words = argv.slice(2).filter((arg) => !arg.startsWith('-'));
  // `leasehold help server` shows the server tree's help, so it loads that tree.
  const named = words[0] === 'help' ? words[1] : words[0];
  const tree = named === undefined ? undefined : COMMAND_TREES[named];
  if (tree) {
    program.addCommand((await tree.load())(env).description(tree.description));
  } else {
    // No tree named (help, a typo): each tree's name and description, with nothing loaded.
    for (const [name, { description }] of Object.entries(COMMAND_TREES))
      program.addCommand(new Command(name).description(description));
  }
  for (const command of walk(program)) command.exitOverride().configureOutput(program.configureOutput());
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    return printError(error, argv.includes('--json'));
  }
  return undefined;
}

function* walk(command: Command): Generator<Command> {
  yield command;
  for (const sub of command.commands) yield* walk(sub);
}

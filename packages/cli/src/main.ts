import { Command, CommanderError } from 'commander';
import { type Environment, readEnvironment } from './environment.ts';
import { printError } from './output.ts';

type CommandFactory = (env: Environment) => Command;

// Each tree is imported only when asked for: `leasehold server serve` need not load the central
// server's PostgreSQL drivers and WASM, nor the demo's X.509 code (restart time, docs/performance.md).
const COMMANDS: Record<string, () => Promise<CommandFactory>> = {
  central: async () => (await import('./commands/central.ts')).centralCommand,
  server: async () => (await import('./commands/server.ts')).serverCommand,
  client: async () => (await import('./commands/client.ts')).clientCommand,
  demo: async () => (await import('./commands/demo.ts')).demoCommand,
};

export async function main(argv: string[]): Promise<number> {
  let env: ReturnType<typeof readEnvironment>;
  try {
    env = readEnvironment();
  } catch (error) {
    return printError(error, argv.includes('--json'));
  }
  const program = new Command('leasehold')
    .description('Leasehold floating licenses: central server, local server, client, demo')
    .enablePositionalOptions()
    .exitOverride()
    .showHelpAfterError();
  const first = argv.slice(2).find((arg) => !arg.startsWith('-'));
  const wanted = first !== undefined && first in COMMANDS ? [first] : Object.keys(COMMANDS);
  for (const name of wanted)
    program.addCommand((await (COMMANDS[name] as () => Promise<CommandFactory>)())(env));
  for (const command of walk(program)) command.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    return printError(error, argv.includes('--json'));
  }
  return Number(process.exitCode ?? 0);
}

function* walk(command: Command): Generator<Command> {
  yield command;
  for (const sub of command.commands) yield* walk(sub);
}

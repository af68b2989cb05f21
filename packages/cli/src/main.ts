import { Command, CommanderError } from 'commander';
import { centralCommand } from './commands/central.ts';
import { clientCommand } from './commands/client.ts';
import { demoCommand } from './commands/demo.ts';
import { serverCommand } from './commands/server.ts';
import { readEnvironment } from './environment.ts';
import { printError } from './output.ts';

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
  program.addCommand(centralCommand(env));
  program.addCommand(serverCommand(env));
  program.addCommand(clientCommand(env));
  program.addCommand(demoCommand(env));
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

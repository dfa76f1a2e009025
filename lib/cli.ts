#!/usr/bin/env node
/** The `uniadapter` command line. */
import { commandNames, loadCommand } from './cli/registry';
import type { CliIO } from './cli/command';
import { isUniAdapterError } from './errors';

function help(io: CliIO): void {
  const lines = ['usage: uniadapter <command> [options]', '', 'commands:'];
  for (const name of commandNames()) {
    const c = loadCommand(name);
    if (c) lines.push(`  ${name.padEnd(12)} ${c.summary}`);
  }
  lines.push('', 'Run `uniadapter <command> --help` for the options of a command.');
  io.stdout.write(lines.join('\n') + '\n');
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    help(io);
    return name ? 0 : 1;
  }
  const command = loadCommand(name);
  if (!command) {
    io.stderr.write(`uniadapter: unknown command '${name}'. Commands: ${commandNames().join(', ')}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`usage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (isUniAdapterError(e)) {
      io.stderr.write(`uniadapter ${name}: ${e.message} [${e.code}]\n`);
      return 1;
    }
    io.stderr.write(`uniadapter ${name}: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`uniadapter: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 1;
    }
  );
}

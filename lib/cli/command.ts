/** The shape of a CLI command and small helpers shared by the commands. */
import { parseArgs, type ParseArgsConfig } from 'util';
import { UniAdapterError } from '../errors';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Returns the process exit code. */
  run(argv: string[], io: CliIO): Promise<number>;
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** util.parseArgs with errors turned into ERR_ARG and the usage appended (no multiple-value options). */
export function parseCommandArgs(argv: string[], options: OptionSpec, usage: string, allowPositionals = true): ParsedArgs {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals, strict: true });
    return { values: r.values as ParsedArgs['values'], positionals: r.positionals };
  } catch (e) {
    throw new UniAdapterError('ERR_ARG', `${(e as Error).message}\nusage: ${usage}`);
  }
}

export function intOption(value: string | undefined, name: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UniAdapterError('ERR_ARG', `--${name} must be an integer, got '${value}'`);
  return n;
}

export function numberOption(value: string | undefined, name: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UniAdapterError('ERR_ARG', `--${name} must be a number, got '${value}'`);
  return n;
}

export function writeJson(io: CliIO, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

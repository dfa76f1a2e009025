/** `uniadapter tokenize`: token ids of each line of stdin, one line of JSON per input line. */
import { once } from 'events';
import * as readline from 'readline';
import { UniAdapterError } from '../errors';
import { BlipTokenizer } from '../text/tokenizer';
import { intOption, parseCommandArgs, type CliIO, type Command } from './command';

const usage = 'uniadapter tokenize [--json] [--max-length N] [--pad] [--vocab <file>]  < lines.txt';

async function write(io: CliIO, line: string): Promise<void> {
  if (!io.stdout.write(line + '\n')) await once(io.stdout, 'drain');
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    {
      json: { type: 'boolean' },
      'max-length': { type: 'string' },
      pad: { type: 'boolean' },
      vocab: { type: 'string' },
    },
    usage,
    false
  );
  const maxLength = intOption(values['max-length'] as string | undefined, 'max-length');
  if (maxLength !== undefined && maxLength < 2) {
    throw new UniAdapterError('ERR_ARG', `--max-length must be at least 2 ([CLS] and [SEP]), got ${maxLength}`);
  }
  const pad = values.pad === true;
  if (pad && maxLength === undefined) throw new UniAdapterError('ERR_ARG', `--pad needs --max-length\nusage: ${usage}`);
  const vocab = values.vocab as string | undefined;
  const tokenizer = vocab !== undefined ? BlipTokenizer.fromFile(vocab) : BlipTokenizer.bertBaseUncased();

  const lines = readline.createInterface({ input: io.stdin, crlfDelay: Infinity, terminal: false });
  for await (const text of lines) {
    const ids = pad
      ? tokenizer.encodeBatch([text], { padding: 'max_length', maxLength, truncation: true }).inputIds[0]
      : tokenizer.encode(text, { maxLength });
    if (values.json) {
      const tokens = ids.map((id) => tokenizer.idToToken(id));
      await write(io, JSON.stringify({ text, ids, tokens }));
    } else {
      await write(io, JSON.stringify(ids));
    }
  }
  return 0;
}

export const command: Command = {
  name: 'tokenize',
  summary: 'print the BLIP/BERT token ids of each line of stdin',
  usage,
  run,
};

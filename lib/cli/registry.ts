/** Every CLI command, by name. Each command lives in its own file under lib/cli/. */
import type { Command } from './command';

// Loaded lazily so that `uniadapter tokenize` does not pay for loading LibTorch.
const loaders: Record<string, () => Command> = {
  bench: () => require('./bench').command,
  demo: () => require('./demo').command,
  doctor: () => require('./doctor').command,
  eval: () => require('./eval').command,
  gallery: () => require('./gallery').command,
  golden: () => require('./golden').command,
  params: () => require('./params').command,
  preprocess: () => require('./preprocess').command,
  pretrain: () => require('./pretrain').command,
  serve: () => require('./serve').command,
  synth: () => require('./synth').command,
  tokenize: () => require('./tokenize').command,
  train: () => require('./train').command,
};

export function commandNames(): string[] {
  return Object.keys(loaders).sort();
}

export function loadCommand(name: string): Command | undefined {
  const load = loaders[name];
  return load ? load() : undefined;
}

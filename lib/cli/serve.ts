/**
 * `uniadapter serve [--config serve.yaml] [--host 127.0.0.1] [--port 8080] [--no-batching]`: the HTTP
 * service. Without --config it serves what the demo left in demo-report/serve/ (its trained models and a
 * gallery `demo` of the held-out synthetic images). SIGTERM and SIGINT stop accepting connections, let
 * in-flight requests finish, close the stores and exit 0.
 */
// First: OpenBLAS reads its thread timeout when the native addon loads LibTorch.
import '../serve/blas-idle-wait';
import * as fs from 'fs';
import * as path from 'path';
import { UniAdapterError } from '../errors';
import { readServeConfig } from '../serve/serve-config';
import { buildServer } from '../serve/server';
import { createService } from '../serve/service';
import { SERVE_BUNDLE, SERVE_CONFIG_FILE } from '../tools/demo/serve-bundle';
import { intOption, parseCommandArgs, type Command } from './command';

const usage = 'uniadapter serve [--config serve.yaml] [--host 127.0.0.1] [--port 8080] [--no-batching] [--demo-report demo-report]';

export const command: Command = {
  name: 'serve',
  summary: 'an HTTP service for retrieve, answer and caption (batched, bounded, with metrics and a search page)',
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      argv,
      { config: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, 'no-batching': { type: 'boolean' }, 'demo-report': { type: 'string' } },
      usage,
      false
    );
    let file = values.config as string | undefined;
    if (!file) {
      file = path.join((values['demo-report'] as string | undefined) ?? 'demo-report', SERVE_BUNDLE, SERVE_CONFIG_FILE);
      if (!fs.existsSync(file)) {
        throw new UniAdapterError('ERR_STATE', `no --config, and no demo model at ${file}: run \`npm run demo\` first (it trains and writes the default model), or pass --config serve.yaml`);
      }
    }
    const config = await readServeConfig(file);
    if (values['no-batching']) config.batching = { ...config.batching, maxBatch: 1, maxDelayMs: 0 };
    const host = (values.host as string | undefined) ?? '127.0.0.1';
    const port = intOption(values.port as string | undefined, 'port', 8080) as number;
    if (port < 0 || port > 65535) throw new UniAdapterError('ERR_ARG', `--port must be 0–65535, got ${port}`);
    const log = (line: string) => io.stderr.write(`${new Date().toISOString()} ${line}\n`);
    const server = buildServer({ config, log, load: (observer) => createService(config, { log, observer }) });
    const address = await server.app.listen({ host, port });
    // The first line on stdout is the address (scripts and tests wait for it).
    io.stdout.write(`listening on ${address}\n`);
    log(`loading ${file}`);
    return new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log(`${signal}: draining`);
        server.close().then(
          () => {
            log('stopped');
            resolve(0);
          },
          (e) => {
            log(`stopping failed: ${(e as Error).message}`);
            resolve(1);
          }
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      server.ready.catch(() => {
        stopping = true;
        void server.close().finally(() => resolve(1));
      });
    });
  },
};

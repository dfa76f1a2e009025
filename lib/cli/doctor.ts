/** `uniadapter doctor [--json]`: what the machine and the installed binary offer, and what to fix. */
import { runtimeReport } from '../native/runtime-info';
import { parseCommandArgs, writeJson, type Command } from './command';

const usage = 'uniadapter doctor [--json] [--no-measure]';

export const command: Command = {
  name: 'doctor',
  summary: 'report LibTorch, CUDA, BLAS, threads and the native binary; warn about slow setups',
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { json: { type: 'boolean' }, 'no-measure': { type: 'boolean' } }, usage, false);
    const r = await runtimeReport({ measure: !values['no-measure'] });
    if (values.json) {
      writeJson(io, r);
      return 0;
    }
    const lines = [
      `uniadapter ${r.package.version} on Node ${r.package.node} (${r.package.platform}-${r.package.arch})`,
      `native binary   ${r.binary.kind} (${r.binary.path})`,
      `LibTorch        ${r.libtorch.version} (${r.libtorch.library || 'location unknown'})${r.libtorch.cudaCompiled ? ', CUDA build' : ', CPU build'}${r.libtorch.distributed ? ', distributed (c10d)' : ''}`,
      `CUDA            ${r.cuda.available ? `${r.cuda.deviceCount} device(s)` : 'not available'}`,
      ...r.cuda.devices.map((d) => `  cuda:${d.index}  ${d.name}, compute capability ${d.capability}, ${(d.memoryBytes / 2 ** 30).toFixed(1)} GiB`),
      `BLAS            ${r.blas.kind}${r.blas.libraries.length ? ` (${r.blas.libraries[0]})` : ''}${r.blas.gflopsMeasured ? `, ${r.blas.gflopsMeasured.toFixed(1)} GFLOP/s measured (fp32 512x512 matmul)` : ''}`,
      `threads         LibTorch intra-op ${r.threads.intraop}, inter-op ${r.threads.interop}; ${r.threads.cpus} CPUs; recommended intra-op ${r.threads.recommendedIntraop}`,
    ];
    for (const w of r.warnings) lines.push('', `WARNING: ${w}`);
    io.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};

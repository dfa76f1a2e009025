/**
 * One rank of the device check's data-parallel check: builds the small retrieval model on the device,
 * joins a process group (NCCL on CUDA, Gloo on the CPU: the native default for the device), runs one
 * training step with update on a batch of its own (rank r uses batch variant r), and writes its loss,
 * its trainable tensors (safetensors) and any error to the files it was given. With an all-reduce of
 * the gradients every rank ends with the same parameters; without one they differ.
 *
 * Usage: node dist-worker.js '{"device","rank","worldSize","masterPort","out","tensors"}'
 */
import { writeFileAtomic } from '../../lib/io/atomic';
import { writeSafetensors } from '../../lib/io/safetensors';
import { RetrievalModel } from '../../lib/model/retrieval-model';
import type { Device } from '../../lib/config/model-config';
import { retrievalBatch, smallRetrievalConfig } from './check-models';

interface WorkerArgs {
  device: Device;
  rank: number;
  worldSize: number;
  masterPort: number;
  /** JSON result file. */
  out: string;
  /** safetensors file of the trainable tensors after the step. */
  tensors: string;
}

async function main(args: WorkerArgs): Promise<number> {
  const config = smallRetrievalConfig(args.device);
  const model = await RetrievalModel.create(config);
  try {
    await model.initDistributed({ rank: args.rank, worldSize: args.worldSize, masterAddr: '127.0.0.1', masterPort: args.masterPort });
    await model.setSeed(11);
    const r = await model.trainStep(retrievalBatch(4, model.config.vision.imageSize, args.rank), { lr: 1e-3, alpha: 0.4, train: false, hardNegatives: 'argmax', update: true });
    await writeSafetensors(args.tensors, await model.stateDict('trainable'));
    await writeFileAtomic(args.out, Buffer.from(JSON.stringify({ rank: args.rank, loss: r.stats.loss, stepped: r.stats.stepped })));
    return 0;
  } finally {
    await model.dispose();
  }
}

const args = JSON.parse(process.argv[2] ?? '{}') as WorkerArgs;
main(args).then(
  (code) => process.exit(code),
  async (e: unknown) => {
    const err = e as { code?: string; message?: string };
    await writeFileAtomic(args.out, Buffer.from(JSON.stringify({ rank: args.rank, error: { code: err.code ?? 'ERR_NATIVE', message: err.message ?? String(e) } })));
    process.exit(1);
  }
);

/**
 * What the benchmarks on the demo's model share: measure the machine (its matmul rate at the start and
 * at the end), generate the demo's data in a temporary folder, run, print the JSON report and write it
 * atomically to `--out`, and remove the temporary folder.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFileAtomic } from '../lib/io/atomic';
import { BlipTokenizer } from '../lib/text/tokenizer';
import { FULL_PLAN } from '../lib/tools/demo/demo-plan';
import { demoMachine, generateDemoData, type DemoMachine } from '../lib/tools/demo/demo-setup';
import type { StageContext } from '../lib/tools/demo/demo-stages';
import { embeddedModel } from '../lib/weights/embedded-model';

export interface DemoBenchContext {
  machine: DemoMachine;
  /** The demo's full plan, its data, the embedded backbone and a scratch folder (`dir`). */
  stage: StageContext;
}

/** Runs `body` on the demo's data and writes `{ format, date, machine, ...body's result }`. */
export async function demoBenchmark(format: string, out: string | undefined, body: (c: DemoBenchContext) => Promise<Record<string, unknown>>): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-demo-bench-'));
  try {
    const machine = await demoMachine();
    console.error(`machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.blas}, ${machine.threads} thread(s), matmul ${machine.matmulGflops.toFixed(1)} GFLOP/s measured`);
    const plan = FULL_PLAN;
    const data = path.join(work, 'data');
    await generateDemoData(data, plan, (l) => console.error(l));
    const stage: StageContext = { weights: (await embeddedModel()).weights, data, plan, tok: BlipTokenizer.bertBaseUncased(), dir: work, log: (l) => console.error(l) };
    const result = await body({ machine, stage });
    const report = { format, date: new Date().toISOString(), machine: { ...machine, matmulGflopsAfter: (await demoMachine()).matmulGflops }, ...result };
    console.log(JSON.stringify(report, null, 2));
    if (out) await writeFileAtomic(out, Buffer.from(JSON.stringify(report, null, 2) + '\n'));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The training loop: reads the task's data, decodes the next batches while the native step runs,
 * computes the schedule, runs one native call per step (forward, backward, AdamW), reports progress
 * events, writes checkpoints (rank 0) and the trained adapter, resumes exactly from a checkpoint, and
 * stops gracefully — after writing a checkpoint — when its AbortSignal fires.
 *
 * Under a multi-process launch (RANK / WORLD_SIZE / MASTER_ADDR / MASTER_PORT in the environment)
 * each process trains its shard of every global batch; the native step all-reduces the gradients.
 */
import { ModelSession } from '../session/model-session';
import { EventEmitter } from 'events';
import * as fs from 'fs';
import * as path from 'path';
import type { ModelConfig } from '../config/model-config';
import { DataLoader } from '../data/loader';
import { UniAdapterError } from '../errors';
import type { TaskModel } from '../model/create-model';
import type { RetrievalModel } from '../model/retrieval-model';
import type { VqaModel } from '../model/vqa-model';
import type { CaptionModel } from '../model/caption-model';
import type { PretrainModel } from '../model/pretrain-model';
import type { StepStats } from '../model/step-options';
import { defaultThreads, setThreads } from '../native/runtime-info';
import { BlipTokenizer } from '../text/tokenizer';
import { saveAdapter } from '../weights/adapter-file';
import { saveWeights } from '../weights/save-weights';
import { captionBatch, retrievalBatch, vqaBatch, type CaptionSample, type QaSample, type RetrievalSample } from '../data/batches';
import { restoreCheckpoint, saveCheckpoint, type TrainingProgress } from './checkpoint';
import { MediaLoader } from '../data/media/media-loader';
import { distillationAlpha, learningRate, checkSchedule, type ScheduleConfig } from './schedule';
import { loadSample, openTaskDataset, readTrainingRecords, type TrainRecord, type TrainSample } from '../data/task-data';
import { resolveModelConfig } from '../config/model-choice';
import { RETRIEVAL_TEXT_LENGTH } from '../config/presets';
import { validateTrainerConfig, type TrainerConfig } from './trainer-config';

export interface DistributedEnv {
  rank: number;
  worldSize: number;
  localRank: number;
  masterAddr: string;
  masterPort: number;
}

/** torchrun-style variables, or a single process when WORLD_SIZE is absent or 1. */
export function distributedFromEnv(env: NodeJS.ProcessEnv = process.env): DistributedEnv {
  const worldSize = Number(env.WORLD_SIZE ?? 1);
  const rank = Number(env.RANK ?? 0);
  const localRank = Number(env.LOCAL_RANK ?? rank);
  if (!Number.isInteger(worldSize) || worldSize < 1 || !Number.isInteger(rank) || rank < 0 || rank >= worldSize) {
    throw new UniAdapterError('ERR_DIST', `RANK=${env.RANK} / WORLD_SIZE=${env.WORLD_SIZE} do not describe a valid process group`);
  }
  return { rank, worldSize, localRank, masterAddr: env.MASTER_ADDR ?? '127.0.0.1', masterPort: Number(env.MASTER_PORT ?? 29500) };
}

export interface StepEvent {
  step: number;
  epoch: number;
  batch: number;
  stepsPerEpoch: number;
  totalSteps: number;
  loss: number;
  parts: Record<string, number>;
  lr: number;
  alpha?: number;
  gradNorm: number;
  skipped: boolean;
  samplesPerSecond: number;
  etaSeconds: number;
  rssMb: number;
}

export interface EpochEvent {
  epoch: number;
  meanLoss: number;
  steps: number;
  seconds: number;
}

export interface TrainSummary {
  status: 'completed' | 'aborted' | 'max-steps';
  steps: number;
  epochs: number;
  seconds: number;
  finalLoss: number;
  checkpoint?: string;
  adapter?: string;
  adapterBytes?: number;
  /** Pretraining: the BLIP checkpoint written at the end. */
  weights?: string;
  weightsBytes?: number;
  trainableParameters: number;
  totalParameters: number;
  skippedRecords: number;
  losses: number[];
}

export interface TrainerEvents {
  start: [{ stepsPerEpoch: number; totalSteps: number; records: number; trainable: number; total: number; resumedFrom?: TrainingProgress }];
  step: [StepEvent];
  epoch: [EpochEvent];
  checkpoint: [{ path: string; progress: TrainingProgress }];
  log: [string];
}

export interface TrainerOptions {
  /** A session already open for this task (the trainer leaves it open); otherwise one is opened from the config. */
  session?: ModelSession;
  /** A model already built (and loaded) for this task, borrowed as a session. */
  model?: TaskModel;
  tokenizer?: BlipTokenizer;
  signal?: AbortSignal;
  distributed?: DistributedEnv;
  /** Awaited after every step, before the next one (e.g. an evaluation at that exact step). */
  afterStep?: (e: StepEvent) => Promise<void> | void;
}

export class Trainer extends EventEmitter {
  readonly config: TrainerConfig;
  private readonly options: TrainerOptions;

  constructor(config: TrainerConfig, options: TrainerOptions = {}) {
    super();
    validateTrainerConfig(config);
    this.config = config;
    this.options = options;
  }

  override on<K extends keyof TrainerEvents>(event: K, listener: (...args: TrainerEvents[K]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  override emit<K extends keyof TrainerEvents>(event: K, ...args: TrainerEvents[K]): boolean {
    return super.emit(event, ...args);
  }

  /** The model configuration the run uses. */
  modelConfig(): ModelConfig {
    return resolveModelConfig(this.config.task, this.config.model);
  }

  private async openSession(dist: DistributedEnv): Promise<ModelSession> {
    if (this.options.session) return this.options.session;
    if (this.options.model) return ModelSession.borrow(this.options.model, this.options.tokenizer);
    return ModelSession.open({
      config: this.modelConfig(),
      weights: this.config.weights,
      distributed: { rank: dist.rank, worldSize: dist.worldSize, masterAddr: dist.masterAddr, masterPort: dist.masterPort },
      tokenizer: this.options.tokenizer,
      onLog: (line) => this.emit('log', line),
    });
  }

  private async step(model: TaskModel, items: TrainSample[], tok: BlipTokenizer, lr: number, alpha: number): Promise<StepStats> {
    const c = this.config;
    const common = {
      lr,
      weightDecay: c.weightDecay ?? 0.05,
      clipGradNorm: c.clipGradNorm ?? 0,
      exemptBiasNorm: c.exemptBiasNorm ?? false,
      beta1: c.adamBetas?.[0] ?? 0.9,
      beta2: c.adamBetas?.[1] ?? 0.999,
      eps: c.adamEps ?? 1e-8,
      train: c.dropout ?? true,
    };
    if (model.task === 'retrieval') {
      const r = await (model as RetrievalModel).trainStep(retrievalBatch(items as RetrievalSample[], tok, c.maxTextLength ?? RETRIEVAL_TEXT_LENGTH, c.textPadding), {
        ...common,
        alpha,
        hardNegatives: c.hardNegatives ?? 'sample',
      });
      return r.stats;
    }
    if (model.task === 'pretrain') {
      const b = retrievalBatch(items as RetrievalSample[], tok, c.maxTextLength ?? RETRIEVAL_TEXT_LENGTH, c.textPadding);
      const r = await (model as PretrainModel).trainStep(
        { pixels: b.pixels, inputIds: b.inputIds, attentionMask: b.attentionMask },
        { ...common, alpha, hardNegatives: c.hardNegatives ?? 'sample' }
      );
      return r.stats;
    }
    if (model.task === 'vqa') return (await (model as VqaModel).trainStep(vqaBatch(items as QaSample[], tok), common)).stats;
    return (await (model as CaptionModel).trainStep(captionBatch(items as CaptionSample[], tok), common)).stats;
  }

  async run(): Promise<TrainSummary> {
    const c = this.config;
    const started = Date.now();
    const dist = this.options.distributed ?? distributedFromEnv();
    if (c.batchSize % dist.worldSize !== 0) {
      throw new UniAdapterError('ERR_CONFIG', `batchSize ${c.batchSize} is not divisible by the ${dist.worldSize} processes`);
    }
    const threads = c.threads ?? (await defaultThreads());
    await setThreads(threads);
    const isMain = dist.rank === 0;
    if (isMain) fs.mkdirSync(c.outputDir, { recursive: true });

    const ds = await openTaskDataset(c.task, c.data);
    const { records, skipped } = await readTrainingRecords(c.task, ds, c.onBadRecord ?? 'fail');
    if (records.length < c.batchSize) {
      throw new UniAdapterError('ERR_DATA', `the training set has ${records.length} records, fewer than one batch of ${c.batchSize}`);
    }
    const session = await this.openSession(dist);
    const model = session.model;
    try {
      const tok = session.tokenizer;
      const mc = model.config;
      const media = new MediaLoader({
        size: mc.vision.imageSize,
        frames: c.frames ?? 8,
        frameSampling: c.frameSampling,
        augment: c.augment ?? true,
        randAugment: c.randAugment ?? true,
        autoContrast: c.autoContrast,
      });
      const seed = c.seed ?? 42;
      const shuffleBlock = c.shuffleBlock ?? 1;
      if (shuffleBlock > 1 && dist.worldSize > 1) {
        throw new UniAdapterError('ERR_CONFIG', `shuffleBlock ${shuffleBlock} keeps blocks in one batch only in one process; run with --nproc 1 or drop shuffleBlock`);
      }
      const loader = new DataLoader<TrainRecord, TrainSample>(records, {
        load: (r, ctx) => loadSample(c.task, r, media, ctx.seed),
        batchSize: c.batchSize / dist.worldSize,
        shuffle: true,
        dropLast: true,
        seed,
        shuffleBlock,
        rank: dist.rank,
        worldSize: dist.worldSize,
        concurrency: c.loaderConcurrency ?? 4,
        onBadRecord: c.onBadRecord ?? 'fail',
      });
      const stepsPerEpoch = loader.length;
      if (stepsPerEpoch < 1) throw new UniAdapterError('ERR_DATA', 'the training set gives no full batch per process');
      const schedule: ScheduleConfig = { initLr: c.lr, minLr: c.minLr ?? 0, epochs: c.epochs, kind: c.schedule ?? 'cosine-epoch', warmupSteps: c.warmupSteps ?? 0 };
      checkSchedule(schedule);
      const totalSteps = Math.min(stepsPerEpoch * c.epochs, c.maxSteps ?? Infinity);

      let progress: TrainingProgress = { epoch: 0, batch: 0, step: 0 };
      const latest = path.join(c.outputDir, 'checkpoint.safetensors');
      const resumePath = c.resume === 'latest' ? (fs.existsSync(latest) ? latest : undefined) : c.resume;
      let resumedFrom: TrainingProgress | undefined;
      if (resumePath) {
        const state = await restoreCheckpoint(model, resumePath);
        progress = state.progress;
        resumedFrom = progress;
        this.emit('log', `resumed from ${resumePath} at epoch ${progress.epoch}, batch ${progress.batch} (step ${progress.step})`);
      } else {
        await model.setSeed(seed + dist.rank);
      }
      const info = await model.parameterInfo();
      this.emit('start', { stepsPerEpoch, totalSteps, records: records.length, trainable: info.counts.trainable, total: info.counts.total, resumedFrom });

      const losses: number[] = [];
      const trainRecord = { ...c } as unknown as Record<string, unknown>;
      const writeCheckpoint = async (p: TrainingProgress) => {
        if (!isMain) return;
        await saveCheckpoint(model, latest, p, trainRecord);
        this.emit('checkpoint', { path: latest, progress: p });
      };
      let status: TrainSummary['status'] = 'completed';
      let lastLoss = NaN;
      let windowStart = Date.now();
      let windowSamples = 0;
      const atStepLimit = () => progress.step >= totalSteps && totalSteps < stepsPerEpoch * c.epochs;
      // A run resumed at or past its step limit runs no step.
      if (atStepLimit()) status = 'max-steps';
      outer: for (let epoch = progress.epoch; status === 'completed' && epoch < c.epochs; epoch++) {
        const epochStart = Date.now();
        let epochLoss = 0;
        let epochSteps = 0;
        const fromBatch = epoch === progress.epoch ? progress.batch : 0;
        for await (const batch of loader.iterate(epoch, fromBatch)) {
          const point = { epoch, step: batch.batch, stepsPerEpoch };
          const lr = learningRate(schedule, point);
          const alpha = distillationAlpha(c.alpha ?? 0.4, point);
          const stats = await this.step(model, batch.items, tok, lr, alpha);
          progress = { epoch, batch: batch.batch + 1, step: progress.step + 1 };
          lastLoss = stats.loss;
          losses.push(stats.loss);
          epochLoss += stats.loss;
          epochSteps++;
          windowSamples += c.batchSize;
          const elapsed = (Date.now() - windowStart) / 1000;
          const rate = windowSamples / Math.max(elapsed, 1e-9);
          const parts: Record<string, number> = {};
          for (const k of ['lossIta', 'lossItm', 'lossLm'] as const) if (typeof stats[k] === 'number') parts[k] = stats[k] as number;
          const event: StepEvent = {
            step: progress.step,
            epoch,
            batch: batch.batch,
            stepsPerEpoch,
            totalSteps,
            loss: stats.loss,
            parts,
            lr,
            alpha: model.task === 'retrieval' || model.task === 'pretrain' ? alpha : undefined,
            gradNorm: stats.gradNorm,
            skipped: !stats.stepped,
            samplesPerSecond: rate,
            etaSeconds: ((totalSteps - progress.step) * c.batchSize) / Math.max(rate, 1e-9),
            rssMb: process.memoryUsage().rss / 2 ** 20,
          };
          this.emit('step', event);
          if (this.options.afterStep) await this.options.afterStep(event);
          if (c.checkpointEverySteps && progress.step % c.checkpointEverySteps === 0) await writeCheckpoint(progress);
          if (this.options.signal?.aborted) {
            status = 'aborted';
            await writeCheckpoint(progress);
            break outer;
          }
          if (atStepLimit()) {
            status = 'max-steps';
            break outer;
          }
        }
        progress = { epoch: epoch + 1, batch: 0, step: progress.step };
        this.emit('epoch', { epoch, meanLoss: epochLoss / Math.max(epochSteps, 1), steps: epochSteps, seconds: (Date.now() - epochStart) / 1000 });
        windowStart = Date.now();
        windowSamples = 0;
        await writeCheckpoint(progress);
      }
      if (status === 'max-steps') await writeCheckpoint(progress);
      let adapter: string | undefined;
      let adapterBytes: number | undefined;
      let weights: string | undefined;
      let weightsBytes: number | undefined;
      if (isMain && status !== 'aborted') {
        if (model.task === 'pretrain' || c.export) {
          weights = c.export?.path ?? path.join(c.outputDir, 'model.safetensors');
          weightsBytes = (await saveWeights(model, weights, { dtype: c.export?.dtype, momentum: c.export?.momentum, tied: c.export?.tied, base: c.export?.base })).bytes;
        } else {
          adapter = path.join(c.outputDir, 'adapter.safetensors');
          adapterBytes = (await saveAdapter(model, adapter, { step: progress.step })).bytes;
        }
      }
      return {
        status,
        steps: progress.step,
        epochs: progress.epoch,
        seconds: (Date.now() - started) / 1000,
        finalLoss: lastLoss,
        checkpoint: isMain ? latest : undefined,
        adapter,
        adapterBytes,
        weights,
        weightsBytes,
        trainableParameters: info.counts.trainable,
        totalParameters: info.counts.total,
        skippedRecords: skipped + loader.skipped.count,
        losses,
      };
    } finally {
      if (session !== this.options.session) await session.dispose();
    }
  }
}

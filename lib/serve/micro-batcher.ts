/**
 * Cross-request micro-batching: requests for the same operation that arrive within `maxDelayMs` of the
 * first (up to `maxBatch`) are run as one call, and the results are handed back in order. Requests wait
 * in a bounded queue: past `maxQueue` a submission is refused at once with ERR_BUSY (the server's 503),
 * so an overload sheds work instead of growing memory and latency without bound. One batch runs at a
 * time per batcher (the model's worker serialises native calls anyway).
 *
 * A batch call that fails is retried one request at a time, so a request with bad input fails alone.
 */
import { UniAdapterError } from '../errors';

export interface BatcherOptions {
  /** Requests merged into one call at most (1 turns batching off). */
  maxBatch: number;
  /** How long the first request of a batch waits for others. */
  maxDelayMs: number;
  /** Requests waiting (not running) at most; more are refused with ERR_BUSY. */
  maxQueue: number;
}

export interface BatcherStats {
  queued: number;
  running: boolean;
}

interface Pending<I, O> {
  input: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

export class MicroBatcher<I, O> {
  private readonly queue: Array<Pending<I, O>> = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private closed = false;

  /**
   * @param run one call for a batch: one output per input, in order
   * @param onBatch observes each batch's size and duration (metrics)
   */
  constructor(
    private readonly run: (inputs: I[]) => Promise<O[]>,
    private readonly options: BatcherOptions,
    private readonly onBatch?: (size: number, seconds: number) => void
  ) {
    for (const k of ['maxBatch', 'maxQueue'] as const) {
      if (!Number.isInteger(options[k]) || options[k] < 1) throw new UniAdapterError('ERR_ARG', `${k} must be a positive integer, got ${String(options[k])}`);
    }
    if (!(options.maxDelayMs >= 0)) throw new UniAdapterError('ERR_ARG', `maxDelayMs must be ≥ 0, got ${String(options.maxDelayMs)}`);
  }

  get stats(): BatcherStats {
    return { queued: this.queue.length, running: this.running };
  }

  /** Runs `input` in a batch; rejects with ERR_BUSY when the queue is full, ERR_STATE once closed. */
  submit(input: I): Promise<O> {
    if (this.closed) return Promise.reject(new UniAdapterError('ERR_STATE', 'the service is shutting down'));
    if (this.queue.length >= this.options.maxQueue) {
      return Promise.reject(new UniAdapterError('ERR_BUSY', `the queue is full (${this.options.maxQueue} requests waiting); retry shortly`));
    }
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.schedule();
    });
  }

  /** Refuses new work; resolves when every accepted request has finished. */
  async drain(): Promise<void> {
    this.closed = true;
    while (this.queue.length > 0 || this.running) {
      if (!this.running) this.flush();
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private schedule(): void {
    if (this.running) return;
    if (this.queue.length >= this.options.maxBatch || this.options.maxDelayMs === 0) {
      this.flush();
      return;
    }
    this.timer ??= setTimeout(() => this.flush(), this.options.maxDelayMs);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.options.maxBatch);
    this.running = true;
    const start = process.hrtime.bigint();
    void this.execute(batch).finally(() => {
      this.onBatch?.(batch.length, Number(process.hrtime.bigint() - start) / 1e9);
      this.running = false;
      if (this.queue.length > 0) this.schedule();
    });
  }

  private async execute(batch: Array<Pending<I, O>>): Promise<void> {
    let outputs: O[] | undefined;
    try {
      outputs = await this.run(batch.map((p) => p.input));
      if (outputs.length !== batch.length) throw new UniAdapterError('ERR_STATE', `a batch of ${batch.length} gave ${outputs.length} results`);
    } catch (e) {
      if (batch.length === 1) {
        batch[0].reject(e);
        return;
      }
      outputs = undefined;
    }
    if (outputs) {
      batch.forEach((p, i) => p.resolve((outputs as O[])[i]));
      return;
    }
    for (const p of batch) {
      try {
        const [o] = await this.run([p.input]);
        p.resolve(o);
      } catch (e) {
        p.reject(e);
      }
    }
  }
}

/** A one-line progress display for training runs (redrawn in place on a terminal, periodic otherwise). */
import type { StepEvent } from '../train/trainer';

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${h ? `${h}:` : ''}${String(m).padStart(h ? 2 : 1, '0')}:${String(sec).padStart(2, '0')}`;
}

export function formatStep(e: StepEvent, width = 24): string {
  const done = Math.min(1, e.step / Math.max(1, e.totalSteps));
  const filled = Math.round(done * width);
  const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
  const parts = Object.entries(e.parts)
    .map(([k, v]) => `${k.replace(/^loss/, '').toLowerCase()} ${v.toFixed(3)}`)
    .join(' ');
  return (
    `step ${e.step}/${e.totalSteps} [${bar}] epoch ${e.epoch + 1} ` +
    `loss ${e.loss.toFixed(4)}${parts ? ` (${parts})` : ''} lr ${e.lr.toExponential(2)} ` +
    `${e.samplesPerSecond.toFixed(1)} samples/s ETA ${clock(e.etaSeconds)} rss ${(e.rssMb / 1024).toFixed(2)} GB` +
    (e.skipped ? ' [step skipped: non-finite gradients]' : '')
  );
}

export class ProgressLine {
  private last = 0;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly everySteps = 10
  ) {}

  step(e: StepEvent): void {
    const line = formatStep(e);
    if (this.out.isTTY) {
      this.out.write(`\r${line}\x1b[K`);
      this.last = e.step;
    } else if (e.step === 1 || e.step % this.everySteps === 0 || e.step === e.totalSteps) {
      this.out.write(line + '\n');
    }
  }

  /** Ends the in-place line before other output. */
  break(): void {
    if (this.out.isTTY && this.last) this.out.write('\n');
    this.last = 0;
  }
}

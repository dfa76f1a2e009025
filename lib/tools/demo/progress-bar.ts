/**
 * A progress indicator for the demo's long stages. On a terminal it is one line redrawn in place (bar,
 * count, percent, elapsed time, estimated time left, a note); in a log that is not a terminal (CI) it
 * writes one plain line per 10 % of the work and one at the end, so the log stays short.
 */
import { UniAdapterError } from '../../errors';

export interface ProgressOptions {
  /** Where the progress goes and whether it is a terminal (`isTTY`); default process.stderr. */
  stream?: NodeJS.WriteStream;
  /** Receives the plain lines when the stream is not a terminal; default: writes the line to the stream. */
  log?: (line: string) => void;
  /** The clock in milliseconds; default Date.now. */
  now?: () => number;
}

export interface Progress {
  /** Adds `n` (default 1) units of work done, clamped at the total; `info` replaces the note shown. */
  tick(n?: number, info?: string): void;
  /** Shows the final state and ends the line. Later calls of tick and done are ignored. */
  done(info?: string): void;
}

const BAR_CELLS = 24;
/** At most ten redraws a second: a terminal redrawn on every step of a fast loop slows the loop. */
const REDRAW_INTERVAL_MS = 100;

/** Seconds as mm:ss (minutes past 59 keep counting). */
function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * A progress indicator for `total` units of work named `label`.
 *
 * @throws UniAdapterError ERR_ARG when `total` is not a positive integer
 */
export function createProgress(label: string, total: number, options: ProgressOptions = {}): Progress {
  if (!Number.isInteger(total) || total <= 0) {
    throw new UniAdapterError('ERR_ARG', `progress "${label}": the total must be a positive integer, got ${total}`);
  }
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => void stream.write(`${line}\n`));
  const tty = stream.isTTY === true;
  const start = now();
  let count = 0;
  let note = '';
  let lastDraw = -Infinity;
  let lastTenth = 0;
  let finished = false;

  const fields = (): string[] => {
    const elapsed = now() - start;
    const eta = count > 0 && elapsed > 0 ? clock(((total - count) * elapsed) / count) : '--:--';
    const percent = Math.floor((count * 100) / total);
    return [label, `${count}/${total}`, `${String(percent).padStart(3)}%`, `elapsed ${clock(elapsed)}`, `ETA ${eta}`, ...(note ? [note] : [])];
  };

  const draw = (): void => {
    const [name, ...rest] = fields();
    const filled = Math.floor((count * BAR_CELLS) / total);
    let line = `${name} ${'█'.repeat(filled)}${'░'.repeat(BAR_CELLS - filled)} ${rest.join('  ')}`;
    // A line wider than the terminal wraps, and `\r` then redraws only its last row.
    if (stream.columns && line.length >= stream.columns) line = line.slice(0, stream.columns - 1);
    stream.write(`\r${line}\x1b[K`);
    lastDraw = now();
  };

  const plainLine = (): string => fields().join('  ');

  return {
    tick(n = 1, info?: string): void {
      if (finished) return;
      if (!Number.isFinite(n) || n < 0) {
        throw new UniAdapterError('ERR_ARG', `progress "${label}": a tick must be a non-negative number, got ${n}`);
      }
      count = Math.min(total, count + n);
      if (info !== undefined) note = info;
      if (tty) {
        if (now() - lastDraw >= REDRAW_INTERVAL_MS) draw();
        return;
      }
      // The line for 100 % is done's.
      const tenth = Math.floor((count * 10) / total);
      if (tenth > lastTenth && count < total) {
        lastTenth = tenth;
        log(plainLine());
      }
    },
    done(info?: string): void {
      if (finished) return;
      finished = true;
      if (info !== undefined) note = info;
      if (tty) {
        draw();
        stream.write('\n');
      } else {
        log(plainLine());
      }
    },
  };
}

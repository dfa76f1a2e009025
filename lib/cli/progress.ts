/**
 * The one progress indicator of the command line (training, pretraining, the demo's stages). On a
 * terminal it is one line redrawn in place (bar, count, percent, elapsed time, estimated time left, a
 * note; on a narrow terminal the bar, then the elapsed time, give way to the note before the line is
 * cut); in a log that is not a terminal (CI, a file) it writes a plain line at the first unit (a slow
 * run shows it has started), then at intervals, so the log stays short, and one at the end.
 */
import { UniAdapterError } from '../errors';

export interface ProgressOptions {
  /** Where the progress goes and whether it is a terminal (`isTTY`); default process.stderr. */
  stream?: NodeJS.WriteStream | (NodeJS.WritableStream & { isTTY?: boolean; columns?: number });
  /** Receives the plain lines when the stream is not a terminal; default: writes the line to the stream. */
  log?: (line: string) => void;
  /** The clock in milliseconds; default Date.now. */
  now?: () => number;
  /** Units already done before this run (a resumed training run); they count, but not in the rate. */
  start?: number;
  /** Units between two plain lines when the stream is not a terminal; default a tenth of the total. */
  plainEvery?: number;
}

export interface Progress {
  /** Adds `n` (default 1) units of work done, clamped at the total; `info` replaces the note shown. */
  tick(n?: number, info?: string): void;
  /** Writes a line of its own (an epoch summary, a warning) without breaking the redrawn line. */
  print(line: string): void;
  /** Shows the final state and ends the line. Later calls of tick and done are ignored. */
  done(info?: string): void;
}

const BAR_CELLS = 24;
/** At most ten redraws a second: a terminal redrawn on every step of a fast loop slows the loop. */
const REDRAW_INTERVAL_MS = 100;

/** Milliseconds as mm:ss, or h:mm:ss from an hour on. */
function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const mmss = `${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  return h ? `${h}:${mmss}` : mmss;
}

function count(name: string, value: number, label: string, min: 0 | 1): number {
  if (!Number.isInteger(value) || value < min) {
    throw new UniAdapterError('ERR_ARG', `progress "${label}": ${name} must be a ${min ? 'positive' : 'non-negative'} integer, got ${value}`);
  }
  return value;
}

/**
 * A progress indicator for `total` units of work named `label`.
 *
 * @throws UniAdapterError ERR_ARG when `total` is not a positive integer, `start` not in [0, total] or
 * `plainEvery` not a positive integer
 */
export function createProgress(label: string, total: number, options: ProgressOptions = {}): Progress {
  count('the total', total, label, 1);
  const start = count('start', options.start ?? 0, label, 0);
  if (start > total) throw new UniAdapterError('ERR_ARG', `progress "${label}": start ${start} is past the total ${total}`);
  const every = count('plainEvery', options.plainEvery ?? Math.max(1, Math.ceil(total / 10)), label, 1);
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => void stream.write(`${line}\n`));
  const tty = stream.isTTY === true;
  const begun = now();
  let done = start;
  let note = '';
  let lastDraw = -Infinity;
  let drawn = false;
  let lastPlain = Math.floor(start / every);
  /** The count and note of the last plain line, '' before the first. */
  let lastLogged = '';
  let finished = false;

  const fields = (): string[] => {
    const elapsed = now() - begun;
    const rate = done > start && elapsed > 0 ? (done - start) / elapsed : 0;
    const eta = rate > 0 ? clock((total - done) / rate) : '--:--';
    const percent = Math.floor((done * 100) / total);
    return [label, `${done}/${total}`, `${String(percent).padStart(3)}%`, `elapsed ${clock(elapsed)}`, `ETA ${eta}`, ...(note ? [note] : [])];
  };

  const draw = (): void => {
    const [name, counted, percent, elapsed, ...rest] = fields();
    const filled = Math.floor((done * BAR_CELLS) / total);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_CELLS - filled)}`;
    // A line wider than the terminal wraps, and `\r` then redraws only its last row.
    const width = stream.columns ? stream.columns - 1 : Infinity;
    const candidates = [
      `${name} ${bar} ${[counted, percent, elapsed, ...rest].join('  ')}`,
      [name, counted, percent, elapsed, ...rest].join('  '),
      [name, counted, percent, ...rest].join('  '),
    ];
    const line = candidates.find((c) => c.length <= width) ?? candidates[candidates.length - 1].slice(0, width);
    stream.write(`\r${line}\x1b[K`);
    lastDraw = now();
    drawn = true;
  };

  const plainLine = (): string => fields().join('  ');

  return {
    tick(n = 1, info?: string): void {
      if (finished) return;
      if (!Number.isFinite(n) || n < 0) {
        throw new UniAdapterError('ERR_ARG', `progress "${label}": a tick must be a non-negative number, got ${n}`);
      }
      done = Math.min(total, done + n);
      if (info !== undefined) note = info;
      if (tty) {
        if (now() - lastDraw >= REDRAW_INTERVAL_MS) draw();
        return;
      }
      // The line for the total is done's.
      const mark = Math.floor(done / every);
      if ((mark > lastPlain || (lastLogged === '' && n > 0)) && done < total) {
        lastPlain = mark;
        lastLogged = `${done} ${note}`;
        log(plainLine());
      }
    },
    print(line: string): void {
      if (tty && drawn && !finished) {
        stream.write(`\r\x1b[K${line}\n`);
        draw();
      } else {
        log(line);
      }
    },
    done(info?: string): void {
      if (finished) return;
      finished = true;
      if (info !== undefined) note = info;
      if (tty) {
        draw();
        stream.write('\n');
      } else if (lastLogged !== `${done} ${note}`) {
        // Not the line just logged again (a run stopped on an interval mark).
        log(plainLine());
      }
    },
  };
}

/**
 * The library's progress reports — `(phase, done, total)` callbacks — drawn as one indicator per
 * phase: a new phase, or a new total, ends the previous indicator and starts another.
 */
export function progressReporter(options: Omit<ProgressOptions, 'start'> = {}): (phase: string, done: number, total: number) => void {
  let current: { phase: string; total: number; done: number; bar: Progress } | undefined;
  return (phase, done, total) => {
    if (!Number.isInteger(total) || total < 1) return;
    if (!current || current.phase !== phase || current.total !== total || done < current.done) {
      current?.bar.done();
      current = { phase, total, done: 0, bar: createProgress(phase, total, options) };
    }
    current.bar.tick(done - current.done);
    current.done = done;
    if (done >= total) {
      current.bar.done();
      current = undefined;
    }
  };
}

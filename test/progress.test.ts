/**
 * The command line's progress indicator (training, pretraining, the demo's stages), on a fake stream
 * and clock: terminal and plain-log modes, resumed runs, lines printed beside the bar, bad arguments.
 */
import { createProgress, progressReporter } from '../lib/cli/progress';
import { stepNote } from '../lib/cli/train';
import { expectUniAdapterError } from './helpers/expect-error';

/** A stream that records what is written to it. */
function fakeStream(isTTY: boolean, columns?: number): { stream: NodeJS.WriteStream; writes: string[] } {
  const writes: string[] = [];
  const stream = { isTTY, columns, write: (s: string) => (writes.push(s), true) } as unknown as NodeJS.WriteStream;
  return { stream, writes };
}

describe('createProgress on a terminal', () => {
  it('redraws one line in place with the bar, count, percent, elapsed time, ETA and note, and ends it at done', () => {
    let t = 0;
    const { stream, writes } = fakeStream(true);
    const p = createProgress('train', 100, { stream, now: () => t });
    t = 10_000;
    p.tick(25, 'loss 1.20');
    expect(writes).toHaveLength(1);
    expect(writes[0]).toBe(`\rtrain ${'█'.repeat(6)}${'░'.repeat(18)} 25/100   25%  elapsed 00:10  ETA 00:30  loss 1.20\x1b[K`);
    t = 10_050;
    p.tick(25);
    expect(writes).toHaveLength(1); // under 100 ms since the last redraw
    t = 10_200;
    p.tick(25);
    expect(writes).toHaveLength(2);
    expect(writes[1]).toContain(`${'█'.repeat(18)}${'░'.repeat(6)} 75/100   75%  elapsed 00:10  ETA 00:03  loss 1.20`);
    t = 75_000;
    p.tick(500); // clamped at the total
    p.done('saved');
    expect(writes.slice(-2)).toEqual([`\rtrain ${'█'.repeat(24)} 100/100  100%  elapsed 01:15  ETA 00:00  saved\x1b[K`, '\n']);
    const count = writes.length;
    p.tick();
    p.done();
    expect(writes).toHaveLength(count);
  });

  it('gives up the bar, then the elapsed time, before cutting the note on a narrow terminal', () => {
    let t = 0;
    const note = 'loss 2.5000 (itc 1.000 itm 0.500 lm 1.000)';
    const draw = (columns: number) => {
      const { stream, writes } = fakeStream(true, columns);
      const p = createProgress('step', 10, { stream, now: () => t });
      t += 1000;
      p.tick(5, note);
      return writes[0].slice(1, -'\x1b[K'.length);
    };
    const full = `step ${'█'.repeat(12)}${'░'.repeat(12)} 5/10   50%  elapsed 00:01  ETA 00:01  ${note}`;
    expect(draw(200)).toBe(full);
    expect(draw(full.length)).toBe(`step  5/10   50%  elapsed 00:01  ETA 00:01  ${note}`);
    expect(draw(80)).toBe(`step  5/10   50%  ETA 00:01  ${note}`);
    expect(draw(40)).toBe(`step  5/10   50%  ETA 00:01  ${note}`.slice(0, 39));
  });

  it('draws at most about ten times a second and fits the line to the terminal width', () => {
    let t = 0;
    const { stream, writes } = fakeStream(true, 40);
    const p = createProgress('a long label for a narrow terminal', 1000, { stream, now: () => t });
    for (let i = 0; i < 1000; i++) {
      t += 1;
      p.tick();
    }
    expect(writes.length).toBeGreaterThanOrEqual(9);
    expect(writes.length).toBeLessThanOrEqual(11);
    for (const w of writes) {
      expect(w.startsWith('\r') && w.endsWith('\x1b[K')).toBe(true);
      expect(w.length - '\r\x1b[K'.length).toBeLessThan(40);
    }
  });
});

describe('createProgress in a log that is not a terminal', () => {
  it('logs a line at the first unit, one per 10 % crossed and one at done, with the same fields as plain text', () => {
    let t = 0;
    const lines: string[] = [];
    const { stream, writes } = fakeStream(false);
    const p = createProgress('eval', 50, { stream, log: (l) => lines.push(l), now: () => t });
    for (let i = 0; i < 50; i++) {
      t += 1000;
      p.tick(1, `item ${i + 1}`);
    }
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe('eval  1/50    2%  elapsed 00:01  ETA 00:49  item 1');
    expect(lines[1]).toBe('eval  5/50   10%  elapsed 00:05  ETA 00:45  item 5');
    expect(lines[9]).toBe('eval  45/50   90%  elapsed 00:45  ETA 00:05  item 45');
    p.done();
    expect(lines).toHaveLength(11);
    expect(lines[10]).toBe('eval  50/50  100%  elapsed 00:50  ETA 00:00  item 50');
    expect(writes).toEqual([]);
  });

  it('logs one line for a tick that crosses several boundaries, and writes lines to the stream by default', () => {
    const { stream, writes } = fakeStream(false);
    const p = createProgress('steps', 10, { stream, now: () => 0 });
    p.tick(4);
    p.tick(0);
    p.tick(1, 'half');
    p.done();
    // done's line would repeat the last one: it is left out.
    expect(writes).toEqual(['steps  4/10   40%  elapsed 00:00  ETA --:--\n', 'steps  5/10   50%  elapsed 00:00  ETA --:--  half\n']);
  });

  it('refuses a total that is not a positive integer, and a negative tick', async () => {
    for (const total of [0, -3, 1.5, NaN, Infinity]) {
      await expectUniAdapterError(Promise.resolve().then(() => createProgress('x', total)), 'ERR_ARG', 'positive integer');
    }
    const p = createProgress('x', 3, { stream: fakeStream(false).stream });
    await expectUniAdapterError(Promise.resolve().then(() => p.tick(-1)), 'ERR_ARG', 'non-negative');
  });
});

describe('createProgress for a resumed run, with its own plain-line interval and lines beside the bar', () => {
  it('starts at the units already done and leaves them out of the rate', () => {
    let t = 0;
    const lines: string[] = [];
    const p = createProgress('step', 1000, { stream: fakeStream(false).stream, log: (l) => lines.push(l), now: () => t, start: 900, plainEvery: 10 });
    t = 20_000;
    p.tick(10, 'loss 0.5');
    // 10 units in 20 s: the 90 left take 180 s, not the 2 s that counting the 900 resumed units would give.
    expect(lines).toEqual(['step  910/1000   91%  elapsed 00:20  ETA 03:00  loss 0.5']);
    t = 40_000;
    p.tick(5);
    expect(lines).toHaveLength(1);
    p.tick(5);
    expect(lines[1]).toBe('step  920/1000   92%  elapsed 00:40  ETA 02:40  loss 0.5');
  });

  it('shows hours past the first one', () => {
    let t = 0;
    const lines: string[] = [];
    const p = createProgress('pretrain', 4, { stream: fakeStream(false).stream, log: (l) => lines.push(l), now: () => t });
    t = 3_725_000;
    p.tick(1);
    expect(lines[0]).toBe('pretrain  1/4   25%  elapsed 1:02:05  ETA 3:06:15');
  });

  it('prints a line above the redrawn bar on a terminal, and as a plain line in a log', () => {
    let t = 0;
    const tty = fakeStream(true);
    const p = createProgress('step', 10, { stream: tty.stream, now: () => t });
    p.print('before any bar');
    t = 1000;
    p.tick(5);
    p.print('epoch 1: mean loss 0.5');
    expect(tty.writes[0]).toBe('before any bar\n');
    expect(tty.writes[2]).toBe('\r\x1b[Kepoch 1: mean loss 0.5\n');
    expect(tty.writes[3]).toMatch(/^\rstep █+░+ 5\/10 {3}50% {2}elapsed 00:01 {2}ETA 00:01\x1b\[K$/);
    const lines: string[] = [];
    const plain = createProgress('step', 10, { stream: fakeStream(false).stream, log: (l) => lines.push(l) });
    plain.print('a warning');
    expect(lines).toEqual(['a warning']);
  });

  it('refuses a start outside [0, total] and an interval that is not a positive integer', async () => {
    const stream = fakeStream(false).stream;
    await expectUniAdapterError(Promise.resolve().then(() => createProgress('x', 10, { stream, start: 11 })), 'ERR_ARG', 'start 11 is past the total 10');
    await expectUniAdapterError(Promise.resolve().then(() => createProgress('x', 10, { stream, start: -1 })), 'ERR_ARG', 'non-negative integer');
    for (const plainEvery of [0, 2.5]) {
      await expectUniAdapterError(Promise.resolve().then(() => createProgress('x', 10, { stream, plainEvery })), 'ERR_ARG', 'plainEvery must be a positive integer');
    }
  });
});

describe('stepNote', () => {
  it('notes the loss with its parts and a skipped step first, then lr, speed, epoch and memory', () => {
    const e = {
      step: 3, epoch: 0, batch: 2, stepsPerEpoch: 10, totalSteps: 20, loss: 1.23456, parts: { lossItc: 0.5, lossItm: 0.25 },
      lr: 1e-4, gradNorm: 1, skipped: true, samplesPerSecond: 12.34, etaSeconds: 5, rssMb: 1536,
    };
    expect(stepNote(e)).toBe('loss 1.2346 (itc 0.500 itm 0.250)  [step skipped: non-finite gradients]  lr 1.00e-4  12.3 samples/s  epoch 1  rss 1.50 GB');
    expect(stepNote({ ...e, skipped: false, parts: {} })).toBe('loss 1.2346  lr 1.00e-4  12.3 samples/s  epoch 1  rss 1.50 GB');
  });
});

describe('progressReporter', () => {
  it("draws the library's (phase, done, total) reports as one indicator per phase", () => {
    let t = 0;
    const lines: string[] = [];
    const report = progressReporter({ stream: fakeStream(false).stream, log: (l) => lines.push(l), now: () => t });
    t = 1000;
    report('images', 50, 100);
    t = 2000;
    report('images', 100, 100);
    report('texts', 0, 0); // nothing to do: no indicator
    t = 3000;
    report('texts', 10, 20);
    report('texts', 20, 20);
    expect(lines).toEqual([
      // A phase's clock starts at its first report.
      'images  50/100   50%  elapsed 00:00  ETA --:--',
      'images  100/100  100%  elapsed 00:01  ETA 00:00',
      'texts  10/20   50%  elapsed 00:00  ETA --:--',
      'texts  20/20  100%  elapsed 00:00  ETA --:--',
    ]);
  });

  it('does not log the last line twice when a run stops on an interval mark', () => {
    const lines: string[] = [];
    const p = createProgress('step', 100, { stream: fakeStream(false).stream, log: (l) => lines.push(l), now: () => 0, plainEvery: 10 });
    p.tick(20);
    p.done();
    expect(lines).toEqual(['step  20/100   20%  elapsed 00:00  ETA --:--']);
  });
});

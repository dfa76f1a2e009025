/**
 * Bad annotation records: where they are (file, line, index), why they are bad, and the policy that
 * decides whether one stops the read ('fail') or is counted and left out ('skip').
 */
import { UniAdapterError } from '../../errors';

/** What to do with a record that is malformed or whose media file is missing. */
export type BadRecordPolicy = 'skip' | 'fail';

/** Where a record is: its file, its 0-based index in the file's list and, when known, its 1-based line. */
export interface RecordLocation {
  file: string;
  index: number;
  line?: number;
}

/** A record left out, with the reason. */
export interface BadRecord extends RecordLocation {
  reason: string;
}

/** Formats a location as `file:line (record i)` or `file (record i)`. */
export function formatLocation(loc: RecordLocation): string {
  return loc.line !== undefined ? `${loc.file}:${loc.line} (record ${loc.index})` : `${loc.file} (record ${loc.index})`;
}

/**
 * Collects bad records under a policy: with 'fail' the first one throws `ERR_DATA` naming the file,
 * line and reason; with 'skip' it is kept in {@link records} and the read goes on.
 */
export class BadRecordLog {
  readonly records: BadRecord[] = [];

  constructor(readonly policy: BadRecordPolicy = 'fail') {
    if (policy !== 'skip' && policy !== 'fail') {
      throw new UniAdapterError('ERR_ARG', `onBadRecord must be 'skip' or 'fail', got '${String(policy)}'`);
    }
  }

  /** Number of records skipped so far. */
  get count(): number {
    return this.records.length;
  }

  /** Reports a bad record; throws `ERR_DATA` under the 'fail' policy. */
  report(loc: RecordLocation, reason: string): void {
    if (this.policy === 'fail') {
      throw new UniAdapterError(
        'ERR_DATA',
        `${formatLocation(loc)}: ${reason} (use onBadRecord: 'skip' to leave bad records out)`
      );
    }
    this.records.push({ file: loc.file, index: loc.index, line: loc.line, reason });
  }
}

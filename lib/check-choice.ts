/** The one check of a string option against its closed list of values (paddings, answer scores, wordings). */
import { UniAdapterError, type ErrorCode } from './errors';

/**
 * Throws a coded error naming the option and every allowed value unless `value` is one of `allowed`.
 *
 * @throws UniAdapterError `code` (default ERR_ARG)
 */
export function checkChoice<T extends string>(value: unknown, allowed: readonly T[], name: string, code: ErrorCode = 'ERR_ARG'): asserts value is T {
  if (!allowed.includes(value as T)) {
    throw new UniAdapterError(code, `${name} must be ${allowed.map((v) => `'${v}'`).join(' or ')}, got '${String(value)}'`);
  }
}

/** Expecting a UniAdapterError with a given code and message fragments (and no C++ backtrace). */
import { UniAdapterError } from '../../lib/errors';

/** Awaits `p`, expects it to reject with a UniAdapterError of `code` whose message holds every fragment. */
export async function expectUniAdapterError(p: Promise<unknown>, code: string, ...fragments: string[]): Promise<UniAdapterError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err
  );
  if (!(e instanceof UniAdapterError)) {
    throw new Error(`expected a UniAdapterError ${code}, got ${e === undefined ? 'success' : String((e as Error)?.stack ?? e)}`);
  }
  expect({ code: e.code, message: e.message }).toEqual({ code, message: expect.any(String) });
  for (const f of fragments) expect(e.message).toContain(f);
  // No C++ backtrace or internal frames in what the user sees.
  expect(e.message).not.toMatch(/Exception raised from|frame #\d|\.cpp:\d+/);
  return e;
}

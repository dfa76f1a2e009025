/** Where the golden fixtures are: inside the repository (test/fixtures/), so a plain clone runs the suite. */
import * as path from 'path';

export const FIXTURES_DIR = path.resolve(__dirname, '..', 'fixtures');
export const GOLDEN_TINY = path.join(FIXTURES_DIR, 'golden-tiny');

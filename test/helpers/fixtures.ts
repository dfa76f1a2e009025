/** Where the shared fixtures are (../shared beside the repository, in CI too). */
import * as path from 'path';

export const SHARED_DIR = path.resolve(__dirname, '../../../shared');
export const GOLDEN_TINY = path.join(SHARED_DIR, 'fixtures', 'golden-tiny');

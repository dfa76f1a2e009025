#!/usr/bin/env node
'use strict';
// Runs jest and ends with the plain line "N passed, N failed[, N skipped]" taken from jest's JSON
// results (CI recognises that line; jest's own summary is not recognised).
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-jest-')), 'results.json');
const jest = require.resolve('jest/bin/jest');
const r = spawnSync(process.execPath, [jest, '--json', `--outputFile=${out}`, ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: path.resolve(__dirname, '..'),
});
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const res = JSON.parse(fs.readFileSync(out, 'utf8'));
  passed = res.numPassedTests;
  failed = res.numFailedTests;
  skipped = res.numPendingTests + res.numTodoTests;
  // A suite that fails to run (syntax error, crash) has no failed tests but must count.
  failed += res.testResults.filter((s) => s.status === 'failed' && s.assertionResults.every((a) => a.status !== 'failed')).length;
} catch {
  failed = Math.max(1, failed);
}
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(r.status === 0 && failed === 0 ? 0 : 1);

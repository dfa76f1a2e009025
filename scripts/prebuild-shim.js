#!/usr/bin/env node
'use strict';
// prebuildify calls `<node-gyp> rebuild --target=... --release ...`; it has no backend flag, so this
// shim stands in for node-gyp and runs the cmake-js build, which leaves build/Release/uniadapter.node
// where prebuildify looks for it.
const { spawnSync } = require('child_process');
const path = require('path');

const argv = process.argv.slice(2);
const debug = argv.includes('--debug');
const r = spawnSync(process.execPath, [path.join(__dirname, 'build-native.js'), 'build', ...(debug ? ['--debug'] : [])], {
  stdio: 'inherit',
  env: { ...process.env, ...(debug ? { UNIADAPTER_DEBUG: '1' } : {}) },
});
process.exit(r.status === null ? 1 : r.status);

#!/usr/bin/env node
'use strict';
// The package's install script: keep a prebuilt (or already built) binary when it loads on this
// machine; otherwise say so in one plain line and build from source.
const { spawnSync } = require('child_process');
const path = require('path');

const root = path.resolve(__dirname, '..');

// Loaded in a child process: a binary whose libraries are missing must not take the install down.
const probe = spawnSync(process.execPath, ['-e', `require('node-gyp-build')(${JSON.stringify(root)})`], { stdio: 'ignore' });
if (probe.status === 0) process.exit(0);

process.stderr.write(
  `uniadapter: no prebuilt binary loads on this machine (${process.platform}-${process.arch}, Node ABI ${process.versions.modules}); ` +
    'building from source with the system LibTorch, about 5-10 minutes on 2 cores\n'
);
const r = spawnSync(process.execPath, [path.join(__dirname, 'build-native.js')], { stdio: 'inherit' });
process.exit(r.status === null ? 1 : r.status);

#!/usr/bin/env node
'use strict';
// Source build of the addon with cmake-js (the install script's fallback when no prebuild loads).
// Uses ccache when present and at most as many compile jobs as the machine has cores (max 4: each
// LibTorch translation unit needs about 1 GB of memory).
const { spawnSync, execFileSync } = require('child_process');
const os = require('os');
const path = require('path');

function has(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const root = path.resolve(__dirname, '..');
const mode = process.argv.includes('--configure-only') ? 'configure' : process.argv.includes('build') ? 'build' : 'rebuild';
const jobs = String(Math.max(1, Math.min(4, os.cpus().length)));
const args = [require.resolve('cmake-js/bin/cmake-js'), mode, '--parallel', jobs];
if (has('ninja')) args.push('-G', 'Ninja');
const useCcache = has('ccache') && !process.env.UNIADAPTER_NO_CCACHE;
if (useCcache) args.push('--CDCMAKE_CXX_COMPILER_LAUNCHER=ccache');
// ccache refuses translation units that use a precompiled header unless these sloppiness flags are
// set; the base dir makes a copy of the package in another folder hit the same cache entries.
const ccacheEnv = useCcache
  ? { CCACHE_SLOPPINESS: process.env.CCACHE_SLOPPINESS ?? 'pch_defines,time_macros,include_file_mtime,include_file_ctime', CCACHE_BASEDIR: process.env.CCACHE_BASEDIR ?? root }
  : {};
if (process.env.UNIADAPTER_DEBUG) args.push('--debug');
const extra = process.argv.slice(2).filter((a) => a !== 'build' && a !== '--configure-only');
args.push(...extra);

process.stderr.write(`uniadapter: building the native addon from source (${jobs} jobs)\n`);
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...ccacheEnv, CMAKE_BUILD_PARALLEL_LEVEL: jobs } });
if (r.status !== 0) {
  process.stderr.write(
    '\nuniadapter: the native build failed. Run `npx uniadapter doctor` after fixing it; the README\'s\n' +
      '"Install" and "Troubleshooting" sections list the system packages a source build needs.\n'
  );
  process.exit(r.status || 1);
}

#!/usr/bin/env node
'use strict';
// The one place that says what the native addon is built from and against which LibTorch.
// CMakeLists.txt includes its `cmake` output; binding.gyp expands its `gyp-*` outputs.
// LibTorch discovery order: Torch_DIR / UNIADAPTER_TORCH_DIR, then the torch of a Python
// (TORCH_PYTHON, default python3) when it is a pip wheel, then the system's (Debian libtorch-dev).

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const CORE_DIR = 'native/uniadapter';
const ADDON_DIR = 'native/addon';

/** The .cpp files below `dir` (the core is grouped in folders: nn/, petl/, tasks/, train/, runtime/). */
function cppFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...cppFiles(rel));
    else if (entry.name.endsWith('.cpp')) out.push(rel);
  }
  return out;
}

const CXX_STANDARD = '20';
const COMMON_DEFINES = ['NAPI_VERSION=8', 'NODE_ADDON_API_DISABLE_DEPRECATED', 'NAPI_CPP_EXCEPTIONS'];

function torchRootFromCmakeDir(cmakeDir) {
  // <root>/share/cmake/Torch (pip, libtorch zip) or /usr/lib/<arch>/cmake/Torch (Debian).
  const parts = path.resolve(cmakeDir).split(path.sep);
  const share = parts.lastIndexOf('share');
  if (share > 0 && parts[share + 1] === 'cmake') return parts.slice(0, share).join(path.sep) || '/';
  return null;
}

function resolveCmakeDir(dir) {
  const candidates = [dir, path.join(dir, 'share/cmake/Torch'), path.join(dir, 'lib/cmake/Torch')];
  return candidates.find((c) => fs.existsSync(path.join(c, 'TorchConfig.cmake'))) || null;
}

function fromExplicitDir() {
  const given = process.env.UNIADAPTER_TORCH_DIR || process.env.Torch_DIR;
  if (!given) return null;
  const cmakeDir = resolveCmakeDir(given);
  if (!cmakeDir) {
    throw new Error(
      `UNIADAPTER_TORCH_DIR/Torch_DIR is set to ${given}, but no TorchConfig.cmake was found there ` +
        '(looked in the folder itself, share/cmake/Torch and lib/cmake/Torch).'
    );
  }
  const root = torchRootFromCmakeDir(cmakeDir);
  return { source: 'explicit', cmakeDir, root, system: root === null };
}

function fromPython() {
  const python = process.env.TORCH_PYTHON || 'python3';
  let dir;
  try {
    dir = execFileSync(python, ['-c', 'import os, torch; print(os.path.dirname(torch.__file__))'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 60000,
    }).trim();
  } catch {
    return null;
  }
  const cmakeDir = path.join(dir, 'share/cmake/Torch');
  const isWheel = fs.existsSync(path.join(cmakeDir, 'TorchConfig.cmake')) && fs.existsSync(path.join(dir, 'lib'));
  if (!isWheel) return null;
  return { source: `python (${python})`, cmakeDir, root: dir, system: false };
}

function fromSystem() {
  const dirs = ['/usr/lib/x86_64-linux-gnu/cmake/Torch', '/usr/lib/aarch64-linux-gnu/cmake/Torch', '/usr/lib/cmake/Torch', '/usr/local/share/cmake/Torch'];
  const cmakeDir = dirs.find((d) => fs.existsSync(path.join(d, 'TorchConfig.cmake')));
  if (!cmakeDir) return null;
  return { source: 'system', cmakeDir, root: torchRootFromCmakeDir(cmakeDir), system: true };
}

const NOT_FOUND =
  'LibTorch was not found. Provide it in one of three ways:\n' +
  '  1. set UNIADAPTER_TORCH_DIR (or Torch_DIR) to a LibTorch folder or its share/cmake/Torch folder;\n' +
  '  2. install PyTorch with pip for a Python and set TORCH_PYTHON to it (default: python3);\n' +
  '  3. install the system package: apt-get install libtorch-dev libopenblas0-pthread libgloo-dev';

function discoverTorch() {
  const found = fromExplicitDir() || fromPython() || fromSystem();
  if (!found) throw new Error(NOT_FOUND);
  return withLayout(found);
}

function withLayout(t) {
  let includeDirs;
  let libDir;
  if (t.root && !t.system) {
    includeDirs = [path.join(t.root, 'include'), path.join(t.root, 'include/torch/csrc/api/include')];
    libDir = path.join(t.root, 'lib');
  } else {
    includeDirs = ['/usr/include', '/usr/include/torch/csrc/api/include'];
    libDir = path.resolve(t.cmakeDir, '../..');
  }
  const config = fs.readFileSync(path.join(t.cmakeDir, 'TorchConfig.cmake'), 'utf8');
  const abi = /_GLIBCXX_USE_CXX11_ABI=(\d)/.exec(config);
  const hasCuda = fs.existsSync(path.join(libDir, 'libtorch_cuda.so'));
  const libs = ['torch', 'torch_cpu', 'c10'].concat(hasCuda ? ['torch_cuda', 'c10_cuda'] : []);
  const versionHeader = includeDirs.map((d) => path.join(d, 'torch/version.h')).find((p) => fs.existsSync(p));
  let version = 'unknown';
  if (versionHeader) {
    const m = /TORCH_VERSION\s+\\?\s*"([^"]+)"/.exec(fs.readFileSync(versionHeader, 'utf8'));
    if (m) version = m[1];
  }
  const glooHeaders = includeDirs.some((d) => fs.existsSync(path.join(d, 'gloo/config.h')));
  // NCCL: a CUDA build whose headers have the NCCL process group, and nccl.h (pip wheels keep it in
  // the nvidia-nccl package beside torch).
  const ncclHeaderDirs = hasCuda
    ? [...includeDirs, ...(t.root ? [path.join(t.root, '..', 'nvidia', 'nccl', 'include')] : []), '/usr/include', '/usr/local/cuda/include'].filter((d) => fs.existsSync(path.join(d, 'nccl.h')))
    : [];
  const nccl = hasCuda && ncclHeaderDirs.length > 0 && includeDirs.some((d) => fs.existsSync(path.join(d, 'torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp')));
  if (nccl) includeDirs = [...includeDirs, ...ncclHeaderDirs.filter((d) => !includeDirs.includes(d))];
  return {
    ...t,
    includeDirs,
    libDir,
    libs,
    hasCuda,
    version,
    cxx11Abi: abi ? abi[1] : '1',
    distributed: glooHeaders,
    nccl,
    runpath: !t.system,
  };
}

function sources() {
  return cppFiles(CORE_DIR).concat(cppFiles(ADDON_DIR));
}

function defines(torch) {
  const d = COMMON_DEFINES.concat([`_GLIBCXX_USE_CXX11_ABI=${torch.cxx11Abi}`]);
  if (torch.distributed) d.push('USE_C10D_GLOO', 'USE_DISTRIBUTED', 'UNIADAPTER_WITH_DIST=1');
  if (torch.hasCuda) d.push('UNIADAPTER_WITH_CUDA=1');
  if (torch.distributed && torch.nccl) d.push('USE_C10D_NCCL');
  return d;
}

function nodeAddonApiInclude() {
  return path.dirname(require.resolve('node-addon-api/package.json'));
}

function cmakeQuote(s) {
  return `"${String(s).replace(/\\/g, '/').replace(/"/g, '\\"')}"`;
}

function emitCmake() {
  const torch = discoverTorch();
  const lines = [
    '# generated by scripts/build-config.js',
    `set(UA_TORCH_SOURCE ${cmakeQuote(torch.source)})`,
    `set(UA_TORCH_CMAKE_DIR ${cmakeQuote(torch.cmakeDir)})`,
    `set(UA_TORCH_VERSION ${cmakeQuote(torch.version)})`,
    `set(UA_TORCH_LIB_DIR ${cmakeQuote(torch.libDir)})`,
    `set(UA_TORCH_RUNPATH ${torch.runpath ? 'ON' : 'OFF'})`,
    `set(UA_TORCH_DISTRIBUTED ${torch.distributed ? 'ON' : 'OFF'})`,
    `set(UA_CXX_STANDARD ${CXX_STANDARD})`,
    `set(UA_CORE_SOURCES ${cppFiles(CORE_DIR).map(cmakeQuote).join(' ')})`,
    `set(UA_ADDON_SOURCES ${cppFiles(ADDON_DIR).map(cmakeQuote).join(' ')})`,
    `set(UA_DEFINES ${defines(torch).map(cmakeQuote).join(' ')})`,
    `set(UA_NODE_ADDON_API_DIR ${cmakeQuote(nodeAddonApiInclude())})`,
  ];
  return lines.join('\n') + '\n';
}

function gypList(kind) {
  const torch = kind === 'sources' ? null : discoverTorch();
  switch (kind) {
    case 'sources':
      return sources();
    case 'includes':
      return ['native', nodeAddonApiInclude()].concat(torch.includeDirs);
    case 'defines':
      return defines(torch);
    case 'cflags':
      return [`-std=c++${CXX_STANDARD}`, '-fexceptions', '-O2'];
    case 'ldflags':
      return [`-L${torch.libDir}`].concat(torch.runpath ? [`-Wl,-rpath,${torch.libDir}`] : []);
    case 'libs':
      return torch.libs.map((l) => `-l${l}`);
    default:
      throw new Error(`unknown list ${kind}`);
  }
}

module.exports = { discoverTorch, sources, defines, NOT_FOUND };

if (require.main === module) {
  const what = process.argv[2];
  try {
    if (what === 'cmake') {
      const out = process.argv[3];
      const text = emitCmake();
      if (out) fs.writeFileSync(out, text);
      else process.stdout.write(text);
    } else if (what === 'json') {
      process.stdout.write(JSON.stringify({ torch: discoverTorch(), sources: sources() }, null, 2) + '\n');
    } else if (what && what.startsWith('gyp-')) {
      // gyp splits `<!@(...)` output on whitespace: print one item per line, quoted paths avoided.
      process.stdout.write(gypList(what.slice(4)).join('\n') + '\n');
    } else {
      process.stderr.write('usage: build-config.js cmake [out] | json | gyp-{sources,includes,defines,cflags,ldflags,libs}\n');
      process.exit(2);
    }
  } catch (e) {
    process.stderr.write(`uniadapter build: ${e.message}\n`);
    process.exit(1);
  }
}

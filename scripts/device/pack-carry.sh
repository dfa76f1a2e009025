#!/usr/bin/env bash
# Assembles what the GPU device machine needs beside the working tree, in .device-carry/ (git-ignored;
# name it in the device tool's `carry`). That machine has no Node and no package registry:
#   node.xz        this machine's Node binary, xz-compressed
#   app.tar.xz     a compiled tree: lib/ (what dist/ holds), benchmarks/ (with the plain-PyTorch
#                  reference) and scripts/device/ compiled by tsconfig.device.json, package.json, the
#                  native sources with CMakeLists.txt and scripts/build-config.js (the addon is built
#                  there against the machine's pip torch), and only the runtime node_modules
#   manifest.json  what was packed, the sizes, and the check against the 64 MiB limit
# The limit counts the whole working tree that travels (tracked and untracked-not-ignored files) plus
# the carried paths, so both are measured.
#
# Usage: bash scripts/device/pack-carry.sh [--xz-level N] [--dest DIR]
#   --xz-level N   compression level of node.xz and app.tar.xz (default 9; the jest rehearsal uses 3: level 1 no longer fits beside the 18 MB of embedded models in the working tree)
#   --dest DIR     where to assemble (default <repo>/.device-carry)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LEVEL=9
DEST="$ROOT/.device-carry"
while [ $# -gt 0 ]; do
  case "$1" in
    --xz-level) LEVEL="$2"; shift 2 ;;
    --dest) DEST="$2"; shift 2 ;;
    *) echo "pack-carry: unknown argument '$1' (usage: pack-carry.sh [--xz-level N] [--dest DIR])" >&2; exit 2 ;;
  esac
done
case "$LEVEL" in [0-9]) ;; *) echo "pack-carry: --xz-level must be 0-9, got '$LEVEL'" >&2; exit 2 ;; esac
LIMIT_BYTES=$((64 * 1024 * 1024))
NODE_BIN="$(command -v node)"
NODE_REAL="$(readlink -f "$NODE_BIN")"
[ -d "$ROOT/node_modules" ] || { echo "pack-carry: $ROOT/node_modules is missing: run npm ci first" >&2; exit 1; }

mkdir -p "$DEST"
STAGE="$(mktemp -d "${TMPDIR:-/tmp}/ua-pack-XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
APP="$STAGE/app"

echo "pack-carry: compiling lib/, benchmarks/ and scripts/device/" >&2
(cd "$ROOT" && node node_modules/typescript/bin/tsc -p tsconfig.device.json --outDir "$APP")
cp "$ROOT/package.json" "$APP/"
mkdir -p "$APP/benchmarks/reference" "$APP/scripts"
cp "$ROOT/benchmarks/reference/blip_reference.py" "$APP/benchmarks/reference/"
cp -a "$ROOT/native" "$APP/native"
cp "$ROOT/CMakeLists.txt" "$APP/"
cp "$ROOT/scripts/build-config.js" "$APP/scripts/"

# Runtime packages: the package's dependencies and what they need, as installed here (cmake-js is the
# install-time builder and is replaced by plain cmake there; node-addon-api and node-api-headers are
# the addon's build headers). The gallery store's LanceDB (150 MB of native code) and Arrow, and the
# HTTP service's fastify and prom-client, are left out: no device check loads lib/store or lib/serve.
node - "$ROOT" "$APP/node_modules" <<'EOF'
const fs = require('fs');
const path = require('path');
const [root, dest] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const skip = new Set(['cmake-js', '@lancedb/lancedb', 'apache-arrow', 'fastify', '@fastify/multipart', 'prom-client']);
const queue = Object.keys(pkg.dependencies).filter((d) => !skip.has(d));
const seen = new Set();
while (queue.length) {
  const name = queue.shift();
  if (seen.has(name)) continue;
  const dir = path.join(root, 'node_modules', name);
  if (!fs.existsSync(dir)) continue; // an optional dependency for another platform
  seen.add(name);
  const p = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  queue.push(...Object.keys(p.dependencies ?? {}), ...Object.keys(p.optionalDependencies ?? {}));
}
// Type declarations, source maps, TypeScript sources and Markdown docs are not run: left out, with the
// VQA backbone in the working tree they were the difference between fitting the limit and not.
const unused = /\.(d\.[cm]?ts|ts|map|md|markdown)$/i;
for (const name of [...seen].sort()) {
  fs.cpSync(path.join(root, 'node_modules', name), path.join(dest, name), { recursive: true, dereference: true, filter: (src) => !unused.test(src) || fs.statSync(src).isDirectory() });
}
process.stderr.write(`pack-carry: runtime packages: ${[...seen].sort().join(', ')}\n`);
EOF

echo "pack-carry: app.tar.xz (xz -$LEVEL)" >&2
tar -C "$STAGE" -cf - app | xz "-$LEVEL" -T1 > "$DEST/app.tar.xz.tmp"
mv "$DEST/app.tar.xz.tmp" "$DEST/app.tar.xz"

# node.xz takes a minute at -9: reuse it when it was made from the same binary at the same level. The
# binary travels without its symbol table (strip -s: 12 of 99 MB here), which nothing at run time reads.
NODE_KEY="$(sha256sum "$NODE_REAL" | cut -c1-16)-xz$LEVEL-stripped"
if [ -f "$DEST/node.xz" ] && [ "$(cat "$DEST/node.key" 2>/dev/null)" = "$NODE_KEY" ]; then
  echo "pack-carry: node.xz is up to date" >&2
else
  echo "pack-carry: node.xz from $NODE_REAL, stripped (xz -$LEVEL)" >&2
  command -v strip > /dev/null || { echo "pack-carry: strip (binutils) is missing: apt-get install binutils" >&2; exit 1; }
  strip -s "$NODE_REAL" -o "$STAGE/node"
  xz "-$LEVEL" -T1 -c "$STAGE/node" > "$DEST/node.xz.tmp"
  mv "$DEST/node.xz.tmp" "$DEST/node.xz"
  echo "$NODE_KEY" > "$DEST/node.key"
fi

CARRY_BYTES=$(du -sb "$DEST" | cut -f1)
if git -C "$ROOT" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
  TREE_BYTES=$(cd "$ROOT" && git ls-files -z -co --exclude-standard | xargs -0 -r stat -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')
else
  # Not a git checkout: everything but what .gitignore keeps out travels.
  TREE_BYTES=$(du -sb --exclude=node_modules --exclude=build --exclude=dist --exclude=.device-carry --exclude=.git "$ROOT" | cut -f1)
fi
TOTAL=$((CARRY_BYTES + TREE_BYTES))
node -e '
const [file, node, version, level, carry, tree, total, limit] = process.argv.slice(1);
const fs = require("fs");
const mib = (b) => +(Number(b) / 2 ** 20).toFixed(2);
const m = {
  format: "uniadapter-device-carry/1", createdAt: new Date().toISOString(), node: { path: node, version }, xzLevel: Number(level),
  files: Object.fromEntries(["node.xz", "app.tar.xz"].map((f) => [f, mib(fs.statSync(require("path").join(require("path").dirname(file), f)).size)])),
  carryMiB: mib(carry), workingTreeMiB: mib(tree), totalMiB: mib(total), limitMiB: mib(limit), fits: Number(total) <= Number(limit),
};
fs.writeFileSync(file + ".tmp", JSON.stringify(m, null, 2) + "\n");
fs.renameSync(file + ".tmp", file);
' "$DEST/manifest.json" "$NODE_REAL" "$(node --version)" "$LEVEL" "$CARRY_BYTES" "$TREE_BYTES" "$TOTAL" "$LIMIT_BYTES"

awk -v n="$(du -h "$DEST/node.xz" | cut -f1)" -v a="$(du -h "$DEST/app.tar.xz" | cut -f1)" -v c="$CARRY_BYTES" -v t="$TREE_BYTES" \
  'BEGIN { printf "pack-carry: node.xz %s, app.tar.xz %s; carry %.1f MiB + working tree %.1f MiB = %.1f MiB of 64 MiB\n", n, a, c / 1048576, t / 1048576, (c + t) / 1048576 }'
if [ "$TOTAL" -gt "$LIMIT_BYTES" ]; then
  echo "pack-carry: OVER the 64 MiB limit by $(( (TOTAL - LIMIT_BYTES) / 1024 )) KiB: carry less (see manifest.json)" >&2
  exit 1
fi
echo "pack-carry: fits; run on the device with carry [\"$(realpath --relative-to="$ROOT" "$DEST")\"]" >&2

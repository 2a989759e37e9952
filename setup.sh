#!/usr/bin/env bash
# syscluster set-up for Debian 12 with Node 20: installs what is missing (Debian's
# libunicorn2, libunicorn-dev, qemu-user, gcc, make, chromium; the npm packages), builds the
# TypeScript, the guest programs and the native helper, then runs the main job: the
# paper reproduction. Safe to run again. `./setup.sh --no-run` stops after building.
set -euo pipefail
cd "$(dirname "$0")"

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

run_main=1
[ "${1:-}" = "--no-run" ] && run_main=0

command -v node >/dev/null || die "Node.js 20 or newer is required (not found)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js 20 or newer is required (found $(node --version))"

# Debian packages: the Unicorn engine (runtime and headers for the native helper),
# qemu-user (the reference Linux ABI for differential tests), the C toolchain, and
# chromium (the browser the web view's tests drive through playwright-core), gdb (the
# debugger the gdb stub's tests drive).
packages=(libunicorn2 libunicorn-dev qemu-user gcc make libc6-dev chromium gdb)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
    die "need root (or sudo) to install: ${missing[*]}"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq || die "apt-get update failed; cannot install ${missing[*]}"
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install failed for: ${missing[*]}"
fi

# npm packages, exactly as locked; reinstalled only when the lock file changed.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.syscluster-lock 2>/dev/null)" != "$lock_hash" ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error || die "npm ci failed"
  echo "$lock_hash" > node_modules/.syscluster-lock
fi

# Debian's i386 C library (the default --sysroot for dynamically linked programs) and the
# i386 programs the tests run, fetched with apt's own tools into .cache/i386 (git ignores it).
scripts/fetch-i386.sh || die "could not fetch Debian's i386 packages (scripts/fetch-i386.sh)"

say "building (TypeScript, guest programs, native helper)"
npm run -s build || die "build failed"

if [ "$run_main" -eq 1 ]; then
  say "running the paper reproduction: npx syscluster scenario all --out results"
  node bin/syscluster.js scenario all --out results
fi

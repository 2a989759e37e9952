#!/usr/bin/env bash
# Fetches Debian's i386 packages that the real-program tests and the default sysroot use,
# with apt's own tools and a private apt state (the host's dpkg is not touched: no i386
# architecture is added), and unpacks them. Everything lands under .cache/i386/ (ignored
# by git); a second run reuses what is there.
#   .cache/i386/debs/      the .deb files, as apt-get download fetched them
#   .cache/i386/sysroot/   libc6:i386 and friends, unpacked: the default --sysroot
#   .cache/i386/programs/  busybox-static, coreutils, gzip, sed, grep unpacked (for tests)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD/.cache/i386
say() { printf 'fetch-i386: %s\n' "$*"; }

# The sysroot: the C library and the few libraries the tested programs load.
SYSROOT_PKGS=(libc6 libgcc-s1 libacl1 libattr1 libselinux1 libpcre2-8-0 libgmp10 zlib1g)
# Programs for the differential tests.
PROGRAM_PKGS=(busybox-static coreutils gzip sed grep)

stamp="$top/.done-$(printf '%s ' "${SYSROOT_PKGS[@]}" "${PROGRAM_PKGS[@]}" | sha256sum | cut -c1-16)"
if [ -f "$stamp" ]; then exit 0; fi

apt=$top/apt
mkdir -p "$apt/state/lists/partial" "$apt/cache/archives/partial" "$top/debs"
: > "$apt/state/status"
cat > "$apt/apt.conf" <<CONF
Dir::State "$apt/state";
Dir::State::status "$apt/state/status";
Dir::Cache "$apt/cache";
APT::Architecture "i386";
APT::Architectures { "i386"; };
APT::Sandbox::User "root";
CONF
export APT_CONFIG=$apt/apt.conf
say "reading Debian's i386 package lists"
# A suite whose index is mid-sync may fail; the main suite is enough, so go on if it is there.
apt-get update -qq >/dev/null 2>&1 || true
apt-cache show libc6 >/dev/null 2>&1 || { say "cannot read Debian's i386 package lists (apt-get update failed)" >&2; exit 1; }
say "downloading ${SYSROOT_PKGS[*]} ${PROGRAM_PKGS[*]} (i386)"
(cd "$top/debs" && apt-get download -qq "${SYSROOT_PKGS[@]}" "${PROGRAM_PKGS[@]}" >/dev/null 2>&1) \
  || { say "apt-get download failed" >&2; exit 1; }

rm -rf "$top/sysroot" "$top/programs"
mkdir -p "$top/sysroot" "$top/programs"
for p in "${SYSROOT_PKGS[@]}"; do dpkg-deb -x "$(ls "$top"/debs/"${p}"_*_i386.deb | head -n1)" "$top/sysroot"; done
for p in "${PROGRAM_PKGS[@]}"; do dpkg-deb -x "$(ls "$top"/debs/"${p}"_*_i386.deb | head -n1)" "$top/programs"; done
touch "$stamp"
say "sysroot in .cache/i386/sysroot, programs in .cache/i386/programs"

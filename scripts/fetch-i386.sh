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

# The stamp names what was fetched and how (this script's own text), so a change to either fetches again.
stamp="$top/.done-$(cat "$0" | sha256sum | cut -c1-16)"
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
need=()
for p in "${SYSROOT_PKGS[@]}" "${PROGRAM_PKGS[@]}"; do
  compgen -G "$top/debs/${p}_*_i386.deb" >/dev/null || need+=("$p")
done
if [ "${#need[@]}" -gt 0 ]; then
  say "reading Debian's i386 package lists"
  # A suite whose index is mid-sync may fail; the main suite is enough, so go on if it is there.
  apt-get update -qq >/dev/null 2>&1 || true
  apt-cache show libc6 >/dev/null 2>&1 || { say "cannot read Debian's i386 package lists (apt-get update failed)" >&2; exit 1; }
  say "downloading ${need[*]} (i386)"
  (cd "$top/debs" && apt-get download -qq "${need[@]}" >/dev/null 2>&1) || { say "apt-get download failed" >&2; exit 1; }
fi

rm -rf "$top/sysroot" "$top/programs"
mkdir -p "$top/sysroot" "$top/programs"
for p in "${SYSROOT_PKGS[@]}"; do dpkg-deb -x "$(ls "$top"/debs/"${p}"_*_i386.deb | head -n1)" "$top/sysroot"; done
for p in "${PROGRAM_PKGS[@]}"; do dpkg-deb -x "$(ls "$top"/debs/"${p}"_*_i386.deb | head -n1)" "$top/programs"; done
# The dynamic linker's cache for the sysroot, as ldconfig builds it on an i386 system (the host's
# ldconfig reads i386 libraries too), so that ld.so finds libraries as it would on Debian i386.
echo 'include /etc/ld.so.conf.d/*.conf' > "$top/sysroot/etc/ld.so.conf"
ldconfig -r "$top/sysroot" 2>/dev/null || /sbin/ldconfig -r "$top/sysroot" || { say "ldconfig -r failed" >&2; exit 1; }
rm -f "$top"/.done-*
touch "$stamp"
say "sysroot in .cache/i386/sysroot, programs in .cache/i386/programs"

// Extended attributes, as on a file system that keeps none: a name is looked up after
// the file is (ENOENT, EBADF first), then ENODATA (what ext4 answers for security.selinux
// and the POSIX ACLs a file does not have); a list is empty. Setting one is EOPNOTSUPP,
// except a minimal access ACL, which Linux turns into the mode.
// Debian's coreutils ask for them in ls -l, cp -p, mv and sed -i, and carry on.
import { E, KernelError } from '../errno.js';
import type { Kernel } from '../kernel.js';
import { arg, type SyscallSpec } from '../syscall.js';

/** XATTR_NAME_MAX and XATTR_SIZE_MAX: longer names are ERANGE, as setxattr_copy and getxattr check. */
const XATTR_NAME_MAX = 255;

function named(k: Kernel, name: number): void {
  const n = k.path(name);
  if (n.length === 0 || n.length > XATTR_NAME_MAX) throw new KernelError(E.ERANGE);
}

/** How a call finds its file: checks it exists, and applies a mode (a minimal ACL set). */
interface Finder { find(k: Kernel, where: number): void; chmod(k: Kernel, where: number, mode: number): void }

const byPath = (follow: boolean): Finder => ({
  find: (k, pathname) => { k.fs.stat(k.at(-100, k.path(pathname)), follow); },
  chmod: (k, pathname, mode) => k.fs.chmod(k.at(-100, k.path(pathname)), mode, follow),
});
const byFd: Finder = { find: (k, fd) => { k.fds.get(fd); }, chmod: (k, fd, mode) => k.fds.get(fd).chmod(mode) };

const ACL_VERSION = 2, ACL_USER_OBJ = 1, ACL_GROUP_OBJ = 4, ACL_OTHER = 0x20;

/**
 * The permission bits of a minimal access ACL (owner, group, other and nothing else), or
 * undefined. Linux stores no attribute for one: posix_acl_update_mode sets the mode from
 * it and drops it, which is what cp and sed -i do to copy a file's mode.
 */
function minimalAcl(value: Uint8Array): number | undefined {
  if (value.length !== 28) return undefined;
  const b = Buffer.from(value);
  if (b.readUInt32LE(0) !== ACL_VERSION) return undefined;
  const perm = (i: number, tag: number) => (b.readUInt16LE(4 + i * 8) === tag ? b.readUInt16LE(6 + i * 8) & 7 : -1);
  const u = perm(0, ACL_USER_OBJ), g = perm(1, ACL_GROUP_OBJ), o = perm(2, ACL_OTHER);
  return u < 0 || g < 0 || o < 0 ? undefined : (u << 6) | (g << 3) | o;
}

function setxattr(k: Kernel, f: Finder, where: number, name: number, value: number, size: number): number {
  f.find(k, where);
  named(k, name);
  if (k.path(name) === 'system.posix_acl_access') {
    const bits = minimalAcl(k.copyIn(value, Math.min(size, 64)));
    if (bits !== undefined) {
      // The other mode bits (setuid, setgid, sticky) stay as they are.
      const st = f === byFd ? k.fds.get(where).stat() : undefined;
      const old = st ? st.mode : k.fs.stat(k.at(-100, k.path(where)), true).mode;
      f.chmod(k, where, (old & 0o7000) | bits);
      return 0;
    }
  }
  throw new KernelError(E.EOPNOTSUPP);
}

function family(base: number, suffix: string, f: Finder, where: ReturnType<typeof arg>): SyscallSpec<Kernel>[] {
  const note = 'no attributes are kept: a name is ENODATA, a list empty, setting one EOPNOTSUPP (a minimal POSIX ACL sets the mode, as Linux does)';
  const find = (k: Kernel, w: number) => f.find(k, w);
  return [
    {
      nr: base, name: `${suffix}setxattr`, family: 'fs', support: 'partial', note,
      args: [where, arg('name', 'path'), arg('value', 'ptr'), arg('size', 'size'), arg('flags', 'uint')],
      handler: (k, [w, name, value, size]) => setxattr(k, f, w, name, value, size),
    },
    {
      nr: base + 3, name: `${suffix}getxattr`, family: 'fs', support: 'partial', note,
      args: [where, arg('name', 'path'), arg('value', 'ptr'), arg('size', 'size')],
      handler(k, [w, name]) { find(k, w); named(k, name); throw new KernelError(E.ENODATA); },
    },
    {
      nr: base + 6, name: `${suffix}listxattr`, family: 'fs', support: 'partial', note,
      args: [where, arg('list', 'ptr'), arg('size', 'size')],
      handler(k, [w]) { find(k, w); return 0; },
    },
    {
      nr: base + 9, name: `${suffix}removexattr`, family: 'fs', support: 'partial', note,
      args: [where, arg('name', 'path')],
      handler(k, [w, name]) { find(k, w); named(k, name); throw new KernelError(E.ENODATA); },
    },
  ];
}

// i386: setxattr 226, lsetxattr 227, fsetxattr 228, getxattr 229 ... removexattr 235 ... fremovexattr 237.
export const xattrCalls: SyscallSpec<Kernel>[] = [
  ...family(226, '', byPath(true), arg('path', 'path')),
  ...family(227, 'l', byPath(false), arg('path', 'path')),
  ...family(228, 'f', byFd, arg('fd', 'fd')),
];

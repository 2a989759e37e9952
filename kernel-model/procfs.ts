// A read-only /proc in front of the guest's file system: the files C libraries and
// programs read at start-up, made from the model's own state (the process, its areas,
// the platform), never from the host's. Everything outside /proc goes to the file
// system behind. Generated files show size 0 and are made whole when opened, as a
// seq_file's single read sees them.
//
//   /proc/self               -> the caller's pid (a symlink)
//   /proc/PID/exe            -> the program's guest path (a symlink)
//   /proc/PID/maps           the areas (VMAs); offsets, devices and inodes are not kept: 0
//   /proc/PID/status         name, ids, signal masks, memory sizes
//   /proc/PID/cmdline        argv[0] as the task knows it
//   /proc/meminfo            --max-memory as the machine's memory, what is unmapped as free
//   /proc/cpuinfo            one processor at the platform's clock
//   /proc/filesystems        the file system types the model offers (no selinuxfs)
import { E, KernelError } from './errno.js';
import type { Kernel } from './kernel.js';
import type { Process } from './process.js';
import { PROT } from './memory.js';
import {
  ACCESS, BaseFile, DT, O, S, normalize, type DirEntry, type FileSystem, type OpenFile, type Stat, type StatFs, type TimeSet,
} from './vfs.js';

/** PROC_SUPER_MAGIC, statfs's f_type for procfs. */
const PROC_MAGIC = 0x9fa0;
/** st_dev of procfs files: a device number of its own, as Linux gives each pseudo file system. */
const PROC_DEV = 0x16;
const TIME = { sec: 0, nsec: 0 };

type Node =
  | { kind: 'dir'; ino: number; entries: () => { name: string; type: number }[] }
  | { kind: 'file'; ino: number; text: () => string }
  | { kind: 'link'; ino: number; target: () => string };

const hex8 = (n: number) => n.toString(16).padStart(8, '0');
const hex16 = (n: bigint) => n.toString(16).padStart(16, '0');
const kb = (bytes: number) => `${String(Math.floor(bytes / 1024)).padStart(8)} kB`;

/** /proc/PID/maps: `start-end perms offset dev inode`, the name padded to Linux's column. */
function maps(p: Process): string {
  return p.mem.space.list().map((v) => {
    const perms = `${v.prot & PROT.READ ? 'r' : '-'}${v.prot & PROT.WRITE ? 'w' : '-'}${v.prot & PROT.EXEC ? 'x' : '-'}p`;
    const head = `${hex8(v.start)}-${hex8(v.end)} ${perms} 00000000 00:00 0 `;
    return (v.name ? head.padEnd(49) + v.name : head) + '\n';
  }).join('');
}

function status(k: Kernel, p: Process): string {
  const t = p.task, c = t.creds;
  const mask = (pick: (handler: number) => boolean) => t.actions.reduce((m, a, sig) => (sig > 0 && pick(a.handler) ? m | (1n << BigInt(sig - 1)) : m), 0n);
  const state = { runnable: 'R (running)', blocked: 'S (sleeping)', stopped: 'T (stopped)', zombie: 'Z (zombie)' }[p.state];
  const mapped = p.mem.space.mappedBytes;
  return [
    `Name:\t${t.comm}`, `Umask:\t${p.umask.toString(8).padStart(4, '0')}`, `State:\t${state}`,
    `Tgid:\t${p.pid}`, 'Ngid:\t0', `Pid:\t${p.pid}`, `PPid:\t${p.parent?.pid ?? 0}`, 'TracerPid:\t0',
    `Uid:\t${c.uid}\t${c.euid}\t${c.suid}\t${c.euid}`, `Gid:\t${c.gid}\t${c.egid}\t${c.sgid}\t${c.egid}`,
    `FDSize:\t${p.fds.limit}`, 'Groups:\t', `VmPeak:\t${kb(mapped)}`, `VmSize:\t${kb(mapped)}`, `VmRSS:\t${kb(mapped)}`,
    'Threads:\t1', `SigQ:\t0/${k.proc.task.rlimits[11]?.cur ?? 0}`,
    `SigPnd:\t${hex16(p.pending)}`, `ShdPnd:\t${hex16(0n)}`, `SigBlk:\t${hex16(t.blocked)}`,
    `SigIgn:\t${hex16(mask((h) => h === 1))}`, `SigCgt:\t${hex16(mask((h) => h > 1))}`,
    'Cpus_allowed:\t1', 'Cpus_allowed_list:\t0', 'voluntary_ctxt_switches:\t0', 'nonvoluntary_ctxt_switches:\t0', '',
  ].join('\n');
}

function meminfo(k: Kernel): string {
  const space = k.proc.mem.space, total = space.maxBytes, free = Math.max(0, total - space.mappedBytes);
  const rows: [string, number][] = [['MemTotal', total], ['MemFree', free], ['MemAvailable', free], ['Buffers', 0], ['Cached', 0],
    ['SwapCached', 0], ['Active', 0], ['Inactive', 0], ['SwapTotal', 0], ['SwapFree', 0], ['Shmem', 0]];
  return rows.map(([n, v]) => `${`${n}:`.padEnd(16)}${kb(v)}\n`).join('');
}

function cpuinfo(k: Kernel): string {
  const mhz = k.profile.clock_mhz;
  return [`processor\t: 0`, `model name\t: syscluster ${k.profile.name} (simulated)`, `cpu MHz\t\t: ${mhz.toFixed(3)}`,
    'physical id\t: 0', 'siblings\t: 1', 'core id\t\t: 0', 'cpu cores\t: 1', 'fpu\t\t: yes', `bogomips\t: ${(2 * mhz).toFixed(2)}`, '', ''].join('\n');
}

const FILESYSTEMS = 'nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevpts\n\text4\n';

function nodeStat(n: Node): Stat {
  const mode = n.kind === 'dir' ? S.IFDIR | 0o555 : n.kind === 'link' ? S.IFLNK | 0o777 : S.IFREG | 0o444;
  return { dev: PROC_DEV, ino: n.ino, mode, nlink: n.kind === 'dir' ? 2 : 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 1024, blocks: 0, atime: TIME, mtime: TIME, ctime: TIME };
}

/** The /proc in front of a file system; `k` gives the caller and the model's state. */
export class ProcFileSystem implements FileSystem {
  constructor(private readonly inner: FileSystem, private readonly k: Kernel) {}

  /** The node at /proc/...; undefined for a path outside /proc, ENOENT for a missing name inside it. */
  private node(guestPath: string, follow: boolean): { node: Node; path: string } | undefined {
    const c = normalize(guestPath);
    if (c[0] !== 'proc') return undefined;
    if (guestPath.endsWith('/')) follow = true; // a trailing slash follows the last link, as path_lookupat does
    const k = this.k;
    const pidDir = (pid: number): Node => ({ kind: 'dir', ino: pid * 16 + 1, entries: () => [['exe', DT.LNK], ['maps', DT.REG], ['status', DT.REG], ['cmdline', DT.REG]].map(([name, type]) => ({ name: name as string, type: type as number })) });
    let node: Node = {
      kind: 'dir', ino: 1,
      entries: () => [...[...k.processes.keys()].sort((a, b) => a - b).map((pid) => ({ name: String(pid), type: DT.DIR })),
        { name: 'self', type: DT.LNK }, { name: 'cpuinfo', type: DT.REG }, { name: 'filesystems', type: DT.REG }, { name: 'meminfo', type: DT.REG }],
    };
    let where = '/proc';
    for (let i = 1; i < c.length; i++) {
      const name = c[i], last = i === c.length - 1;
      if (node.kind !== 'dir') throw new KernelError(E.ENOTDIR);
      if (i === 1) {
        if (name === 'self') {
          if (last && !follow) return { node: { kind: 'link', ino: 2, target: () => String(k.pid) }, path: '/proc/self' };
          node = pidDir(k.pid); where = `/proc/${k.pid}`; continue;
        }
        const pid = /^[1-9]\d*$/.test(name) ? Number(name) : NaN;
        const p = k.processes.get(pid);
        if (p) { node = pidDir(pid); where = `/proc/${pid}`; continue; }
        const text = { cpuinfo: () => cpuinfo(k), meminfo: () => meminfo(k), filesystems: () => FILESYSTEMS }[name];
        if (!text) throw new KernelError(E.ENOENT);
        node = { kind: 'file', ino: 3 + ['cpuinfo', 'meminfo', 'filesystems'].indexOf(name), text };
        where = `/proc/${name}`;
        continue;
      }
      if (i === 2) {
        const p = k.processes.get(Number(where.slice(6)));
        if (!p) throw new KernelError(E.ESRCH);
        const ino = p.pid * 16 + 2;
        // Followed by open and stat (exeTarget) before they get here; a link for the rest.
        if (name === 'exe') node = { kind: 'link', ino, target: () => p.exePath };
        else if (name === 'maps') node = { kind: 'file', ino: ino + 1, text: () => maps(p) };
        else if (name === 'status') node = { kind: 'file', ino: ino + 2, text: () => status(k, p) };
        else if (name === 'cmdline') node = { kind: 'file', ino: ino + 3, text: () => `${p.task.comm}\0` };
        else throw new KernelError(E.ENOENT);
        where = `${where}/${name}`;
        continue;
      }
      throw new KernelError(node.kind === 'dir' ? E.ENOENT : E.ENOTDIR);
    }
    return { node, path: where };
  }

  open(guestPath: string, flags: number, mode: number): OpenFile {
    const exe = this.exeTarget(guestPath, (flags & O.NOFOLLOW) === 0);
    if (exe !== undefined) return this.inner.open(exe, flags, mode);
    const hit = this.node(guestPath, (flags & O.NOFOLLOW) === 0);
    if (!hit) return this.inner.open(guestPath, flags, mode);
    const { node, path } = hit;
    if ((flags & O.CREAT) && (flags & O.EXCL)) throw new KernelError(E.EEXIST);
    if (node.kind === 'link') throw new KernelError(E.ELOOP);
    if ((flags & O.ACCMODE) !== O.RDONLY || (flags & O.TRUNC)) throw new KernelError(node.kind === 'dir' ? E.EISDIR : E.EACCES);
    if (node.kind === 'file' && (flags & O.DIRECTORY)) throw new KernelError(E.ENOTDIR);
    return node.kind === 'dir' ? new ProcDir(path, flags, node) : new ProcFile(path, flags, node, Buffer.from(node.text(), 'latin1'));
  }

  /** /proc/PID/exe followed: the program's file, from the file system behind. */
  private exeTarget(guestPath: string, follow: boolean): string | undefined {
    if (!follow) return undefined;
    const c = normalize(guestPath);
    if (c.length !== 3 || c[0] !== 'proc' || c[2] !== 'exe') return undefined;
    const p = c[1] === 'self' ? this.k.proc : this.k.processes.get(Number(c[1]));
    return p?.exePath;
  }

  stat(guestPath: string, follow: boolean): Stat {
    const exe = this.exeTarget(guestPath, follow);
    if (exe !== undefined) return this.inner.stat(exe, true);
    const hit = this.node(guestPath, follow);
    return hit ? nodeStat(hit.node) : this.inner.stat(guestPath, follow);
  }

  directory(guestPath: string): string {
    const hit = this.node(guestPath, true);
    if (!hit) return this.inner.directory(guestPath);
    if (hit.node.kind !== 'dir') throw new KernelError(E.ENOTDIR);
    return hit.path;
  }

  readlink(guestPath: string): string {
    const hit = this.node(guestPath, false);
    if (!hit) return this.inner.readlink(guestPath);
    if (hit.node.kind !== 'link') throw new KernelError(E.EINVAL);
    return hit.node.target();
  }

  access(guestPath: string, mode: number, follow: boolean): void {
    const hit = this.node(guestPath, follow);
    if (!hit) return this.inner.access(guestPath, mode, follow);
    if (mode & ACCESS.W_OK) throw new KernelError(E.EACCES);
    if ((mode & ACCESS.X_OK) && hit.node.kind === 'file') throw new KernelError(E.EACCES);
  }

  /** Changing anything under /proc: EPERM; a move or link across its boundary: EXDEV. */
  private readOnly(guestPath: string): boolean {
    if (normalize(guestPath)[0] !== 'proc') return false;
    this.node(guestPath, false); // ENOENT and ENOTDIR first
    throw new KernelError(E.EPERM);
  }

  private across(from: string, to: string): boolean {
    const a = normalize(from)[0] === 'proc', b = normalize(to)[0] === 'proc';
    if (a !== b) throw new KernelError(E.EXDEV);
    if (a) throw new KernelError(E.EPERM);
    return false;
  }

  mkdir(p: string, mode: number): void { if (normalize(p)[0] === 'proc') throw new KernelError(normalize(p).length === 1 ? E.EEXIST : E.ENOENT); this.inner.mkdir(p, mode); }
  rmdir(p: string): void { this.readOnly(p) || this.inner.rmdir(p); }
  unlink(p: string): void { this.readOnly(p) || this.inner.unlink(p); }
  rename(from: string, to: string, flags: number): void { this.across(from, to) || this.inner.rename(from, to, flags); }
  link(from: string, to: string, follow: boolean): void { this.across(from, to) || this.inner.link(from, to, follow); }
  symlink(target: string, linkPath: string): void { this.readOnly(linkPath) || this.inner.symlink(target, linkPath); }
  chmod(p: string, mode: number, follow: boolean): void { this.readOnly(p) || this.inner.chmod(p, mode, follow); }
  chown(p: string, uid: number, gid: number, follow: boolean): void { this.readOnly(p) || this.inner.chown(p, uid, gid, follow); }
  truncate(p: string, length: number): void { if (this.node(p, true)) throw new KernelError(E.EACCES); this.inner.truncate(p, length); }
  utimens(p: string, a: TimeSet, m: TimeSet, follow: boolean): void { this.readOnly(p) || this.inner.utimens(p, a, m, follow); }

  statfs(guestPath: string): StatFs {
    if (!this.node(guestPath, true)) return this.inner.statfs(guestPath);
    return procStatfs();
  }

  close(): void { this.inner.close?.(); }
}

const procStatfs = (): StatFs => ({ type: PROC_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, fsid: [0, 0], namelen: 255, frsize: 4096, flags: 0x26 });
const fail = (errno: number): never => { throw new KernelError(errno); };

/** A generated file: its text made when opened; reads, seeks and stat as a seq_file's. */
class ProcFile extends BaseFile {
  private pos = 0;
  constructor(readonly name: string, public flags: number, private readonly node: Node, private readonly data: Buffer) { super(); }
  read(len: number): Uint8Array { const b = this.pread(len, this.pos); this.pos += b.length; return b; }
  pread(len: number, offset: number): Uint8Array { return this.data.subarray(Math.min(offset, this.data.length), Math.min(offset + len, this.data.length)); }
  write(): number { return fail(E.EBADF); }
  lseek(offset: number, whence: number): number {
    const to = whence === 0 ? offset : whence === 1 ? this.pos + offset : fail(E.EINVAL);
    if (to < 0) throw new KernelError(E.EINVAL);
    return (this.pos = to);
  }
  stat(): Stat { return nodeStat(this.node); }
  statfs(): StatFs { return procStatfs(); }
  truncate(): void { fail(E.EINVAL); }
}

/** A /proc directory: its entries as they are when read, `.` and `..` first. */
class ProcDir extends BaseFile {
  private pos = 0;
  constructor(readonly name: string, public flags: number, private readonly node: Extract<Node, { kind: 'dir' }>) { super(); }
  read(): Uint8Array { return fail(E.EISDIR); }
  write(): number { return fail(E.EBADF); }
  lseek(offset: number, whence: number): number {
    if (whence !== 0 || offset < 0) throw new KernelError(E.EINVAL);
    return (this.pos = offset);
  }
  readEntries(fits: (e: DirEntry) => boolean): DirEntry[] {
    const all = [{ name: '.', type: DT.DIR }, { name: '..', type: DT.DIR }, ...this.node.entries()];
    const out: DirEntry[] = [];
    while (this.pos < all.length) {
      const e = { name: all[this.pos].name, ino: this.node.ino * 64 + this.pos + 1, type: all[this.pos].type, next: this.pos + 1 };
      if (!fits(e)) break;
      out.push(e);
      this.pos++;
    }
    return out;
  }
  stat(): Stat { return nodeStat(this.node); }
  statfs(): StatFs { return procStatfs(); }
}

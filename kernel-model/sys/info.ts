// Information calls: uname, sysinfo, getrandom and the resource limits. Every answer is
// fixed or comes from the simulated clock and the seeded generator, so that two runs of
// one program see the same values.
import { E, KernelError } from '../errno.js';
import type { Kernel } from '../kernel.js';
import { PAGE, PROT } from '../memory.js';
import { arg, type SyscallSpec } from '../syscall.js';
import { RLIMIT_NAMES, RLIM_INFINITY, type Rlimit } from '../task.js';

/** What sysinfo reports as memory: the guest's default memory limit (1 GiB). */
export const SYSINFO_TOTALRAM = 1024 * 1024 * 1024;
/** The most getrandom fills in one call; a guest asking for more gets fewer bytes, and asks again. */
const MAX_RANDOM_CHUNK = 32 * 1024 * 1024;
const GRND_NONBLOCK = 1, GRND_RANDOM = 2, GRND_INSECURE = 4;
/** struct new_utsname: six fields of __NEW_UTS_LEN + 1 bytes. */
const UTS_FIELD = 65;

/** Writes a struct new_utsname (390 bytes). */
function utsname(k: Kernel): Uint8Array {
  const u = k.task.uts;
  const out = new Uint8Array(6 * UTS_FIELD);
  [u.sysname, u.nodename, u.release, u.version, u.machine, u.domainname].forEach((s, i) => {
    out.set(Buffer.from(s, 'latin1').subarray(0, UTS_FIELD - 1), i * UTS_FIELD);
  });
  return out;
}

/** struct sysinfo on i386: 64 bytes. */
function sysinfo(k: Kernel): Uint8Array {
  const b = new Uint8Array(64), dv = new DataView(b.buffer);
  const up = k.uptimeMicros();
  dv.setInt32(0, Math.ceil(up / 1e6), true); // uptime, rounded up as Linux does
  // loads[3] stay 0: nothing else runs
  dv.setUint32(16, SYSINFO_TOTALRAM, true); // totalram
  dv.setUint32(20, SYSINFO_TOTALRAM, true); // freeram
  // sharedram, bufferram, totalswap, freeswap: 0
  dv.setUint16(40, 1, true); // procs
  // totalhigh, freehigh: 0
  dv.setUint32(52, 1, true); // mem_unit: bytes
  return b;
}

function resource(r: number): number {
  if (r >= RLIMIT_NAMES.length) throw new KernelError(E.EINVAL);
  return r;
}

function readRlimit(k: Kernel, ptr: number): Rlimit {
  const b = k.copyIn(ptr, 8), dv = new DataView(b.buffer, b.byteOffset, 8);
  return { cur: dv.getUint32(0, true), max: dv.getUint32(4, true) };
}

function writeRlimit(k: Kernel, ptr: number, r: Rlimit): void {
  const b = new Uint8Array(8), dv = new DataView(b.buffer);
  dv.setUint32(0, r.cur, true);
  dv.setUint32(4, r.max, true);
  k.copyOut(ptr, b);
}

/** struct rlimit64: two u64; anything at or above 2^32 - 1 is infinity on a 32-bit kernel. */
function readRlimit64(k: Kernel, ptr: number): Rlimit {
  const b = k.copyIn(ptr, 16), dv = new DataView(b.buffer, b.byteOffset, 16);
  const to32 = (v: bigint) => (v >= BigInt(RLIM_INFINITY) ? RLIM_INFINITY : Number(v));
  return { cur: to32(dv.getBigUint64(0, true)), max: to32(dv.getBigUint64(8, true)) };
}

function writeRlimit64(k: Kernel, ptr: number, r: Rlimit): void {
  const b = new Uint8Array(16), dv = new DataView(b.buffer);
  const to64 = (v: number) => (v === RLIM_INFINITY ? 0xffff_ffff_ffff_ffffn : BigInt(v));
  dv.setBigUint64(0, to64(r.cur), true);
  dv.setBigUint64(8, to64(r.max), true);
  k.copyOut(ptr, b);
}

/** do_prlimit: checks a new limit and installs it; returns the old one. */
function prlimit(k: Kernel, res: number, next: Rlimit | undefined): Rlimit {
  resource(res);
  const old = { ...k.task.rlimits[res] };
  if (next) {
    if (next.cur > next.max) throw new KernelError(E.EINVAL);
    k.task.rlimits[res] = next; // the guest is root: raising a hard limit is allowed
  }
  return old;
}

const RLIMIT_NOTE = 'recorded and reported, not enforced (the descriptor table and memory have their own limits)';

export const infoCalls: SyscallSpec<Kernel>[] = [
  {
    nr: 75, name: 'setrlimit', family: 'info', support: 'partial', note: RLIMIT_NOTE,
    args: [arg('resource', 'resource'), arg('rlim', 'rlimit_in')],
    handler(k, [res, rlim]) {
      const next = readRlimit(k, rlim);
      prlimit(k, res, next);
      return 0;
    },
  },
  {
    nr: 76, name: 'getrlimit', family: 'info', support: 'full', note: 'the old call: limits above 2^31 - 1 read as 2^31 - 1',
    args: [arg('resource', 'resource'), arg('rlim', 'rlimit_out')],
    handler(k, [res, rlim]) {
      const r = prlimit(k, res, undefined);
      writeRlimit(k, rlim, { cur: Math.min(r.cur, 0x7fffffff), max: Math.min(r.max, 0x7fffffff) });
      return 0;
    },
  },
  {
    nr: 116, name: 'sysinfo', family: 'info', support: 'partial',
    note: 'uptime from the simulated clock, one process, no load; memory is the default 1 GiB limit, all of it free',
    args: [arg('info', 'sysinfo_out')],
    handler(k, [info]) {
      k.copyOut(info, sysinfo(k));
      return 0;
    },
  },
  {
    nr: 122, name: 'uname', family: 'info', support: 'full',
    note: 'fixed: Linux 6.1.0-syscluster on i686; nodename from --nodename (default "syscluster")',
    args: [arg('buf', 'utsname_out')],
    handler(k, [buf]) {
      k.copyOut(buf, utsname(k));
      return 0;
    },
  },
  {
    nr: 191, name: 'ugetrlimit', family: 'info', support: 'full',
    args: [arg('resource', 'resource'), arg('rlim', 'rlimit_out')],
    handler(k, [res, rlim]) {
      writeRlimit(k, rlim, prlimit(k, res, undefined));
      return 0;
    },
  },
  {
    nr: 340, name: 'prlimit64', family: 'info', support: 'partial', note: RLIMIT_NOTE,
    args: [arg('pid', 'int'), arg('resource', 'resource'), arg('new_limit', 'rlimit64_in'), arg('old_limit', 'rlimit64_out')],
    handler(k, [pid, res, newLimit, oldLimit]) {
      const next = newLimit !== 0 ? readRlimit64(k, newLimit) : undefined;
      if (pid !== 0 && pid !== k.task.pid) throw new KernelError(E.ESRCH);
      const old = prlimit(k, res, next);
      if (oldLimit !== 0) writeRlimit64(k, oldLimit, old);
      return 0;
    },
  },
  {
    nr: 355, name: 'getrandom', family: 'info', support: 'full',
    note: `bytes from the seeded generator (--seed), never the host's; at most ${MAX_RANDOM_CHUNK / 1024 / 1024} MiB a call`,
    args: [arg('buf', 'random_out'), arg('count', 'size'), arg('flags', 'grnd_flags')],
    handler(k, [buf, count, flags]) {
      if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) throw new KernelError(E.EINVAL);
      if ((flags & (GRND_INSECURE | GRND_RANDOM)) === (GRND_INSECURE | GRND_RANDOM)) throw new KernelError(E.EINVAL);
      const n = Math.min(count, 0x7fffffff, MAX_RANDOM_CHUNK);
      // Page by page, as copy_to_user: a fault after some bytes returns what was written.
      let done = 0;
      while (done < n) {
        const step = Math.min(n - done, PAGE - ((buf + done) % PAGE));
        if (!k.mem.isMapped(buf + done, step, PROT.WRITE)) break;
        k.copyOut(buf + done, k.random.bytes(step));
        done += step;
      }
      if (done === 0 && n > 0) throw new KernelError(E.EFAULT);
      return done;
    },
  },
];

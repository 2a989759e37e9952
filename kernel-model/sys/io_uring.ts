// io_uring (Linux 5.1 on): io_uring_setup, io_uring_enter and io_uring_register, i386
// numbers 425-427. A submission ring of 64-byte SQEs and a completion ring of 16-byte CQEs
// shared between the program and the kernel; one io_uring_enter submits a whole batch
// (one crossing for many calls, as the multi-call does), and with SQPOLL a kernel thread on
// another core takes submissions without any crossing.
//
// The rings live in guest memory: mmap of the ring fd at IORING_OFF_SQ_RING, IORING_OFF_CQ_RING
// and IORING_OFF_SQES maps fresh pages there and `IoUringFile.attach` lays the ring out in
// them (the mmap family calls it; until a region is mapped the kernel sees it empty, as
// Linux's rings are empty until the program writes them). The kernel keeps its own copies
// of the indices it owns (the SQ head, the CQ tail), reads the ones the program owns (the
// SQ tail, the CQ head) from guest memory, and writes its own back after each step.
//
// Each operation runs through the same table, handlers and tracers as the plain call it
// stands for (READ is read or pread64, OPENAT is openat, ...), nested under the
// io_uring_enter that submitted it, so its result is the plain call's result.
//
// Differences from Linux, on purpose:
// - completions are immediate and in submission order (every operation here is synchronous);
//   so IOSQE_IO_DRAIN and IOSQE_ASYNC change nothing, and a wait for more completions than
//   the submissions can produce returns at once instead of sleeping for ever;
// - a full CQ ring drops the completion and counts it in the ring's overflow field (Linux
//   before 5.5; IORING_FEAT_NODROP is not offered);
// - the SQ and CQ rings are two mappings (IORING_FEAT_SINGLE_MMAP is not offered);
// - setup flags other than SQPOLL, SQ_AFF, CQSIZE and CLAMP are refused with EINVAL, as are
//   opcodes past OPENAT, CLOSE, READ and WRITE that Linux has but this model does not.
import { E, KernelError, isError } from '../errno.js';
import type { Kernel, SyscallRecord } from '../kernel.js';
import type { GuestMemory } from '../memory.js';
import { BaseFile, PIPE_STAT, type Stat } from '../vfs.js';
import { arg, type SyscallSpec } from '../syscall.js';

export const IORING_OFF_SQ_RING = 0;
export const IORING_OFF_CQ_RING = 0x8000000;
export const IORING_OFF_SQES = 0x10000000;

export const IORING_SETUP = { IOPOLL: 1, SQPOLL: 2, SQ_AFF: 4, CQSIZE: 8, CLAMP: 16 } as const;
const SETUP_SUPPORTED = IORING_SETUP.SQPOLL | IORING_SETUP.SQ_AFF | IORING_SETUP.CQSIZE | IORING_SETUP.CLAMP;
export const IORING_ENTER = { GETEVENTS: 1, SQ_WAKEUP: 2, SQ_WAIT: 4, EXT_ARG: 8 } as const;
const ENTER_SUPPORTED = IORING_ENTER.GETEVENTS | IORING_ENTER.SQ_WAKEUP | IORING_ENTER.SQ_WAIT;
export const IOSQE = { FIXED_FILE: 1, IO_DRAIN: 2, IO_LINK: 4, IO_HARDLINK: 8, ASYNC: 16, BUFFER_SELECT: 32, CQE_SKIP_SUCCESS: 64 } as const;
/** The SQE flags Linux 6.x knows; any other bit is EINVAL. */
const SQE_FLAGS_KNOWN = 0x7f;
export const IORING_OP = { NOP: 0, READV: 1, WRITEV: 2, FSYNC: 3, OPENAT: 18, CLOSE: 19, READ: 22, WRITE: 23 } as const;
/** IORING_OP_LAST in Linux 6.1: opcodes at or above it are EINVAL. */
export const IORING_OP_LAST = 48;
export const IORING_FSYNC_DATASYNC = 1;
export const IORING_REGISTER = { REGISTER_FILES: 2, UNREGISTER_FILES: 3 } as const;
export const IORING_FEAT = { SUBMIT_STABLE: 1 << 2, RW_CUR_POS: 1 << 3 } as const;
export const IORING_MAX_ENTRIES = 32768;
export const IORING_MAX_CQ_ENTRIES = 2 * IORING_MAX_ENTRIES;
/** The SQ ring's flags word: the poller thread sleeps and wants IORING_ENTER_SQ_WAKEUP. */
export const IORING_SQ_NEED_WAKEUP = 1;

export const PARAMS_BYTES = 120;
export const SQE_BYTES = 64;
export const CQE_BYTES = 16;
/** Where the ring fields sit in each region (reported to the program in io_uring_params). */
export const SQ_OFF = { head: 0, tail: 4, ring_mask: 8, ring_entries: 12, flags: 16, dropped: 20, array: 64 } as const;
export const CQ_OFF = { head: 0, tail: 4, ring_mask: 8, ring_entries: 12, overflow: 16, cqes: 64, flags: 20 } as const;

/** i386 numbers of the plain calls the operations stand for. */
const NR = { read: 3, write: 4, close: 6, fsync: 118, readv: 145, writev: 146, fdatasync: 148, pread64: 180, pwrite64: 181, openat: 295 } as const;

const fail = (errno: number): never => { throw new KernelError(errno); };
const roundPow2 = (n: number) => 2 ** Math.ceil(Math.log2(n));

/** One decoded submission queue entry (struct io_uring_sqe). */
export interface Sqe {
  opcode: number; flags: number; ioprio: number; fd: number;
  offLo: number; offHi: number; addrLo: number; addrHi: number; len: number; opFlags: number;
  userData: bigint; bufIndex: number; personality: number; spliceFdIn: number; addr3: bigint;
}

export function decodeSqe(b: Uint8Array): Sqe {
  const v = new DataView(b.buffer, b.byteOffset, SQE_BYTES);
  return {
    opcode: v.getUint8(0), flags: v.getUint8(1), ioprio: v.getUint16(2, true), fd: v.getInt32(4, true),
    offLo: v.getUint32(8, true), offHi: v.getUint32(12, true), addrLo: v.getUint32(16, true), addrHi: v.getUint32(20, true),
    len: v.getUint32(24, true), opFlags: v.getUint32(28, true), userData: v.getBigUint64(32, true),
    bufIndex: v.getUint16(40, true), personality: v.getUint16(42, true), spliceFdIn: v.getInt32(44, true), addr3: v.getBigUint64(48, true),
  };
}

interface Region { addr: number; len: number }

/** The file io_uring_setup returns: the ring's sizes, the kernel's indices, where it is mapped. */
export class IoUringFile extends BaseFile {
  readonly name = 'anon_inode:[io_uring]';
  flags = 2; // O_RDWR
  sqHead = 0;
  cqTail = 0;
  dropped = 0;
  overflow = 0;
  /** Registered files (IORING_REGISTER_FILES), by index; -1 holes. */
  fixed: number[] | undefined;
  readonly regions: { sq?: Region; cq?: Region; sqes?: Region } = {};
  /** Cycles the SQPOLL thread has spent on its own core. */
  pollerCycles = 0;
  closed = false;

  constructor(readonly sqEntries: number, readonly cqEntries: number, readonly setupFlags: number) {
    super();
  }

  get sqpoll(): boolean { return (this.setupFlags & IORING_SETUP.SQPOLL) !== 0; }

  /** The size of the region at a mmap offset, or undefined for an offset Linux refuses. */
  regionBytes(offset: number): number | undefined {
    if (offset === IORING_OFF_SQ_RING) return SQ_OFF.array + 4 * this.sqEntries;
    if (offset === IORING_OFF_CQ_RING) return CQ_OFF.cqes + CQE_BYTES * this.cqEntries;
    if (offset === IORING_OFF_SQES) return SQE_BYTES * this.sqEntries;
    return undefined;
  }

  /** What mmap checks before mapping: an unknown offset is EINVAL, a length past the region ENOMEM. */
  checkMap(offset: number, len: number): void {
    const size = this.regionBytes(offset);
    if (size === undefined) fail(E.EINVAL);
    if (len > Math.ceil(size! / 4096) * 4096) fail(E.ENOMEM);
  }

  /**
   * mmap of this fd at `offset` has mapped fresh pages at [addr, addr+len): lay the ring out
   * there. Linux's errors: an unknown offset is EINVAL, a length past the region ENOMEM.
   */
  attach(mem: GuestMemory, addr: number, offset: number, len: number): void {
    this.checkMap(offset, len);
    const put = (at: number, v: number) => mem.writeU32(addr + at, v);
    if (offset === IORING_OFF_SQ_RING) {
      this.regions.sq = { addr, len };
      put(SQ_OFF.head, this.sqHead); put(SQ_OFF.tail, this.sqHead);
      put(SQ_OFF.ring_mask, this.sqEntries - 1); put(SQ_OFF.ring_entries, this.sqEntries);
      put(SQ_OFF.flags, 0); put(SQ_OFF.dropped, this.dropped);
    } else if (offset === IORING_OFF_CQ_RING) {
      this.regions.cq = { addr, len };
      put(CQ_OFF.head, this.cqTail); put(CQ_OFF.tail, this.cqTail);
      put(CQ_OFF.ring_mask, this.cqEntries - 1); put(CQ_OFF.ring_entries, this.cqEntries);
      put(CQ_OFF.overflow, this.overflow);
    } else {
      this.regions.sqes = { addr, len };
    }
  }

  close(): void {
    this.closed = true;
  }

  /** An anonymous inode, as Linux's anon_inode:[io_uring]: no file type bits, mode 0600. */
  stat(): Stat {
    return { ...PIPE_STAT, dev: 0xd, mode: 0o600 };
  }
}

/** struct io_uring_params, read from and written back to the program. */
function writeParams(k: Kernel, ptr: number, f: IoUringFile, features: number): void {
  const b = new Uint8Array(PARAMS_BYTES);
  const v = new DataView(b.buffer);
  const prev = k.copyIn(ptr, PARAMS_BYTES);
  b.set(prev);
  v.setUint32(0, f.sqEntries, true);
  v.setUint32(4, f.cqEntries, true);
  v.setUint32(20, features, true);
  const sq = [SQ_OFF.head, SQ_OFF.tail, SQ_OFF.ring_mask, SQ_OFF.ring_entries, SQ_OFF.flags, SQ_OFF.dropped, SQ_OFF.array, 0];
  sq.forEach((x, i) => v.setUint32(40 + 4 * i, x, true));
  v.setBigUint64(72, 0n, true);
  const cq = [CQ_OFF.head, CQ_OFF.tail, CQ_OFF.ring_mask, CQ_OFF.ring_entries, CQ_OFF.overflow, CQ_OFF.cqes, CQ_OFF.flags, 0];
  cq.forEach((x, i) => v.setUint32(80 + 4 * i, x, true));
  v.setBigUint64(112, 0n, true);
  k.copyOut(ptr, b);
}

function setup(k: Kernel, entries: number, params: number): number {
  const raw = k.copyIn(params, PARAMS_BYTES);
  const v = new DataView(raw.buffer, raw.byteOffset, PARAMS_BYTES);
  const flags = v.getUint32(8, true);
  // resv[3] must be zero (io_uring_setup: "if (p.resv[i]) return -EINVAL").
  for (let i = 0; i < 3; i++) if (v.getUint32(28 + 4 * i, true) !== 0) fail(E.EINVAL);
  if (flags & ~SETUP_SUPPORTED) fail(E.EINVAL);
  if ((flags & IORING_SETUP.SQ_AFF) && !(flags & IORING_SETUP.SQPOLL)) fail(E.EINVAL);
  let n = entries >>> 0;
  if (n === 0) fail(E.EINVAL);
  if (n > IORING_MAX_ENTRIES) {
    if (!(flags & IORING_SETUP.CLAMP)) fail(E.EINVAL);
    n = IORING_MAX_ENTRIES;
  }
  const sq = roundPow2(n);
  let cq = 2 * sq;
  if (flags & IORING_SETUP.CQSIZE) {
    let c = v.getUint32(4, true);
    if (c === 0) fail(E.EINVAL);
    if (c > IORING_MAX_CQ_ENTRIES) {
      if (!(flags & IORING_SETUP.CLAMP)) fail(E.EINVAL);
      c = IORING_MAX_CQ_ENTRIES;
    }
    cq = roundPow2(c);
    if (cq < sq) fail(E.EINVAL);
  }
  const file = new IoUringFile(sq, cq, flags);
  writeParams(k, params, file, IORING_FEAT.SUBMIT_STABLE | IORING_FEAT.RW_CUR_POS);
  const fd = k.fds.install(file, true);
  if (file.sqpoll) {
    // The SQ thread: on its own core, it takes whatever the program has queued whenever the
    // model next has control; it ends when the ring is closed.
    const poll = () => {
      if (file.closed) k.pollers.splice(k.pollers.indexOf(poll), 1);
      else pollSubmit(k, file);
    };
    k.pollers.push(poll);
  }
  return fd;
}

function ringOf(k: Kernel, fd: number): IoUringFile {
  const f = k.fds.get(fd | 0); // EBADF
  if (!(f instanceof IoUringFile)) fail(E.EOPNOTSUPP);
  return f as IoUringFile;
}

/** The 64-bit user pointer of an SQE: past 4 GiB there is nothing to point at. */
function userPtr(lo: number, hi: number): number {
  if (hi !== 0) fail(E.EFAULT);
  return lo;
}

/** Runs one SQE through the plain call it stands for; the CQE's result. */
function execute(k: Kernel, ring: IoUringFile, s: Sqe): number {
  if (s.opcode >= IORING_OP_LAST) return -E.EINVAL;
  if (s.flags & ~SQE_FLAGS_KNOWN) return -E.EINVAL;
  if (s.flags & IOSQE.BUFFER_SELECT) return -E.EINVAL; // no provided buffers here
  if (s.personality !== 0) return -E.EINVAL; // no registered credentials
  let fd = s.fd;
  if (s.flags & IOSQE.FIXED_FILE) {
    if (s.opcode === IORING_OP.OPENAT || s.opcode === IORING_OP.CLOSE) return -E.EBADF;
    if (!ring.fixed || fd < 0 || fd >= ring.fixed.length || ring.fixed[fd] < 0) return -E.EBADF;
    fd = ring.fixed[fd];
  }
  const call = (name: keyof typeof NR, args: number[]) => k.dispatch(NR[name], args).result;
  const current = s.offLo === 0xffffffff && s.offHi === 0xffffffff;
  try {
    switch (s.opcode) {
      case IORING_OP.NOP:
        if (s.fd !== 0 || s.offLo || s.offHi || s.addrLo || s.addrHi || s.len || s.opFlags || s.bufIndex) return -E.EINVAL;
        return 0;
      case IORING_OP.READ:
      case IORING_OP.WRITE: {
        checkRw(s);
        const buf = userPtr(s.addrLo, s.addrHi);
        const read = s.opcode === IORING_OP.READ;
        if (current) return call(read ? 'read' : 'write', [fd, buf, s.len]);
        if (s.offHi & 0x80000000) return -E.EINVAL;
        return call(read ? 'pread64' : 'pwrite64', [fd, buf, s.len, s.offLo, s.offHi]);
      }
      case IORING_OP.READV:
      case IORING_OP.WRITEV: {
        checkRw(s);
        const iov = userPtr(s.addrLo, s.addrHi);
        const read = s.opcode === IORING_OP.READV;
        if (current) return call(read ? 'readv' : 'writev', [fd, iov, s.len]);
        if (s.offHi & 0x80000000) return -E.EINVAL;
        return positioned(k, fd, iov, s.len, s.offLo + s.offHi * 2 ** 32, read);
      }
      case IORING_OP.FSYNC:
        if (s.addrLo || s.addrHi || s.bufIndex || s.spliceFdIn) return -E.EINVAL;
        if (s.opFlags & ~IORING_FSYNC_DATASYNC) return -E.EINVAL;
        return call(s.opFlags & IORING_FSYNC_DATASYNC ? 'fdatasync' : 'fsync', [fd]);
      case IORING_OP.CLOSE:
        if (s.offLo || s.offHi || s.addrLo || s.addrHi || s.len || s.opFlags || s.bufIndex) return -E.EINVAL;
        if (k.fds.get(fd) === ring) return -E.EBADF; // Linux refuses to close the ring itself this way
        return call('close', [fd]);
      case IORING_OP.OPENAT:
        if (s.bufIndex) return -E.EINVAL;
        return call('openat', [fd, userPtr(s.addrLo, s.addrHi), s.opFlags, s.len]);
      default:
        return -E.EINVAL; // an opcode Linux has and this model does not (see the header)
    }
  } catch (err) {
    if (!(err instanceof KernelError)) throw err;
    return -err.errno;
  }
}

/** io_prep_rw's checks that do not depend on the file. */
function checkRw(s: Sqe): void {
  if (s.bufIndex !== 0) fail(E.EINVAL); // only the *_FIXED opcodes take a buffer index
  const cls = s.ioprio >> 13;
  if (s.ioprio !== 0 && (cls === 0 || cls > 3)) fail(E.EINVAL); // ioprio_check_cap
  if (s.opFlags !== 0) fail(E.EOPNOTSUPP); // RWF_* flags: none supported here
}

/** preadv/pwritev at an offset: one pread64/pwrite64 a segment, stopping at a short one. */
function positioned(k: Kernel, fd: number, iov: number, count: number, offset: number, read: boolean): number {
  if (count > 1024) return -E.EINVAL;
  let total = 0;
  for (let i = 0; i < count; i++) {
    const base = k.getU32(iov + 8 * i), len = k.getU32(iov + 8 * i + 4);
    const at = offset + total;
    const r = k.dispatch(read ? NR.pread64 : NR.pwrite64, [fd, base, len, at % 2 ** 32, Math.floor(at / 2 ** 32)]).result;
    if (isError(r)) return total > 0 ? total : r;
    total += r;
    if (r < len) break;
  }
  return total;
}

/** Appends a completion; a full ring drops it and counts it as overflow. */
function complete(k: Kernel, ring: IoUringFile, userData: bigint, res: number): void {
  const cq = ring.regions.cq;
  if (!cq) { ring.cqTail++; return; } // no one can see it: as Linux, the entry is written into unmapped ring memory
  const head = k.mem.readU32(cq.addr + CQ_OFF.head);
  if (head === null) return;
  if (((ring.cqTail - head) >>> 0) >= ring.cqEntries) {
    ring.overflow++;
    k.mem.writeU32(cq.addr + CQ_OFF.overflow, ring.overflow);
    return;
  }
  const e = new Uint8Array(CQE_BYTES);
  const v = new DataView(e.buffer);
  v.setBigUint64(0, userData, true);
  v.setInt32(8, res, true);
  k.mem.write(cq.addr + CQ_OFF.cqes + CQE_BYTES * (ring.cqTail & (ring.cqEntries - 1)), e);
  ring.cqTail = (ring.cqTail + 1) >>> 0;
  k.mem.writeU32(cq.addr + CQ_OFF.tail, ring.cqTail);
}

/**
 * Takes up to `max` entries off the SQ ring and runs them in order. Returns how many were
 * submitted. An array slot naming an SQE past the ring drops that entry (the ring's dropped
 * count) and ends the batch, as Linux's io_get_sqe does.
 */
export function submit(k: Kernel, ring: IoUringFile, max: number): number {
  const sq = ring.regions.sq, sqes = ring.regions.sqes;
  if (!sq) return 0;
  const tail = k.mem.readU32(sq.addr + SQ_OFF.tail);
  if (tail === null) return 0;
  const n = Math.min(max, (tail - ring.sqHead) >>> 0, ring.sqEntries);
  let submitted = 0;
  let linkFailed = false;
  for (let i = 0; i < n; i++) {
    k.work(k.profile.multicall.per_entry_cycles);
    const slot = k.mem.readU32(sq.addr + SQ_OFF.array + 4 * (ring.sqHead & (ring.sqEntries - 1)));
    ring.sqHead = (ring.sqHead + 1) >>> 0;
    if (slot === null || slot >= ring.sqEntries || !sqes) {
      ring.dropped++;
      k.mem.writeU32(sq.addr + SQ_OFF.dropped, ring.dropped);
      break;
    }
    const raw = k.mem.read(sqes.addr + SQE_BYTES * slot, SQE_BYTES);
    if (!raw) { ring.dropped++; k.mem.writeU32(sq.addr + SQ_OFF.dropped, ring.dropped); break; }
    const rec = k.running as SyscallRecord | undefined; // undefined on the SQPOLL thread
    if (rec) rec.bytesIn += SQE_BYTES;
    const s = decodeSqe(raw);
    const linked = (s.flags & (IOSQE.IO_LINK | IOSQE.IO_HARDLINK)) !== 0;
    const res: number = linkFailed ? -E.ECANCELED : execute(k, ring, s);
    submitted++;
    if (k.exited) break;
    if (!((s.flags & IOSQE.CQE_SKIP_SUCCESS) && res >= 0)) {
      if (rec) rec.bytesOut += CQE_BYTES;
      complete(k, ring, s.userData, res);
    }
    // A failed entry in a chain cancels the rest of the chain (IOSQE_IO_HARDLINK: only
    // cancellation propagates); the chain ends at the first entry without a link flag.
    if (linked) linkFailed = linkFailed || (res < 0 && (s.flags & IOSQE.IO_HARDLINK) === 0);
    else linkFailed = false;
  }
  k.mem.writeU32(sq.addr + SQ_OFF.head, ring.sqHead);
  return submitted;
}

function enter(k: Kernel, fd: number, toSubmit: number, minComplete: number, flags: number): number {
  if (flags & ~ENTER_SUPPORTED) fail(E.EINVAL);
  const ring = ringOf(k, fd);
  // With SQPOLL the kernel thread submits; io_uring_enter only wakes it or waits.
  const submitted = ring.sqpoll ? (pollSubmit(k, ring), toSubmit >>> 0) : submit(k, ring, toSubmit >>> 0);
  void minComplete; // completions are immediate (see the header)
  return submitted;
}

/**
 * The SQPOLL thread's turn: it runs on its own simulated core, so the work it does is moved
 * out of the program's ledger into the ring's pollerCycles, and tracers do not see it (strace
 * does not see a kernel thread's work either).
 */
export function pollSubmit(k: Kernel, ring: IoUringFile): number {
  const { result, cycles } = onSecondCore(k, () => submit(k, ring, ring.sqEntries));
  ring.pollerCycles += cycles;
  return result;
}

/**
 * Runs `work` as a kernel thread on the second core (SQPOLL's, the exception-less worker's):
 * tracers do not see it, and the dispatch and handler cycles it charges leave the program's
 * ledger for the second core's (Ledger.moveToSqpoll). Returns the work's result and cycles.
 */
export function onSecondCore<T>(k: Kernel, work: () => T): { result: T; cycles: number } {
  const l = k.ledger;
  const d = l.dispatch, h = l.handler;
  const tracers = k.tracers.splice(0);
  try {
    return { result: work(), cycles: l.dispatch - d + l.handler - h };
  } finally {
    k.tracers.push(...tracers);
    l.moveToSqpoll(l.dispatch - d, l.handler - h);
  }
}

function register(k: Kernel, fd: number, opcode: number, argp: number, nrArgs: number): number {
  const ring = ringOf(k, fd);
  switch (opcode) {
    case IORING_REGISTER.REGISTER_FILES: {
      if (ring.fixed) fail(E.EBUSY);
      if (nrArgs === 0 || nrArgs > 32768) fail(E.EINVAL);
      const fds: number[] = [];
      for (let i = 0; i < nrArgs; i++) {
        const f = k.getU32(argp + 4 * i) | 0;
        if (f !== -1) {
          const file = k.fds.get(f); // EBADF
          if (file === ring) fail(E.EBADF); // a ring cannot hold itself
        }
        fds.push(f);
      }
      ring.fixed = fds;
      return 0;
    }
    case IORING_REGISTER.UNREGISTER_FILES:
      if (!ring.fixed) fail(E.ENXIO);
      if (argp !== 0 || nrArgs !== 0) fail(E.EINVAL);
      ring.fixed = undefined;
      return 0;
    default:
      return fail(E.EINVAL);
  }
}

export const ioUringCalls: SyscallSpec<Kernel>[] = [
  {
    nr: 425, name: 'io_uring_setup', family: 'io_uring', support: 'partial',
    note: 'flags SQPOLL, SQ_AFF, CQSIZE, CLAMP; rings mapped by mmap at the IORING_OFF_* offsets; no SINGLE_MMAP or NODROP',
    args: [arg('entries', 'uint'), arg('params', 'ptr')],
    handler: (k, [entries, params]) => setup(k, entries, params),
  },
  {
    nr: 426, name: 'io_uring_enter', family: 'io_uring', support: 'partial',
    note: 'NOP, READ, WRITE, READV, WRITEV, FSYNC, CLOSE, OPENAT, each as the plain call; completions immediate and in order',
    args: [arg('fd', 'fd'), arg('to_submit', 'uint'), arg('min_complete', 'uint'), arg('flags', 'uint'), arg('sig', 'ptr'), arg('sigsz', 'size')],
    handler: (k, [fd, toSubmit, minComplete, flags]) => enter(k, fd, toSubmit, minComplete, flags),
  },
  {
    nr: 427, name: 'io_uring_register', family: 'io_uring', support: 'partial',
    note: 'REGISTER_FILES and UNREGISTER_FILES; other opcodes EINVAL',
    args: [arg('fd', 'fd'), arg('opcode', 'uint'), arg('arg', 'ptr'), arg('nr_args', 'uint')],
    handler: (k, [fd, opcode, argp, nrArgs]) => register(k, fd, opcode, argp, nrArgs),
  },
];

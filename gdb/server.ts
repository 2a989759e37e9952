// The stub on a TCP socket: listen (loopback unless told otherwise), wait for one gdb,
// turn away any second client, and end when the guest ends, gdb kills it or detaches
// and it runs to its end, or gdb goes away.
import net from 'node:net';
import { GdbStub, type DebugTarget, type SessionEnd } from './stub.js';

export interface Listen { host: string; port: number }

/** `[HOST:]PORT`; the host defaults to the loopback address. */
export function parseListen(text: string): Listen | null {
  const m = /^(?:(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(text.trim());
  if (!m) return null;
  const port = Number(m[2]);
  if (port > 65535) return null;
  return { host: m[1]?.replace(/^\[|\]$/g, '') ?? '127.0.0.1', port };
}

/**
 * Serves one gdb session. `announce` gets the address actually listened on (port 0
 * picks a free one). Resolves with how the session ended.
 */
export function serveGdb(target: DebugTarget, where: Listen, announce: (address: string) => void): Promise<SessionEnd> {
  let failure: unknown;
  return new Promise((resolve, reject) => {
    let client: net.Socket | undefined;
    let finished = false;
    const server = net.createServer((socket) => {
      if (client) { socket.destroy(); return; } // one debugger at a time, as gdbserver
      client = socket;
      socket.setNoDelay(true);
      const stub = new GdbStub(target, (bytes) => { if (!socket.destroyed) socket.write(bytes); });
      const settle = (how: SessionEnd) => (failure === undefined ? resolve(how) : reject(failure));
      stub.onError = (err) => { failure ??= err; };
      stub.onEnd = (how) => {
        finished = true;
        server.close();
        // Let the last reply (W.., OK) reach gdb before the socket goes.
        setImmediate(() => {
          socket.end(() => settle(how));
          setTimeout(() => { socket.destroy(); settle(how); }, 1000).unref();
        });
      };
      socket.on('data', (chunk: Buffer) => stub.receive(chunk));
      socket.on('error', () => {}); // a reset is handled as a close
      socket.on('close', () => {
        if (!finished) { stub.disconnected(); }
      });
    });
    server.on('error', (err: NodeJS.ErrnoException) => reject(err));
    server.listen(where.port, where.host, () => {
      const a = server.address() as net.AddressInfo;
      announce(a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`);
    });
  });
}

/**
 * Writes of the HTTP/1.1 fast path (h1-server-exchange.ts downstream, h1-pool.ts upstream) straight
 * to a plaintext `net.Socket`'s libuv handle, as `net.Socket#write` ends up doing, without the
 * Writable machinery around it: no WriteWrap, no `process.nextTick` and no state object per write.
 * A response or request head is one small write that the kernel nearly always takes at once; the
 * stream machinery cost about as much CPU as the rest of the write (bench/proxy/ab.ts).
 *
 * The same bytes, in the same order, as `socket.write` would send:
 * - A write goes to the handle only when the socket has nothing of its own in flight
 *   (`writableLength` 0), is connected, not ending and not destroyed; otherwise it is
 *   `socket.write` (libuv keeps its write queue in order, so the two kinds never overtake each
 *   other, and `end()`'s shutdown waits for both).
 * - What the kernel does not take at once stays queued in libuv with its buffer kept alive; such a
 *   write returns false and `onDrain` is called when every such write finished (the socket's
 *   'drain' is not emitted for them).
 * - A write error destroys the socket with the error node would report (`code` from the errno,
 *   `syscall` 'write'), so its 'error' and 'close' listeners see what they see today.
 *
 * It uses Node's `stream_wrap` binding (`process.binding`, available on Node 20 and 22); where that
 * is missing or shaped otherwise every write is `socket.write` (checked once at load).
 */
import type { Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';

interface WriteReq { handle?: unknown; buffer?: unknown; oncomplete?: (status: number) => void }
interface StreamWrapBinding {
  readonly WriteWrap: new () => WriteReq;
  readonly streamBaseState: Int32Array;
  readonly kLastWriteWasAsync: number;
}
interface WritableHandle {
  writeBuffer(req: WriteReq, data: Buffer): number;
  writeLatin1String(req: WriteReq, data: string): number;
}

function loadBinding(): StreamWrapBinding | undefined {
  try {
    const b = (process as unknown as { binding(name: string): Partial<StreamWrapBinding> }).binding('stream_wrap');
    if (typeof b.WriteWrap !== 'function' || !(b.streamBaseState instanceof Int32Array) || typeof b.kLastWriteWasAsync !== 'number') return undefined;
    return b as StreamWrapBinding;
  } catch {
    return undefined;
  }
}

const binding = loadBinding();

/**
 * One write request object serves every write the kernel takes at once: the binding ties it to a
 * write only when the write is queued (then it is that write's for good, and reusing it would abort
 * the process on the binding's check), so a queued write takes it and the next write makes another.
 */
let spare: WriteReq | undefined;

/** The writer of one socket; `onDrain` runs when the writes that returned false have all finished. */
export class SocketWriter {
  private handle: WritableHandle | undefined;
  /** Writes queued in libuv (not yet taken by the kernel). */
  private queued = 0;

  constructor(readonly socket: Socket, private readonly onDrain: () => void) {}

  /** Whether `socket.write` must take this write (see the module comment). */
  private indirect(): boolean {
    const s = this.socket;
    if (binding === undefined || s.connecting || s.destroyed || s.writableEnded || s.writableLength > 0) return true;
    const h = (s as unknown as { _handle?: Partial<WritableHandle> | null })._handle;
    if (h == null || typeof h.writeBuffer !== 'function' || typeof h.writeLatin1String !== 'function') return true;
    this.handle = h as WritableHandle;
    return false;
  }

  /** Writes `data` (a string is sent as latin1); false when some of it waits in a queue (wait for `onDrain`, or the socket's 'drain' after a `socket.write`). */
  write(data: Buffer | string): boolean {
    if (this.indirect()) return typeof data === 'string' ? this.socket.write(data, 'latin1') : this.socket.write(data);
    const req = spare ?? new binding!.WriteWrap();
    spare = req;
    const h = this.handle!;
    const err = typeof data === 'string' ? h.writeLatin1String(req, data) : h.writeBuffer(req, data);
    if (err !== 0) {
      // The binding may have tied the request object to the failed write: never reuse it.
      spare = undefined;
      this.socket.destroy(Object.assign(new Error(`write ${getSystemErrorName(err)}`), { errno: err, code: getSystemErrorName(err), syscall: 'write' }));
      return false;
    }
    if (binding!.streamBaseState[binding!.kLastWriteWasAsync] === 0) return true;
    // Queued in libuv: this request object now belongs to the write; keep its bytes alive until done.
    spare = undefined;
    req.handle = h;
    req.buffer = data;
    this.queued++;
    req.oncomplete = (status: number) => this.written(status);
    return false;
  }

  private written(status: number): void {
    this.queued--;
    if (status < 0) {
      if (!this.socket.destroyed) this.socket.destroy(Object.assign(new Error(`write ${getSystemErrorName(status)}`), { errno: status, code: getSystemErrorName(status), syscall: 'write' }));
      return;
    }
    if (this.queued === 0 && !this.socket.destroyed) this.onDrain();
  }
}

/** Whether writes can bypass the stream machinery on this Node (tests). */
export const directWrites = binding !== undefined;

/**
 * ESC/POS over a raw TCP socket ("port 9100", what network receipt printers speak).
 *
 * One connection at a time, opened on demand by status queries, so a printer that was switched off
 * or lost its link is simply reconnected by the next poll. Writes never reconnect by themselves: the
 * printer port must first see the printer answer again, and then resends the job prelude.
 */
import net from 'node:net';
import { type Clock, systemClock } from '../../shared/ports/clock.ts';
import { isStatusByte } from './escpos.ts';
import {
  EscPosPrinter,
  type EscPosPrinterOptions,
  type PrinterTransport,
  STATUS_TIMEOUT_MS,
} from './escpos-printer.ts';

export const DEFAULT_PRINTER_TCP_PORT = 9100;
/**
 * After the first answer arrives, how long to wait for the rest when stray answers are expected:
 * only for queries hidden in bytes we did not encode, since our rasters carry none
 * (escpos.ts moveDotsOffRealTimeCommands).
 */
export const STRAY_ANSWER_SETTLE_MS = 100;
/** Detects a printer that vanished without closing the connection (power cut) on an idle socket. */
export const TCP_KEEPALIVE_INITIAL_DELAY_MS = 5000;
/** Unanswered bytes kept at most; a chatty device must not grow memory. */
const MAX_PENDING_ANSWERS = 64;

export interface TcpPrinterOptions extends EscPosPrinterOptions {
  host: string;
  port?: number;
  widthDots?: number;
  /** No answer within this time means offline; also the connect timeout. */
  statusTimeoutMs?: number;
}

export class TcpPrinter extends EscPosPrinter {
  constructor(options: TcpPrinterOptions) {
    const port = options.port ?? DEFAULT_PRINTER_TCP_PORT;
    super(
      'tcp',
      options.widthDots ?? 576,
      new TcpTransport(options.host, port, options.statusTimeoutMs, options.clock),
      options,
    );
  }
}

export class TcpTransport implements PrinterTransport {
  private socket: net.Socket | undefined;
  private connecting: Promise<net.Socket> | undefined;
  private answers: number[] = [];
  private wake: (() => void) | undefined;
  private lastError: string | undefined;
  private closed = false;
  private readonly address: string;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs: number = STATUS_TIMEOUT_MS,
    private readonly clock: Clock = systemClock,
    /** How long to wait for our answer once a stray one came (a printer may ignore embedded queries). */
    private readonly straySettleMs: number = STRAY_ANSWER_SETTLE_MS,
  ) {
    this.address = `${host}:${port}`;
  }

  async open(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
    this.socket?.destroy();
    this.socket = undefined;
    this.wake?.();
  }

  unavailableReason(): string | undefined {
    return this.lastError;
  }

  /**
   * Resolves when the socket has flushed the bytes to the kernel. The printer port awaits each write
   * before the next one, so at most one band sits in user space: that is our backpressure, and a
   * printer that stops reading (paper out with a full buffer) stalls us instead of our memory.
   */
  write(bytes: Uint8Array): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed) {
      return Promise.reject(new Error(this.lastError ?? `not connected to ${this.address}`));
    }
    return new Promise<void>((resolve, reject) => {
      const onClose = () => reject(new Error(`connection to ${this.address} closed while sending`));
      socket.once('close', onClose);
      socket.write(bytes, (err) => {
        socket.off('close', onClose);
        if (err) reject(err);
        else resolve();
      });
    });
  }

  async query(request: Uint8Array, strayAnswers = 0): Promise<number | null> {
    let socket: net.Socket;
    try {
      socket = await this.connect();
    } catch (err) {
      this.lastError = `cannot connect to ${this.address}: ${errorCode(err)}`;
      return null;
    }
    // Leftovers are not ours unless the data we wrote since the last query asked for them.
    if (strayAnswers === 0) this.answers = [];
    // Whatever arrived before our query went out cannot be its answer.
    const before = this.answers.length;
    try {
      await this.write(request);
    } catch (err) {
      this.lastError = `connection to ${this.address} lost: ${errorCode(err)}`;
      return null;
    }
    const needed = strayAnswers + 1;
    const deadline = this.clock.now() + this.timeoutMs;
    let settleBy = Number.POSITIVE_INFINITY;
    const complete = () => this.answers.length >= needed && this.answers.length > before;
    while (!complete() && !this.closed && this.socket === socket) {
      if (this.answers.length > before && settleBy === Number.POSITIVE_INFINITY) {
        settleBy = this.clock.now() + this.straySettleMs;
      }
      const until = Math.min(deadline, settleBy);
      if (this.clock.now() >= until) break;
      await this.waitForData(until - this.clock.now());
    }
    const alive = !this.closed && this.socket === socket;
    const answer = pickAnswer(this.answers, before, needed, alive);
    if (answer !== null) {
      this.answers = [];
      this.lastError = undefined;
      return answer;
    }
    this.answers = [];
    if (alive) {
      this.lastError = `no answer to a status query within ${this.timeoutMs} ms`;
      // A late answer must not be read as the answer to the next query: start over on a new connection.
      socket.destroy();
      this.socket = undefined;
    }
    return null;
  }

  private connect(): Promise<net.Socket> {
    if (this.closed) return Promise.reject(new Error('printer port closed'));
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port });
      const fail = (err: Error) => {
        timer.cancel();
        socket.destroy();
        reject(err);
      };
      const timer = this.clock.setTimeout(
        () => fail(new Error(`timed out after ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      socket.on('error', fail);
      socket.once('connect', () => {
        timer.cancel();
        socket.off('error', fail);
        if (this.closed) return fail(new Error('printer port closed'));
        this.adopt(socket);
        resolve(socket);
      });
    }).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private adopt(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, TCP_KEEPALIVE_INITIAL_DELAY_MS);
    this.socket = socket;
    this.answers = [];
    socket.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (isStatusByte(byte)) this.answers.push(byte);
      if (this.answers.length > MAX_PENDING_ANSWERS) this.answers.splice(0, this.answers.length - MAX_PENDING_ANSWERS);
      this.wake?.();
    });
    socket.on('error', (err) => {
      this.lastError = `connection to ${this.address} lost: ${errorCode(err)}`;
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.lastError ??= `the printer at ${this.address} closed the connection`;
      this.wake?.();
    });
  }

  private waitForData(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        timer.cancel();
        resolve();
      };
      const timer = this.clock.setTimeout(done, ms);
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}

/**
 * Our answer among those received: answers come in query order and ours was sent last, so it is
 * answer number `needed` when the printer also answered the `needed - 1` queries hidden in our
 * data. With fewer, the printer ignored some of those (many do), and the latest answer is ours,
 * provided it arrived after our query went out and the connection is still up (on a dead one the
 * answers may all be stray ones and prove nothing about ours).
 */
export function pickAnswer(answers: readonly number[], before: number, needed: number, alive: boolean): number | null {
  if (answers.length <= before) return null;
  if (answers.length >= needed) return answers[Math.max(needed - 1, before)]!;
  return alive ? answers[answers.length - 1]! : null;
}

function errorCode(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return err instanceof Error ? err.message : String(err);
}

/**
 * The printer port the rest of the edge node talks to. Adapters: TCP (ESC/POS on port 9100), USB
 * (Linux usblp character device) and file (bytes + previews on disk, for development and tests).
 */

export type PrinterState = 'ready' | 'printing' | 'paper_out' | 'cover_open' | 'offline' | 'error';

export interface PrinterStatus {
  state: PrinterState;
  /** Operator-readable: what is wrong and what to do about it. */
  detail: string;
  paperNearEnd?: boolean;
  /** Epoch milliseconds of the check. */
  checkedAt: number;
}

export interface ReceiptInfo {
  orderId: string;
  orderCode: string;
  venue: string;
  printer: string;
  /** Epoch milliseconds. */
  printedAt: number;
  items: Array<{ imageId: string; copies: number; label?: string; feeLine?: string }>;
  /** The event the photos are from, as the shop names it. */
  eventName?: string | null;
  /** What the fan paid, in minor units of `currency`. */
  totalCents?: number | null;
  currency?: string | null;
  /** A kiosk sale's payment (issue #13): what the card receipt shows. Never a card number. */
  payment?: ReceiptPayment | null;
}

export interface ReceiptPayment {
  method: 'card' | 'phone';
  /** Card: brand and last four digits, printed as "VISA **** 4242". */
  card?: { brand: string; last4: string } | null;
  authorisationCode?: string | null;
  taxCents: number;
  taxRatePercent: number;
}

export type PrinterKind = 'tcp' | 'usb' | 'file' | 'ipp';
export type StatusListener = (s: PrinterStatus) => void;

export interface PrintOptions {
  /** Aborting rejects the job with `print_aborted`; bands already sent stay printed. */
  signal?: AbortSignal;
  /** Caller's id for the job (e.g. "<order id>-<unit>"): named in errors, status and file names. */
  jobId?: string;
  /** A photo station tells which printer took the unit, so the kiosk can name the tray (issue #12). */
  onPlaced?: (where: { printer: string; tray: string }) => void;
  /**
   * The photo's id: its bytes never change, so a printer that rendered it ahead (`prerender`) prints
   * that raster instead of decoding the master again (issue #16).
   */
  renderKey?: string;
}

export interface PrinterPort {
  readonly kind: PrinterKind;
  readonly widthDots: number;
  /**
   * How many units of one order may be handed in at once (a station with several photo printers and
   * printer queues prints an order's units side by side); 1 or absent: one after another.
   */
  readonly unitConcurrency?: number;
  /** Opens the adapter. Resolves even if the printer is off: jobs wait for it, status() says why. */
  ready(): Promise<void>;
  /** Rejects waiting and queued jobs with `printer_closed` and releases the connection. */
  close(): Promise<void>;
  status(): Promise<PrinterStatus>;
  /**
   * Prints one photo (plus its label, if any) and cuts. Jobs run one at a time in call order. While
   * the printer is not ready the job waits and resumes where it stopped; it rejects only when
   * aborted, when the printer port is closed, or when the image cannot be decoded.
   */
  printPhoto(image: Buffer, opts?: PrintOptions & { label?: string }): Promise<void>;
  printReceipt(info: ReceiptInfo, opts?: PrintOptions): Promise<void>;
  /** Optional: renders a photo ahead of its redemption, kept under `key` (PrintOptions.renderKey). */
  prerender?(key: string, image: Buffer): Promise<void>;
  /** Optional: whether `key` is rendered ahead. */
  isPrerendered?(key: string): boolean;
  /** Optional (photo stations): staff loaded a new roll into printer `name`; answers its report. */
  rollLoaded?(name: string): Promise<unknown>;
  /** Optional: how many photos it keeps rendered ahead (default RASTER_CACHE_ENTRIES). */
  readonly prerenderCapacity?: number;
  /** 'status' fires whenever the state or its reason changes, e.g. paper_out while a job waits. */
  on(event: 'status', listener: StatusListener): this;
  off(event: 'status', listener: StatusListener): this;
}

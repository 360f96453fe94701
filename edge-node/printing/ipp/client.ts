/**
 * An IPP/2.0 client over HTTP for one printer URI: `ipp://host:631/printers/NAME` (a CUPS queue) or
 * `ipp://host/ipp/print` (an IPP Everywhere printer). Only the operations a print station needs.
 */
import http from 'node:http';
import { AppError } from '../../../shared/errors.ts';
import { type Clock, systemClock } from '../../../shared/ports/clock.ts';
import {
  attr,
  decodeMessage,
  encodeMessage,
  GroupTag,
  groupsOf,
  IPP_VERSION_2_0,
  type IppAttribute,
  type IppGroup,
  type IppMessage,
  type IppValue,
} from './encoding.ts';

export const Operation = {
  printJob: 0x0002,
  createJob: 0x0005,
  sendDocument: 0x0006,
  cancelJob: 0x0008,
  getJobAttributes: 0x0009,
  getJobs: 0x000a,
  getPrinterAttributes: 0x000b,
  resumePrinter: 0x0011,
} as const;

export const JobState = {
  pending: 3,
  pendingHeld: 4,
  processing: 5,
  processingStopped: 6,
  canceled: 7,
  aborted: 8,
  completed: 9,
} as const;
export type JobStateValue = (typeof JobState)[keyof typeof JobState];
/** A job in one of these states will not change again. */
export const isTerminalJobState = (s: number): boolean => s >= JobState.canceled;

export const PrinterStateEnum = { idle: 3, processing: 4, stopped: 5 } as const;

/** Status codes below this are successes (RFC 8011 §4.1.6). */
const STATUS_SUCCESS_MAX = 0x00ff;
/** client-error-not-possible: e.g. cancelling a job that already completed. */
export const STATUS_NOT_POSSIBLE = 0x0404;
/** client-error-not-found: the job id is unknown (purged, or another printer's). */
export const STATUS_NOT_FOUND = 0x0406;
export const DEFAULT_IPP_PORT = 631;
/** One IPP request (including sending a document of a few MB over the LAN) gets this long. */
export const IPP_REQUEST_TIMEOUT_MS = 15_000;
const USER_NAME = 'venue-print-mesh';

export type Attributes = { [name: string]: IppAttribute };

export interface JobSummary {
  id: number;
  state: number;
  name: string;
  reasons: string[];
}

export interface IppClientOptions {
  uri: string;
  clock?: Clock;
  timeoutMs?: number;
}

export class IppError extends AppError {}

export class IppClient {
  readonly uri: string;
  readonly #url: URL;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  #requestId = 0;

  constructor(opts: IppClientOptions) {
    this.uri = opts.uri;
    this.#url = parsePrinterUri(opts.uri);
    this.#clock = opts.clock ?? systemClock;
    this.#timeoutMs = opts.timeoutMs ?? IPP_REQUEST_TIMEOUT_MS;
  }

  close(): void {
    this.#agent.destroy();
  }

  async getPrinterAttributes(requested: string[] = ['all', 'media-col-ready']): Promise<Attributes> {
    const res = await this.request(Operation.getPrinterAttributes, {
      'requested-attributes': attr.keyword(...requested),
    });
    return mergeGroups(groupsOf(res, GroupTag.printer));
  }

  /** Print-Job: the document goes with the request; resolves with the printer's job id. */
  async printJob(doc: Buffer, opts: { jobName: string; format: string; job?: Attributes }): Promise<JobSummary> {
    const res = await this.request(
      Operation.printJob,
      { 'job-name': attr.name(opts.jobName), 'document-format': attr.mime(opts.format) },
      opts.job,
      doc,
    );
    return jobSummary(mergeGroups(groupsOf(res, GroupTag.job)), opts.jobName);
  }

  /** Create-Job then Send-Document, for printers that lack Print-Job. */
  async createAndSend(doc: Buffer, opts: { jobName: string; format: string; job?: Attributes }): Promise<JobSummary> {
    const created = await this.request(Operation.createJob, { 'job-name': attr.name(opts.jobName) }, opts.job);
    const job = jobSummary(mergeGroups(groupsOf(created, GroupTag.job)), opts.jobName);
    await this.request(
      Operation.sendDocument,
      {
        'job-id': attr.integer(job.id),
        'document-format': attr.mime(opts.format),
        'last-document': attr.boolean(true),
      },
      undefined,
      doc,
    );
    return job;
  }

  async getJob(jobId: number): Promise<JobSummary & { attributes: Attributes }> {
    const res = await this.request(Operation.getJobAttributes, {
      'job-id': attr.integer(jobId),
      'requested-attributes': attr.keyword('job-id', 'job-state', 'job-state-reasons', 'job-name'),
    });
    const attributes = mergeGroups(groupsOf(res, GroupTag.job));
    return { ...jobSummary(attributes, ''), attributes };
  }

  async getJobs(which: 'completed' | 'not-completed' | 'all' = 'not-completed'): Promise<JobSummary[]> {
    const res = await this.request(Operation.getJobs, {
      'which-jobs': attr.keyword(which),
      'requested-attributes': attr.keyword('job-id', 'job-state', 'job-state-reasons', 'job-name'),
    });
    return groupsOf(res, GroupTag.job).map((g) => jobSummary(g.attributes, ''));
  }

  /** Resolves true if cancelled, false if the job had already finished (printed or not). */
  async cancelJob(jobId: number): Promise<boolean> {
    try {
      await this.request(Operation.cancelJob, { 'job-id': attr.integer(jobId) });
      return true;
    } catch (err) {
      if (err instanceof IppError && err.details?.statusCode === STATUS_NOT_POSSIBLE) return false;
      throw err;
    }
  }

  /** Resume-Printer: what `cupsenable` does to a CUPS queue that stopped after a failed job. */
  async resumePrinter(): Promise<void> {
    await this.request(Operation.resumePrinter, {});
  }

  async request(op: number, operationAttrs: Attributes, jobAttrs?: Attributes, data?: Buffer): Promise<IppMessage> {
    const groups: IppGroup[] = [
      {
        tag: GroupTag.operation,
        attributes: {
          'attributes-charset': { tag: 0x47, values: ['utf-8'] },
          'attributes-natural-language': { tag: 0x48, values: ['en'] },
          'printer-uri': attr.uri(this.uri),
          'requesting-user-name': attr.name(USER_NAME),
          ...operationAttrs,
        },
      },
    ];
    if (jobAttrs && Object.keys(jobAttrs).length > 0) groups.push({ tag: GroupTag.job, attributes: jobAttrs });
    this.#requestId = (this.#requestId % 0x7fffffff) + 1;
    const body = encodeMessage({ version: IPP_VERSION_2_0, code: op, requestId: this.#requestId, groups, data });
    const res = decodeMessage(await this.#post(body));
    if (res.code > STATUS_SUCCESS_MAX) {
      const message = mergeGroups(groupsOf(res, GroupTag.operation))['status-message']?.values[0];
      throw new IppError(
        'ipp_request_failed',
        `The printer at ${this.uri} refused the request (IPP status 0x${res.code.toString(16).padStart(4, '0')}${
          message ? `: ${String(message)}` : ''
        }).`,
        { statusCode: res.code, operation: op },
      );
    }
    return res;
  }

  #post(body: Buffer): Promise<Buffer> {
    const controller = new AbortController();
    const timer = this.#clock.setTimeout(() => controller.abort(), this.#timeoutMs);
    return new Promise<Buffer>((resolve, reject) => {
      const req = http.request(
        this.#url,
        {
          method: 'POST',
          agent: this.#agent,
          signal: controller.signal,
          headers: { 'content-type': 'application/ipp', 'content-length': body.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          // The printer (or cupsd) went away mid-answer: unreachable, like a refused connection,
          // not an unknown error that every caller would rethrow.
          res.on('error', (err: Error) => {
            reject(
              new IppError(
                'printer_unreachable',
                `The connection to the printer at ${this.uri} closed during its answer (${err.message}).`,
              ),
            );
          });
          res.on('end', () => {
            if (res.statusCode !== 200) {
              reject(
                new IppError('ipp_http_error', `The printer at ${this.uri} answered HTTP ${res.statusCode}.`, {
                  httpStatus: res.statusCode,
                }),
              );
            } else resolve(Buffer.concat(chunks));
          });
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        reject(
          new IppError(
            'printer_unreachable',
            controller.signal.aborted
              ? `The printer at ${this.uri} did not answer within ${this.#timeoutMs} ms.`
              : `Cannot reach the printer at ${this.uri}: ${err.code ?? err.message}.`,
          ),
        );
      });
      req.end(body);
    }).finally(() => timer.cancel());
  }
}

/** `ipp://host[:port]/path` → the HTTP URL the request is posted to. `ipps` is not supported. */
export function parsePrinterUri(uri: string): URL {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    throw new AppError('printer_uri_invalid', `"${uri}" is not a printer URI (ipp://host:631/printers/NAME).`);
  }
  if (u.protocol !== 'ipp:' && u.protocol !== 'http:') {
    throw new AppError('printer_uri_invalid', `"${uri}" must start with ipp:// (ipps is not supported).`);
  }
  if (!u.hostname || u.pathname === '/' || u.pathname === '') {
    throw new AppError('printer_uri_invalid', `"${uri}" needs a host and a path, e.g. ipp://host/ipp/print.`);
  }
  return new URL(`http://${u.host.includes(':') ? u.host : `${u.host}:${DEFAULT_IPP_PORT}`}${u.pathname}`);
}

function mergeGroups(groups: IppGroup[]): Attributes {
  return Object.assign({}, ...groups.map((g) => g.attributes)) as Attributes;
}

function jobSummary(a: Attributes, fallbackName: string): JobSummary {
  const id = a['job-id']?.values[0];
  const state = a['job-state']?.values[0];
  if (typeof id !== 'number' || typeof state !== 'number') {
    throw new AppError('ipp_malformed', 'The printer answered without job-id or job-state.');
  }
  return {
    id,
    state,
    name: typeof a['job-name']?.values[0] === 'string' ? (a['job-name'].values[0] as string) : fallbackName,
    reasons: strings(a['job-state-reasons']),
  };
}

export function strings(a: IppAttribute | undefined): string[] {
  return (a?.values ?? []).filter((v: IppValue): v is string => typeof v === 'string');
}

export function numbers(a: IppAttribute | undefined): number[] {
  return (a?.values ?? []).filter((v: IppValue): v is number => typeof v === 'number');
}

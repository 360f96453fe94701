import type { LabManifest, LabStatusKind } from '../../shared/protocol/lab-manifest.ts';

/** One print file of a job, rendered at the product's pixel size (package-builder.ts). */
export interface LabPrintFile {
  name: string;
  bytes: Buffer;
}

/** A paid reorder as a lab receives it: the manifest, the print files and the packing slip. */
export interface LabPackage {
  manifest: LabManifest;
  files: LabPrintFile[];
  packingSlip: string;
}

/** A status a lab reported; `receipt` identifies it for `acknowledge`. */
export interface LabStatusUpdate {
  receipt: string;
  jobId: string;
  status: LabStatusKind;
  at: number;
  carrier?: string;
  trackingNumber?: string;
  reason?: string;
}

/**
 * The "second print-out apparatus" and "shipping terminal" of the seed patent: a lab that prints
 * reorders and ships them. Adapters: hot-folder lab (files a lab or print room polls), test lab.
 * Every adapter passes test/contracts/lab-contract.ts.
 */
export interface LabPort {
  readonly name: string;
  /**
   * Hands a job to the lab. Idempotent on manifest.jobId: submitting a job the lab has already got
   * changes nothing and returns the same reference (so an outbox retry after a crash is safe).
   */
  submit(pkg: LabPackage): Promise<{ labRef: string }>;
  /** Statuses the lab reported and that were not acknowledged yet, oldest first. */
  pendingStatuses(): Promise<LabStatusUpdate[]>;
  /** The coordinator applied the status: it is not returned again. Idempotent. */
  acknowledge(receipt: string): Promise<void>;
  close?(): Promise<void>;
}

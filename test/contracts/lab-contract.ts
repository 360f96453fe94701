import type { ExecutionContext, TestFn } from 'ava';
import type { LabPackage, LabPort } from '../../coordinator/lab/port.ts';
import type { LabStatusKind } from '../../shared/protocol/lab-manifest.ts';
import { LAB_MANIFEST_FORMAT } from '../../shared/protocol/lab-manifest.ts';

/** What the contract needs of an adapter: the port, and a way to act as the lab behind it. */
export interface LabHarness {
  lab: LabPort;
  /** Job ids the lab has received (each once, however often it was submitted). */
  receivedJobIds(): Promise<string[]>;
  /** The lab reports a status for a job. */
  report(
    jobId: string,
    status: LabStatusKind,
    extra?: { carrier?: string; trackingNumber?: string; reason?: string },
  ): Promise<void>;
  close(): Promise<void>;
}

export function samplePackage(jobId: string): LabPackage {
  return {
    manifest: {
      format: LAB_MANIFEST_FORMAT,
      jobId,
      orderRef: jobId.split('.')[0]!,
      createdAt: '2026-12-05T06:00:00.000Z',
      eventName: 'Cup final',
      shipTo: {
        name: 'Ada Fan',
        line1: '1 Main Street',
        line2: '',
        city: 'Berlin',
        region: '',
        postalCode: '10115',
        country: 'DE',
        phone: '',
      },
      shippingMethod: { id: 'standard', label: 'Standard post' },
      prints: [
        {
          file: '001-print_8x10-x1-img.jpg',
          imageId: 'img',
          productId: 'print_8x10',
          kind: 'print',
          quantity: 1,
          widthPx: 2400,
          heightPx: 3000,
          dpi: 300,
          colourSpace: 'sRGB',
          sha256: '0'.repeat(64),
        },
      ],
      packingSlip: 'packing-slip.txt',
    },
    files: [{ name: '001-print_8x10-x1-img.jpg', bytes: Buffer.from('not really a jpeg') }],
    packingSlip: 'PACKING SLIP\n',
  };
}

/**
 * One suite every LabPort adapter passes (hot-folder lab, test lab): submit is idempotent on the job
 * id, statuses come back with their details until acknowledged, and acknowledging twice is harmless.
 */
export function labContract(
  test: TestFn,
  name: string,
  makeHarness: (t: ExecutionContext) => Promise<LabHarness>,
): void {
  test(`${name}: submitting a job twice hands it to the lab once, with the same reference`, async (t) => {
    const h = await makeHarness(t);
    t.teardown(() => h.close());
    const a = await h.lab.submit(samplePackage('r-job1.1'));
    const b = await h.lab.submit(samplePackage('r-job1.1'));
    t.is(a.labRef, b.labRef);
    await h.lab.submit(samplePackage('r-job2.1'));
    t.deepEqual((await h.receivedJobIds()).sort(), ['r-job1.1', 'r-job2.1']);
  });

  test(`${name}: statuses come back with carrier, tracking and reasons until acknowledged`, async (t) => {
    const h = await makeHarness(t);
    t.teardown(() => h.close());
    await h.lab.submit(samplePackage('r-a.1'));
    await h.lab.submit(samplePackage('r-b.1'));
    t.deepEqual(await h.lab.pendingStatuses(), []);
    await h.report('r-a.1', 'accepted');
    await h.report('r-a.1', 'shipped', { carrier: 'DHL', trackingNumber: 'JJD0001234' });
    await h.report('r-b.1', 'rejected', { reason: 'file too dark' });
    const statuses = await h.lab.pendingStatuses();
    t.deepEqual(
      statuses.map((s) => [s.jobId, s.status, s.carrier ?? null, s.trackingNumber ?? null, s.reason ?? null]),
      [
        ['r-a.1', 'accepted', null, null, null],
        ['r-a.1', 'shipped', 'DHL', 'JJD0001234', null],
        ['r-b.1', 'rejected', null, null, 'file too dark'],
      ],
    );
    t.true(statuses.every((s) => Number.isFinite(s.at)));
    // Read again before acknowledging: the same statuses (a crash before applying loses nothing).
    t.is((await h.lab.pendingStatuses()).length, 3);
    await h.lab.acknowledge(statuses[0]!.receipt);
    await h.lab.acknowledge(statuses[0]!.receipt);
    t.deepEqual(
      (await h.lab.pendingStatuses()).map((s) => s.status),
      ['shipped', 'rejected'],
    );
  });
}

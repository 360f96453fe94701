import test from 'ava';
import fc from 'fast-check';
import { isAppError } from '../shared/errors.ts';
import { kumarRossSeconds, kumarRossTerms, sharedMediumSeconds, starPushSeconds } from '../sim/model/bound.ts';

const MB = 1_000_000;

test('Kumar–Ross: the source upload dominates', (t) => {
  // F = 100 MB, u_s = 1 MB/s, 10 printers uploading 10 MB/s and downloading 100 MB/s:
  // F/u_s = 100 s, F/d_min = 1 s, N·F/(u_s+Σu) = 1000 MB / 101 MB/s ≈ 9.9 s → 100 s.
  const input = {
    fileBytes: 100 * MB,
    serverUploadBytesPerSec: 1 * MB,
    peerUploadBytesPerSec: new Array<number>(10).fill(10 * MB),
    peerDownloadBytesPerSec: new Array<number>(10).fill(100 * MB),
  };
  const terms = kumarRossTerms(input);
  t.is(terms.serverSeconds, 100);
  t.is(terms.slowestDownloadSeconds, 1);
  t.true(Math.abs(terms.aggregateUploadSeconds - 1000 / 101) < 1e-9);
  t.is(terms.dominant, 'server');
  t.is(kumarRossSeconds(input), 100);
});

test('Kumar–Ross: the slowest printer download dominates', (t) => {
  // F = 100 MB, u_s = 50 MB/s, 4 printers uploading 50 MB/s, one downloads only 10 MB/s:
  // F/u_s = 2 s, F/d_min = 10 s, N·F/(u_s+Σu) = 400/250 = 1.6 s → 10 s.
  const input = {
    fileBytes: 100 * MB,
    serverUploadBytesPerSec: 50 * MB,
    peerUploadBytesPerSec: [50 * MB, 50 * MB, 50 * MB, 50 * MB],
    peerDownloadBytesPerSec: [100 * MB, 100 * MB, 10 * MB, 100 * MB],
  };
  const terms = kumarRossTerms(input);
  t.deepEqual([terms.serverSeconds, terms.slowestDownloadSeconds, terms.aggregateUploadSeconds], [2, 10, 1.6]);
  t.is(terms.dominant, 'slowest_download');
  t.is(kumarRossSeconds(input), 10);
});

test('Kumar–Ross: aggregate upload dominates', (t) => {
  // F = 100 MB, u_s = 10 MB/s, 20 printers uploading 1 MB/s, downloading 100 MB/s:
  // F/u_s = 10 s, F/d_min = 1 s, N·F/(u_s+Σu) = 2000 MB / 30 MB/s ≈ 66.7 s.
  const input = {
    fileBytes: 100 * MB,
    serverUploadBytesPerSec: 10 * MB,
    peerUploadBytesPerSec: new Array<number>(20).fill(1 * MB),
    peerDownloadBytesPerSec: new Array<number>(20).fill(100 * MB),
  };
  const terms = kumarRossTerms(input);
  t.is(terms.dominant, 'aggregate_upload');
  t.true(Math.abs(kumarRossSeconds(input) - 2000 / 30) < 1e-9);
});

test('Kumar–Ross: no printers need no time; bad input is refused', (t) => {
  t.is(
    kumarRossSeconds({
      fileBytes: MB,
      serverUploadBytesPerSec: MB,
      peerUploadBytesPerSec: [],
      peerDownloadBytesPerSec: [],
    }),
    0,
  );
  const bad = [
    { fileBytes: MB, serverUploadBytesPerSec: MB, peerUploadBytesPerSec: [1], peerDownloadBytesPerSec: [1, 2] },
    { fileBytes: -1, serverUploadBytesPerSec: MB, peerUploadBytesPerSec: [1], peerDownloadBytesPerSec: [1] },
    { fileBytes: MB, serverUploadBytesPerSec: 0, peerUploadBytesPerSec: [1], peerDownloadBytesPerSec: [1] },
    { fileBytes: MB, serverUploadBytesPerSec: MB, peerUploadBytesPerSec: [1], peerDownloadBytesPerSec: [0] },
    { fileBytes: MB, serverUploadBytesPerSec: MB, peerUploadBytesPerSec: [-1], peerDownloadBytesPerSec: [1] },
  ];
  for (const input of bad) {
    const err = t.throws(() => kumarRossSeconds(input));
    t.true(isAppError(err));
  }
});

test('shared medium: N·F/C, doubled when relayed through the access point', (t) => {
  // 50 printers × 5 MB over a 25 MB/s channel = 10 s; 20 s when every byte crosses the air twice.
  t.is(sharedMediumSeconds({ fileBytes: 5 * MB, printers: 50, capacityBytesPerSec: 25 * MB }), 10);
  t.is(sharedMediumSeconds({ fileBytes: 5 * MB, printers: 50, capacityBytesPerSec: 25 * MB, airtimeFactor: 2 }), 20);
  t.throws(() => sharedMediumSeconds({ fileBytes: MB, printers: 1.5, capacityBytesPerSec: MB }));
  t.throws(() => sharedMediumSeconds({ fileBytes: MB, printers: 2, capacityBytesPerSec: MB, airtimeFactor: 0.5 }));
});

test('star push: N·F/W, or the slowest download when the WAN is fast', (t) => {
  const tenPrinters = new Array<number>(10).fill(100 * MB);
  // 10 × 100 MB over 10 MB/s = 100 s (F/d_min = 1 s).
  t.is(
    starPushSeconds({ fileBytes: 100 * MB, serverUploadBytesPerSec: 10 * MB, peerDownloadBytesPerSec: tenPrinters }),
    100,
  );
  // One printer at 10 MB/s behind a 100 MB/s source: 10 s.
  t.is(
    starPushSeconds({ fileBytes: 100 * MB, serverUploadBytesPerSec: 100 * MB, peerDownloadBytesPerSec: [10 * MB] }),
    10,
  );
  t.is(starPushSeconds({ fileBytes: MB, serverUploadBytesPerSec: MB, peerDownloadBytesPerSec: [] }), 0);
});

test('peer assistance is never worse than a star push, and never beats one copy over the WAN', (t) => {
  const rate = fc.integer({ min: 1, max: 1_000_000_000 });
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 10_000_000_000 }),
      rate,
      fc.array(fc.tuple(fc.integer({ min: 0, max: 1_000_000_000 }), rate), { minLength: 1, maxLength: 50 }),
      (fileBytes, us, peers) => {
        const input = {
          fileBytes,
          serverUploadBytesPerSec: us,
          peerUploadBytesPerSec: peers.map((p) => p[0]),
          peerDownloadBytesPerSec: peers.map((p) => p[1]),
        };
        const kr = kumarRossSeconds(input);
        const star = starPushSeconds(input);
        return kr <= star * (1 + 1e-12) && kr >= fileBytes / us;
      },
    ),
  );
  t.pass();
});

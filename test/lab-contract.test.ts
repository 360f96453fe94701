import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { HotFolderLab } from '../coordinator/lab/hot-folder-lab.ts';
import { TestLab } from '../coordinator/lab/test-lab.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import { cryptoRandom } from '../shared/ports/random.ts';
import { LAB_STATUS_FORMAT } from '../shared/protocol/lab-manifest.ts';
import { labContract } from './contracts/lab-contract.ts';

labContract(test, 'test lab', async () => {
  const clock = new ManualClock(Date.UTC(2026, 11, 5));
  const lab = new TestLab({ clock, mode: 'manual' });
  return {
    lab,
    receivedJobIds: async () => [...lab.received.keys()],
    report: async (jobId, status, extra) => {
      clock.advance(1_000);
      lab.report(jobId, status, extra);
    },
    close: () => lab.close(),
  };
});

labContract(test, 'hot-folder lab', async () => {
  const root = await mkdtemp(join(tmpdir(), 'vpm-lab-'));
  const lab = new HotFolderLab({ root, random: cryptoRandom });
  let seq = 0;
  return {
    lab,
    receivedJobIds: async () => readdir(join(root, 'orders')),
    // What a lab does: drops a status file (names sort in the order written).
    report: async (jobId, status, extra = {}) => {
      seq++;
      await mkdir(join(root, 'status'), { recursive: true });
      const body = {
        format: LAB_STATUS_FORMAT,
        jobId,
        status,
        at: new Date(Date.UTC(2026, 11, 5, 8, seq)).toISOString(),
        ...extra,
      };
      await writeFile(join(root, 'status', `${String(seq).padStart(6, '0')}-${jobId}.json`), JSON.stringify(body));
    },
    close: () => rm(root, { recursive: true, force: true }),
  };
});

import { join } from 'node:path';
import test from 'ava';
import { multiCoordinatorScenario } from './fixtures/multi-coordinator-scenario.ts';

test('two coordinator processes on one SQLite file: exactly-once claims, one feed appender, takeover after kill -9', async (t) => {
  t.timeout(180_000);
  await multiCoordinatorScenario(t, (dir) => ({ VPM_SQLITE_PATH: join(dir, 'shared.sqlite') }));
});

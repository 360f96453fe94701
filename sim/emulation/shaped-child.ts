/**
 * The child side of a shaped emulation run (shaped-run.ts): started by `ip netns exec <cloud ns>`,
 * it reads its job from the environment, runs the emulation with the namespaces' addresses and
 * writes JSON lines (progress, diagnostics, then results or an error) to stdout.
 */
import { isAppError } from '../../shared/errors.ts';
import { runEmulation } from './run-emulation.ts';
import { SHAPED_JOB_ENV, type ShapedJob, type ShapedMessage } from './shaped-run.ts';

// Exit (not die) on a signal, so the edge nodes are stopped with this process (EmulatedVenue).
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

const emit = (message: ShapedMessage) => process.stdout.write(`${JSON.stringify(message)}\n`);

const job = JSON.parse(process.env[SHAPED_JOB_ENV] ?? 'null') as ShapedJob | null;
if (!job) {
  emit({ error: { status: 400, code: 'no_job', message: `${SHAPED_JOB_ENV} is not set.` } });
  process.exit(2);
}
try {
  const results = await runEmulation(
    job.scenario,
    {
      ...job.options,
      network: job.network,
      onProgress: (progress) => emit({ progress }),
      onDiagnostic: (diagnostic) => emit({ diagnostic }),
      onRunStats: (stats) => emit({ stats }),
    },
    job.strategy,
  );
  emit({ results });
} catch (err) {
  emit({
    error: isAppError(err)
      ? { status: err.status, code: err.code, message: err.message }
      : { status: 500, code: 'emulation_failed', message: (err as Error).message },
  });
  process.exitCode = 1;
}

/**
 * The model knows the stations' CPU (issue #16 item 4): a printer model's CPU cost per MB caps how
 * fast it receives, its render cost how fast it prints, and `stationLoad` answers "fast enough?".
 */
import test from 'ava';
import { cpuReceiveBytesPerSec, effectivePrintSeconds, stationLoad } from '../sim/model/station-cpu.ts';
import type { StrategyRun } from '../sim/results-schema.ts';
import { runModel } from '../sim/run-model.ts';
import { builtIn, variant } from './sim-helpers.ts';

const meanComplete = (run: StrategyRun) => {
  const done = run.batches.filter((b) => b.completeSeconds !== null);
  return done.reduce((a, b) => a + b.completeSeconds!, 0) / done.length;
};

test('receive rate: cores × 1000 / (ms per MB received + served); none stated → not CPU-bound', (t) => {
  t.is(cpuReceiveBytesPerSec({ printSeconds: 12 }), Number.POSITIVE_INFINITY);
  t.is(cpuReceiveBytesPerSec({ printSeconds: 12, cpuMsPerMb: 40, cpuMsPerMbServed: 10 }), 20e6);
  t.is(cpuReceiveBytesPerSec({ printSeconds: 12, cpuMsPerMb: 40, cpuMsPerMbServed: 10, cores: 0.5 }), 10e6);
});

test('print time: the render counts only when it is slower than the printer', (t) => {
  t.is(effectivePrintSeconds({ printSeconds: 12, cpuMsPerPrint: 900 }), 12);
  t.is(effectivePrintSeconds({ printSeconds: 1, cpuMsPerPrint: 2500 }), 2.5);
});

test('stationLoad: 40 photos/min of 5 MB at 150 ms/MB is half a core; four times the cost is not fast enough', (t) => {
  const ok = stationLoad({
    model: { printSeconds: 12, cpuMsPerMb: 100, cpuMsPerMbServed: 50 },
    photosPerMinute: 40,
    meanPhotoBytes: 5e6,
    printsPerMinute: 2,
  });
  t.true(Math.abs(ok.replicationCpuShare - 0.5) < 1e-9, `${ok.replicationCpuShare}`);
  t.true(ok.fastEnough);
  const slow = stationLoad({
    model: { printSeconds: 12, cpuMsPerMb: 400, cpuMsPerMbServed: 200, cpuMsPerPrint: 3000 },
    photosPerMinute: 40,
    meanPhotoBytes: 5e6,
    printsPerMinute: 6,
  });
  t.false(slow.fastEnough);
  t.regex(slow.reasons.join(' '), /CPU \d+ % busy/);
  t.regex(slow.reasons.join(' '), /prints a minute asked/);
});

test('the model: a CPU-bound station model makes batches slower, and the bound (its d_i) follows', (t) => {
  const fast = runModel(builtIn('club'), 'mesh', 1);
  const slow = runModel(
    variant('club', (raw) => {
      raw.venue.printerModels['dnp-ds620'] = { printSeconds: 12, cpuMsPerMb: 400, cpuMsPerMbServed: 100 };
    }),
    'mesh',
    1,
  );
  // 2 MB/s of CPU instead of a gigabit port: batches of ~42 MB need ≥ 20 s per printer.
  t.true(meanComplete(slow) > 3 * meanComplete(fast), `${meanComplete(slow)} vs ${meanComplete(fast)}`);
  t.true(slow.batches.every((b, i) => b.boundSeconds > fast.batches[i]!.boundSeconds));
  // The run invariants (completion ≥ bound per batch) passed inside runModel.
  t.is(slow.wanRatio, fast.wanRatio);
});

async function station(args: string[]): Promise<{ code: number; answer: Record<string, unknown>; text: string }> {
  const { commandStation } = await import('../sim/station-command.ts');
  const out: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => {
    out.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    const code = await commandStation(args, async (ref) => builtIn(ref));
    const text = out.join('');
    return { code, answer: JSON.parse(text.trim().split('\n').at(-1)!) as Record<string, unknown>, text };
  } finally {
    process.stdout.write = write;
  }
}

test.serial('sim station: a Pi-class station keeps up with 40 photos a minute, not with 80', async (t) => {
  const at40 = await station(['--scenario', 'pi-station']);
  t.is(at40.code, 0);
  t.true(at40.answer.fastEnough === true, at40.text);
  const at80 = await station(['--scenario', 'pi-station', '--photos-per-minute', '80']);
  t.is(at80.code, 3);
  t.false(at80.answer.fastEnough as boolean);
  t.regex(at80.text, /NO: CPU \d+ % busy/);
  // The station PC at 80 a minute: the WAN, not its CPU, sets the pace.
  const pc = await station(['--scenario', 'pi-station', '--model', 'station-pc', '--photos-per-minute', '80']);
  t.true(pc.answer.fastEnough === true, pc.text);
});

import test from 'ava';
import { runModel, runScenario } from '../sim/run-model.ts';
import { builtIn } from './sim-helpers.ts';

const club = builtIn('club');

for (const strategy of ['star-periodic', 'on-demand', 'mesh'] as const) {
  test(`model mode is deterministic: ${strategy} twice with one seed gives identical JSON`, (t) => {
    const a = JSON.stringify(runModel(club, strategy, 7));
    const b = JSON.stringify(runModel(club, strategy, 7));
    t.is(a, b);
    t.true(a.length > 1000);
  });
}

test('a different seed gives a different run', (t) => {
  const a = runModel(club, 'mesh', 7);
  const b = runModel(club, 'mesh', 8);
  t.not(JSON.stringify(a), JSON.stringify(b));
  t.not(a.uniqueBytes, b.uniqueBytes);
});

test('runScenario reports are byte-identical and summarise every strategy with a CI', (t) => {
  const one = JSON.stringify(runScenario(club, ['mesh', 'star-periodic'], [1, 2, 3]));
  const two = JSON.stringify(runScenario(club, ['mesh', 'star-periodic'], [1, 2, 3]));
  t.is(one, two);
  const results = JSON.parse(one);
  t.is(results.runs.length, 6);
  t.deepEqual(
    results.summaries.map((s: { strategy: string; runs: number }) => [s.strategy, s.runs]),
    [
      ['mesh', 3],
      ['star-periodic', 3],
    ],
  );
  const star = results.summaries[1];
  t.true(star.wanBytes.ci95 > 0, 'three seeds with different image sizes give a non-zero interval');
  t.is(results.runs[0].wallSeconds, 0, 'no wall clock in a reproducible report');
});

test('the same workload is shared by the strategies of a seed', (t) => {
  const mesh = runModel(club, 'mesh', 3);
  const star = runModel(club, 'star-periodic', 3);
  t.is(mesh.uniqueBytes, star.uniqueBytes);
  t.is(mesh.redemptions, star.redemptions);
});

import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { stringify } from 'yaml';
import { isAppError } from '../shared/errors.ts';
import { parseScenario, type ScenarioInput, validateScenario } from '../sim/scenario.ts';
import { builtIn, builtInRaw } from './sim-helpers.ts';

const SCENARIOS = fileURLToPath(new URL('../sim/scenarios/', import.meta.url));

/** The problems a scenario is rejected with (each "field.path: what was expected"), [] if accepted. */
function problemsOf(raw: unknown): string[] {
  try {
    validateScenario(raw, 'x.json');
  } catch (err) {
    if (isAppError(err) && err.code === 'invalid_scenario' && err.status === 400) {
      return (err.details?.problems as string[]) ?? [];
    }
    throw err;
  }
  return [];
}

function patched(name: string, patch: (raw: ScenarioInput & Record<string, unknown>) => void): unknown {
  const raw = builtInRaw(name) as ScenarioInput & Record<string, unknown>;
  patch(raw);
  return raw;
}

test('every built-in scenario parses', (t) => {
  const names = readdirSync(SCENARIOS)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''));
  for (const required of ['club', 'arena', 'stadium', 'wifi-shared', 'wan-outage', 'patent-timeline', 'bench-500']) {
    t.true(names.includes(required), required);
  }
  for (const name of names) t.is(builtIn(name).name, name);
});

test('a bad capacity names its field', (t) => {
  const problems = problemsOf(
    patched('wifi-shared', (raw) => {
      (raw.venue.lan as { capacityMbps: number }).capacityMbps = -5;
    }),
  );
  t.deepEqual(problems, ['venue.lan.capacityMbps: expected a number > 0']);
});

test('unknown and missing fields are both named', (t) => {
  const problems = problemsOf(
    patched('club', (raw) => {
      raw.venue.wan = { bandwith: 50, rttMs: 30 } as never;
    }),
  );
  t.true(problems.includes('venue.wan.bandwidthMbps: expected a number > 0'), problems.join('\n'));
  t.true(problems.includes('venue.wan.bandwith: unknown field'), problems.join('\n'));
});

test('cross-field checks name the field: printer model, windows, explicit orders', (t) => {
  t.true(
    problemsOf(
      patched('club', (raw) => {
        raw.venue.printers[0]!.model = 'nope';
      }),
    )[0]!.startsWith('venue.printers[0].model: expected one of venue.printerModels (dnp-ds620, citizen-cx02)'),
  );
  t.deepEqual(
    problemsOf(
      patched('wan-outage', (raw) => {
        raw.faults!.wanOutages![0] = { fromS: 100, toS: 50 };
      }),
    ),
    ['faults.wanOutages[0].toS: expected toS > fromS'],
  );
  t.deepEqual(
    problemsOf(
      patched('patent-timeline', (raw) => {
        if (raw.orders.kind === 'explicit') raw.orders.list[0]!.purchaseAtS = 700;
        if (raw.orders.kind === 'explicit') raw.orders.list[0]!.redeemAtS = 840;
      }),
    ),
    ['orders.list[0].images[1]: image 3 is uploaded at 720 s, after the purchase'],
  );
  t.deepEqual(
    problemsOf(
      patched('club', (raw) => {
        raw.strategies = { mesh: { syncWindows: [{ start: '25:00', end: '06:00' }] } };
      }),
    ),
    ['strategies.mesh.syncWindows: window 1: start must be "HH:MM" between 00:00 and 23:59'],
  );
  t.deepEqual(
    problemsOf(
      patched('club', (raw) => {
        raw.schemaVersion = 2 as never;
      }),
    ),
    ['schemaVersion: expected 1'],
  );
  t.deepEqual(
    problemsOf(
      patched('club', (raw) => {
        raw.event.imageSizeBytes = { kind: 'gamma' } as never;
      }),
    ),
    ['event.imageSizeBytes.kind: expected kind "fixed", "uniform", "exponential", "lognormal" or "choice"'],
  );
});

test('YAML and JSON give the same scenario, with defaults applied', (t) => {
  const raw = builtInRaw('club');
  const fromYaml = parseScenario(`# a comment researchers can keep\n${stringify(raw)}`, 'club.yaml');
  const fromJson = parseScenario(JSON.stringify(raw), 'club.json');
  t.deepEqual(fromYaml, fromJson);
  t.is(fromJson.strategies.mesh.syncIntervalS, 30);
  t.is(fromJson.strategies.starPeriodic.intervalS, 1800);
  t.is(fromJson.redemption.fetchTimeoutS, 60);
});

test('a file that is not JSON or YAML says so, with its name', (t) => {
  const err = t.throws(() => parseScenario('{ "schemaVersion": 1,', 'broken.json'));
  t.regex(err!.message, /^broken\.json: not valid JSON/);
  const yamlErr = t.throws(() => parseScenario('venue: [unclosed', 'broken.yaml'));
  t.regex(yamlErr!.message, /^broken\.yaml: not valid YAML/);
});

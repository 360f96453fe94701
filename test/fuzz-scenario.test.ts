import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { isAppError } from '../shared/errors.ts';
import { parseScenario, validateScenario } from '../sim/scenario.ts';
import { builtInRaw } from './sim-helpers.ts';

/**
 * Scenario files as a person (or a broken editor) writes them: arbitrary JSON and YAML, and the
 * built-in scenarios with fields changed, removed, added or swapped between files. A scenario is
 * accepted or refused with AppError 'invalid_scenario' whose every problem names a field; nothing
 * else is ever thrown, and nothing takes long.
 */

const RUNS = { text: 4_000, mutations: 6_000 };
/** Parsing and validating one file; far above the few milliseconds it takes. */
const MAX_PARSE_MS = 1_000;
/** "(top level)", or a path of plain names, [indices] and ["quoted keys"], then what is wrong. */
const PROBLEM_LINE =
  /^(\(top level\)|([A-Za-z_$][\w$-]*|\["(?:[^"\\]|\\.)*"\])(\.[A-Za-z_$][\w$-]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*): \S/;

const BUILT_INS = readdirSync(fileURLToPath(new URL('../sim/scenarios/', import.meta.url)))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''));
const RAW = BUILT_INS.map((name) => builtInRaw(name) as unknown);

/** Why an outcome is wrong (or null), and whether the scenario was accepted. */
function judge(run: () => unknown): { problem: string | null; accepted: boolean } {
  const started = performance.now();
  let problem: string | null = null;
  let accepted = false;
  try {
    run();
    accepted = true;
  } catch (err) {
    if (!isAppError(err) || err.code !== 'invalid_scenario' || err.status !== 400) {
      problem = `threw ${String(err)}`;
    } else {
      const problems = err.details?.problems as string[] | undefined;
      // Syntax errors have no field to name; they say which file and which syntax.
      if (problems === undefined) {
        if (!/: not valid (JSON|YAML): /.test(err.message)) problem = `unclear syntax error: ${err.message}`;
      } else if (problems.length === 0) {
        problem = 'refused without a problem';
      } else {
        const unnamed = problems.filter((line) => !PROBLEM_LINE.test(line));
        if (unnamed.length) problem = `problems that name no field: ${unnamed.join(' | ')}`;
      }
    }
  }
  const ms = performance.now() - started;
  if (!problem && ms > MAX_PARSE_MS) problem = `took ${Math.round(ms)} ms`;
  return { problem, accepted };
}

const check = (run: () => unknown) => judge(run).problem;

const numbers = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, -1, 1e-12, 1e-300, 5e-324, 1e300, 2 ** 53 + 1, 10_001, 1_000_001, 50_000_001),
);
const interesting = fc.oneof(
  numbers,
  fc.string({ maxLength: 20 }),
  fc.constantFrom(null, true, false, '', 'fixed', 'periodic', 'explicit', 'generated', 'switched', 'shared', '25:99'),
  fc.constantFrom({}, [], { kind: 'fixed', value: 1 }, { kind: 'choice', values: [1], weights: [0] }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Every (path, subtree) of a built-in, for cross-over between files. */
function subtrees(
  value: unknown,
  path: string[] = [],
  out: Array<[string[], unknown]> = [],
): Array<[string[], unknown]> {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push([[...path, k], v]);
      subtrees(v, [...path, k], out);
    }
  }
  return out;
}
const DONORS = RAW.flatMap((raw) => subtrees(raw));

type Edit = { at: number[]; op: 'set' | 'delete' | 'add' | 'graft'; value: unknown; donor: number };

function applyEdit(raw: unknown, edit: Edit): void {
  let node = raw as Record<string, unknown>;
  for (let depth = 0; depth < edit.at.length; depth++) {
    const keys = Object.keys(node);
    if (keys.length === 0) return;
    const k = keys[edit.at[depth]! % keys.length]!;
    const child = node[k];
    if (depth === edit.at.length - 1 || child === null || typeof child !== 'object') {
      if (edit.op === 'delete') delete node[k];
      else if (edit.op === 'add') node[`${k}X`] = edit.value;
      else if (edit.op === 'graft') {
        // Same key from another file (or any subtree): a periodic upload plan under explicit orders, etc.
        const sameKey = DONORS.filter(([p]) => p[p.length - 1] === k);
        const pool = sameKey.length ? sameKey : DONORS;
        node[k] = structuredClone(pool[edit.donor % pool.length]![1]);
      } else node[k] = edit.value;
      return;
    }
    node = child as Record<string, unknown>;
  }
}

const edit: fc.Arbitrary<Edit> = fc.record({
  at: fc.array(fc.nat(40), { minLength: 1, maxLength: 6 }),
  op: fc.constantFrom('set', 'set', 'delete', 'add', 'graft'),
  value: interesting,
  donor: fc.nat(100_000),
});

test('arbitrary JSON and YAML text is accepted or refused naming a field, never a crash', (t) => {
  // The YAML parser reports odd directives and tags as process warnings: thousands of lines of noise.
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {};
  t.teardown(() => {
    process.emitWarning = emitWarning;
  });
  let runs = 0;
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
        fc.jsonValue({ maxDepth: 4 }).map((v) => stringify(v)),
        fc.constantFrom(
          '{"schemaVersion": 1, "__proto__": {"polluted": true}}',
          'a: &a [*a]',
          'a: &x [1,2]\nb: [*x, *x, *x]',
          '!!js/function "function(){}"',
          '- - - - - - - - - -',
          '{"a":',
          '\ufeff{}',
          'schemaVersion: 1\nschemaVersion: 2',
        ),
      ),
      fc.constantFrom('s.json', 's.yaml', 's.yml', 'scenario', 'S.JSON'),
      (text, fileName) => {
        runs++;
        const problem = check(() => parseScenario(text, fileName));
        if (problem) throw new Error(`${fileName} ${JSON.stringify(text).slice(0, 200)}: ${problem}`);
      },
    ),
    { numRuns: RUNS.text, includeErrorInReport: true },
  );
  t.is(({} as Record<string, unknown>).polluted, undefined);
  t.is(runs, RUNS.text);
  t.log(`${runs} cases`);
});

test('built-in scenarios with fields changed, removed, added or grafted from other files: a clear verdict, quickly', (t) => {
  let runs = 0;
  let accepted = 0;
  fc.assert(
    fc.property(
      fc.nat(RAW.length - 1),
      fc.array(edit, { minLength: 1, maxLength: 3 }),
      fc.boolean(),
      (i, edits, yaml) => {
        runs++;
        const raw = structuredClone(RAW[i]);
        for (const e of edits) applyEdit(raw, e);
        const verdict = judge(() => {
          if (yaml) parseScenario(stringify(raw), `${BUILT_INS[i]}.yaml`);
          else validateScenario(raw, `${BUILT_INS[i]}.json`);
        });
        if (verdict.problem) {
          throw new Error(`${BUILT_INS[i]} after ${JSON.stringify(edits).slice(0, 300)}: ${verdict.problem}`);
        }
        if (verdict.accepted) accepted++;
      },
    ),
    { numRuns: RUNS.mutations, includeErrorInReport: true },
  );
  t.is(runs, RUNS.mutations);
  t.log(`${runs} cases, ${accepted} of them still valid scenarios`);
});

test('a periodic upload plan with a tiny batch interval under explicit orders is judged at once', (t) => {
  const raw = builtInRaw('patent-timeline') as { event: { uploads: unknown } };
  raw.event.uploads = { kind: 'periodic', images: 6, startS: 0, endS: 700, batchIntervalS: 1e-9 };
  t.is(
    check(() => validateScenario(raw)),
    null,
  );
});

import { readdir, readFile } from 'node:fs/promises';
import test from 'ava';

/**
 * Every test file is in exactly one tier (test/tiers/tiers.json): `npm run test:fast`,
 * `test:integration` and `test:slow` together run what `npm test` runs, and a new file that was
 * given no tier fails here, in the fast loop, instead of running only in CI.
 */

type Tier = 'fast' | 'integration' | 'slow' | 'mongo';
/** The three ava tiers; `mongo` lists the files `npm run test:mongo` (scripts/test-mongo.ts) runs. */
const AVA_TIERS: readonly Tier[] = ['fast', 'integration', 'slow'];
const TIERS: readonly Tier[] = [...AVA_TIERS, 'mongo'];

async function testFiles(): Promise<string[]> {
  const entries = await readdir('test', { recursive: true });
  return entries
    .map((entry) => `test/${entry.split('\\').join('/')}`)
    .filter((path) => path.endsWith('.test.ts'))
    .sort();
}

async function tierLists(): Promise<Record<Tier, string[]>> {
  return JSON.parse(await readFile('test/tiers/tiers.json', 'utf8')) as Record<Tier, string[]>;
}

test('every test file is in exactly one tier, and every listed file exists', async (t) => {
  const files = await testFiles();
  const tiers = await tierLists();
  t.deepEqual(Object.keys(tiers).sort(), [...TIERS].sort(), 'the four tiers, no others');
  const tierOf = new Map<string, Tier[]>();
  for (const tier of TIERS) {
    for (const file of tiers[tier]) tierOf.set(file, [...(tierOf.get(file) ?? []), tier]);
  }
  const untiered = files.filter((file) => !tierOf.has(file));
  t.deepEqual(untiered, [], `add these to a tier in test/tiers/tiers.json: ${untiered.join(', ')}`);
  const twice = [...tierOf].filter(([, in_]) => in_.length > 1).map(([file, in_]) => `${file} (${in_.join(', ')})`);
  t.deepEqual(twice, [], 'no file in two tiers (or twice in one)');
  const missing = [...tierOf.keys()].filter((file) => !files.includes(file));
  t.deepEqual(missing, [], 'no tier lists a file that does not exist');
});

test('the tier configurations run exactly their lists, with the package.json base options', async (t) => {
  const tiers = await tierLists();
  const base = JSON.parse(await readFile('package.json', 'utf8')).ava as Record<string, unknown>;
  for (const tier of AVA_TIERS) {
    const { default: config } = (await import(`./tiers/${tier}.config.mjs`)) as {
      default: Record<string, unknown>;
    };
    t.deepEqual(config.files, tiers[tier], tier);
    t.deepEqual(config.nodeArguments, base.nodeArguments, `${tier}: same loader as a plain \`npx ava\``);
    t.deepEqual(config.extensions, base.extensions, tier);
  }
});

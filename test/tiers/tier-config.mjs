// One ava configuration per test tier, built from the base options in package.json ("ava") and the
// tier's file list in tiers.json, so `npx ava test/x.test.ts`, `npm test` and the tiers share the
// same loader, timeouts and concurrency. test/tiers.test.ts fails when a test file is in no tier or
// in two, so a new file cannot silently drop out of every run but the full one.
import { readFileSync } from 'node:fs';

const read = (relative) => JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8'));

/**
 * Per-tier overrides. The fast tier runs two files at once (its tests wait on no wall-clock time
 * and start no other processes than small helpers), and a hang there is a bug: fail it sooner.
 */
const TIER_OPTIONS = {
  fast: { concurrency: 2, timeout: '1m' },
  integration: {},
  slow: {},
};

export function tierConfig(tier) {
  const tiers = read('./tiers.json');
  const files = tiers[tier];
  if (!Array.isArray(files)) throw new Error(`unknown test tier ${tier}`);
  return { ...read('../../package.json').ava, ...TIER_OPTIONS[tier], files };
}

import test from 'ava';
import fc from 'fast-check';
import type { RedemptionProgress, UnitProgress } from '../edge-node/jobs/redemption-progress.ts';
import {
  canSubmitCode,
  normalizeTypedCode,
  printerBanner,
  progressHeadline,
  thumbPlaceholder,
  typedCount,
  unitNote,
  unitStateLabel,
} from '../edge-node/kiosk/assets/kiosk-words.js';
import { newOrderCode, normalizeOrderCode } from '../shared/token/order-code.ts';

function units(states: UnitProgress['state'][]): UnitProgress[] {
  return states.map((state, unit) => ({ unit, imageId: `img-${unit}`, copy: 1, state }));
}

function done(states: UnitProgress['state'][], error?: RedemptionProgress['error']) {
  return { units: units(states), done: true, ...(error ? { error } : {}) };
}

test('the keypad submits only a whole 8-character code; a long scanned or pasted token still goes', (t) => {
  t.false(canSubmitCode(''));
  t.false(canSubmitCode('7K2M'), 'half a code is not a guess worth sending');
  t.false(canSubmitCode('7K2M9QX'));
  t.true(canSubmitCode('7K2M9QXD'));
  t.true(canSubmitCode('7k2m-9qxd'), 'small letters and dashes are fine');
  t.true(canSubmitCode('7K2M OQXD'), 'an O counts as 0');
  t.false(canSubmitCode('7K2M9QXU'), 'U is no Crockford character');
  t.false(canSubmitCode('7K2M9QXD7'), 'nine characters are not a code');
  t.true(canSubmitCode('v1.'.padEnd(120, 'x')), 'a token is checked by the node, not the keypad');
  t.is(typedCount('7K2M'), '4 of 8');
  t.is(typedCount('v1.'.padEnd(120, 'x')), '');
  // The browser's copy of the rule is the node's rule (shared/token/order-code.ts), for any typing.
  const typed = fc.string({ unit: fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcilo -'), maxLength: 16 });
  fc.assert(
    fc.property(typed, (input) => normalizeTypedCode(input) === normalizeOrderCode(input)),
    { numRuns: 2_000 },
  );
  for (let i = 0; i < 100; i++) t.true(canSubmitCode(newOrderCode()));
});

test('a print card stays neutral until the photo is known to come from the cloud, and says where it came from once printed', (t) => {
  for (const state of ['queued', 'fetching_lan'] as const) {
    const label = unitStateLabel({ state, source: state === 'queued' ? undefined : 'lan' });
    t.is(label, 'Getting your photo', state);
    t.notRegex(label, /neighbour|cloud/, state);
  }
  t.is(unitStateLabel({ state: 'fetching_cloud', source: 'cloud' }), 'Fetching from the cloud');
  t.is(unitNote({ state: 'printed', source: 'lan' }), 'came from a neighbour printer');
  t.is(unitNote({ state: 'printed', source: 'cloud', tray: 'left tray' }), 'Take it from the left tray.');
  t.is(unitNote({ state: 'failed', detail: 'Paper jam' }), 'Paper jam');
});

test('a print whose thumbnail is not here yet shows a numbered tile', (t) => {
  t.deepEqual(thumbPlaceholder({ unit: 0 }), { number: '1', label: 'Photo 1 is on its way' });
  t.is(thumbPlaceholder({ unit: 4 }).number, '5');
});

test('the print screen counts in the singular for one photo and the plural for more', (t) => {
  t.deepEqual(progressHeadline(done(['printed'])), {
    outcome: 'done',
    title: 'All done!',
    lead: '1 photo printed. Take it from the tray below.',
  });
  t.is(progressHeadline(done(['printed', 'printed'])).lead, '2 photos printed. Take them from the tray below.');
  t.is(progressHeadline({ units: units(['printing']), done: false }).title, 'Printing your photo');
  t.is(progressHeadline({ units: units(['printing', 'queued']), done: false }).title, 'Printing your photos');
  t.is(progressHeadline({ units: units(['printing', 'queued']), done: false }).outcome, null);
  const oneFailed = progressHeadline(done(['failed']));
  t.is(oneFailed.outcome, 'incomplete');
  t.is(oneFailed.title, 'Your photo could not be printed');
  t.regex(oneFailed.lead, /retry it\.$/);
  t.is(
    progressHeadline(done(['printed', 'failed'])).lead,
    '1 of 2 photos could not be printed. Scan your code again to retry it.',
  );
  t.regex(progressHeadline(done(['failed', 'failed', 'printed'])).lead, /^2 of 3 photos .* retry them\.$/);
  t.is(
    progressHeadline(done(['printed'], { code: 'internal_error', message: 'The printer stopped.' })).lead,
    'The printer stopped.',
  );
  t.is(
    printerBanner('This printer is out of paper', 1),
    'This printer is out of paper. Your photo prints as soon as it is fixed.',
  );
  t.regex(printerBanner('This printer is out of paper', 3), /Your photos print as soon/);
});

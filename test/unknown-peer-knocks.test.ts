import test from 'ava';
import { KNOCKS_REMEMBERED_MAX, UnknownPeerKnocks } from '../edge-node/mesh/unknown-peer-knocks.ts';

test('knocks: an unknown key asks for a profile until one asked for after its knock leaves it out', (t) => {
  const knocks = new UnknownPeerKnocks();
  t.true(knocks.knock('stranger', 1_000));
  t.true(
    knocks.knock('stranger', 1_500),
    'still waiting for an answer: asking again is fine (the refresh is rate-limited)',
  );
  // A profile asked for before the knock cannot have known of it.
  knocks.applied(['a', 'b'], 900);
  t.true(knocks.knock('stranger', 1_600));
  t.deepEqual(knocks.applied(['a', 'b'], 1_200), ['stranger'], 'refused: the mesh drops its held connection');
  t.false(knocks.knock('stranger', 2_000), 'the coordinator does not list it: its knocks ask for nothing more');
  t.is(knocks.pending, 0);
});

test('knocks: a listed key is answered; a refused key that is paired later asks again', (t) => {
  const knocks = new UnknownPeerKnocks();
  t.true(knocks.knock('new-station', 1_000));
  knocks.applied(['a', 'new-station'], 1_100);
  t.is(knocks.pending, 0);
  t.true(knocks.knock('late', 2_000));
  knocks.applied(['a'], 2_100);
  t.false(knocks.knock('late', 2_200));
  // Paired afterwards: the regular refresh lists it, so a later knock (say, after a revocation) counts again.
  knocks.applied(['a', 'late'], 3_000);
  t.true(knocks.knock('late', 3_100));
});

test('knocks: strangers cannot grow the memory without bound', (t) => {
  const knocks = new UnknownPeerKnocks();
  for (let i = 0; i < KNOCKS_REMEMBERED_MAX; i++) t.true(knocks.knock(`k${i}`, 1_000));
  t.false(knocks.knock('one-too-many', 1_000), 'a full waiting list takes no more until a profile answers it');
  knocks.applied([], 2_000);
  t.is(knocks.pending, 0);
  for (let i = 0; i < KNOCKS_REMEMBERED_MAX; i++) knocks.knock(`m${i}`, 3_000);
  knocks.applied([], 4_000);
  // The oldest refused keys were forgotten: they may ask once more.
  t.true(knocks.knock('k0', 5_000));
  t.false(knocks.knock(`m${KNOCKS_REMEMBERED_MAX - 1}`, 5_000));
});

import test from 'ava';
import fc from 'fast-check';
import { isAppError } from '../shared/errors.ts';
import { TokenBucket } from '../shared/policy/token-bucket.ts';

test('a full burst goes at once, then the steady rate applies', (t) => {
  const b = new TokenBucket({ rateBytesPerSec: 1000, burstBytes: 5000, now: 0 });
  t.true(b.canTake(5000, 0));
  t.is(b.take(5000, 0), 0);
  t.false(b.canTake(1, 0));
  t.is(b.take(1000, 0), 1000); // 1000 B at 1000 B/s
  t.is(b.take(500, 0), 1500); // queued behind the previous debt
  t.false(b.canTake(1, 1499));
  t.true(b.canTake(0, 1500));
  t.is(b.take(1000, 2500), 0); // debt 1500 repaid by 1500 ms, then 1000 more tokens
  t.is(b.available(2500), 0);
});

test('idle time refills only up to the burst', (t) => {
  const b = new TokenBucket({ rateBytesPerSec: 1000, burstBytes: 5000, now: 0 });
  b.take(5000, 0);
  t.is(b.available(60_000), 5000);
  t.is(b.take(6000, 60_000), 1000);
});

test('a block larger than the burst is still sendable after its wait', (t) => {
  const b = new TokenBucket({ rateBytesPerSec: 65_536, burstBytes: 16_384, now: 0 });
  t.is(b.take(65_536, 0), 750); // (65,536 − 16,384) / 65,536 s
});

test('Infinity = uncapped; switching between capped and uncapped', (t) => {
  const b = new TokenBucket({ rateBytesPerSec: Number.POSITIVE_INFINITY, burstBytes: 1000, now: 0 });
  t.is(b.take(1e12, 0), 0);
  t.true(b.canTake(1e12, 0));
  b.setRate(1000, 10);
  t.is(b.take(1000, 10), 0); // starts capped with a full burst
  t.is(b.take(1000, 10), 1000);
  b.setRate(Number.POSITIVE_INFINITY, 20);
  t.is(b.take(1e9, 20), 0);
  t.is(b.available(20), Number.POSITIVE_INFINITY);
});

test('setRate accounts the past at the old rate and the future at the new one', (t) => {
  const b = new TokenBucket({ rateBytesPerSec: 1000, burstBytes: 10_000, now: 0 });
  b.take(10_000, 0);
  b.setRate(2000, 1000); // 1000 tokens earned at the old rate
  t.is(b.available(1000), 1000);
  t.is(b.take(3000, 1000), 1000); // debt 2000 at 2000 B/s
});

test('a clock stepping backwards neither refills nor drains', (t) => {
  const b = new TokenBucket({ rateBytesPerSec: 1000, burstBytes: 1000, now: 10_000 });
  b.take(1000, 10_000);
  t.is(b.available(5_000), 0);
  t.is(b.available(10_500), 500);
});

test('invalid caps are refused with an AppError', (t) => {
  for (const rate of [0, -1, Number.NaN]) {
    t.true(isAppError(t.throws(() => new TokenBucket({ rateBytesPerSec: rate, burstBytes: 1, now: 0 }))));
  }
  t.true(isAppError(t.throws(() => new TokenBucket({ rateBytesPerSec: 1, burstBytes: 0, now: 0 }))));
  const b = new TokenBucket({ rateBytesPerSec: 1, burstBytes: 1, now: 0 });
  t.true(isAppError(t.throws(() => b.setRate(0, 0))));
  t.throws(() => b.take(-1, 0), { instanceOf: RangeError });
});

test('a caller that honours the waits never exceeds burst + rate × elapsed', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 10_000_000 }),
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 2_000_000 }), fc.integer({ min: 0, max: 5_000 })), {
        minLength: 1,
        maxLength: 100,
      }),
      (rate, burst, steps) => {
        const b = new TokenBucket({ rateBytesPerSec: rate, burstBytes: burst, now: 0 });
        let now = 0;
        let sent = 0;
        for (const [bytes, idleMs] of steps) {
          now += idleMs;
          const wait = b.take(bytes, now);
          if (!(wait >= 0 && Number.isInteger(wait))) return false;
          now += wait;
          sent += bytes;
          if (sent > burst + (rate * now) / 1000 + 1e-3) return false;
        }
        return true;
      },
    ),
  );
  t.pass();
});

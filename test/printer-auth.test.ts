import test from 'ava';
import crypto from 'hypercore-crypto';
import { PRINTER_CLOCK_SKEW_MS, signPrinterRequest, verifyPrinterRequest } from '../shared/protocol/printer-auth.ts';

const NOW = 1_780_000_000_000;
const body = Buffer.from('{"token":"X"}');

test('a signed request verifies; any change breaks it', (t) => {
  const kp = crypto.keyPair();
  const h = signPrinterRequest(kp, 'POST', '/api/printer/redeem', body, NOW);
  const ok = verifyPrinterRequest({ ...h }, 'post', '/api/printer/redeem', body, NOW + 1000);
  t.like(ok, { ok: true, printerKey: kp.publicKey.toString('hex'), timestamp: NOW, replayKey: h['x-vpm-nonce'] });
  t.deepEqual(verifyPrinterRequest({ ...h }, 'POST', '/api/printer/redeem?x=1', body, NOW), {
    ok: false,
    reason: 'bad_signature',
  });
  t.deepEqual(verifyPrinterRequest({ ...h }, 'PUT', '/api/printer/redeem', body, NOW), {
    ok: false,
    reason: 'bad_signature',
  });
  t.deepEqual(verifyPrinterRequest({ ...h }, 'POST', '/api/printer/redeem', Buffer.from('{}'), NOW), {
    ok: false,
    reason: 'bad_signature',
  });
  const other = crypto.keyPair();
  t.deepEqual(
    verifyPrinterRequest(
      { ...h, 'x-vpm-printer': other.publicKey.toString('hex') },
      'POST',
      '/api/printer/redeem',
      body,
      NOW,
    ),
    { ok: false, reason: 'bad_signature' },
  );
});

test('stale, missing and malformed headers are refused', (t) => {
  const kp = crypto.keyPair();
  const h = signPrinterRequest(kp, 'GET', '/api/printer/me', Buffer.alloc(0), NOW);
  t.deepEqual(
    verifyPrinterRequest({ ...h }, 'GET', '/api/printer/me', Buffer.alloc(0), NOW + PRINTER_CLOCK_SKEW_MS + 1),
    {
      ok: false,
      reason: 'stale',
    },
  );
  t.deepEqual(verifyPrinterRequest({}, 'GET', '/api/printer/me', Buffer.alloc(0), NOW), {
    ok: false,
    reason: 'missing',
  });
  t.deepEqual(verifyPrinterRequest({ ...h, 'x-vpm-signature': 'zz' }, 'GET', '/api/printer/me', Buffer.alloc(0), NOW), {
    ok: false,
    reason: 'malformed',
  });
  t.deepEqual(
    verifyPrinterRequest({ ...h, 'x-vpm-timestamp': '1e9' }, 'GET', '/api/printer/me', Buffer.alloc(0), NOW),
    {
      ok: false,
      reason: 'malformed',
    },
  );
});

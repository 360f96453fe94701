import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { PAPER_OUT_FILE } from '../../edge-node/printing/file-printer.ts';
import { api } from '../../tools/venue-kit/http.ts';
import { labelledPhoto } from '../../tools/venue-kit/photos.ts';
import { tempDir } from '../fixtures/feed-fixtures.ts';
import { startVenue, startVenuePrinter } from '../fixtures/venue-harness.ts';
import { KIOSK_VIEWPORT as DESK_VIEWPORT, launchChromium, PHONE_VIEWPORT, screenshot } from './browser.ts';
import { writeFakeCameraY4m } from './fake-camera.ts';
import { signInAsOperator } from './ops-flow.ts';

const E2E_TEST_TIMEOUT_MS = 120_000;
const PRINT_DONE_TIMEOUT_MS = 45_000;

interface ConsoleJob {
  id: string;
  state: string;
  photos: number;
  printedBy: string | null;
  imagesDeletedAt: number | null;
}

async function printedFiles(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.escpos')).sort();
}

test.serial(
  'own photos: uploaded from a phone page, the job QR read by another printer’s kiosk camera, paid on the phone, printed there, photos deleted',
  async (t) => {
    t.timeout(E2E_TEST_TIMEOUT_MS);
    const venue = await startVenue(t, { images: 1, imageSide: 600 });
    const [printerA, printerB] = await Promise.all([
      startVenuePrinter(t, venue, 'Printer A'),
      startVenuePrinter(t, venue, 'Printer B'),
    ]);
    const run = await launchChromium(t);

    // 1. The fan's phone: upload two photos, get the code, PIN and QR.
    const phone = await run.newPage(PHONE_VIEWPORT);
    await phone.goto(`${venue.base}/own-photos`);
    t.regex((await phone.textContent('#own-retention')) ?? '', /kept for at most 24 hours/);
    await screenshot(phone, 'own-photos-1-phone-empty');
    await phone.setInputFiles('#own-files', [
      { name: 'IMG_0001.jpg', mimeType: 'image/jpeg', buffer: await labelledPhoto(1) },
      { name: 'IMG_0002.jpg', mimeType: 'image/jpeg', buffer: await labelledPhoto(2) },
    ]);
    await Promise.all([phone.waitForURL(/\/own-photos$/), phone.click('#own-submit')]);
    await phone.waitForSelector('#own-code-value');
    const code = ((await phone.textContent('#own-code-value')) ?? '').trim();
    const pin = ((await phone.textContent('#own-pin-value')) ?? '').trim();
    t.regex(code, /^[0-9A-Z]{6}$/);
    t.regex(pin, /^\d{4}$/);
    await phone.waitForFunction(
      `[...document.querySelectorAll('img.own-thumb, #own-qr')].every((i) => i.naturalWidth > 0)`,
    );
    await screenshot(phone, 'own-photos-2-phone-code-and-qr');

    // 2. Printer A's kiosk: a wrong PIN typed on the keypad is refused; the scanner (keyboard wedge)
    // reading the job QR on the start screen opens the jobs.
    const desk = await run.newPage();
    await desk.goto(`${printerA.url}/kiosk`);
    await desk.waitForSelector('#own-photos-button');
    await screenshot(desk, 'own-photos-3-kiosk-start');
    await Promise.all([desk.waitForURL(/\/kiosk\/own$/), desk.click('#own-photos-button')]);
    await desk.waitForSelector('#kiosk[data-screen="enter"]');
    const wrongPin = pin === '0000' ? '1111' : '0000';
    for (const key of `${code}${wrongPin}`) await desk.click(`#own-keypad .key[data-key="${key}"]`);
    await screenshot(desk, 'own-photos-4-kiosk-keypad');
    await desk.click('#enter-submit');
    await desk.waitForSelector('#kiosk[data-screen="message"]');
    t.regex((await desk.textContent('#message-title')) ?? '', /do not recognise/);
    await screenshot(desk, 'own-photos-5-kiosk-wrong-pin');
    await desk.click('#message-ok');
    await desk.goto(`${printerA.url}/kiosk`);
    await desk.waitForSelector('#kiosk[data-screen="attract"]');
    await desk.keyboard.type(`PRINTJOB:${code}:${pin}\n`);
    await desk.waitForSelector('#kiosk[data-screen="jobs"]', { timeout: 15_000 });
    await desk.click('#jobs-back');
    await desk.close();

    // 3. Printer B's kiosk camera sees the QR code exactly as the phone shows it.
    const cameraFile = join(await tempDir(t, 'vpm-own-e2e-'), 'job-qr.y4m');
    await writeFakeCameraY4m(await phone.locator('#own-qr').screenshot(), cameraFile);
    const kioskRun = await launchChromium(t, { cameraFile });
    const kiosk = await kioskRun.newPage();
    await kiosk.goto(`${printerB.url}/kiosk`);
    await kiosk.waitForSelector('#kiosk[data-screen="jobs"]', { timeout: 20_000 });
    // Both thumbnails loaded (a locator, not a string predicate: the kiosk's CSP forbids eval).
    await kiosk.locator('.own-thumbs img[data-loaded="1"]').nth(1).waitFor();
    t.is(await kiosk.locator('.own-thumbs img').count(), 2);
    const button = ((await kiosk.textContent('.own-job-print')) ?? '').trim();
    // The event's price list (the venue kit's event): two prints.
    t.regex(button, /^Pay \d+\.\d{2} [A-Z]{3} and print$/);
    await screenshot(kiosk, 'own-photos-6-kiosk-jobs');

    // 4. Pay: the kiosk shows the checkout as a QR; the fan pays on the phone.
    await kiosk.click('.own-job-print');
    await kiosk.waitForSelector('#kiosk[data-screen="pay"]');
    // A function, not a string predicate: the kiosk's CSP forbids eval.
    await kiosk.waitForFunction(
      () =>
        (
          globalThis as unknown as { document: { getElementById(id: string): { naturalWidth: number } | null } }
        ).document.getElementById('pay-qr')?.naturalWidth,
    );
    await screenshot(kiosk, 'own-photos-7-kiosk-pay-qr');
    const checkoutUrl = await kiosk.getAttribute('#pay-qr', 'data-checkout-url');
    t.truthy(checkoutUrl);
    t.deepEqual(await printedFiles(join(venue.dir, 'Printer B', 'prints')), [], 'nothing prints before payment');
    await phone.goto(checkoutUrl!);
    await phone.waitForSelector('button[name="outcome"][value="pay"]');
    await screenshot(phone, 'own-photos-8-phone-checkout');
    await Promise.all([phone.waitForURL(/\/own-photos$/), phone.click('button[name="outcome"][value="pay"]')]);

    // 5. The kiosk sees the payment, the job is released to Printer B, fetched on demand and printed.
    await kiosk.waitForSelector('#kiosk[data-outcome="done"]', { timeout: PRINT_DONE_TIMEOUT_MS });
    t.is(await kiosk.textContent('#printing-title'), 'All done!');
    t.is(await kiosk.textContent('#printing-count'), '2 of 2 printed');
    await screenshot(kiosk, 'own-photos-9-kiosk-done');
    t.is((await printedFiles(join(venue.dir, 'Printer B', 'prints'))).length, 2);
    t.deepEqual(await printedFiles(join(venue.dir, 'Printer A', 'prints')), []);

    // 6. The coordinator deleted the photos; the phone and the console say so.
    const { body } = await api<{ jobs: ConsoleJob[] }>(venue.base, 'GET', '/api/own-photos', { token: venue.operator });
    t.is(body.jobs.length, 1);
    t.is(body.jobs[0]?.state, 'printed');
    t.not(body.jobs[0]?.imagesDeletedAt, null);
    const thumb = await fetch(`${venue.base}/own-photos/jobs/${body.jobs[0]!.id}/0/thumb.jpg`);
    t.is(thumb.status, 404, 'the thumbnail is gone');
    await thumb.arrayBuffer();
    await phone.reload();
    t.regex((await phone.textContent('.own-job-state')) ?? '', /Printed: the photos are deleted/);
    await screenshot(phone, 'own-photos-10-phone-printed');
    const ops = await run.newPage(DESK_VIEWPORT);
    await signInAsOperator(ops, venue.base, venue.operator);
    await ops.goto(`${venue.base}/ops/own-photos`);
    t.regex((await ops.textContent('#own-photos-table')) ?? '', /Printed/);
    t.regex((await ops.textContent('#own-photos-sales')) ?? '', /1 job\(s\), 2 print\(s\), \d+\.\d{2} [A-Z]{3}/);
    await screenshot(ops, 'own-photos-11-console');
    t.deepEqual(run.problems, []);
    t.deepEqual(kioskRun.problems, []);
  },
);

test.serial(
  'own photos at the kiosk: out of paper is said before paying; cancels on the phone and the kiosk charge nothing; a paid job the printer could not start prints later without paying again',
  async (t) => {
    t.timeout(E2E_TEST_TIMEOUT_MS);
    const venue = await startVenue(t, { images: 1, imageSide: 400 });
    const printer = await startVenuePrinter(t, venue, 'Printer C');
    const prints = join(venue.dir, 'Printer C', 'prints');
    const form = new FormData();
    form.append('photos', new Blob([await labelledPhoto(5)], { type: 'image/jpeg' }), 'IMG_5.jpg');
    const upload = await fetch(`${venue.base}/own-photos/upload`, {
      method: 'POST',
      body: form,
      headers: { accept: 'application/json' },
    });
    const { code, pin } = (await upload.json()) as { code: string; pin: string };

    const run = await launchChromium(t);
    const kiosk = await run.newPage();
    await kiosk.goto(`${printer.url}/kiosk/own`);
    const openJobs = async () => {
      await kiosk.waitForSelector('#kiosk[data-screen="enter"]');
      for (const key of `${code}${pin}`) await kiosk.click(`#own-keypad .key[data-key="${key}"]`);
      await kiosk.click('#enter-submit');
      await kiosk.waitForSelector('#kiosk[data-screen="jobs"]');
    };
    await openJobs();

    // Out of paper: the kiosk says so when the fan taps Pay, before any checkout exists.
    await writeFile(join(prints, PAPER_OUT_FILE), '');
    await kiosk.click('.own-job-print');
    await kiosk.waitForSelector('#kiosk[data-screen="message"]');
    t.regex((await kiosk.textContent('#message-title')) ?? '', /out of paper/);
    await screenshot(kiosk, 'own-photos-c1-paper-out');
    await rm(join(prints, PAPER_OUT_FILE));
    await kiosk.click('#message-ok');

    // The fan cancels on the phone: the kiosk stops waiting and says nothing was charged.
    await openJobs();
    await kiosk.click('.own-job-print');
    await kiosk.waitForSelector('#kiosk[data-screen="pay"]');
    const checkoutUrl = (await kiosk.getAttribute('#pay-qr', 'data-checkout-url'))!;
    const cancelled = await fetch(checkoutUrl, {
      method: 'POST',
      body: new URLSearchParams({ outcome: 'cancel' }),
      redirect: 'manual',
    });
    await cancelled.arrayBuffer();
    await kiosk.waitForSelector('#kiosk[data-screen="message"]', { timeout: 15_000 });
    t.is(await kiosk.textContent('#message-title'), 'Payment cancelled');
    await screenshot(kiosk, 'own-photos-c2-cancelled-on-phone');
    await kiosk.click('#message-ok');

    // The fan cancels on the kiosk: back to the job list, still unpaid.
    await openJobs();
    await kiosk.click('.own-job-print');
    await kiosk.waitForSelector('#kiosk[data-screen="pay"]');
    await kiosk.click('#pay-cancel');
    await kiosk.waitForSelector('#kiosk[data-screen="jobs"]');
    t.regex((await kiosk.textContent('.own-job-print')) ?? '', /^Pay /);
    await screenshot(kiosk, 'own-photos-c3-cancelled-on-kiosk');

    const { body } = await api<{ jobs: ConsoleJob[] }>(venue.base, 'GET', '/api/own-photos', { token: venue.operator });
    t.is(body.jobs[0]?.state, 'awaiting_payment');
    t.deepEqual(await printedFiles(prints), []);

    // Paid, and the paper runs out before printing starts: the kiosk says the payment is kept; with
    // paper back the fan opens the job again and prints it without paying twice.
    await kiosk.click('.own-job-print');
    await kiosk.waitForSelector('#kiosk[data-screen="pay"]');
    const payUrl = (await kiosk.getAttribute('#pay-qr', 'data-checkout-url'))!;
    await writeFile(join(prints, PAPER_OUT_FILE), '');
    const paid = await fetch(payUrl, {
      method: 'POST',
      body: new URLSearchParams({ outcome: 'pay' }),
      redirect: 'manual',
    });
    await paid.arrayBuffer();
    await kiosk.waitForSelector('#kiosk[data-screen="message"]', { timeout: 15_000 });
    t.regex((await kiosk.textContent('#message-text')) ?? '', /You have paid/);
    await screenshot(kiosk, 'own-photos-c4-paid-paper-out');
    await rm(join(prints, PAPER_OUT_FILE));
    await kiosk.click('#message-ok');
    await openJobs();
    t.is((await kiosk.textContent('.own-job-print'))?.trim(), 'Print now (paid)');
    await screenshot(kiosk, 'own-photos-c5-paid-job-listed');
    await kiosk.click('.own-job-print');
    await kiosk.waitForSelector('#kiosk[data-outcome="done"]', { timeout: PRINT_DONE_TIMEOUT_MS });
    t.is((await printedFiles(prints)).length, 1);
    t.deepEqual(run.problems, []);
  },
);

test.serial(
  'own photos paid by card at the kiosk: declined, another card authorised on the station reader, printed, then captured; the receipt line shows the masked card',
  async (t) => {
    t.timeout(E2E_TEST_TIMEOUT_MS);
    const reader = 'tmr_station_own';
    const venue = await startVenue(t, { images: 1, imageSide: 400, taxRatePercent: 19 });
    const printer = await startVenuePrinter(t, venue, 'Printer D', { cardReaderId: reader });
    const prints = join(venue.dir, 'Printer D', 'prints');
    const form = new FormData();
    for (const n of [7, 8]) {
      form.append('photos', new Blob([await labelledPhoto(n)], { type: 'image/jpeg' }), `IMG_${n}.jpg`);
    }
    const upload = await fetch(`${venue.base}/own-photos/upload`, {
      method: 'POST',
      body: form,
      headers: { accept: 'application/json' },
    });
    const { code, pin } = (await upload.json()) as { code: string; pin: string };

    const run = await launchChromium(t);
    const kiosk = await run.newPage();
    await kiosk.goto(`${printer.url}/kiosk/own`);
    await kiosk.waitForSelector('#kiosk[data-screen="enter"]');
    for (const key of `${code}${pin}`) await kiosk.click(`#own-keypad .key[data-key="${key}"]`);
    await kiosk.click('#enter-submit');
    await kiosk.waitForSelector('#kiosk[data-screen="jobs"]');
    // Both thumbnails loaded (a locator, not a string predicate: the kiosk's CSP forbids eval).
    await kiosk.locator('.own-thumbs img[data-loaded="1"]').nth(1).waitFor();
    t.regex((await kiosk.textContent('.own-job-card')) ?? '', /^Pay \d+\.\d{2} [A-Z]{3} by card$/);
    t.regex((await kiosk.textContent('.own-job-print')) ?? '', /with your phone$/);
    await screenshot(kiosk, 'own-photos-d1-kiosk-pay-by-card-or-phone');

    await kiosk.click('.own-job-card');
    await kiosk.waitForSelector('#kiosk[data-screen="card"]');
    await screenshot(kiosk, 'own-photos-d2-hold-your-card');

    // A person at the simulated reader: the test terminal's page.
    const desk = await run.newPage(DESK_VIEWPORT);
    const tap = async (outcome: string) => {
      await desk.goto(`${venue.base}/terminal/test`);
      const button = desk.locator(`[data-reader="${reader}"] button[data-outcome="${outcome}"]`);
      await button.waitFor({ timeout: 10_000 });
      await button.click();
    };
    await tap('decline');
    await kiosk.waitForSelector('#kiosk[data-card-failure="declined"]', { timeout: 15_000 });
    t.regex((await kiosk.textContent('#card-note')) ?? '', /declined/);
    await screenshot(kiosk, 'own-photos-d3-declined');
    t.deepEqual(await printedFiles(prints), [], 'nothing prints before the card is authorised');

    await kiosk.click('#card-retry');
    await kiosk.waitForSelector('#kiosk[data-card-failure=""]');
    await tap('approve');
    await kiosk.waitForSelector('#kiosk[data-outcome="done"]', { timeout: PRINT_DONE_TIMEOUT_MS });
    await kiosk.waitForSelector('#printing-receipt:not([hidden])');
    t.regex((await kiosk.textContent('#printing-receipt')) ?? '', /by VISA \*\*\*\* 4242, authorisation [0-9A-F]{6}/);
    await screenshot(kiosk, 'own-photos-d4-printed-receipt');
    // Two photos and the card receipt (the file printer keeps the receipt's text next to it).
    t.is((await printedFiles(prints)).length, 3);
    const receiptName = (await readdir(prints)).find((f) => f.endsWith('.txt') && f.includes('receipt'));
    t.truthy(receiptName, 'a receipt preview');
    const receipt = await readFile(join(prints, receiptName!), 'utf8');
    t.regex(receipt, /Order code: [0-9A-Z]{6}/);
    t.regex(receipt, /Total paid\s+10\.00 EUR/);
    t.regex(receipt, /incl\. tax 19%\s+1\.60 EUR/);
    t.regex(receipt, /Paid by card\s+VISA \*\*\*\* 4242/);
    t.regex(receipt, /Auth\. code\s+[0-9A-F]{6}/);

    // Captured once, only now; the job is printed and its photos deleted.
    const sales = async () =>
      (
        await api<{ sales: Array<{ channel: string; state: string; totalCents: number }> }>(
          venue.base,
          'GET',
          '/api/kiosk-sales',
          { token: venue.operator },
        )
      ).body.sales;
    const [sale] = await sales();
    t.like(sale, { channel: 'own-photo-card', state: 'captured' });
    const { body } = await api<{ jobs: ConsoleJob[] }>(venue.base, 'GET', '/api/own-photos', { token: venue.operator });
    t.is(body.jobs[0]?.state, 'printed');
    t.not(body.jobs[0]?.imagesDeletedAt, null);
    t.deepEqual(run.problems, []);
  },
);

test.serial(
  'own photos paid by card: the printer runs out of paper after the card was authorised → the authorisation is voided, nothing charged, the job unpaid again',
  async (t) => {
    t.timeout(E2E_TEST_TIMEOUT_MS);
    const reader = 'tmr_station_own_e';
    const venue = await startVenue(t, { images: 1, imageSide: 400 });
    const printer = await startVenuePrinter(t, venue, 'Printer E', { cardReaderId: reader });
    const prints = join(venue.dir, 'Printer E', 'prints');
    const form = new FormData();
    form.append('photos', new Blob([await labelledPhoto(9)], { type: 'image/jpeg' }), 'IMG_9.jpg');
    const upload = await fetch(`${venue.base}/own-photos/upload`, {
      method: 'POST',
      body: form,
      headers: { accept: 'application/json' },
    });
    const { code, pin } = (await upload.json()) as { code: string; pin: string };
    const run = await launchChromium(t);
    const kiosk = await run.newPage();
    await kiosk.goto(`${printer.url}/kiosk/own`);
    await kiosk.waitForSelector('#kiosk[data-screen="enter"]');
    for (const key of `${code}${pin}`) await kiosk.click(`#own-keypad .key[data-key="${key}"]`);
    await kiosk.click('#enter-submit');
    await kiosk.waitForSelector('#kiosk[data-screen="jobs"] .own-job-card');
    await kiosk.click('.own-job-card');
    await kiosk.waitForSelector('#kiosk[data-screen="card"]');
    // The paper runs out while the fan looks for the card.
    await writeFile(join(prints, PAPER_OUT_FILE), '');
    const desk = await run.newPage(DESK_VIEWPORT);
    await desk.goto(`${venue.base}/terminal/test`);
    await desk.locator(`[data-reader="${reader}"] button[data-outcome="approve"]`).click();
    await kiosk.waitForSelector('#kiosk[data-screen="message"]', { timeout: 15_000 });
    t.regex((await kiosk.textContent('#message-title')) ?? '', /out of paper/);
    t.regex((await kiosk.textContent('#message-text')) ?? '', /not charged: the payment was released/);
    await screenshot(kiosk, 'own-photos-e1-paper-out-card-released');

    const { body } = await api<{ sales: Array<{ channel: string; state: string }> }>(
      venue.base,
      'GET',
      '/api/kiosk-sales',
      { token: venue.operator },
    );
    t.like(body.sales[0], { channel: 'own-photo-card', state: 'voided' });
    const jobs = await api<{ jobs: ConsoleJob[] }>(venue.base, 'GET', '/api/own-photos', { token: venue.operator });
    t.is(jobs.body.jobs[0]?.state, 'uploaded', 'the job is unpaid again, kept until its retention time');
    t.deepEqual(await printedFiles(prints), []);
    await rm(join(prints, PAPER_OUT_FILE));
    t.deepEqual(run.problems, []);
  },
);

import type { Page } from 'playwright-core';
import { waitFor } from '../fixtures/feed-fixtures.ts';

const PAGE_TIMEOUT_MS = 15_000;
const COUNTER_WAIT_MS = 15_000;

/** Staff sign-in on the coordinator's pages with an access token; lands on the dashboard (/ops). */
export async function signInAsOperator(page: Page, base: string, token: string): Promise<void> {
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  await page.goto(`${base}/signin`);
  await page.fill('#token', token);
  await page.fill('#name', 'E2E operator');
  await Promise.all([page.waitForURL(/\/ops$/), page.click('form[action="/signin"] button[type="submit"]')]);
}

export interface FleetCounters {
  state: string;
  fromLan: string;
  fromCloud: string;
}

/** The dashboard's fleet row of one printer, as shown (formatted text). */
export async function fleetCounters(page: Page, printerName: string): Promise<FleetCounters> {
  const row = page.locator('#fleet-rows tr', { has: page.locator(`.printer-name:text-is("${printerName}")`) });
  const cell = async (n: number) => ((await row.locator('td').nth(n).textContent()) ?? '').replace(/\s+/g, ' ').trim();
  // Columns after the name: connection, printer state, queue, replication, from LAN, from cloud, throughput.
  return { state: await cell(1), fromLan: await cell(4), fromCloud: await cell(5) };
}

/** Reloads the dashboard until `accept` holds for the printer's row (status reports arrive every second or so). */
export async function waitForFleetCounters(
  page: Page,
  printerName: string,
  accept: (c: FleetCounters) => boolean,
): Promise<FleetCounters> {
  let last: FleetCounters = { state: '', fromLan: '', fromCloud: '' };
  await waitFor(
    async () => {
      await page.reload();
      last = await fleetCounters(page, printerName);
      return accept(last);
    },
    COUNTER_WAIT_MS,
    500,
  );
  return last;
}

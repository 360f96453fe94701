import { Agent, request } from 'node:http';
import { signPrinterRequest } from '../shared/protocol/printer-auth.ts';
import { withTargetProcess } from './fixtures/target-process.ts';

/**
 * `npm run bench:redeem-load`: the redemption route under a sustained, fixed request rate (issue #6:
 * 1,000 requests/s for 60 s on loopback with 0 errors). The coordinator (real app, SQLite store in a
 * temp dir) runs in its own process with paid orders and paired printers; this process paces signed
 * `POST /api/printer/redeem` requests open-loop: request i is due at start + i / rate whether or not
 * earlier ones have been answered, so a slow server shows up as latency instead of a lower rate.
 *
 * The mix: first-time redemptions of unclaimed orders, repeats by the claiming printer (idempotent,
 * the claim is renewed: 200), and the same code at another printer (409 order_claimed_elsewhere, a
 * correct answer). Errors: transport errors, timeouts, 5xx, and any answer other than the one that
 * request must get. Bounded: stops sending after BENCH_SECONDS or rate × seconds requests.
 * Last stdout line: one JSON object.
 */
const TARGET_RPS = Number(process.env.BENCH_RPS ?? 1000);
const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const PRINTERS = Number(process.env.BENCH_PRINTERS ?? 10);
/** Share of requests that redeem an order for the first time; the rest are repeats. */
const FIRST_TIME_SHARE = Number(process.env.BENCH_FIRST_TIME_SHARE ?? 0.1);
/** Share of repeats presented at another printer than the claiming one (answered 409). */
const OTHER_PRINTER_SHARE = 1 / 3;
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_SOCKETS = 256;
const TOTAL_REQUESTS = Math.round(TARGET_RPS * DURATION_SECONDS);
/** Enough unclaimed orders for every first-time request, with a margin for randomness. */
const ORDERS = Math.ceil(TOTAL_REQUESTS * FIRST_TIME_SHARE * 1.2) + 100;

interface LoadTarget {
  url: string;
  now: number;
  tokens: string[];
  printers: Array<{ publicKey: string; secretKey: string }>;
}

type Expect = 'claimed' | 'renewed' | 'elsewhere';

interface Outcome {
  latencyMs: number;
  status: number;
  ok: boolean;
  detail?: string;
}

/** A deterministic PRNG (mulberry32): the same mix on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function drive(t: LoadTarget) {
  const url = new URL(t.url);
  const agent = new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  const keyPairs = t.printers.map((p) => ({
    publicKey: Buffer.from(p.publicKey, 'hex'),
    secretKey: Buffer.from(p.secretKey, 'hex'),
  }));
  // Every request is signed anew, as a printer does: the coordinator accepts a signed request once
  // (a nonce per request), so a retry is a new signature of the same call.
  const requestFor = (order: number, printer: number) => {
    const body = Buffer.from(JSON.stringify({ token: t.tokens[order] }));
    const headers = {
      ...signPrinterRequest(keyPairs[printer]!, 'POST', url.pathname, body, t.now),
      'content-type': 'application/json',
      'content-length': String(body.length),
    };
    return { headers, body };
  };

  const random = prng(0x5eed);
  let nextFresh = 0;
  /** Orders whose first redemption was answered 200, with the printer holding them. */
  const claimed: Array<{ order: number; printer: number }> = [];

  const send = (order: number, printer: number, expect: Expect, dueAt: number): Promise<Outcome> =>
    new Promise((resolve) => {
      const { headers, body } = requestFor(order, printer);
      const req = request(
        { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const latencyMs = performance.now() - dueAt;
            const status = res.statusCode ?? 0;
            if (expect === 'elsewhere') {
              const code = status === 409 ? (JSON.parse(Buffer.concat(chunks).toString()).error?.code as string) : '';
              resolve({ latencyMs, status, ok: code === 'order_claimed_elsewhere', detail: `${status} ${code}` });
            } else {
              if (status === 200 && expect === 'claimed') claimed.push({ order, printer });
              resolve({ latencyMs, status, ok: status === 200, detail: String(status) });
            }
          });
          res.on('error', (err) =>
            resolve({ latencyMs: performance.now() - dueAt, status: 0, ok: false, detail: err.message }),
          );
        },
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('timeout')));
      req.on('error', (err) =>
        resolve({ latencyMs: performance.now() - dueAt, status: 0, ok: false, detail: err.message }),
      );
      req.end(body);
    });

  const pending: Array<Promise<Outcome>> = [];
  const mix = { claimed: 0, renewed: 0, elsewhere: 0 };
  const start = performance.now();
  const intervalMs = 1000 / TARGET_RPS;
  let sent = 0;
  let maxLagMs = 0;
  while (sent < TOTAL_REQUESTS && performance.now() - start < DURATION_SECONDS * 1000 + 1000) {
    const now = performance.now();
    // Everything due by now goes out in this turn: the rate is kept even when a turn runs late.
    while (sent < TOTAL_REQUESTS && start + sent * intervalMs <= now) {
      const dueAt = start + sent * intervalMs;
      maxLagMs = Math.max(maxLagMs, now - dueAt);
      const r = random();
      let expect: Expect;
      let order: number;
      let printer: number;
      if ((r < FIRST_TIME_SHARE || claimed.length === 0) && nextFresh < t.tokens.length) {
        expect = 'claimed';
        order = nextFresh++;
        printer = Math.floor(random() * keyPairs.length);
      } else {
        const pick = claimed[Math.floor(random() * claimed.length)]!;
        order = pick.order;
        if (random() < OTHER_PRINTER_SHARE && keyPairs.length > 1) {
          expect = 'elsewhere';
          printer = (pick.printer + 1 + Math.floor(random() * (keyPairs.length - 1))) % keyPairs.length;
        } else {
          expect = 'renewed';
          printer = pick.printer;
        }
      }
      mix[expect]++;
      pending.push(send(order, printer, expect, dueAt));
      sent++;
    }
    const nextDue = start + sent * intervalMs;
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(5, nextDue - performance.now()))));
  }
  const sendingSeconds = (performance.now() - start) / 1000;
  const outcomes = await Promise.all(pending);
  agent.destroy();

  const latencies = outcomes.map((o) => o.latencyMs).sort((a, b) => a - b);
  const failures = outcomes.filter((o) => !o.ok);
  const failureKinds = new Map<string, number>();
  for (const f of failures) failureKinds.set(f.detail ?? '?', (failureKinds.get(f.detail ?? '?') ?? 0) + 1);
  return {
    targetRps: TARGET_RPS,
    achievedRps: Math.round(sent / sendingSeconds),
    durationS: Number(sendingSeconds.toFixed(1)),
    requests: sent,
    errors: failures.length,
    non2xxExpected: outcomes.filter((o) => o.ok && o.status === 409).length,
    p50Ms: Number(percentile(latencies, 50).toFixed(2)),
    p99Ms: Number(percentile(latencies, 99).toFixed(2)),
    maxMs: Number((latencies[latencies.length - 1] ?? 0).toFixed(2)),
    mix,
    printers: keyPairs.length,
    maxSendLagMs: Number(maxLagMs.toFixed(1)),
    failureKinds: Object.fromEntries(failureKinds),
  };
}

const summary = await withTargetProcess(['redeem-load', String(ORDERS), String(PRINTERS)], (target) =>
  drive(target as LoadTarget),
);
process.stdout.write(`${JSON.stringify(summary)}\n`);

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { decodeQrFromRgba } from '../../shared/qr/decode-qr.ts';

/**
 * `npm run redeem -- --image qr.png [--node http://127.0.0.1:8090]` or `--code <text>`: hands a code to
 * a running edge node, as its scanner would. For operators (a fan's screenshot) and tests.
 * Exit codes: 0 printed, 1 refused or failed (the reason is printed), 2 usage.
 */
export const USAGE = 'usage: redeem (--image <qr.png|jpg> | --code <text>) [--node <edge node URL>]';

export async function codeFromImage(path: string): Promise<string | null> {
  const { data, info } = await sharp(await readFile(path))
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return decodeQrFromRgba(data, info.width, info.height);
}

async function main(): Promise<number> {
  let values: { image?: string; code?: string; node?: string };
  try {
    values = parseArgs({
      args: process.argv.slice(2),
      options: { image: { type: 'string' }, code: { type: 'string' }, node: { type: 'string' } },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!values.image === !values.code) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let code = values.code ?? null;
  if (values.image) {
    try {
      code = await codeFromImage(values.image);
    } catch (err) {
      process.stderr.write(`Cannot read ${values.image}: ${(err as Error).message}\n`);
      return 1;
    }
    if (!code) {
      process.stderr.write(`No QR code found in ${values.image}. Try a sharper, flatter picture.\n`);
      return 1;
    }
  }
  const node = (values.node ?? process.env.VPM_EDGE_URL ?? 'http://127.0.0.1:8090').replace(/\/$/, '');
  const res = await fetch(`${node}/api/redeem`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  }).catch((err: Error) => err);
  if (res instanceof Error) {
    process.stderr.write(`The edge node at ${node} cannot be reached: ${res.message}\n`);
    return 1;
  }
  const body = (await res.json()) as {
    error?: { message: string };
    units?: Array<{ state: string }>;
    orderId?: string;
  };
  if (!res.ok || body.error) {
    process.stderr.write(`Refused: ${body.error?.message ?? `HTTP ${res.status}`}\n`);
    return 1;
  }
  const printed = body.units?.filter((u) => u.state === 'printed').length ?? 0;
  process.stdout.write(`${JSON.stringify({ orderId: body.orderId, printed, units: body.units?.length ?? 0 })}\n`);
  return printed === (body.units?.length ?? 0) ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  void main().then((code) => process.exit(code));
}

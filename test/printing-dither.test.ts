import test from 'ava';
import {
  applyGamma,
  DITHER_THRESHOLD,
  floydSteinberg,
  packRaster,
  sharpenGray,
  toGray,
  unpackRaster,
} from '../edge-node/printing/dither.ts';

const flat = (value: number, width: number, height: number) => new Float32Array(width * height).fill(value);
const blackFraction = (bits: Uint8Array) => bits.reduce((n, b) => n + b, 0) / bits.length;

test('2x2 of 127: hand-computed serpentine Floyd–Steinberg gives a checkerboard', (t) => {
  // Row 0, left→right. (0,0)=127 < 128 → dot, error +127: (1,0) += 7/16·127 = 55.5625,
  //   (0,1) += 5/16·127 = 39.6875, (1,1) += 1/16·127 = 7.9375.
  // (1,0) = 182.5625 → white, error −72.4375: (0,1) += 3/16·e = −13.58203125, (1,1) += 5/16·e = −22.63671875.
  // Row 1, right→left. (1,1) = 127 + 7.9375 − 22.63671875 = 112.30078125 → dot, error +112.30078125:
  //   (0,1) += 7/16·e = 49.13159…, so (0,1) = 127 + 39.6875 − 13.58203125 + 49.13159 = 202.237 → white.
  const bits = floydSteinberg(flat(127, 2, 2), 2, 2);
  t.deepEqual([...bits], [1, 0, 0, 1]);
});

test('3x2 hand-computed case where serpentine order differs from plain left-to-right', (t) => {
  // [64 64 64]
  // [64 64 96]
  // Row 0 →: (0,0)=64 dot e=64 → (1,0)=92, (0,1)+=20, (1,1)+=4.
  //   (1,0)=92 dot e=92 → (2,0)=104.25, (0,1)+=17.25, (1,1)+=28.75, (2,1)+=5.75.
  //   (2,0)=104.25 dot e=104.25 → (1,1)+=19.546875, (2,1)+=32.578125.
  // Row 1 values: (0,1)=101.25, (1,1)=116.296875, (2,1)=134.328125.
  // Row 1 ←: (2,1)=134.33 white e=−120.671875 → (1,1) += 7/16·e → 63.5029 dot e=63.5029
  //   → (0,1) += 7/16·e → 129.03 white.
  // (Plain left→right would give [1 0 1] on row 1.)
  const gray = Float32Array.from([64, 64, 64, 64, 64, 96]);
  t.deepEqual([...floydSteinberg(gray, 3, 2)], [1, 1, 1, 0, 1, 0]);
});

test('3x3 hand-computed: pure black and white pass through, the threshold sits at 128', (t) => {
  // No error is ever created by 0 or 255, so each pixel keeps its own value; 128 is white, 127 a dot.
  const gray = Float32Array.from([0, 255, 0, 255, 0, 255, 0, 255, 0]);
  t.deepEqual([...floydSteinberg(gray, 3, 3)], [1, 0, 1, 0, 1, 0, 1, 0, 1]);
  t.is(DITHER_THRESHOLD, 128);
  t.deepEqual([...floydSteinberg(Float32Array.from([128]), 1, 1)], [0]);
  t.deepEqual([...floydSteinberg(Float32Array.from([127]), 1, 1)], [1]);
});

test('mid-grey gives about 50 % dots (±3 %)', (t) => {
  const bits = floydSteinberg(flat(127.5, 200, 200), 200, 200);
  const fraction = blackFraction(bits);
  t.true(Math.abs(fraction - 0.5) <= 0.03, `black fraction ${fraction}`);
});

test('dot density follows grey level: a gradient is monotone and each band matches its tone', (t) => {
  const width = 256;
  const height = 64;
  const gray = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) gray[y * width + x] = x;
  const bits = floydSteinberg(gray, width, height);
  const bucket = 32;
  let previous = Number.POSITIVE_INFINITY;
  for (let x0 = 0; x0 < width; x0 += bucket) {
    let dots = 0;
    for (let y = 0; y < height; y++) for (let x = x0; x < x0 + bucket; x++) dots += bits[y * width + x]!;
    const density = dots / (bucket * height);
    const expected = 1 - (x0 + (bucket - 1) / 2) / 255;
    t.true(density <= previous, `density rises at x=${x0}: ${density} > ${previous}`);
    t.true(Math.abs(density - expected) < 0.06, `x=${x0}: density ${density}, tone says ${expected}`);
    previous = density;
  }
});

test('it is not a threshold: flat 45 % grey has black and white dots in proportion', (t) => {
  const bits = floydSteinberg(flat(0.45 * 255, 64, 64), 64, 64);
  const fraction = blackFraction(bits);
  t.true(bits.includes(0) && bits.includes(1));
  t.true(Math.abs(fraction - 0.55) <= 0.03, `black fraction ${fraction}`);
});

test('dithering is deterministic and leaves its input alone', (t) => {
  const gray = new Float32Array(50 * 30).map((_, i) => (i * 37) % 256);
  const copy = Float32Array.from(gray);
  t.deepEqual(floydSteinberg(gray, 50, 30), floydSteinberg(gray, 50, 30));
  t.deepEqual(gray, copy);
});

test('toGray: BT.601 luma, transparent pixels become white paper', (t) => {
  const rgba = Uint8Array.from([255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 128, 255, 255, 255, 255]);
  const gray = toGray(rgba, 4, 1);
  t.true(Math.abs(gray[0]! - 76.245) < 1e-3);
  t.is(gray[1], 255);
  t.true(Math.abs(gray[2]! - 255 * (1 - 128 / 255)) < 1e-3);
  t.is(gray[3], 255);
  t.throws(() => toGray(new Uint8Array(4), 2, 1), { instanceOf: RangeError });
});

test('applyGamma keeps black and white and lightens mid-tones', (t) => {
  const out = applyGamma(Float32Array.from([0, 128, 255]), 1.2);
  t.is(out[0], 0);
  t.true(out[1]! > 128 && out[1]! < 160);
  t.true(Math.abs(out[2]! - 255) < 1e-3);
});

test('applyGamma is the power curve to within 0.05 of a grey level everywhere', (t) => {
  const values = Float32Array.from({ length: 25_501 }, (_, i) => i / 100);
  const out = applyGamma(values, 1.2);
  let worst = 0;
  for (let i = 0; i < values.length; i++)
    worst = Math.max(worst, Math.abs(out[i]! - 255 * (values[i]! / 255) ** (1 / 1.2)));
  t.true(worst < 0.05, `worst error ${worst}`);
  t.deepEqual([...applyGamma(Float32Array.from([-20, 300]), 1.2)], [0, 255]);
});

test('sharpenGray: flat areas stay flat, an edge gains contrast on both sides, amount 0 changes nothing', (t) => {
  const width = 8;
  const height = 3;
  const level = flat(100, width, height);
  t.true(sharpenGray(level, width, height, 0.5, 1).every((v) => Math.abs(v - 100) < 1e-3));
  // Left half dark (60), right half light (200): the edge's dark side darkens, its light side lightens.
  const edge = Float32Array.from({ length: width * height }, (_, i) => (i % width < 4 ? 60 : 200));
  const sharp = sharpenGray(edge, width, height, 0.5, 1);
  t.true(sharp[3]! < 60 && sharp[4]! > 200, `${sharp[3]} ${sharp[4]}`);
  t.true(Math.abs(sharp[0]! - 60) < 1e-3 && Math.abs(sharp[7]! - 200) < 1e-3);
  t.deepEqual([...sharpenGray(edge, width, height, 0.5, 0)], [...edge]);
  const extreme = Float32Array.from({ length: width * height }, (_, i) => (i % width < 4 ? 0 : 255));
  t.true(sharpenGray(extreme, width, height, 0.5, 5).every((v) => v >= 0 && v <= 255));
  t.throws(() => sharpenGray(level, width, height, 0, 1), { instanceOf: RangeError });
});

test('packRaster: MSB is the leftmost dot, rows padded with white to whole bytes', (t) => {
  // Row 0: dot at x=0, x=7, x=8, x=9. Row 1: dot at x=1 only.
  const bits = Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  const { bytesPerRow, data } = packRaster(bits, 10, 2);
  t.is(bytesPerRow, 2);
  t.deepEqual([...data], [0b1000_0001, 0b1100_0000, 0b0100_0000, 0b0000_0000]);
  t.deepEqual(unpackRaster(data, bytesPerRow, 10, 2), bits);
  t.deepEqual([...packRaster(Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1]), 8, 1).data], [0xff]);
});

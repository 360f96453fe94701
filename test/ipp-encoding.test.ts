import test from 'ava';
import fc from 'fast-check';
import {
  attr,
  decodeMessage,
  encodeMessage,
  GroupTag,
  IPP_VERSION_2_0,
  type IppCollection,
  type IppMessage,
  ValueTag,
} from '../edge-node/printing/ipp/encoding.ts';

test('a request with every common value type survives encode → decode', (t) => {
  const mediaCol: IppCollection = {
    'media-size': attr.collection({ 'x-dimension': attr.integer(10160), 'y-dimension': attr.integer(15240) }),
    'media-source': attr.keyword('photo'),
  };
  const msg: IppMessage = {
    version: IPP_VERSION_2_0,
    code: 0x0002,
    requestId: 7,
    groups: [
      {
        tag: GroupTag.operation,
        attributes: {
          'attributes-charset': { tag: ValueTag.charset, values: ['utf-8'] },
          'job-name': attr.name('order-1-0'),
          'requested-attributes': attr.keyword('job-id', 'job-state'),
        },
      },
      {
        tag: GroupTag.job,
        attributes: {
          copies: attr.integer(2),
          'media-col': attr.collection(mediaCol),
          'print-color-mode': attr.keyword('color'),
          'printer-resolution': { tag: ValueTag.resolution, values: [{ x: 300, y: 300, units: 3 }] },
          'page-ranges': { tag: ValueTag.rangeOfInteger, values: [{ lower: 1, upper: 3 }] },
          'ipp-attribute-fidelity': attr.boolean(true),
        },
      },
    ],
    data: Buffer.from('JPEGDATA'),
  };
  const back = decodeMessage(encodeMessage(msg));
  t.deepEqual(back, msg);
});

test('known bytes: a minimal Get-Printer-Attributes request (RFC 8010 layout)', (t) => {
  const bytes = encodeMessage({
    version: IPP_VERSION_2_0,
    code: 0x000b,
    requestId: 1,
    groups: [{ tag: GroupTag.operation, attributes: { 'attributes-charset': { tag: 0x47, values: ['utf-8'] } } }],
  });
  const expected = Buffer.concat([
    Buffer.from([0x02, 0x00, 0x00, 0x0b, 0, 0, 0, 1, 0x01, 0x47, 0x00, 18]),
    Buffer.from('attributes-charset'),
    Buffer.from([0x00, 5]),
    Buffer.from('utf-8'),
    Buffer.from([0x03]),
  ]);
  t.deepEqual(bytes, expected);
});

test('truncated or malformed input is an ipp_malformed error, never a crash', (t) => {
  const good = encodeMessage({
    version: IPP_VERSION_2_0,
    code: 0,
    requestId: 1,
    groups: [{ tag: GroupTag.printer, attributes: { 'printer-state': attr.enum(3), x: attr.keyword('a', 'b') } }],
  });
  for (let cut = 0; cut < good.length - 1; cut++) {
    const err = t.throws(() => decodeMessage(good.subarray(0, cut)));
    t.is((err as { code?: string }).code, 'ipp_malformed');
  }
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        decodeMessage(Buffer.from(bytes));
      } catch (err) {
        if ((err as { code?: string }).code !== 'ipp_malformed') throw err;
      }
    }),
  );
});

test('dateTime decodes with its UTC offset', (t) => {
  const b = Buffer.concat([
    Buffer.from([0x02, 0x00, 0, 0, 0, 0, 0, 1, 0x04, 0x31, 0, 1]),
    Buffer.from('d'),
    Buffer.from([0, 11, 0x07, 0xea, 12, 5, 4, 30, 0, 5, '+'.charCodeAt(0), 1, 0, 0x03]),
  ]);
  const m = decodeMessage(b);
  t.deepEqual(m.groups[0]!.attributes.d!.values[0], new Date('2026-12-05T03:30:00.500Z'));
});

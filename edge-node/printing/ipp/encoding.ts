/**
 * IPP/2.0 message encoding and decoding (RFC 8010 §3), including collections (`media-col`).
 *
 * Written here rather than taken from npm: `ipp` (2.0.1) is untyped, callback-based and drops
 * out-of-band values; `ipp-encoder` (5.0.0) has no collection support for requests. The format is
 * small and fixed, and a typed codec of ~250 lines is easier to trust than either.
 */
import { AppError } from '../../../shared/errors.ts';

export const IPP_VERSION_2_0 = 0x0200;

export const GroupTag = {
  operation: 0x01,
  job: 0x02,
  end: 0x03,
  printer: 0x04,
  unsupported: 0x05,
} as const;
export type GroupTagValue = (typeof GroupTag)[keyof typeof GroupTag];

export const ValueTag = {
  unsupported: 0x10,
  unknown: 0x12,
  noValue: 0x13,
  integer: 0x21,
  boolean: 0x22,
  enum: 0x23,
  octetString: 0x30,
  dateTime: 0x31,
  resolution: 0x32,
  rangeOfInteger: 0x33,
  begCollection: 0x34,
  textWithLanguage: 0x35,
  nameWithLanguage: 0x36,
  endCollection: 0x37,
  textWithoutLanguage: 0x41,
  nameWithoutLanguage: 0x42,
  keyword: 0x44,
  uri: 0x45,
  uriScheme: 0x46,
  charset: 0x47,
  naturalLanguage: 0x48,
  mimeMediaType: 0x49,
  memberAttrName: 0x4a,
} as const;
export type ValueTagValue = (typeof ValueTag)[keyof typeof ValueTag];

export interface Resolution {
  x: number;
  y: number;
  /** 3 = dots per inch, 4 = dots per centimetre. */
  units: number;
}
export interface Range {
  lower: number;
  upper: number;
}
/** A collection: member name → attribute. */
export type IppCollection = { [member: string]: IppAttribute };
export type IppValue = number | boolean | string | Buffer | Date | Resolution | Range | IppCollection | null;

export interface IppAttribute {
  tag: number;
  values: IppValue[];
}
export interface IppGroup {
  tag: number;
  attributes: { [name: string]: IppAttribute };
}
export interface IppMessage {
  version: number;
  /** operation-id in a request, status-code in a response. */
  code: number;
  requestId: number;
  groups: IppGroup[];
  /** The document (requests) or whatever follows the end tag. */
  data: Buffer;
}

/** Shorthands for building requests. */
export const attr = {
  keyword: (...values: string[]): IppAttribute => ({ tag: ValueTag.keyword, values }),
  name: (...values: string[]): IppAttribute => ({ tag: ValueTag.nameWithoutLanguage, values }),
  text: (...values: string[]): IppAttribute => ({ tag: ValueTag.textWithoutLanguage, values }),
  uri: (...values: string[]): IppAttribute => ({ tag: ValueTag.uri, values }),
  mime: (value: string): IppAttribute => ({ tag: ValueTag.mimeMediaType, values: [value] }),
  integer: (...values: number[]): IppAttribute => ({ tag: ValueTag.integer, values }),
  enum: (...values: number[]): IppAttribute => ({ tag: ValueTag.enum, values }),
  boolean: (value: boolean): IppAttribute => ({ tag: ValueTag.boolean, values: [value] }),
  collection: (...values: IppCollection[]): IppAttribute => ({ tag: ValueTag.begCollection, values }),
};

const DATETIME_BYTES = 11;
const RESOLUTION_BYTES = 9;
const RANGE_BYTES = 8;
const MAX_SHORT = 0xffff;

function malformed(detail: string): AppError {
  return new AppError('ipp_malformed', `The printer sent a malformed IPP message: ${detail}.`);
}

// ---------------------------------------------------------------------------------------------
// Encoding

class Writer {
  readonly #chunks: Buffer[] = [];
  u8(n: number): void {
    this.#chunks.push(Buffer.from([n & 0xff]));
  }
  u16(n: number): void {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(n);
    this.#chunks.push(b);
  }
  bytes(b: Buffer): void {
    this.#chunks.push(b);
  }
  /** A 2-byte length followed by the bytes; IPP caps every name and value at 65535 bytes. */
  short(b: Buffer): void {
    if (b.length > MAX_SHORT) throw new AppError('ipp_value_too_long', `An IPP value is ${b.length} bytes long.`);
    this.u16(b.length);
    this.bytes(b);
  }
  done(): Buffer {
    return Buffer.concat(this.#chunks);
  }
}

function encodeValue(tag: number, value: IppValue): Buffer {
  if (value === null) return Buffer.alloc(0);
  switch (tag) {
    case ValueTag.integer:
    case ValueTag.enum: {
      const b = Buffer.alloc(4);
      b.writeInt32BE(value as number);
      return b;
    }
    case ValueTag.boolean:
      return Buffer.from([value ? 1 : 0]);
    case ValueTag.dateTime:
      return encodeDate(value as Date);
    case ValueTag.resolution: {
      const r = value as Resolution;
      const b = Buffer.alloc(RESOLUTION_BYTES);
      b.writeInt32BE(r.x, 0);
      b.writeInt32BE(r.y, 4);
      b.writeInt8(r.units, 8);
      return b;
    }
    case ValueTag.rangeOfInteger: {
      const r = value as Range;
      const b = Buffer.alloc(RANGE_BYTES);
      b.writeInt32BE(r.lower, 0);
      b.writeInt32BE(r.upper, 4);
      return b;
    }
    case ValueTag.octetString:
      return Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
    default:
      return Buffer.from(String(value), 'utf8');
  }
}

function encodeDate(d: Date): Buffer {
  const b = Buffer.alloc(DATETIME_BYTES);
  b.writeUInt16BE(d.getUTCFullYear(), 0);
  b.writeUInt8(d.getUTCMonth() + 1, 2);
  b.writeUInt8(d.getUTCDate(), 3);
  b.writeUInt8(d.getUTCHours(), 4);
  b.writeUInt8(d.getUTCMinutes(), 5);
  b.writeUInt8(d.getUTCSeconds(), 6);
  b.writeUInt8(Math.floor(d.getUTCMilliseconds() / 100), 7);
  b.write('+', 8, 'latin1');
  return b;
}

function writeAttribute(w: Writer, name: string, a: IppAttribute): void {
  a.values.forEach((value, i) => {
    const memberName = i === 0 ? name : '';
    if (a.tag === ValueTag.begCollection) {
      w.u8(ValueTag.begCollection);
      w.short(Buffer.from(memberName, 'utf8'));
      w.short(Buffer.alloc(0));
      for (const [member, inner] of Object.entries(value as IppCollection)) {
        w.u8(ValueTag.memberAttrName);
        w.short(Buffer.alloc(0));
        w.short(Buffer.from(member, 'utf8'));
        writeAttribute(w, '', inner);
      }
      w.u8(ValueTag.endCollection);
      w.short(Buffer.alloc(0));
      w.short(Buffer.alloc(0));
      return;
    }
    w.u8(a.tag);
    w.short(Buffer.from(memberName, 'utf8'));
    w.short(encodeValue(a.tag, value));
  });
}

export function encodeMessage(m: Omit<IppMessage, 'data'> & { data?: Buffer }): Buffer {
  const w = new Writer();
  w.u16(m.version);
  w.u16(m.code);
  const id = Buffer.alloc(4);
  id.writeUInt32BE(m.requestId);
  w.bytes(id);
  for (const g of m.groups) {
    w.u8(g.tag);
    for (const [name, a] of Object.entries(g.attributes)) writeAttribute(w, name, a);
  }
  w.u8(GroupTag.end);
  if (m.data) w.bytes(m.data);
  return w.done();
}

// ---------------------------------------------------------------------------------------------
// Decoding

class Reader {
  #pos = 0;
  constructor(readonly buf: Buffer) {}
  get pos(): number {
    return this.#pos;
  }
  need(n: number): void {
    if (this.#pos + n > this.buf.length) throw malformed(`truncated at byte ${this.#pos}`);
  }
  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.#pos++);
  }
  peek(): number {
    this.need(1);
    return this.buf.readUInt8(this.#pos);
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.#pos);
    this.#pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.#pos);
    this.#pos += 4;
    return v;
  }
  take(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return b;
  }
  short(): Buffer {
    return this.take(this.u16());
  }
  rest(): Buffer {
    return this.buf.subarray(this.#pos);
  }
}

function decodeValue(tag: number, b: Buffer): IppValue {
  switch (tag) {
    case ValueTag.integer:
    case ValueTag.enum:
      if (b.length !== 4) throw malformed(`integer of ${b.length} bytes`);
      return b.readInt32BE(0);
    case ValueTag.boolean:
      if (b.length !== 1) throw malformed(`boolean of ${b.length} bytes`);
      return b[0] !== 0;
    case ValueTag.dateTime:
      if (b.length !== DATETIME_BYTES) throw malformed(`dateTime of ${b.length} bytes`);
      return decodeDate(b);
    case ValueTag.resolution:
      if (b.length !== RESOLUTION_BYTES) throw malformed(`resolution of ${b.length} bytes`);
      return { x: b.readInt32BE(0), y: b.readInt32BE(4), units: b.readInt8(8) };
    case ValueTag.rangeOfInteger:
      if (b.length !== RANGE_BYTES) throw malformed(`rangeOfInteger of ${b.length} bytes`);
      return { lower: b.readInt32BE(0), upper: b.readInt32BE(4) };
    case ValueTag.octetString:
      return Buffer.from(b);
    case ValueTag.unsupported:
    case ValueTag.unknown:
    case ValueTag.noValue:
      return null;
    case ValueTag.textWithLanguage:
    case ValueTag.nameWithLanguage: {
      // language length + language, then text length + text: keep the text.
      const r = new Reader(b);
      r.short();
      return r.short().toString('utf8');
    }
    default:
      return b.toString('utf8');
  }
}

function decodeDate(b: Buffer): Date {
  const sign = String.fromCharCode(b[8]!) === '-' ? -1 : 1;
  const offsetMin = sign * (b[9]! * 60 + b[10]!);
  const utc = Date.UTC(b.readUInt16BE(0), b[2]! - 1, b[3]!, b[4]!, b[5]!, b[6]!, b[7]! * 100);
  return new Date(utc - offsetMin * 60_000);
}

/** Reads one collection after its begCollection header, up to and including its endCollection. */
function readCollection(r: Reader): IppCollection {
  const out: IppCollection = {};
  let current: IppAttribute | null = null;
  for (;;) {
    const tag = r.u8();
    const name = r.short().toString('utf8');
    if (tag === ValueTag.endCollection) {
      r.short();
      return out;
    }
    if (tag === ValueTag.memberAttrName) {
      const member = r.short().toString('utf8');
      current = { tag: 0, values: [] };
      out[member] = current;
      continue;
    }
    if (!current || name !== '') throw malformed('collection value without a member name');
    const value = r.short();
    if (current.tag === 0) current.tag = tag;
    current.values.push(tag === ValueTag.begCollection ? readCollection(r) : decodeValue(tag, value));
  }
}

export function decodeMessage(buf: Buffer): IppMessage {
  const r = new Reader(buf);
  const version = r.u16();
  const code = r.u16();
  const requestId = r.u32();
  const groups: IppGroup[] = [];
  let group: IppGroup | null = null;
  let last: IppAttribute | null = null;
  for (;;) {
    const tag = r.u8();
    if (tag === GroupTag.end) break;
    if (tag < 0x10) {
      group = { tag, attributes: {} };
      groups.push(group);
      last = null;
      continue;
    }
    if (!group) throw malformed('attribute before any group');
    const name = r.short().toString('utf8');
    const raw = r.short();
    const value = tag === ValueTag.begCollection ? readCollection(r) : decodeValue(tag, raw);
    if (name === '') {
      if (!last) throw malformed('additional value without an attribute');
      last.values.push(value);
    } else {
      last = { tag, values: [value] };
      group.attributes[name] = last;
    }
  }
  return { version, code, requestId, groups, data: Buffer.from(r.rest()) };
}

/** The groups of one kind, in message order (a Get-Jobs response has one job group per job). */
export function groupsOf(m: IppMessage, tag: GroupTagValue): IppGroup[] {
  return m.groups.filter((g) => g.tag === tag);
}

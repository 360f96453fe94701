/**
 * The simulator's agenda: a binary min-heap of callbacks keyed by (time, seq).
 *
 * Why (time, seq) and not time alone: events scheduled for the same instant must run in the order
 * they were scheduled, on every run, or two runs with the same seed could diverge (Shadow: "it's a
 * bug if it doesn't"). `seq` is a counter, so ties are broken by insertion order and nothing else.
 * Times and seqs live in typed arrays and the callbacks in a plain array: no object per entry.
 */
export type SimCallback = () => void;

const INITIAL_CAPACITY = 1024;

export class EventQueue {
  #times = new Float64Array(INITIAL_CAPACITY);
  #seqs = new Float64Array(INITIAL_CAPACITY);
  #fns: Array<SimCallback | undefined> = new Array(INITIAL_CAPACITY);
  #size = 0;
  #nextSeq = 0;

  get size(): number {
    return this.#size;
  }

  /** Time of the earliest event, +Infinity when empty. */
  peekTime(): number {
    return this.#size === 0 ? Number.POSITIVE_INFINITY : this.#times[0]!;
  }

  push(time: number, fn: SimCallback): void {
    if (Number.isNaN(time)) throw new RangeError('an event time must be a number');
    if (this.#size === this.#times.length) this.#grow();
    let i = this.#size++;
    const seq = this.#nextSeq++;
    // Sift up: move parents down until the slot for (time, seq) is found.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = this.#times[parent]!;
      if (pt < time || (pt === time && this.#seqs[parent]! < seq)) break;
      this.#move(parent, i);
      i = parent;
    }
    this.#times[i] = time;
    this.#seqs[i] = seq;
    this.#fns[i] = fn;
  }

  /** Removes the earliest event and returns its callback (undefined when empty). */
  pop(): SimCallback | undefined {
    if (this.#size === 0) return undefined;
    const top = this.#fns[0];
    const last = --this.#size;
    if (last > 0) {
      const time = this.#times[last]!;
      const seq = this.#seqs[last]!;
      const fn = this.#fns[last];
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= last) break;
        const r = l + 1;
        let c = l;
        if (r < last && this.#less(r, l)) c = r;
        const ct = this.#times[c]!;
        if (time < ct || (time === ct && seq < this.#seqs[c]!)) break;
        this.#move(c, i);
        i = c;
      }
      this.#times[i] = time;
      this.#seqs[i] = seq;
      this.#fns[i] = fn;
    }
    this.#fns[last] = undefined;
    return top;
  }

  #less(a: number, b: number): boolean {
    const ta = this.#times[a]!;
    const tb = this.#times[b]!;
    return ta < tb || (ta === tb && this.#seqs[a]! < this.#seqs[b]!);
  }

  #move(from: number, to: number): void {
    this.#times[to] = this.#times[from]!;
    this.#seqs[to] = this.#seqs[from]!;
    this.#fns[to] = this.#fns[from];
  }

  #grow(): void {
    const cap = this.#times.length * 2;
    const times = new Float64Array(cap);
    times.set(this.#times);
    const seqs = new Float64Array(cap);
    seqs.set(this.#seqs);
    this.#times = times;
    this.#seqs = seqs;
    this.#fns.length = cap;
  }
}

/**
 * A min-heap of items that know their own position, so a key can change in O(log n): the network
 * keeps rate groups in one (keyed by their next milestone) and flows inside each group (keyed by
 * virtual finish tag). Ties are broken by `id`, which makes the order independent of history.
 */
export interface HeapItem {
  readonly id: number;
  heapKey: number;
  heapIndex: number;
}

export class IndexedHeap<T extends HeapItem> {
  readonly #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  peekKey(): number {
    return this.#items.length === 0 ? Number.POSITIVE_INFINITY : this.#items[0]!.heapKey;
  }

  has(item: T): boolean {
    return item.heapIndex >= 0 && this.#items[item.heapIndex] === item;
  }

  /** Inserts `item` or moves it to its new key. */
  set(item: T, key: number): void {
    item.heapKey = key;
    if (this.has(item)) {
      this.#up(item.heapIndex);
      this.#down(item.heapIndex);
      return;
    }
    item.heapIndex = this.#items.length;
    this.#items.push(item);
    this.#up(item.heapIndex);
  }

  remove(item: T): void {
    if (!this.has(item)) return;
    const i = item.heapIndex;
    const last = this.#items.pop()!;
    item.heapIndex = -1;
    if (last === item) return;
    this.#items[i] = last;
    last.heapIndex = i;
    this.#up(i);
    this.#down(i);
  }

  pop(): T | undefined {
    const top = this.#items[0];
    if (top) this.remove(top);
    return top;
  }

  #less(a: T, b: T): boolean {
    return a.heapKey < b.heapKey || (a.heapKey === b.heapKey && a.id < b.id);
  }

  #up(i: number): void {
    const items = this.#items;
    const item = items[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p]!;
      if (!this.#less(item, parent)) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    items[i] = item;
    item.heapIndex = i;
  }

  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    const item = items[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.#less(items[r]!, items[l]!)) c = r;
      const child = items[c]!;
      if (!this.#less(child, item)) break;
      items[i] = child;
      child.heapIndex = i;
      i = c;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}

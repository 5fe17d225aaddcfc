/**
 * The best `capacity` items of a stream, in O(capacity) memory: a binary heap whose root is the
 * worst item kept, so a new item either loses to the root in one comparison or replaces it.
 * `better(a, b)` is true when a ranks above b; it must be a strict total order for a
 * deterministic result.
 */
export class BoundedHeap<T> {
  private readonly items: T[] = [];

  constructor(
    readonly capacity: number,
    private readonly better: (a: T, b: T) => boolean,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`A bounded heap needs a capacity of at least 1, got ${capacity}`);
  }

  get size(): number {
    return this.items.length;
  }

  /** Whether `item` would be kept if offered now (cheap pre-check before building it). */
  wouldKeep(item: T): boolean {
    return this.items.length < this.capacity || this.better(item, this.items[0]!);
  }

  offer(item: T): boolean {
    if (this.items.length < this.capacity) {
      this.items.push(item);
      this.siftUp(this.items.length - 1);
      return true;
    }
    if (!this.better(item, this.items[0]!)) return false;
    this.items[0] = item;
    this.siftDown(0);
    return true;
  }

  /** The items kept, best first. */
  sorted(): T[] {
    return [...this.items].sort((a, b) => (this.better(a, b) ? -1 : this.better(b, a) ? 1 : 0));
  }

  // The heap is ordered worst-at-root: a parent is never better than its children.
  private siftUp(i: number): void {
    const items = this.items;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.better(items[parent]!, items[i]!)) break;
      [items[parent], items[i]] = [items[i]!, items[parent]!];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const items = this.items;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < items.length && this.better(items[worst]!, items[l]!)) worst = l;
      if (r < items.length && this.better(items[worst]!, items[r]!)) worst = r;
      if (worst === i) return;
      [items[worst], items[i]] = [items[i]!, items[worst]!];
      i = worst;
    }
  }
}

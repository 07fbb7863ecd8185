import { compareMostOverdue } from '../src/domain/schedule/schedule.js';

interface DueEntry {
  customerId: string;
  nextPollAt: number;
}

/**
 * A binary min-heap of customer indices, ordered by the schedule's own `compareMostOverdue`, that
 * knows where each customer is: a customer whose `nextPollAt` moved (a poll, a hint) is re-sorted
 * or taken out in place, as the due index re-sorts an item whose sort key changed.
 */
export class DueHeap {
  private readonly heap: Int32Array;
  /** Where each customer is in `heap`, -1 when it is not in this heap. */
  private readonly positions: Int32Array;
  private count = 0;

  constructor(private readonly entries: readonly DueEntry[]) {
    this.heap = new Int32Array(entries.length);
    this.positions = new Int32Array(entries.length).fill(-1);
  }

  get size(): number {
    return this.count;
  }

  /** The first customer in due order; only when `size > 0`. */
  peek(): number {
    return this.heap[0] as number;
  }

  has(customer: number): boolean {
    return (this.positions[customer] as number) >= 0;
  }

  push(customer: number): void {
    const index = this.count++;
    this.place(customer, index);
    this.up(index);
  }

  /** Takes `customer` out (wherever it is). */
  remove(customer: number): void {
    const index = this.positions[customer] as number;
    if (index < 0) return;
    const last = this.heap[--this.count] as number;
    this.positions[customer] = -1;
    if (index === this.count) return;
    this.place(last, index);
    this.up(index);
    this.down(this.positions[last] as number);
  }

  /** Re-sorts `customer` after its `nextPollAt` moved. */
  update(customer: number): void {
    const index = this.positions[customer] as number;
    this.up(index);
    this.down(this.positions[customer] as number);
  }

  private up(start: number): void {
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.less(parent, index)) return;
      this.swap(parent, index);
      index = parent;
    }
  }

  private down(start: number): void {
    let index = start;
    while (true) {
      const left = 2 * index + 1;
      if (left >= this.count) return;
      const right = left + 1;
      const child = right < this.count && this.less(right, left) ? right : left;
      if (this.less(index, child)) return;
      this.swap(index, child);
      index = child;
    }
  }

  private less(a: number, b: number): boolean {
    const entryA = this.entries[this.heap[a] as number] as DueEntry;
    const entryB = this.entries[this.heap[b] as number] as DueEntry;
    return compareMostOverdue(entryA, entryB) < 0;
  }

  private place(customer: number, index: number): void {
    this.heap[index] = customer;
    this.positions[customer] = index;
  }

  private swap(a: number, b: number): void {
    const held = this.heap[a] as number;
    this.place(this.heap[b] as number, a);
    this.place(held, b);
  }
}

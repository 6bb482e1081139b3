// Items held until a time (a min-heap on `due`): copies and payments waiting for their delay.
import { MinHeap } from '../../core/join/heap';

export class DelayQueue<T extends { due: number }> extends MinHeap<T> {
  constructor() {
    super((a, b) => a.due < b.due);
  }

  /** the earliest item if it is due at `now` */
  popDue(now: number): T | undefined {
    const top = this.peek();
    return top !== undefined && top.due <= now ? this.pop() : undefined;
  }
}

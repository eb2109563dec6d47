/**
 * One origin body read once and replayed to any number of readers, including readers that
 * join after bytes have arrived: this is how coalesced misses all stream the same fetch.
 * Chunks are kept until the last reader is done, so memory is bounded by the object size.
 */
export class SharedBody {
  private readonly chunks: Uint8Array[] = [];
  private done = false;
  private error: unknown = undefined;
  private waiters: Array<() => void> = [];
  /** Bytes received so far. */
  received = 0;

  constructor(source: ReadableStream<Uint8Array> | null) {
    if (source === null) {
      this.done = true;
      this.pump = Promise.resolve();
    } else {
      this.pump = this.run(source);
    }
  }

  /** Settles when the source is fully read (or failed). Keep it alive with waitUntil. */
  readonly pump: Promise<void>;

  private async run(source: ReadableStream<Uint8Array>): Promise<void> {
    const reader = source.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.chunks.push(value);
        this.received += value.byteLength;
        this.wake();
      }
    } catch (err) {
      this.error = err ?? new Error('origin body failed');
    }
    this.done = true;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Whether the whole body arrived without error. */
  async complete(): Promise<boolean> {
    await this.pump;
    return this.error === undefined;
  }

  /** A new stream over the whole body, from its first byte. */
  reader(): ReadableStream<Uint8Array> {
    let index = 0;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        for (;;) {
          if (index < this.chunks.length) {
            controller.enqueue(this.chunks[index++]);
            return;
          }
          if (this.done) {
            if (this.error !== undefined) controller.error(this.error);
            else controller.close();
            return;
          }
          await new Promise<void>((resolve) => this.waiters.push(resolve));
        }
      },
    });
  }
}

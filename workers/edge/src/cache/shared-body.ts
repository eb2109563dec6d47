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

  /** The whole body as one array (call after {@link complete} said true). */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.received);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.byteLength;
    }
    return out;
  }

  /** Whether the whole body arrived without error. */
  async complete(): Promise<boolean> {
    await this.pump;
    return this.error === undefined;
  }

  /**
   * A new stream over the whole body, from its first byte. `fromOtherRequest` must be set
   * when the reader belongs to another incoming request than the one reading the origin:
   * workerd refuses to fulfil one request's stream from another request's continuation
   * ("Cannot perform I/O on behalf of a different request"), so such a reader waits for
   * new chunks on timers of its own request instead of being woken by the origin reader.
   */
  reader(fromOtherRequest = false): ReadableStream<Uint8Array> | null {
    let index = 0;
    let delay = 1;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        for (;;) {
          if (index < this.chunks.length) {
            controller.enqueue(this.chunks[index++]);
            delay = 1;
            return;
          }
          if (this.done) {
            if (this.error !== undefined) controller.error(this.error);
            else controller.close();
            return;
          }
          if (fromOtherRequest) {
            await new Promise<void>((resolve) => setTimeout(resolve, delay));
            delay = Math.min(delay * 2, 16);
          } else {
            await new Promise<void>((resolve) => this.waiters.push(resolve));
          }
        }
      },
    });
  }
}

/**
 * A body too large to hold in memory for late readers: passed straight to the client or,
 * when it is to be stored, split once into the client's stream and the cache's, which read
 * it together as it arrives. No late joiners: requests arriving meanwhile fetch on their own.
 */
export class TeeBody {
  private readonly branches: ReadableStream<Uint8Array>[];
  readonly pump: Promise<void> = Promise.resolve();

  constructor(
    source: ReadableStream<Uint8Array> | null,
    readonly received: number,
    ways: 1 | 2,
  ) {
    if (source === null) this.branches = [];
    else if (ways === 1) this.branches = [source];
    else this.branches = source.tee();
  }

  /** The next unread branch, or null once all are taken. */
  reader(): ReadableStream<Uint8Array> | null {
    return this.branches.shift() ?? null;
  }

  /** Readers cannot wait for completion here: the cache reads while the client does. */
  async complete(): Promise<boolean> {
    return true;
  }
}

/** Either way of sharing an upstream body. */
export type BodySource = SharedBody | TeeBody;

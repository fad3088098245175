import type { EventRecord, Materializer, RunStorage } from "../engine/index.ts";

export type LiveListener = (event: EventRecord) => void;

/**
 * Every new event, once and in order of discovery, to the browser streams. Runs executed by this
 * process arrive through `materializer.onEvent` at once; runs executed elsewhere (the CLI, another
 * daemon) are found by polling run storage while anyone listens. Polling advances its own watermark
 * and skips ids already delivered in-process, so an event written by another process between two
 * in-process events is not missed.
 */
export class LiveEvents {
  private readonly listeners = new Set<LiveListener>();
  private readonly deliveredAhead = new Set<number>();
  private watermark: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly storage: RunStorage,
    materializer: Materializer,
    private readonly pollMs = 1000,
  ) {
    this.unsubscribe = materializer.onEvent((event) => this.deliver(event));
  }

  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    if (this.watermark === undefined) void this.poll();
    if (!this.timer) {
      this.timer = setInterval(() => void this.poll(), this.pollMs);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  /** One polling pass (tests call it directly instead of waiting for the timer). */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  close(): void {
    this.unsubscribe();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private async pollOnce(): Promise<void> {
    if (this.watermark === undefined) {
      // Start from "now": the pages load history themselves; the stream only carries what is new.
      this.watermark = await this.storage.latestEventId();
      return;
    }
    const events = await this.storage.listEventsAfter(this.watermark, [], 500);
    for (const event of events) {
      this.watermark = event.id;
      if (this.deliveredAhead.delete(event.id)) continue;
      this.emit(event);
    }
    for (const id of this.deliveredAhead) if (id <= this.watermark) this.deliveredAhead.delete(id);
  }

  private deliver(event: EventRecord): void {
    if (this.watermark !== undefined && event.id <= this.watermark) return;
    this.deliveredAhead.add(event.id);
    this.emit(event);
  }

  private emit(event: EventRecord): void {
    for (const listener of this.listeners) listener(event);
  }
}

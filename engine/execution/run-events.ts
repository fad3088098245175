import type { AssetKey } from "../definitions/asset-key.ts";
import type { RunLogger } from "../definitions/context.ts";
import type { JsonValue } from "../definitions/metadata.ts";
import type { EventInput, EventRecord, EventType, LogLevel } from "../storage/records.ts";
import type { RunStorage } from "../storage/run-storage.ts";
import type { Clock } from "./clock.ts";

export type EventListener = (event: EventRecord) => void;

/**
 * Writes a run's events to storage, in order, and tells in-process listeners (the CLI's progress
 * display, the UI's live stream). Writes are chained so events keep their order without the
 * steps waiting on each write; `flush()` waits for all of them.
 */
export class RunEventWriter {
  private queue: EventInput[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private scheduled = false;
  private failure: unknown;

  constructor(
    private readonly storage: RunStorage,
    private readonly clock: Clock,
    private readonly runId: string,
    private readonly listeners: ReadonlySet<EventListener>,
  ) {}

  emit(
    type: EventType,
    message: string,
    fields: { assetKey?: AssetKey; partition?: string; level?: LogLevel; data?: JsonValue } = {},
  ): void {
    this.queue.push({ runId: this.runId, type, message, timestamp: this.clock.now(), ...fields });
    if (this.scheduled) return;
    this.scheduled = true;
    // Events emitted in one turn are written in one transaction (one commit instead of one per event).
    this.chain = this.chain.then(async () => {
      this.scheduled = false;
      const batch = this.queue;
      this.queue = [];
      try {
        const records = await this.storage.appendEvents(batch);
        for (const record of records) for (const listener of this.listeners) listener(record);
      } catch (error) {
        this.failure ??= error;
      }
    });
  }

  /** Wait for every event written so far; rethrows a storage failure (a run never hides one). */
  async flush(): Promise<void> {
    while (this.scheduled || this.queue.length > 0) await this.chain;
    await this.chain;
    if (this.failure !== undefined) throw this.failure;
  }

  logger(assetKey?: AssetKey, partition?: string): RunLogger {
    const log = (level: LogLevel) => (message: string) =>
      this.emit("LOG", message, {
        level,
        ...(assetKey && { assetKey }),
        ...(partition !== undefined && { partition }),
      });
    return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
  }
}

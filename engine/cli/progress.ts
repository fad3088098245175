import type { EventRecord } from "../storage/records.ts";
import type { CliIO } from "./command.ts";

const MARK: Partial<Record<EventRecord["type"], string>> = {
  STEP_STARTED: "▶",
  STEP_SUCCESS: "✔",
  STEP_FAILURE: "✘",
  STEP_SKIPPED: "⤼",
  STEP_RETRY: "↻",
  CHECK_EVALUATION: "◆",
};

/**
 * Live progress of a run: one line per step event, and on a terminal a status line (done/running/
 * failed, elapsed) rewritten in place so long runs show they are alive.
 */
export class ProgressDisplay {
  private done = 0;
  private failed = 0;
  private running = 0;
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly io: CliIO,
    private readonly total: number,
  ) {
    if (io.isTTY) this.timer = setInterval(() => this.status(), 250);
  }

  onEvent = (event: EventRecord): void => {
    if (event.type === "STEP_STARTED") this.running++;
    if (event.type === "STEP_SUCCESS" || event.type === "STEP_FAILURE") this.running--;
    if (event.type === "STEP_SUCCESS") this.done++;
    if (event.type === "STEP_FAILURE" || event.type === "STEP_SKIPPED") this.failed++;
    const mark = MARK[event.type];
    const isWarning = event.type === "LOG" && (event.level === "warn" || event.level === "error");
    if (mark === undefined && !isWarning) return;
    this.clearStatus();
    const partition = event.partition ? ` [${event.partition}]` : "";
    this.io.out(`${mark ?? "!"} ${event.assetKey ?? ""}${partition} ${event.message}`);
    this.status();
  };

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.clearStatus();
  }

  private status(): void {
    if (!this.io.isTTY) return;
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    process.stdout.write(
      `\r\u001b[2K  ${this.done}/${this.total} steps done, ${this.running} running, ${this.failed} failed or skipped — ${seconds}s`,
    );
  }

  private clearStatus(): void {
    if (this.io.isTTY) process.stdout.write("\r\u001b[2K");
  }
}

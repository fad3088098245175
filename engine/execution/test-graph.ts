/**
 * A small graph exercising the materializer: a diamond, a daily-partitioned chain, a failing
 * asset, a flaky one, checks (blocking error and warn) and a slow one for cancellation.
 * Shared by the execution tests and the engine benchmark.
 */
import { asset, input } from "../definitions/asset.ts";
import type { AssetContext } from "../definitions/context.ts";
import { defineCheck } from "../definitions/define.ts";
import { dailyPartitions } from "../definitions/partitions.ts";
import { retryPolicy } from "../definitions/retry.ts";
import { inject } from "../di/container.ts";
import { token } from "../di/token.ts";

/** Records what ran, how many at once, and lets tests make assets fail or wait. */
export class Probe {
  readonly calls: string[] = [];
  running = 0;
  maxRunning = 0;
  flakyFailures = 2;
  releaseSlow: () => void = () => undefined;

  async enter(name: string, workMs = 0): Promise<void> {
    this.calls.push(name);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    await new Promise((resolve) => setTimeout(resolve, workMs));
    this.running--;
  }
}

export const PROBE = token<Probe>("TestProbe");

@asset({ key: "diamond/top", group: "diamond", tags: { kind: "source" }, codeVersion: "1" })
export class Top {
  constructor(@inject(PROBE) private readonly probe: Probe) {}
  async materialize(ctx: AssetContext): Promise<{ n: number }> {
    await this.probe.enter("top");
    ctx.addMetadata({ rows: 10 });
    return { n: 10 };
  }
}

@asset({ key: "diamond/left", group: "diamond", ins: { top: Top } })
export class Left {
  constructor(@inject(PROBE) private readonly probe: Probe) {}
  async materialize(_ctx: AssetContext, inputs: { top: { n: number } }): Promise<number> {
    await this.probe.enter("left", 30);
    return inputs.top.n + 1;
  }
}

@asset({ key: "diamond/right", group: "diamond", ins: { top: Top } })
export class Right {
  constructor(@inject(PROBE) private readonly probe: Probe) {}
  async materialize(_ctx: AssetContext, inputs: { top: { n: number } }): Promise<number> {
    await this.probe.enter("right", 30);
    return inputs.top.n * 2;
  }
}

@asset({ key: "diamond/bottom", group: "diamond", ins: { left: Left, right: Right } })
export class Bottom {
  constructor(@inject(PROBE) private readonly probe: Probe) {}
  async materialize(ctx: AssetContext, inputs: { left: number; right: number }): Promise<{ sum: number }> {
    await this.probe.enter("bottom");
    ctx.addMetadata({ sum: inputs.left + inputs.right });
    return { sum: inputs.left + inputs.right };
  }
}

export const daily = dailyPartitions({ start: "2024-01-01", timezone: "UTC" });

@asset({ key: "parts/raw", partitions: daily })
export class RawDay {
  constructor(@inject(PROBE) private readonly probe: Probe) {}
  async materialize(ctx: AssetContext): Promise<{ day: string }> {
    await this.probe.enter(`raw:${ctx.partition}`);
    return { day: ctx.partition ?? "none" };
  }
}

@asset({ key: "parts/clean", partitions: daily, ins: { raw: RawDay } })
export class CleanDay {
  async materialize(_ctx: AssetContext, inputs: { raw: { day: string } }): Promise<string> {
    return `clean ${inputs.raw.day}`;
  }
}

@asset({ key: "parts/summary", ins: { days: input(CleanDay, { partitions: "all" }) } })
export class Summary {
  async materialize(_ctx: AssetContext, inputs: { days: ReadonlyMap<string, string> }): Promise<number> {
    return inputs.days.size;
  }
}

@asset({ key: "failing/broken" })
export class Broken {
  constructor(@inject(PROBE) private readonly probe: Probe) {}
  async materialize(): Promise<number> {
    await this.probe.enter("broken");
    throw new Error("source system unreachable");
  }
}

@asset({ key: "failing/after_broken", ins: { broken: Broken } })
export class AfterBroken {
  async materialize(_ctx: AssetContext, inputs: { broken: number }): Promise<number> {
    return inputs.broken;
  }
}

@asset({
  key: "flaky/eventually",
  retry: retryPolicy({ maxRetries: 3, delayMs: 5, backoff: "exponential", jitter: 0.5 }),
})
export class Flaky {
  constructor(@inject(PROBE) private readonly probe: Probe) {}
  async materialize(ctx: AssetContext): Promise<number> {
    await this.probe.enter(`flaky#${ctx.attempt}`);
    if (this.probe.flakyFailures-- > 0) throw new Error(`transient failure on attempt ${ctx.attempt}`);
    return ctx.attempt;
  }
}

@asset({ key: "checked/source" })
export class CheckedSource {
  async materialize(): Promise<{ nulls: number; rows: number }> {
    return { nulls: 3, rows: 100 };
  }
}

@asset({ key: "checked/downstream", ins: { source: CheckedSource } })
export class CheckedDownstream {
  async materialize(_ctx: AssetContext, inputs: { source: { rows: number } }): Promise<number> {
    return inputs.source.rows;
  }
}

export const noNulls = defineCheck(CheckedSource, {
  name: "no_nulls",
  severity: "error",
  blocking: true,
  evaluate: (_ctx, value) => ({ passed: value.nulls === 0, metadata: { nulls: value.nulls } }),
});

export const enoughRows = defineCheck(CheckedSource, {
  name: "at_least_1000_rows",
  severity: "warn",
  evaluate: (_ctx, value) => ({ passed: value.rows >= 1000, description: `${value.rows} rows` }),
});

@asset({ key: "slow/waits" })
export class Slow {
  constructor(@inject(PROBE) private readonly probe: Probe) {}
  async materialize(ctx: AssetContext): Promise<number> {
    this.probe.calls.push("slow");
    await new Promise<void>((resolve, reject) => {
      this.probe.releaseSlow = resolve;
      ctx.signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
    });
    return 1;
  }
}

@asset({ key: "slow/after", ins: { slow: Slow } })
export class AfterSlow {
  async materialize(_ctx: AssetContext, inputs: { slow: number }): Promise<number> {
    return inputs.slow;
  }
}

export const testAssets = [
  Top,
  Left,
  Right,
  Bottom,
  RawDay,
  CleanDay,
  Summary,
  Broken,
  AfterBroken,
  Flaky,
  CheckedSource,
  CheckedDownstream,
  Slow,
  AfterSlow,
];
export const testChecks = [noNulls, enoughRows];

import { quote, StrataError } from "../errors.ts";
import { isValidTimezone } from "./cron.ts";

/**
 * How an asset is split into independently materialised pieces. Keys are strings: `YYYY-MM-DD` for
 * daily windows (a local day in the definition's timezone), the given values for static lists.
 */
export interface PartitionsDefinition {
  /** Equal ids mean the same partitioning: identity mappings and partition runs need that. */
  readonly id: string;
  readonly kind: "daily" | "static";
  /** Every key that exists at `now`, in order. */
  keys(now: number): string[];
  has(key: string, now: number): boolean;
  /** Keys from `from` to `to` inclusive, in order; both must exist. */
  range(from: string, to: string, now: number): string[];
  /** The newest partition whose window has fully closed at `now` (schedules target it). */
  lastClosed(now: number): string | undefined;
  /** UTC start and end (exclusive) of a daily key's window. */
  window(key: string): { start: number; end: number } | undefined;
}

const DAY_KEY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

function dayNumber(key: string): number | undefined {
  const match = DAY_KEY.exec(key);
  if (!match) return undefined;
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return new Date(ms).toISOString().startsWith(key) ? Math.round(ms / DAY_MS) : undefined;
}

function dayKey(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The local calendar day (as a day number) of an instant in a timezone. */
function localDay(instant: number, timezone: string): number {
  const formatted = new Intl.DateTimeFormat("en-CA", {
    timeZone: timezone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).formatToParts(new Date(instant));
  const parts = Object.fromEntries(formatted.map((part) => [part.type, part.value]));
  return Math.round(Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day)) / DAY_MS);
}

/** UTC instant at which a local day starts in a timezone (handles DST by converging on the offset). */
function localMidnight(day: number, timezone: string): number {
  let guess = day * DAY_MS;
  for (let i = 0; i < 3; i++) {
    const seen = localDay(guess, timezone);
    const local = new Intl.DateTimeFormat("en-GB", {
      timeZone: timezone,
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .format(new Date(guess))
      .split(":")
      .map(Number);
    const localMinutes = (seen - day) * 1440 + (local[0] ?? 0) * 60 + (local[1] ?? 0);
    if (localMinutes === 0) return guess;
    guess -= localMinutes * 60_000;
  }
  return guess;
}

export interface DailyPartitionsOptions {
  /** First partition, YYYY-MM-DD. */
  readonly start: string;
  /** IANA timezone of the day boundaries. */
  readonly timezone?: string;
  /** Include the current, still-open day (Dagster's end_offset=1). */
  readonly includeOpenDay?: boolean;
}

export function dailyPartitions(options: DailyPartitionsOptions): PartitionsDefinition {
  const timezone = options.timezone ?? "UTC";
  const startDay = dayNumber(options.start);
  if (startDay === undefined) {
    throw new StrataError(
      "STRATA_ERR_INVALID_PARTITIONS",
      `daily partitions start ${quote(options.start)} is not YYYY-MM-DD.`,
    );
  }
  if (!isValidTimezone(timezone)) {
    throw new StrataError(
      "STRATA_ERR_INVALID_PARTITIONS",
      `daily partitions timezone ${quote(timezone)} is not IANA.`,
    );
  }
  const lastDay = (now: number): number => localDay(now, timezone) - (options.includeOpenDay ? 0 : 1);
  const unknown = (key: string): StrataError =>
    new StrataError(
      "STRATA_ERR_UNKNOWN_PARTITION",
      `partition ${quote(key)} is not a day between ${options.start} and the last closed day in ${timezone}.`,
    );
  const definition: PartitionsDefinition = {
    id: `daily:${options.start}:${timezone}:${options.includeOpenDay ? "open" : "closed"}`,
    kind: "daily",
    keys: (now) => {
      const keys: string[] = [];
      for (let day = startDay; day <= lastDay(now); day++) keys.push(dayKey(day));
      return keys;
    },
    has: (key, now) => {
      const day = dayNumber(key);
      return day !== undefined && day >= startDay && day <= lastDay(now);
    },
    range: (from, to, now) => {
      for (const key of [from, to]) if (!definition.has(key, now)) throw unknown(key);
      const keys: string[] = [];
      for (let day = dayNumber(from) ?? 0; day <= (dayNumber(to) ?? -1); day++) keys.push(dayKey(day));
      return keys;
    },
    lastClosed: (now) => {
      const day = localDay(now, timezone) - 1;
      return day >= startDay ? dayKey(day) : undefined;
    },
    window: (key) => {
      const day = dayNumber(key);
      if (day === undefined) return undefined;
      return { start: localMidnight(day, timezone), end: localMidnight(day + 1, timezone) };
    },
  };
  return definition;
}

export function staticPartitions(keys: readonly string[]): PartitionsDefinition {
  if (keys.length === 0 || keys.some((key) => key.trim() === "") || new Set(keys).size !== keys.length) {
    throw new StrataError(
      "STRATA_ERR_INVALID_PARTITIONS",
      `static partitions ${quote(keys)} must be a non-empty list of unique, non-blank keys.`,
    );
  }
  const list = [...keys];
  return {
    id: `static:${JSON.stringify(list)}`,
    kind: "static",
    keys: () => [...list],
    has: (key) => list.includes(key),
    range: (from, to) => {
      const start = list.indexOf(from);
      const end = list.indexOf(to);
      if (start < 0 || end < 0 || end < start) {
        throw new StrataError(
          "STRATA_ERR_UNKNOWN_PARTITION",
          `partition range ${quote(`${from}..${to}`)} is not an ordered range of ${quote(list)}.`,
        );
      }
      return list.slice(start, end + 1);
    },
    lastClosed: () => undefined,
    window: () => undefined,
  };
}

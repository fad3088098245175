import { quote, StrataError } from "../../engine/index.ts";

/** Where streaming Bronze objects live in the lake. */
export const BRONZE_EVENTS_PREFIX = "bronze/sales_events/";

export interface EventObjectName {
  readonly topic: string;
  readonly partition: number;
  readonly startOffset: number;
}

const pad2 = (n: number): string => String(n).padStart(2, "0");

/**
 * `bronze/sales_events/year=/month=/day=/hour=/<topic>+<partition>+<startOffset>.jsonl` (PIPELINE §2,
 * the Kafka Connect S3 sink convention). The folders are the ingestion hour in UTC; the file name
 * alone identifies the records, so writing the same records again lands on the same object.
 */
export function bronzeEventKey(name: EventObjectName, ingestedAtMs: number): string {
  if (!Number.isSafeInteger(name.partition) || name.partition < 0)
    throw new StrataError(
      "STRATA_ERR_INVALID_OPTION",
      `Kafka partition ${quote(name.partition)} is not a non-negative integer.`,
    );
  if (!Number.isSafeInteger(name.startOffset) || name.startOffset < 0)
    throw new StrataError(
      "STRATA_ERR_INVALID_OPTION",
      `Kafka offset ${quote(name.startOffset)} is not a non-negative integer.`,
    );
  if (!/^[A-Za-z0-9._-]+$/.test(name.topic))
    throw new StrataError(
      "STRATA_ERR_INVALID_OPTION",
      `Kafka topic ${quote(name.topic)} is not a valid topic name.`,
    );
  const d = new Date(ingestedAtMs);
  return (
    `${BRONZE_EVENTS_PREFIX}year=${d.getUTCFullYear()}/month=${pad2(d.getUTCMonth() + 1)}/day=${pad2(d.getUTCDate())}` +
    `/hour=${pad2(d.getUTCHours())}/${name.topic}+${name.partition}+${name.startOffset}.jsonl`
  );
}

const NAME = /(?:^|\/)([A-Za-z0-9._-]+)\+(\d+)\+(\d+)\.jsonl$/;

/** The topic, partition and first offset encoded in an object key; undefined for other keys. */
export function parseBronzeEventKey(key: string): EventObjectName | undefined {
  const m = NAME.exec(key);
  if (m === null) return undefined;
  const [, topic = "", partition = "", startOffset = ""] = m;
  return { topic, partition: Number(partition), startOffset: Number(startOffset) };
}

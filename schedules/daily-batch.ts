import { defineSchedule } from "../engine/index.ts";

/** 02:00 UTC: the full batch (Bronze → Silver → Gold) for the day that just closed. */
export const dailyBatch = defineSchedule({
  name: "daily_batch",
  cron: "0 2 * * *",
  timezone: "UTC",
  target: "*",
  description: "Bronze, Silver and Gold for the closed ingestion day",
});

import type { RunStorage } from "../storage/run-storage.ts";

/** On/off switches for sensors and schedules, kept in run storage so the CLI and UI share them. */
export async function isRunning(
  storage: RunStorage,
  kind: "sensor" | "schedule",
  name: string,
  defaultRunning: boolean,
): Promise<boolean> {
  const state = await storage.getCursor(`${kind}:${name}:state`);
  return state === undefined ? defaultRunning : state === "running";
}

export async function setRunning(
  storage: RunStorage,
  kind: "sensor" | "schedule",
  name: string,
  running: boolean,
): Promise<void> {
  await storage.setCursor(`${kind}:${name}:state`, running ? "running" : "stopped");
}

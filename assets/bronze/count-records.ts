/**
 * Data records in a CSV file: newline-terminated lines outside quotes, minus the header; a last
 * line without a newline counts too. A single pass over the bytes: the manifest's row count is for
 * reconciliation, so it must agree with what Silver reads.
 */
export function countCsvRecords(bytes: Uint8Array): number {
  const QUOTE = 0x22;
  const LF = 0x0a;
  const CR = 0x0d;
  let inQuotes = false;
  let lines = 0;
  let lineHasContent = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === QUOTE) inQuotes = !inQuotes;
    if (byte === LF && !inQuotes) {
      if (lineHasContent) lines++;
      lineHasContent = false;
    } else if (byte !== CR) lineHasContent = true;
  }
  if (lineHasContent) lines++;
  return Math.max(0, lines - 1);
}

/**
 * Metadata attached to materialisations, observations and check results. Values are tagged so the
 * UI can plot numbers over time and render schemas, and so storage round-trips them losslessly.
 */
export type TableColumn = {
  readonly name: string;
  readonly type: string;
  readonly nullable?: boolean;
  readonly description?: string;
};

export type MetadataValue =
  | { readonly type: "int"; readonly value: number }
  | { readonly type: "float"; readonly value: number }
  | { readonly type: "text"; readonly value: string }
  | { readonly type: "json"; readonly value: JsonValue }
  | { readonly type: "path"; readonly value: string }
  | { readonly type: "duration_ms"; readonly value: number }
  | { readonly type: "table_schema"; readonly value: readonly TableColumn[] };

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

export type MetadataMap = Readonly<Record<string, MetadataValue>>;

/** What asset code may pass: plain numbers/strings/JSON are tagged automatically. */
export type MetadataInput = Readonly<Record<string, MetadataValue | number | string | boolean | JsonValue>>;

function isMetadataValue(value: unknown): value is MetadataValue {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return (
    keys.length === 2 &&
    keys.includes("type") &&
    keys.includes("value") &&
    "type" in value &&
    typeof value.type === "string"
  );
}

export function normalizeMetadata(input: MetadataInput): MetadataMap {
  const out: Record<string, MetadataValue> = {};
  for (const [name, value] of Object.entries(input)) {
    if (typeof value === "number")
      out[name] = Number.isInteger(value) ? { type: "int", value } : { type: "float", value };
    else if (typeof value === "string") out[name] = { type: "text", value };
    else if (isMetadataValue(value)) out[name] = value;
    else out[name] = { type: "json", value };
  }
  return out;
}

export const md = {
  int: (value: number): MetadataValue => ({ type: "int", value }),
  float: (value: number): MetadataValue => ({ type: "float", value }),
  text: (value: string): MetadataValue => ({ type: "text", value }),
  json: (value: JsonValue): MetadataValue => ({ type: "json", value }),
  path: (value: string): MetadataValue => ({ type: "path", value }),
  durationMs: (value: number): MetadataValue => ({ type: "duration_ms", value }),
  tableSchema: (value: readonly TableColumn[]): MetadataValue => ({ type: "table_schema", value }),
};

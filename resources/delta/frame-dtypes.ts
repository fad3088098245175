import type pl from "nodejs-polars";

/**
 * Column name → dtype in one native call. `frame.getColumn(name)` materialises a Series wrapper
 * (about 1 ms each in nodejs-polars 0.25), which dominates writes of wide, small frames.
 */
export function frameDtypes(frame: pl.DataFrame): Map<string, pl.DataType> {
  const dtypes = frame.dtypes;
  return new Map(
    frame.columns
      .map((name, index) => [name, dtypes[index]])
      .filter((e): e is [string, pl.DataType] => e[1] !== undefined),
  );
}

const STRING_VARIANTS = new Set(["String", "Utf8"]);

/** DataType equality that treats String and Utf8 (two names of one type in nodejs-polars) as equal. */
export function sameDtype(a: pl.DataType, b: pl.DataType): boolean {
  return a.equals(b) || (STRING_VARIANTS.has(a.variant) && STRING_VARIANTS.has(b.variant));
}

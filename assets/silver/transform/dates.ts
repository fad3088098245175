import { StrataError } from "../../../engine/errors.ts";

/**
 * Date typing without strptime, as polars SQL. polars' strptime (nodejs-polars 0.25.2) reads
 * `31/02/2013` as 2013-02-01 and `31-07-2012` via `%Y-%m-%d` as year 31: silent guesses the rules
 * forbid. So each accepted format is compiled to a fixed-width layout (%d and %m two digits, %Y four:
 * the source zero-pads), checked by an anchored regex, sliced into numbers, range-checked (month
 * 1..12, day within the month, leap years included) and turned into days since 1970 with Hinnant's
 * days_from_civil. Formats with the same layout (dd/mm/yyyy, dd-mm-yyyy) share the arithmetic.
 */

interface Layout {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

export interface CompiledFormat {
  readonly regex: string;
  readonly layout: Layout;
}

export function compileDateFormat(format: string): CompiledFormat {
  let regex = "";
  let pos = 0;
  const at: Partial<Record<"d" | "m" | "Y", number>> = {};
  for (let i = 0; i < format.length; i++) {
    const ch = format[i] ?? "";
    if (ch !== "%") {
      if (ch === "'") throw badFormat(format, "a quote");
      regex += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
      pos += 1;
      continue;
    }
    const spec = format[++i];
    if ((spec !== "d" && spec !== "m" && spec !== "Y") || at[spec] !== undefined)
      throw badFormat(format, `%${spec ?? ""}`);
    at[spec] = pos;
    const width = spec === "Y" ? 4 : 2;
    regex += `\\d{${width}}`;
    pos += width;
  }
  if (at.d === undefined || at.m === undefined || at.Y === undefined)
    throw badFormat(format, "no %d, %m or %Y");
  return { regex, layout: { year: at.Y, month: at.m, day: at.d } };
}

function badFormat(format: string, what: string): StrataError {
  return new StrataError(
    "STRATA_ERR_INVALID_OPTION",
    `Date format ${JSON.stringify(format)} is not supported (${what}): use %d, %m and %Y once each, with separators.`,
    { format },
  );
}

/** Formats grouped by layout, each group with one anchored regex for its shapes. */
export function dateShapes(formats: readonly string[]): Array<{ layout: Layout; shape: string }> {
  const groups = new Map<string, { layout: Layout; regexes: string[] }>();
  for (const f of formats) {
    const c = compileDateFormat(f);
    const key = `${c.layout.year}/${c.layout.month}/${c.layout.day}`;
    const g = groups.get(key) ?? { layout: c.layout, regexes: [] };
    g.regexes.push(c.regex);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => ({ layout: g.layout, shape: `^(?:${g.regexes.join("|")})$` }));
}

/**
 * SELECT-list items, one list per stage (each stage selects `*` plus its items from the previous
 * one), that type each raw date field into an INT day number `__<field>_days`; temporary `__d_*`
 * columns are listed in `temp`. Staging keeps each SQL expression small and readable.
 */
export function dateSqlStages(
  fields: readonly string[],
  formats: readonly string[],
  profile: { trim(field: string): boolean; uses(field: string, group: number): boolean },
): { stages: string[][]; temp: string[] } {
  const groups = dateShapes(formats);
  const stages: string[][] = [[], [], [], [], []];
  const temp: string[] = [];
  const add = (stage: number, name: string, sql: string): void => {
    stages[stage]?.push(`${sql} AS ${name}`);
    temp.push(name);
  };
  for (const field of fields) {
    const s = profile.trim(field) ? `TRIM(${field})` : field;
    // Groups no value of this field has the shape of are skipped (the profile pass checked).
    const used = groups.flatMap((g, gi) => (profile.uses(field, gi) ? [{ g, gi }] : []));
    used.forEach(({ g, gi }) => {
      const p = `__d_${field}_${gi}_`;
      const part = (offset: number, width: number) =>
        `TRY_CAST(SUBSTR(${s}, ${offset + 1}, ${width}) AS DOUBLE)`;
      add(0, `${p}ok`, `COALESCE(REGEXP_LIKE(${s}, '${g.shape}'), FALSE)`);
      add(0, `${p}y`, part(g.layout.year, 4));
      add(0, `${p}m`, part(g.layout.month, 2));
      add(0, `${p}d`, part(g.layout.day, 2));
      const [y, m, d] = [`${p}y`, `${p}m`, `${p}d`];
      const leap = `(${y} % 4 = 0 AND (${y} % 100 <> 0 OR ${y} % 400 = 0))`;
      const dim = `CASE WHEN ${m} = 2 THEN CASE WHEN ${leap} THEN 29 ELSE 28 END WHEN ${m} IN (4, 6, 9, 11) THEN 30 ELSE 31 END`;
      add(1, `${p}valid`, `(${p}ok AND ${m} >= 1 AND ${m} <= 12 AND ${d} >= 1 AND ${d} <= ${dim})`);
      add(1, `${p}yy`, `(${y} - CASE WHEN ${m} <= 2 THEN 1 ELSE 0 END)`);
      add(1, `${p}doy`, `(FLOOR((153 * ((${m} + 9) % 12) + 2) / 5) + ${d} - 1)`);
      add(2, `${p}era`, `FLOOR(${p}yy / 400)`);
      const yoe = `(${p}yy - ${p}era * 400)`;
      const doe = `(${yoe} * 365 + FLOOR(${yoe} / 4) - FLOOR(${yoe} / 100) + ${p}doy)`;
      add(3, `${p}days`, `CASE WHEN ${p}valid THEN ${p}era * 146097 + ${doe} - 719468 END`);
    });
    const pick = used.map(({ gi }) => `WHEN __d_${field}_${gi}_ok THEN __d_${field}_${gi}_days`).join(" ");
    stages[4]?.push(
      used.length > 0
        ? `CAST(CASE ${pick} END AS INT) AS __${field}_days`
        : `CAST(NULL AS INT) AS __${field}_days`,
    );
  }
  return { stages: stages.filter((st) => st.length > 0), temp };
}

import pl from "nodejs-polars";
import { StrataError } from "../../../engine/errors.ts";

/**
 * Date typing without strptime. polars' strptime (nodejs-polars 0.25.2) reads `31/02/2013` as
 * 2013-02-01 and `31-07-2012` via `%Y-%m-%d` as year 31: silent guesses the rules forbid. So each
 * accepted format is compiled to a fixed-width layout (%d and %m two digits, %Y four: the source
 * zero-pads), checked by an anchored regex, sliced into integers, range-checked (month 1..12, day
 * within the month, leap years included) and turned into days since 1970 with integer calendar
 * arithmetic (Hinnant's days_from_civil). Formats with the same layout share the arithmetic.
 */

interface Layout {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

interface CompiledFormat {
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
      regex += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
      pos += 1;
      continue;
    }
    const spec = format[++i];
    if ((spec !== "d" && spec !== "m" && spec !== "Y") || at[spec] !== undefined) {
      throw new StrataError(
        "STRATA_ERR_INVALID_OPTION",
        `Date format ${JSON.stringify(format)}: only %d, %m and %Y, each once, are supported (got %${spec ?? ""}).`,
        { format },
      );
    }
    at[spec] = pos;
    const width = spec === "Y" ? 4 : 2;
    regex += `\\d{${width}}`;
    pos += width;
  }
  if (at.d === undefined || at.m === undefined || at.Y === undefined) {
    throw new StrataError(
      "STRATA_ERR_INVALID_OPTION",
      `Date format ${JSON.stringify(format)} needs %d, %m and %Y.`,
      {
        format,
      },
    );
  }
  return { regex, layout: { year: at.Y, month: at.m, day: at.d } };
}

const num = (s: pl.Expr, offset: number, width: number): pl.Expr =>
  s.str.slice(offset, width).cast(pl.Float64, false);

function groupFormats(formats: readonly string[]): Array<{ layout: Layout; shape: string }> {
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
 * `withColumns` batches that type each raw date field into `__<field>` (Date). The arithmetic is
 * staged through temporary `__d_*` columns: written as one nested expression, every shared
 * sub-expression is copied into the tree and polars spends more time planning than computing.
 * Returns the batches and the temporary columns to drop afterwards.
 */
export function dateStages(
  fields: readonly string[],
  formats: readonly string[],
): { stages: pl.Expr[][]; temp: string[] } {
  const groups = groupFormats(formats);
  const stages: pl.Expr[][] = [[], [], [], [], [], []];
  const temp: string[] = [];
  const c = (name: string): pl.Expr => pl.col(name);
  const add = (stage: number, name: string, e: pl.Expr): void => {
    stages[stage]?.push(e.alias(name));
    temp.push(name);
  };
  for (const field of fields) {
    const s = pl.col(field).str.strip();
    groups.forEach((g, gi) => {
      const p = `__d_${field}_${gi}_`;
      add(0, `${p}ok`, s.str.contains(g.shape));
      add(0, `${p}y`, num(s, g.layout.year, 4));
      add(0, `${p}m`, num(s, g.layout.month, 2));
      add(0, `${p}d`, num(s, g.layout.day, 2));
      const [y, m, d] = [c(`${p}y`), c(`${p}m`), c(`${p}d`)];
      const leap = y
        .rem(4)
        .eq(0)
        .and(y.rem(100).neq(0).or(y.rem(400).eq(0)));
      const dim = pl
        .when(m.eq(2))
        .then(pl.when(leap).then(pl.lit(29)).otherwise(pl.lit(28)))
        .when(m.isIn([4, 6, 9, 11]))
        .then(pl.lit(30))
        .otherwise(pl.lit(31));
      add(1, `${p}valid`, c(`${p}ok`).and(m.gtEq(1)).and(m.ltEq(12)).and(d.gtEq(1)).and(d.ltEq(dim)));
      // Hinnant's days_from_civil; every operand is an exact integer in float64.
      add(1, `${p}yy`, y.sub(pl.when(m.ltEq(2)).then(pl.lit(1)).otherwise(pl.lit(0))));
      add(1, `${p}doy`, m.add(9).rem(12).mul(153).add(2).div(5).floor().add(d).sub(1));
      add(2, `${p}era`, c(`${p}yy`).div(400).floor());
      add(3, `${p}yoe`, c(`${p}yy`).sub(c(`${p}era`).mul(400)));
      const yoe = c(`${p}yoe`);
      const doe = yoe
        .mul(365)
        .add(yoe.div(4).floor())
        .sub(yoe.div(100).floor())
        .add(c(`${p}doy`));
      add(
        4,
        `${p}days`,
        pl
          .when(c(`${p}valid`))
          .then(c(`${p}era`).mul(146097).add(doe).sub(719468))
          .otherwise(pl.lit(null).cast(pl.Float64)),
      );
    });
    let chain: pl.Expr = pl.lit(null).cast(pl.Float64);
    for (let gi = groups.length - 1; gi >= 0; gi--) {
      chain = pl
        .when(c(`__d_${field}_${gi}_ok`))
        .then(c(`__d_${field}_${gi}_days`))
        .otherwise(chain);
    }
    stages[5]?.push(chain.cast(pl.Int32).cast(pl.Date).alias(`__${field}`));
  }
  return { stages: stages.filter((st) => st.length > 0), temp };
}

/** A raw date string → Date, or NULL when blank, of another shape, or not a real calendar day. */
export function parseDates(frame: pl.DataFrame, field: string, formats: readonly string[]): pl.Series {
  const { stages } = dateStages([field], formats);
  let lf = frame.lazy();
  for (const st of stages) lf = lf.withColumns(...st);
  return (
    lf
      .select(pl.col(`__${field}`).alias(field))
      .collectSync()
      .getColumns()[0] ?? pl.Series(field, [], pl.Date)
  );
}

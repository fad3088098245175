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

/** Days since 1970-01-01 of (y, m, d), valid for positive years; all operands are exact in float64. */
function daysFromCivil(y: pl.Expr, m: pl.Expr, d: pl.Expr): pl.Expr {
  const yy = y.sub(pl.when(m.ltEq(2)).then(pl.lit(1)).otherwise(pl.lit(0)));
  const era = yy.div(400).floor();
  const yoe = yy.sub(era.mul(400));
  const mp = m.add(9).rem(12);
  const doy = mp.mul(153).add(2).div(5).floor().add(d).sub(1);
  const doe = yoe.mul(365).add(yoe.div(4).floor()).sub(yoe.div(100).floor()).add(doy);
  return era.mul(146097).add(doe).sub(719468);
}

function daysInMonth(y: pl.Expr, m: pl.Expr): pl.Expr {
  const leap = y
    .rem(4)
    .eq(0)
    .and(y.rem(100).neq(0).or(y.rem(400).eq(0)));
  return pl
    .when(m.eq(2))
    .then(pl.when(leap).then(pl.lit(29)).otherwise(pl.lit(28)))
    .when(m.isIn([4, 6, 9, 11]))
    .then(pl.lit(30))
    .otherwise(pl.lit(31));
}

function fromLayout(s: pl.Expr, layout: Layout): pl.Expr {
  const y = num(s, layout.year, 4);
  const m = num(s, layout.month, 2);
  const d = num(s, layout.day, 2);
  const valid = m
    .gtEq(1)
    .and(m.ltEq(12))
    .and(d.gtEq(1))
    .and(d.ltEq(daysInMonth(y, m)));
  return pl
    .when(valid)
    .then(daysFromCivil(y, m, d))
    .otherwise(pl.lit(null).cast(pl.Float64));
}

/** A raw date string → Date, or NULL when blank, of another shape, or not a real calendar day. */
export function parseDateExpr(raw: pl.Expr, formats: readonly string[]): pl.Expr {
  const s = raw.str.strip();
  const groups = new Map<string, { layout: Layout; regexes: string[] }>();
  for (const f of formats) {
    const c = compileDateFormat(f);
    const key = `${c.layout.year}/${c.layout.month}/${c.layout.day}`;
    const g = groups.get(key) ?? { layout: c.layout, regexes: [] };
    g.regexes.push(c.regex);
    groups.set(key, g);
  }
  let chain: pl.Expr = pl.lit(null).cast(pl.Float64);
  for (const g of [...groups.values()].reverse()) {
    const shape = `^(?:${g.regexes.join("|")})$`;
    chain = pl.when(s.str.contains(shape)).then(fromLayout(s, g.layout)).otherwise(chain);
  }
  return chain.cast(pl.Int32).cast(pl.Date);
}

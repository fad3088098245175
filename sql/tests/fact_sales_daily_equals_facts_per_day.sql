{{ config(severity='error', model='fact_sales_daily', description='Per day, the daily table sums to exactly the facts (lines, units, net, profit).') }}
WITH facts AS (
  SELECT order_date_key AS date_key, COUNT(*) AS lines, SUM(quantity) AS units, SUM(net_amount) AS net, SUM(profit) AS profit
  FROM {{ ref('fact_sales') }}
  GROUP BY order_date_key
),
daily AS (
  SELECT date_key, SUM(line_count) AS lines, SUM(total_quantity) AS units, SUM(net_amount) AS net, SUM(profit) AS profit
  FROM {{ ref('fact_sales_daily') }}
  GROUP BY date_key
)
SELECT COALESCE(f.date_key, d.date_key) AS date_key, f.lines AS fact_lines, d.lines AS daily_lines, f.net AS fact_net, d.net AS daily_net
FROM facts AS f
FULL OUTER JOIN daily AS d ON d.date_key = f.date_key
WHERE f.date_key IS NULL OR d.date_key IS NULL
  OR f.lines <> d.lines OR f.units <> d.units
  OR ABS(f.net - d.net) > 0.01 OR ABS(f.profit - d.profit) > 0.01

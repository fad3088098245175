{{ config(severity='error', model='fact_sales_daily', description='Over all days, daily net sales and discount equal the fact totals.') }}
SELECT f.net AS fact_net, d.net AS daily_net, f.discount AS fact_discount, d.discount AS daily_discount
FROM (SELECT SUM(net_amount) AS net, SUM(discount_amount) AS discount FROM {{ ref('fact_sales') }}) AS f
CROSS JOIN (SELECT SUM(net_amount) AS net, SUM(discount_amount) AS discount FROM {{ ref('fact_sales_daily') }}) AS d
WHERE ABS(f.net - d.net) > 0.01 OR ABS(f.discount - d.discount) > 0.01

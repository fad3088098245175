{{ config(severity='error', description='fact_sales holds at least 99% of the staged sales lines.') }}
SELECT staged.n AS staged_lines, facts.n AS fact_lines
FROM (SELECT COUNT(*) AS n FROM {{ ref('stg_sales') }}) AS staged
CROSS JOIN (SELECT COUNT(*) AS n FROM {{ ref('fact_sales') }}) AS facts
WHERE facts.n < 0.99 * staged.n

{{ config(severity='error', description='Calendar facts checked on known days: weekday names, ISO weeks across year ends, fiscal years from February.') }}
WITH expected AS (
  SELECT 20240101 AS date_key, 'Monday' AS day_name, 1 AS iso_week, 2024 AS iso_year, 2023 AS fiscal_year, 12 AS fiscal_month
  UNION ALL SELECT 20160101, 'Friday', 53, 2015, 2015, 12
  UNION ALL SELECT 20141229, 'Monday', 1, 2015, 2014, 11
  UNION ALL SELECT 20140201, 'Saturday', 5, 2014, 2014, 1
  UNION ALL SELECT 20140131, 'Friday', 5, 2014, 2013, 12
  UNION ALL SELECT 20200229, 'Saturday', 9, 2020, 2020, 1
)
SELECT e.date_key, d.day_name, d.iso_week, d.iso_year, d.fiscal_year, d.fiscal_month
FROM expected AS e
LEFT JOIN {{ ref('dim_date') }} AS d ON d.date_key = e.date_key
WHERE d.date_key IS NULL OR d.day_name <> e.day_name OR d.iso_week <> e.iso_week OR d.iso_year <> e.iso_year
  OR d.fiscal_year <> e.fiscal_year OR d.fiscal_month <> e.fiscal_month

-- dp_percentile and dp_median, row-level. The exponential mechanism picks
-- a bucket within 2 ln(2048 / alpha) / epsilon ranks of the target with
-- probability 1 - alpha: at epsilon 10 and alpha 1e-12, within 7 ranks.
-- Tolerances are in values: rank error over 1000 rows plus one bucket.
SET client_min_messages = warning;
SELECT ciam_privacy.set_budget(current_user::regrole, 100000);
CREATE TABLE percentile_data AS
    SELECT g AS id, (g % 1000)::int AS v, (g % 1000)::numeric AS num, (g % 1000)::bigint AS i8
    FROM generate_series(1, 10000) g;

SELECT abs(ciam_privacy.dp_median(v, 0, 1000, 10) - 500) < 5 AS median,
       abs(ciam_privacy.dp_percentile(v, 0.1, 0, 1000, 10) - 100) < 5 AS p10,
       abs(ciam_privacy.dp_percentile(num, 0.9, 0, 1000, 10) - 900) < 5 AS p90,
       abs(ciam_privacy.dp_percentile(i8, 0, 0, 1000, 10) - 0) < 5 AS p0,
       abs(ciam_privacy.dp_percentile(v, 1, 0, 1000, 10) - 1000) < 5 AS p100
FROM percentile_data;
-- results are bucket centers: lower + (i + 0.5) (upper - lower) / 2048
SELECT ((ciam_privacy.dp_median(v, 0, 2048, 1) - 0.5) * 1000)::bigint % 1000 = 0 AS bucket_center
FROM percentile_data;
-- values are clamped, NULL and NaN skipped; empty input gives a value in bounds
SELECT ciam_privacy.dp_median(x, 0, 10, 10) > 9.9 AS clamped
FROM (SELECT CASE g % 4 WHEN 0 THEN 100 WHEN 1 THEN 200 WHEN 2 THEN 'NaN'::float8 END
      FROM generate_series(1, 1000) g) v(x);
SELECT ciam_privacy.dp_median(v, 0, 100, 1) BETWEEN 0 AND 100 AS empty_in_bounds
FROM percentile_data WHERE id < 0;
-- equal bounds give the bound
SELECT ciam_privacy.dp_median(v, 7, 7, 1) AS equal_bounds FROM percentile_data;
-- grouped, hashed or sorted
SELECT v % 2 AS k, abs(ciam_privacy.dp_median(v, 0, 1000, 10) - 500) < 6 AS ok
FROM percentile_data GROUP BY v % 2 ORDER BY 1;

-- errors
SELECT ciam_privacy.dp_percentile(v, 1.5, 0, 1000, 1) FROM percentile_data;
SELECT ciam_privacy.dp_percentile(v, 'NaN', 0, 1000, 1) FROM percentile_data;
SELECT ciam_privacy.dp_median(v::text, 0, 1000, 1) FROM percentile_data;

DELETE FROM ciam_privacy.budget WHERE role = current_user::regrole;
DROP TABLE percentile_data;

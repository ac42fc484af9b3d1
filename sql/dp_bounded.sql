-- dp_sum, dp_avg, dp_variance and dp_stddev, row-level forms, over every
-- accepted type. Random results are checked as booleans against stated
-- tolerances: each is at least 40 times the noise scale, so a correct
-- mechanism fails one with probability below 1e-16.
SET client_min_messages = warning;
SELECT ciam_privacy.set_budget(current_user::regrole, 100000, 0.01);
CREATE TABLE bounded_data AS
    SELECT g AS id, (g % 100)::smallint AS i2, (g % 100)::int AS i4, (g % 100)::bigint AS i8,
           (g % 100)::real AS f4, (g % 100)::float8 AS f8, (g % 100)::numeric AS num
    FROM generate_series(1, 1000) g;

-- True sum 49500, mean 49.5, population variance 833.25, deviation 28.866.
-- dp_sum at epsilon 10: Laplace scale 10, tolerance 400.
SELECT abs(ciam_privacy.dp_sum(i2, 0, 100, 10) - 49500) < 400 AS i2,
       abs(ciam_privacy.dp_sum(i4, 0, 100, 10) - 49500) < 400 AS i4,
       abs(ciam_privacy.dp_sum(i8, 0, 100, 10) - 49500) < 400 AS i8,
       abs(ciam_privacy.dp_sum(f4, 0, 100, 10) - 49500) < 400 AS f4,
       abs(ciam_privacy.dp_sum(f8, 0, 100, 10) - 49500) < 400 AS f8,
       abs(ciam_privacy.dp_sum(num, 0, 100, 10) - 49500) < 400 AS num
FROM bounded_data;
-- mean: sum noise of scale 20 over 1000 rows, tolerance 1
SELECT abs(ciam_privacy.dp_avg(i2, 0, 100, 10) - 49.5) < 1 AS i2,
       abs(ciam_privacy.dp_avg(i8, 0, 100, 10) - 49.5) < 1 AS i8,
       abs(ciam_privacy.dp_avg(num, 0, 100, 10) - 49.5) < 1 AS num,
       abs(ciam_privacy.dp_avg(f4, 0, 100, 10) - 49.5) < 1 AS f4
FROM bounded_data;
-- variance: the sum of squares has scale 750 (in squared values) over 1000 rows
SELECT abs(ciam_privacy.dp_variance(i4, 0, 100, 10) - 833.25) < 40 AS variance,
       abs(ciam_privacy.dp_stddev(f8, 0, 100, 10) - 28.866) < 1 AS stddev,
       abs(ciam_privacy.dp_variance(num, 0, 100, 10) - 833.25) < 40 AS variance_numeric
FROM bounded_data;
-- the Gaussian forms: sigma of the sum below 100, tolerance 5000
SELECT abs(ciam_privacy.dp_sum(i4, 0, 100, 10, 1e-6) - 49500) < 5000 AS sum_gauss,
       abs(ciam_privacy.dp_avg(i4, 0, 100, 10, 1e-6) - 49.5) < 5 AS avg_gauss,
       abs(ciam_privacy.dp_stddev(i4, 0, 100, 10, 1e-6) - 28.866) < 5 AS stddev_gauss
FROM bounded_data;
-- the Gaussian forms charge delta
SELECT delta_spent FROM ciam_privacy.budget_status();

-- values are clamped: everything above the bound counts as the bound
SELECT abs(ciam_privacy.dp_sum(i4, 0, 10, 10) - 9450) < 40 AS clamped_sum,
       abs(ciam_privacy.dp_avg(i4, 50, 60, 10) - 54.45) < 0.5 AS clamped_mean
FROM bounded_data;

-- int64 limits: sums are exact in 128 bits, so nothing wraps around.
-- 100000 values of INT64_MAX sum to 9.223e23; noise scale 9.3e17.
SELECT abs(ciam_privacy.dp_sum(x, 0, 9.3e18, 10) / 9.223372036854775807e23 - 1) < 1e-3 AS sum_max,
       abs(ciam_privacy.dp_avg(x, 0, 9.3e18, 10) / 9.223372036854775807e18 - 1) < 1e-3 AS avg_max
FROM (SELECT 9223372036854775807::bigint FROM generate_series(1, 100000)) v(x);
-- INT64_MIN and mixed signs: the true sum is -50000 and the mean about 0
SELECT abs(ciam_privacy.dp_sum(x, -9.3e18, 9.3e18, 10)) < 4e19 AS sum_mixed,
       abs(ciam_privacy.dp_avg(x, -9.3e18, 9.3e18, 10)) < 1e16 AS avg_mixed,
       ciam_privacy.dp_variance(x, -9.3e18, 9.3e18, 10) BETWEEN 0 AND 9.3e18 ^ 2 AS variance_finite
FROM (SELECT CASE WHEN g % 2 = 0 THEN 9223372036854775807 ELSE '-9223372036854775808'::bigint END
      FROM generate_series(1, 100000) g) v(x);
SELECT abs(ciam_privacy.dp_avg(x, -9.3e18, 0, 10) / -9.223372036854775808e18 - 1) < 1e-3 AS avg_min
FROM (SELECT '-9223372036854775808'::bigint FROM generate_series(1, 100000)) v(x);
-- numeric beyond the double range clamps; NaN and NULL are skipped
-- (500 values count, of 100 after clamping: noise scale 0.02 on the mean)
SELECT abs(ciam_privacy.dp_avg(x, 0, 100, 10) - 100) < 1 AS huge_clamped
FROM (SELECT CASE g % 4 WHEN 0 THEN 1e400::numeric WHEN 1 THEN 'NaN'::numeric
                        WHEN 2 THEN NULL ELSE 100 END
      FROM generate_series(1, 1000) g) v(x);

-- equal bounds still draw noise: 20 runs of a sum of ten fives differ
SELECT count(DISTINCT s) > 1 AS noisy FROM (
    SELECT (SELECT ciam_privacy.dp_sum(5, 5, 5, 1) FROM bounded_data WHERE id <= 10 AND i > 0) AS s
    FROM generate_series(1, 20) i
) r;
SELECT count(DISTINCT s) > 1 AS noisy_zero FROM (
    SELECT (SELECT ciam_privacy.dp_sum(0, 0, 0, 1) FROM bounded_data WHERE id <= 10 AND i > 0) AS s
    FROM generate_series(1, 20) i
) r;

-- empty input: a noisy value, never NULL; the mean stays within the bounds
SELECT ciam_privacy.dp_sum(i4, 0, 100, 1) IS NOT NULL AS sum_empty,
       ciam_privacy.dp_avg(i4, 0, 100, 1) BETWEEN 0 AND 100 AS avg_empty,
       ciam_privacy.dp_variance(i4, 0, 100, 1) BETWEEN 0 AND 2500 AS variance_empty
FROM bounded_data WHERE id < 0;

-- the sum is a multiple of its grid step, a power of two fixed by the bounds:
-- here 2^-23 for bounds of magnitude up to 128
SELECT (ciam_privacy.dp_sum(f8 / 7, 0, 100, 1) * 8388608) = round(ciam_privacy.dp_sum(f8 / 7, 0, 100, 1) * 8388608) AS on_grid
FROM bounded_data;

-- errors, raised before any row is read
SELECT ciam_privacy.dp_sum(id::text, 0, 100, 1) FROM bounded_data;
SELECT ciam_privacy.dp_sum(i4, 100, 0, 1) FROM bounded_data;
SELECT ciam_privacy.dp_sum(i4, 0, 'infinity', 1) FROM bounded_data;
SELECT ciam_privacy.dp_sum(i4, 0, 100, 1, 0) FROM bounded_data;
SELECT ciam_privacy.dp_sum(i4, 0, 100, 1, 0.5) FROM bounded_data;

DELETE FROM ciam_privacy.budget WHERE role = current_user::regrole;
DROP TABLE bounded_data;

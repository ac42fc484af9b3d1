-- Confidence intervals from public parameters. The fixed values are
-- computed by hand in the comments; coverage is checked on 300 draws:
-- each interval must hold at least 255 times (true rate at least 0.95, so
-- a correct interval fails with probability below 1e-7).
SET client_min_messages = warning;
SELECT ciam_privacy.set_budget(current_user::regrole, 100000, 0.01);
CREATE TABLE interval_data AS SELECT g % 100 AS v, g % 250 AS unit FROM generate_series(1, 1000) g;

-- Laplace, epsilon 1, sensitivity 1: P(|Z| > t) = 2 e^-(t+1) / (1 + e^-1) <= 0.05 at t = 3
SELECT * FROM ciam_privacy.dp_count_interval(1000, 1.0, 0.05);
-- per unit, 5 rows and 2 groups: scale 10, t = 30
SELECT * FROM ciam_privacy.dp_count_interval(1000, 1.0, 0.05, NULL, 5, 2);
-- sums: scale 100 for bounds [0, 100]
SELECT round(low::numeric, 3) AS low, round(high::numeric, 3) AS high
FROM ciam_privacy.dp_sum_interval(49500, 0, 100, 1.0, 0.05);
SELECT ciam_privacy.dp_percentile_rank_error(1.0, 0.05) BETWEEN 21 AND 22 AS rank_error,
       ciam_privacy.dp_select_units_threshold(1.0, 1e-6) AS threshold;
-- a mean needs a lower bound on the count; too small a bound gives the bounds
SELECT * FROM ciam_privacy.dp_avg_interval(50, 0, 100, 1.0, 0.05, 2);

-- coverage: 300 draws of each release, each with its interval
CREATE TABLE interval_draws AS
SELECT i,
       (SELECT ciam_privacy.dp_count(v, 1.0) FROM interval_data WHERE i > 0) AS count_laplace,
       (SELECT ciam_privacy.dp_count(v, 1.0, 1e-5) FROM interval_data WHERE i > 0) AS count_gauss,
       (SELECT ciam_privacy.dp_sum(v, 0, 100, 1.0) FROM interval_data WHERE i > 0) AS sum_laplace,
       (SELECT ciam_privacy.dp_count_units(unit, 1, 0.5) FROM interval_data WHERE i > 0) AS units,
       (SELECT ciam_privacy.dp_avg(v, 0, 100, 0.1) FROM interval_data WHERE i > 0) AS mean,
       (SELECT ciam_privacy.dp_variance(v, 0, 100, 1.0) FROM interval_data WHERE i > 0) AS variance,
       (SELECT ciam_privacy.dp_stddev(v, 0, 100, 1.0, 1e-6) FROM interval_data WHERE i > 0) AS stddev
FROM generate_series(1, 300) i;
SELECT count(*) FILTER (WHERE 1000 BETWEEN c.low AND c.high) >= 255 AS count_laplace,
       count(*) FILTER (WHERE 1000 BETWEEN g.low AND g.high) >= 255 AS count_gauss,
       count(*) FILTER (WHERE 49500 BETWEEN s.low AND s.high) >= 255 AS sum_laplace,
       count(*) FILTER (WHERE 250 BETWEEN u.low AND u.high) >= 255 AS units,
       count(*) FILTER (WHERE 49.5 BETWEEN m.low AND m.high) >= 255 AS mean,
       count(*) FILTER (WHERE 833.25 BETWEEN v.low AND v.high) >= 255 AS variance,
       count(*) FILTER (WHERE 28.866 BETWEEN sd.low AND sd.high) >= 255 AS stddev,
       max(v.high - v.low) < 2500 AS variance_not_trivial
FROM interval_draws d,
     ciam_privacy.dp_count_interval(d.count_laplace, 1.0, 0.05) c,
     ciam_privacy.dp_count_interval(d.count_gauss, 1.0, 0.05, 1e-5) g,
     ciam_privacy.dp_sum_interval(d.sum_laplace, 0, 100, 1.0, 0.05) s,
     ciam_privacy.dp_count_units_interval(d.units, 0.5, 0.05) u,
     ciam_privacy.dp_avg_interval(d.mean, 0, 100, 0.1, 0.05, 900) m,
     ciam_privacy.dp_variance_interval(d.variance, 0, 100, 1.0, 0.05, 900) v,
     ciam_privacy.dp_stddev_interval(d.stddev, 0, 100, 1.0, 0.05, 900, 1e-6) sd;
-- and they are not trivially wide; a count interval never goes below 0
SELECT * FROM ciam_privacy.dp_count_interval(0, 1.0, 0.05);

-- errors
SELECT * FROM ciam_privacy.dp_count_interval(10, 1.0, 0.5);
SELECT * FROM ciam_privacy.dp_count_interval(10, 0, 0.05);
SELECT * FROM ciam_privacy.dp_sum_interval(10, 5, 1, 1.0, 0.05);

DELETE FROM ciam_privacy.budget WHERE role = current_user::regrole;
DROP TABLE interval_data, interval_draws;

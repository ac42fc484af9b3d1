-- Bounds as wide as 1e300 are accepted, but the variance of values within
-- them can pass the largest double: (upper - lower)^2 / 4. Released values
-- must stay finite whatever the noise.
SET client_min_messages = warning;
SELECT ciam_privacy.set_budget(current_user::regrole, 1000, 0.01);
CREATE TABLE attack_wide AS
    SELECT g % 40 AS k, g::float8 AS x FROM generate_series(1, 4000) g;
-- 40 groups: before the fix about half of them were Infinity
SELECT bool_and(v < 'Infinity' AND v >= 0) AS variance_finite,
       bool_and(s < 'Infinity' AND s >= 0) AS stddev_finite,
       bool_and(s <= 5e199) AS stddev_within_half_width
FROM (
    SELECT k, ciam_privacy.dp_variance(x, 0, 1e200, 10) AS v,
           ciam_privacy.dp_stddev(x, 0, 1e200, 10) AS s
    FROM attack_wide GROUP BY k
) r;
SELECT bool_and(v < 'Infinity' AND v >= 0) AS variance_finite,
       bool_and(s < 'Infinity' AND s >= 0) AS stddev_finite
FROM (
    SELECT k, ciam_privacy.dp_variance(k, x, -1e300, 1e300, 2, 1, 10) AS v,
           ciam_privacy.dp_stddev(k, x, -1e300, 1e300, 2, 1, 10, 1e-6) AS s
    FROM attack_wide GROUP BY k
) r;
DROP TABLE attack_wide;
SELECT ciam_privacy.reset_spending(current_user::regrole);

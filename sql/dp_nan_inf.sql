-- NaN and infinite values never make an output NaN or infinite and never
-- raise an error: infinities clamp to the bounds and NaN counts as missing.
SET client_min_messages = warning;
CREATE TABLE odd_values (x float8);
INSERT INTO odd_values VALUES ('NaN'), ('infinity'), ('-infinity'), (1e308), (-1e308), (50);
SELECT ciam_privacy.set_budget(current_user::regrole, 100);

SELECT ciam_privacy.dp_avg(x, 0, 100, 1) AS mean INTO TEMP avg_result FROM odd_values;
SELECT mean <> 'NaN'::float8 AS not_nan, mean BETWEEN 0 AND 100 AS within_bounds FROM avg_result;

-- only NaN and infinities
DELETE FROM odd_values WHERE x = 50 OR abs(x) = 1e308;
SELECT ciam_privacy.dp_avg(x, -1, 1, 1) BETWEEN -1 AND 1 AS within_bounds FROM odd_values;
SELECT ciam_privacy.dp_count(x, 1) >= 0 AS counted FROM odd_values;

-- the largest bounds allowed
SELECT ciam_privacy.dp_avg(x, -1e300, 1e300, 1) BETWEEN -1e300 AND 1e300 AS within_bounds
FROM odd_values;

-- many large values cannot overflow the exact sum: 2,000,000 values at the
-- upper bound give a mean at the upper bound (within noise of the grid)
SELECT ciam_privacy.dp_avg(1e300::float8, 0, 1e300, 1) > 0.99e300 AS near_upper
FROM generate_series(1, 2000000);

DELETE FROM ciam_privacy.budget WHERE role = current_user::regrole;
DROP TABLE odd_values;

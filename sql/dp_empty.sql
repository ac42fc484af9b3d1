-- Empty input: a noisy value, never NULL, charged like any other input.
SET client_min_messages = warning;
CREATE TABLE empty_data (x float8, k int);
SELECT ciam_privacy.set_budget(current_user::regrole, 100);

SELECT ciam_privacy.dp_count(1) IS NOT NULL AS not_null,
       ciam_privacy.dp_count(1) >= 0 AS non_negative
FROM empty_data;
SELECT ciam_privacy.dp_count(x, 1) IS NOT NULL AS not_null FROM empty_data;
SELECT ciam_privacy.dp_avg(x, 17, 90, 1) BETWEEN 17 AND 90 AS within_bounds FROM empty_data;
-- rows exist, but every value is NULL: the same as no value
INSERT INTO empty_data SELECT NULL, g FROM generate_series(1, 10) g;
SELECT ciam_privacy.dp_avg(x, 17, 90, 1) BETWEEN 17 AND 90 AS within_bounds FROM empty_data;
-- four queries of epsilon 1 so far: the two dp_count(1) calls of the first
-- query are the same aggregate, computed once and charged once
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- GROUP BY on no rows releases no group but is charged all the same
DELETE FROM empty_data;
SELECT k, ciam_privacy.dp_count(0.5) FROM empty_data GROUP BY k;
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- bounds equal to each other: the mean is that value
INSERT INTO empty_data VALUES (5, 1), (7, 1);
SELECT ciam_privacy.dp_avg(x, 3, 3, 1) AS mean FROM empty_data;

DELETE FROM ciam_privacy.budget WHERE role = current_user::regrole;
DROP TABLE empty_data;

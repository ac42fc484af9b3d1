-- Noise draws beyond 2^61 are redrawn, so the noise law is cut there.
-- That is negligible only when the scale is far below the cut: at the old
-- limit of 1e17 grid units the cut lay 23 scales out, so a release was
-- epsilon-DP only up to a delta near e^-23 (1e-10). Scales above 4e15
-- (a cut within 576 scales) are now rejected before any charge.
SET client_min_messages = warning;
SELECT ciam_privacy.set_budget(current_user::regrole, 1000, 0.01);
SELECT ciam_privacy.reset_spending(current_user::regrole);
CREATE TABLE attack_cap AS SELECT g % 7 AS u, g::float8 AS x FROM generate_series(1, 100) g;
-- Laplace scale 1.024e9 (grid units per row) * 10 rows * 5 groups / 1e-6 = 5.1e16
SELECT ciam_privacy.dp_sum(u, x, 0, 1e6, 10, 5, 1e-6) IS NOT NULL AS released FROM attack_cap;
-- Gaussian sigma near 8.5e16 grid units
SELECT ciam_privacy.dp_sum(u, x, 0, 1e6, 10, 1, 1e-6, 1e-15) IS NOT NULL AS released FROM attack_cap;
-- nothing was charged
SELECT epsilon_spent, delta_spent FROM ciam_privacy.budget_status();
-- the row-level forms still accept epsilon 1e-6: scales 1.024e9 / 1e-6
-- and, for the sum of squares of the variance, 3 * 9.8e8 / 1e-6
SELECT ciam_privacy.dp_sum(x, 0, 1e6, 1e-6) IS NOT NULL AS sum_ok,
       ciam_privacy.dp_variance(x, 0, 1e6, 1e-6) IS NOT NULL AS variance_ok
FROM attack_cap;
DROP TABLE attack_cap;
SELECT ciam_privacy.reset_spending(current_user::regrole);

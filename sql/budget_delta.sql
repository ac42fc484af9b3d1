-- Accounting of delta and zCDP: Gaussian releases charge (epsilon, delta)
-- or rho, and a charge fits only within both limits.
SET client_min_messages = warning;
CREATE ROLE regress_delta_analyst LOGIN;
CREATE TABLE delta_data AS SELECT g AS id FROM generate_series(1, 100) g;
GRANT SELECT ON delta_data TO regress_delta_analyst;
SELECT ciam_privacy.set_budget('regress_delta_analyst', 10, 3e-6);

\c - regress_delta_analyst
SET client_min_messages = warning;
-- approximate accounting: epsilon 1 and delta 1e-6 per release
SELECT ciam_privacy.dp_count(id, 1.0, 1e-6) >= 0 AS ok FROM delta_data;
SELECT epsilon_spent, delta_spent, delta_remaining, rho_spent FROM ciam_privacy.budget_status();
-- two Gaussian releases in one query add their deltas: 2e-6 more fits exactly
SELECT ciam_privacy.dp_count(id, 1.0, 1e-6) >= 0 AS a,
       ciam_privacy.dp_sum(id, 0, 100, 1.0, 1e-6) IS NOT NULL AS b
FROM delta_data;
SELECT epsilon_spent, delta_spent, delta_remaining FROM ciam_privacy.budget_status();
-- no delta left: a Gaussian release is rejected, a Laplace one still fits
SELECT ciam_privacy.dp_count(id, 1.0, 1e-9) FROM delta_data;
SELECT ciam_privacy.dp_count(id, 1.0) >= 0 AS laplace_ok FROM delta_data;
-- zCDP accounting needs delta left to convert rho: rejected too. The
-- accounting is a superuser-only setting, chosen for the role by the owner
\c - postgres
ALTER ROLE regress_delta_analyst SET ciam_privacy.gaussian_accounting = zcdp;
\c - regress_delta_analyst
SET client_min_messages = warning;
SET ciam_privacy.gaussian_accounting = approximate;
SHOW ciam_privacy.gaussian_accounting;
SELECT ciam_privacy.dp_count(id, 1.0, 1e-6) FROM delta_data;
SELECT epsilon_spent, delta_spent, rho_spent FROM ciam_privacy.budget_status();

\c - postgres
SET client_min_messages = warning;
-- a fresh budget with delta left for zCDP
DELETE FROM ciam_privacy.budget WHERE role = 'regress_delta_analyst'::regrole;
SELECT ciam_privacy.set_budget('regress_delta_analyst', 5, 1e-6);

\c - regress_delta_analyst
SET client_min_messages = warning;
-- rho of the analytic Gaussian at epsilon 1, delta 1e-6 is about 0.028;
-- converted at delta 1e-6: 0.028 + 2 sqrt(0.028 ln 1e6) = 1.27
SELECT ciam_privacy.dp_count(id, 1.0, 1e-6) >= 0 AS ok FROM delta_data;
SELECT round(rho_spent::numeric, 3) AS rho, round(epsilon_spent::numeric, 2) AS epsilon,
       delta_spent FROM ciam_privacy.budget_status();
-- zCDP composes by adding rho: four more releases cost rho 0.14 in all,
-- which converts to 0.14 + 2 sqrt(0.14 ln 1e6) = 2.92, not 5 times 1.27
SELECT count(n) AS releases FROM (
    SELECT (SELECT ciam_privacy.dp_count(id, 1.0, 1e-6) FROM delta_data WHERE i > 0) AS n
    FROM generate_series(1, 4) i
) s;
SELECT round(rho_spent::numeric, 3) AS rho, round(epsilon_spent::numeric, 2) AS epsilon
FROM ciam_privacy.budget_status();
-- a Laplace release adds its epsilon to the converted total
SELECT ciam_privacy.dp_count(id, 2.0) >= 0 AS ok FROM delta_data;
SELECT round(epsilon_spent::numeric, 2) AS epsilon, round(epsilon_remaining::numeric, 2) AS remaining
FROM ciam_privacy.budget_status();
-- until the limit: epsilon 0.08 remains, and one more zCDP release does not fit
SELECT ciam_privacy.dp_count(id, 1.0, 1e-6) FROM delta_data;

\c - postgres
SET client_min_messages = warning;
SELECT round(epsilon_spent::numeric, 2) AS epsilon_spent, delta_limit, round(rho_spent::numeric, 3) AS rho_spent
FROM ciam_privacy.budgets WHERE role = 'regress_delta_analyst'::regrole;
DELETE FROM ciam_privacy.budget WHERE role = 'regress_delta_analyst'::regrole;
DROP TABLE delta_data;
DROP ROLE regress_delta_analyst;

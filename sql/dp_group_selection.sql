-- Group selection: a view may group by keys taken from the data when a
-- top-level AND term of its HAVING is dp_select_units(...) IS NOT NULL, so
-- that a group appears only when its noisy number of units passes the
-- threshold. The other mode, public keys, is tested in publish_view_checks.
SET client_min_messages = warning;
CREATE ROLE regress_select_analyst LOGIN;
DO $$
DECLARE
    other name;
BEGIN
    FOR other IN SELECT datname FROM pg_database
                 WHERE datallowconn AND datname <> current_database() LOOP
        EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM PUBLIC', other);
    END LOOP;
END;
$$;
SELECT ciam_privacy.restrict_statistics();
CREATE SCHEMA select_private;
CREATE SCHEMA select_views;
GRANT USAGE ON SCHEMA select_views TO regress_select_analyst;
-- 3 common email domains with 200 customers each, 30 domains of one customer
CREATE TABLE select_private.logins AS
    SELECT c AS customer, 'common' || (c % 3) || '.example' AS domain, l AS login
    FROM generate_series(1, 600) c, generate_series(1, 5) l
    UNION ALL
    SELECT 1000 + c, 'rare' || c || '.example', 1 FROM generate_series(1, 30) c;
SELECT ciam_privacy.set_budget('regress_select_analyst', 100, 1e-3);

CREATE VIEW select_views.logins_per_domain WITH (security_barrier) AS
    SELECT domain,
           ciam_privacy.dp_select_units(customer, 1, 1.0, 1e-6) AS customers,
           ciam_privacy.dp_count(customer, 10, 1, 1.0) AS logins
    FROM select_private.logins
    GROUP BY domain
    HAVING ciam_privacy.dp_select_units(customer, 1, 1.0, 1e-6) IS NOT NULL
    ORDER BY domain;
SELECT ciam_privacy.publish_view('select_views.logins_per_domain', 'regress_select_analyst');

-- without selection, keys from the data are refused
CREATE VIEW select_views.unselected WITH (security_barrier) AS
    SELECT domain, ciam_privacy.dp_count_units(customer, 1, 1.0) AS customers
    FROM select_private.logins GROUP BY domain ORDER BY domain;
SELECT ciam_privacy.publish_view('select_views.unselected', 'regress_select_analyst');
-- a selection under OR does not hide a group
CREATE VIEW select_views.or_selected WITH (security_barrier) AS
    SELECT domain, ciam_privacy.dp_count_units(customer, 1, 1.0) AS customers
    FROM select_private.logins GROUP BY domain
    HAVING ciam_privacy.dp_select_units(customer, 1, 1.0, 1e-6) IS NOT NULL
        OR ciam_privacy.dp_count_units(customer, 1, 1.0) > 0
    ORDER BY domain;
SELECT ciam_privacy.publish_view('select_views.or_selected', 'regress_select_analyst');

\c - regress_select_analyst
SET client_min_messages = warning;
-- the rare domains (one customer each) never pass a threshold that one
-- customer crosses with probability 1e-6; the common ones always do
SELECT domain, customers >= 20 AS above_threshold, abs(logins - 1000) < 100 AS logins_ok
FROM select_views.logins_per_domain;
-- charged once for the selection (epsilon 1, delta 1e-6) and once for the count
SELECT epsilon_spent, delta_spent FROM ciam_privacy.budget_status();

\c - postgres
SET client_min_messages = warning;
DELETE FROM ciam_privacy.published_view;
DELETE FROM ciam_privacy.budget WHERE role = 'regress_select_analyst'::regrole;
DROP SCHEMA select_views CASCADE;
DROP SCHEMA select_private CASCADE;
DROP ROLE regress_select_analyst;
DO $$
DECLARE
    other name;
BEGIN
    FOR other IN SELECT datname FROM pg_database
                 WHERE datallowconn AND datname <> current_database() LOOP
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO PUBLIC', other);
    END LOOP;
END;
$$;

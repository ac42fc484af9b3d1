-- The admin functions with analyst names that need quoting: capitals,
-- a space, a double quote. Each must act on the role it names and on no
-- other, in particular never on an existing analyst whose name is the
-- lower-case form.
SET client_min_messages = warning;
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
CREATE SCHEMA names_private;
CREATE SCHEMA names_public;
CREATE SCHEMA names_views;
CREATE TABLE names_private.customers AS
    SELECT g AS id, (ARRAY['DE', 'FR'])[g % 2 + 1] AS country
    FROM generate_series(1, 100) g;
CREATE TABLE names_public.countries (country text PRIMARY KEY);
INSERT INTO names_public.countries VALUES ('DE'), ('FR');
CREATE VIEW names_views.per_country WITH (security_barrier) AS
    SELECT k.country, ciam_privacy.dp_count(c.id, 0.5) AS customers
    FROM names_public.countries k
    LEFT JOIN names_private.customers c ON c.country = k.country
    GROUP BY k.country
    ORDER BY k.country;

-- an analyst with a lower-case name and a budget of 5
SELECT ciam_privacy.create_analyst('regress_names_lower', 5);
-- a new analyst whose name differs only in case gets its own budget of 50;
-- the lower-case analyst keeps 5
SELECT ciam_privacy.create_analyst('Regress_Names_Lower', 50);
SELECT ciam_privacy.create_analyst('regress names "quoted"', 7);
SELECT role::text, epsilon_limit FROM ciam_privacy.budgets
WHERE role::text ILIKE '%regress_names%' OR role::text LIKE '%regress names%'
ORDER BY role::text COLLATE "C";

-- grant_view, revoke_view and revoke_analyst on such names
GRANT USAGE ON SCHEMA names_public TO "Regress_Names_Lower", "regress names ""quoted""";
GRANT SELECT ON names_public.countries TO "Regress_Names_Lower", "regress names ""quoted""";
SELECT ciam_privacy.grant_view('names_views.per_country', '"Regress_Names_Lower"');
SELECT ciam_privacy.grant_view('names_views.per_country', '"regress names ""quoted"""');
SELECT has_schema_privilege('Regress_Names_Lower', 'names_views', 'USAGE') AS usage_granted,
       has_table_privilege('Regress_Names_Lower', 'names_views.per_country', 'SELECT') AS select_granted;
SELECT ciam_privacy.revoke_view('names_views.per_country', '"regress names ""quoted"""');
SELECT has_table_privilege('regress names "quoted"', 'names_views.per_country', 'SELECT') AS select_granted;
SELECT ciam_privacy.revoke_analyst('"Regress_Names_Lower"');
SELECT rolcanlogin FROM pg_roles WHERE rolname = 'Regress_Names_Lower';
SELECT has_table_privilege('Regress_Names_Lower', 'names_views.per_country', 'SELECT') AS select_granted;
SELECT ciam_privacy.revoke_analyst('"regress names ""quoted"""');
SELECT role::text, epsilon_limit FROM ciam_privacy.budgets
WHERE role::text ILIKE '%regress_names%' OR role::text LIKE '%regress names%'
ORDER BY role::text COLLATE "C";
-- the ledger names each role's own limit changes
SELECT role_name, event, epsilon FROM ciam_privacy.ledger_entries
WHERE role_name ILIKE '%regress_names%' OR role_name LIKE '%regress names%'
ORDER BY recorded_at;

DELETE FROM ciam_privacy.budget
WHERE role::text ILIKE '%regress_names%' OR role::text LIKE '%regress names%';
DROP SCHEMA names_views, names_public, names_private CASCADE;
DROP ROLE "regress_names_lower";
DROP ROLE "Regress_Names_Lower";
DROP ROLE "regress names ""quoted""";
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

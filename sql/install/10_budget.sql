------------------------------------------------------------------------
-- Privacy budget
------------------------------------------------------------------------

-- One row per role. Epsilon and rho are stored in units of 1e-9, delta in
-- units of 1e-18, so that charges add up exactly. epsilon_spent_nanos and
-- delta_spent_attos sum the pure and approximate charges, rho_spent_nanos
-- the zCDP charges. src/budget.c and docs/dp.md describe how they compose.
-- Rows are changed only by the extension's C code, in place, so every
-- column is a fixed-width NOT NULL bigint.
CREATE TABLE @extschema@.budget (
    role regrole PRIMARY KEY,
    epsilon_limit_nanos bigint NOT NULL CHECK (epsilon_limit_nanos >= 0),
    epsilon_spent_nanos bigint NOT NULL DEFAULT 0 CHECK (epsilon_spent_nanos >= 0),
    delta_limit_attos bigint NOT NULL DEFAULT 0 CHECK (delta_limit_attos >= 0),
    delta_spent_attos bigint NOT NULL DEFAULT 0 CHECK (delta_spent_attos >= 0),
    rho_spent_nanos bigint NOT NULL DEFAULT 0 CHECK (rho_spent_nanos >= 0)
);
REVOKE ALL ON @extschema@.budget FROM PUBLIC;
COMMENT ON TABLE @extschema@.budget IS
    'Epsilon and delta limits and spending per analyst role (epsilon and rho in units of 1e-9, delta in 1e-18); changed in place by ciam_privacy only';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.budget', '');

CREATE FUNCTION @extschema@.reject_budget_update() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    RAISE EXCEPTION 'rows of ciam_privacy.budget cannot be updated'
        USING HINT = 'Use ciam_privacy.set_budget(); an UPDATE would lose concurrent charges.';
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.reject_budget_update() FROM PUBLIC;

CREATE TRIGGER reject_update BEFORE UPDATE ON @extschema@.budget
    FOR EACH ROW EXECUTE FUNCTION @extschema@.reject_budget_update();

CREATE FUNCTION @extschema@.set_budget(role regrole, epsilon_limit float8,
                                       delta_limit float8 DEFAULT 0)
RETURNS void
AS 'MODULE_PATHNAME', 'set_budget'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog;
REVOKE ALL ON FUNCTION @extschema@.set_budget(regrole, float8, float8) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.set_budget(regrole, float8, float8) IS
    'Set the epsilon and delta limits of a role; its spending is kept. Takes effect at once, even if the transaction rolls back';

CREATE FUNCTION @extschema@.budget_status(
    OUT role name,
    OUT epsilon_limit float8,
    OUT epsilon_spent float8,
    OUT epsilon_remaining float8,
    OUT delta_limit float8,
    OUT delta_spent float8,
    OUT delta_remaining float8,
    OUT rho_spent float8)
RETURNS record
AS 'MODULE_PATHNAME', 'budget_status'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.budget_status() IS
    'Limits, spending and remainder of the login role (null amounts without a budget); epsilon_spent includes the zCDP charges converted at the remaining delta';

-- The same accounting as budget.c, for the data owner. zCDP spending is
-- converted to epsilon with all the delta that is left; ceil() of one part
-- in 1e12 more mirrors the rounding there.
CREATE FUNCTION @extschema@.total_epsilon(epsilon_spent_nanos bigint,
                                          delta_limit_attos bigint,
                                          delta_spent_attos bigint,
                                          rho_spent_nanos bigint)
RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog AS $$
    SELECT CASE
        WHEN rho_spent_nanos = 0 THEN epsilon_spent_nanos / 1e9::float8
        WHEN delta_spent_attos >= delta_limit_attos THEN 'Infinity'::float8
        ELSE (epsilon_spent_nanos + ceil(
                 (rho_spent_nanos / 1e9::float8
                  + 2 * sqrt(rho_spent_nanos / 1e9::float8
                             * -ln((delta_limit_attos - delta_spent_attos) / 1e18::float8)))
                 * (1 + 1e-12) * 1e9)) / 1e9::float8
    END
$$;
COMMENT ON FUNCTION @extschema@.total_epsilon(bigint, bigint, bigint, bigint) IS
    'Epsilon of a budget row''s whole spending: pure and approximate epsilons plus the zCDP rho converted at the delta left';

CREATE VIEW @extschema@.budgets AS
    SELECT role,
           epsilon_limit_nanos / 1e9::float8 AS epsilon_limit,
           total AS epsilon_spent,
           greatest(epsilon_limit_nanos / 1e9::float8 - total, 0) AS epsilon_remaining,
           delta_limit_attos / 1e18::float8 AS delta_limit,
           delta_spent_attos / 1e18::float8 AS delta_spent,
           rho_spent_nanos / 1e9::float8 AS rho_spent
    FROM @extschema@.budget,
         LATERAL @extschema@.total_epsilon(epsilon_spent_nanos, delta_limit_attos,
                                           delta_spent_attos, rho_spent_nanos) AS total;
REVOKE ALL ON @extschema@.budgets FROM PUBLIC;
COMMENT ON VIEW @extschema@.budgets IS
    'Every role''s budget, for the data owner';


------------------------------------------------------------------------
-- Privacy budget
------------------------------------------------------------------------

-- One row per role. Epsilon is stored in units of 1e-9 so that charges add
-- up exactly. Rows are changed only by the extension's C code, in place.
CREATE TABLE @extschema@.budget (
    role regrole PRIMARY KEY,
    epsilon_limit_nanos bigint NOT NULL CHECK (epsilon_limit_nanos >= 0),
    epsilon_spent_nanos bigint NOT NULL DEFAULT 0 CHECK (epsilon_spent_nanos >= 0)
);
REVOKE ALL ON @extschema@.budget FROM PUBLIC;
COMMENT ON TABLE @extschema@.budget IS
    'Epsilon limit and spending per analyst role, in units of 1e-9; changed in place by ciam_privacy only';
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

CREATE FUNCTION @extschema@.set_budget(role regrole, epsilon_limit float8)
RETURNS void
AS 'MODULE_PATHNAME', 'set_budget'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog;
REVOKE ALL ON FUNCTION @extschema@.set_budget(regrole, float8) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.set_budget(regrole, float8) IS
    'Set the epsilon limit of a role; its spending is kept. Takes effect at once, even if the transaction rolls back';

CREATE FUNCTION @extschema@.budget_status(
    OUT role name,
    OUT epsilon_limit float8,
    OUT epsilon_spent float8,
    OUT epsilon_remaining float8)
RETURNS record
AS 'MODULE_PATHNAME', 'budget_status'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.budget_status() IS
    'Limit, spent and remaining epsilon of the login role (null amounts without a budget)';

CREATE VIEW @extschema@.budgets AS
    SELECT role,
           epsilon_limit_nanos / 1e9::float8 AS epsilon_limit,
           epsilon_spent_nanos / 1e9::float8 AS epsilon_spent,
           greatest(epsilon_limit_nanos - epsilon_spent_nanos, 0) / 1e9::float8 AS epsilon_remaining
    FROM @extschema@.budget;
REVOKE ALL ON @extschema@.budgets FROM PUBLIC;
COMMENT ON VIEW @extschema@.budgets IS
    'Every role''s budget in epsilon, for the data owner';


------------------------------------------------------------------------
-- Confidence intervals of DP releases, from public parameters only
--
-- Pass the released value and the parameters of the call that released
-- it. The interval contains the true value with probability at least
-- 1 - alpha. delta NULL means the Laplace form. They read no data and cost
-- no budget.
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.dp_count_interval(
    estimate float8, epsilon float8, alpha float8,
    delta float8 DEFAULT NULL, max_rows int4 DEFAULT 1, max_groups int4 DEFAULT 1,
    OUT low float8, OUT high float8)
RETURNS record
AS 'MODULE_PATHNAME', 'dp_count_interval'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.dp_count_interval(float8, float8, float8, float8, int4, int4) IS
    '(1 - alpha) confidence interval of a dp_count result, row-level (max_rows = max_groups = 1) or per-unit';

CREATE FUNCTION @extschema@.dp_count_units_interval(
    estimate float8, epsilon float8, alpha float8,
    delta float8 DEFAULT NULL, max_groups int4 DEFAULT 1,
    OUT low float8, OUT high float8)
RETURNS record
AS 'MODULE_PATHNAME', 'dp_count_units_interval'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.dp_count_units_interval(float8, float8, float8, float8, int4) IS
    '(1 - alpha) confidence interval of a dp_count_units or dp_select_units result';

CREATE FUNCTION @extschema@.dp_sum_interval(
    estimate float8, lower float8, upper float8, epsilon float8, alpha float8,
    delta float8 DEFAULT NULL, max_rows int4 DEFAULT 1, max_groups int4 DEFAULT 1,
    OUT low float8, OUT high float8)
RETURNS record
AS 'MODULE_PATHNAME', 'dp_sum_interval'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.dp_sum_interval(float8, float8, float8, float8, float8, float8, int4, int4) IS
    '(1 - alpha) confidence interval of a dp_sum result';

CREATE FUNCTION @extschema@.dp_avg_interval(
    estimate float8, lower float8, upper float8, epsilon float8, alpha float8,
    count_lower float8,
    delta float8 DEFAULT NULL, max_rows int4 DEFAULT 1, max_groups int4 DEFAULT 1,
    OUT low float8, OUT high float8)
RETURNS record
AS 'MODULE_PATHNAME', 'dp_avg_interval'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.dp_avg_interval(float8, float8, float8, float8, float8, float8, float8, int4, int4) IS
    '(1 - alpha) confidence interval of a dp_avg result, given a lower bound on the number of values (for example the low end of a dp_count interval)';

CREATE FUNCTION @extschema@.dp_variance_interval(
    estimate float8, lower float8, upper float8, epsilon float8, alpha float8,
    count_lower float8,
    delta float8 DEFAULT NULL, max_rows int4 DEFAULT 1, max_groups int4 DEFAULT 1,
    OUT low float8, OUT high float8)
RETURNS record
AS 'MODULE_PATHNAME', 'dp_variance_interval'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.dp_variance_interval(float8, float8, float8, float8, float8, float8, float8, int4, int4) IS
    '(1 - alpha) confidence interval of a dp_variance result, given a lower bound on the number of values';

CREATE FUNCTION @extschema@.dp_stddev_interval(
    estimate float8, lower float8, upper float8, epsilon float8, alpha float8,
    count_lower float8,
    delta float8 DEFAULT NULL, max_rows int4 DEFAULT 1, max_groups int4 DEFAULT 1,
    OUT low float8, OUT high float8)
RETURNS record
AS 'MODULE_PATHNAME', 'dp_stddev_interval'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.dp_stddev_interval(float8, float8, float8, float8, float8, float8, float8, int4, int4) IS
    '(1 - alpha) confidence interval of a dp_stddev result, given a lower bound on the number of values';

CREATE FUNCTION @extschema@.dp_percentile_rank_error(
    epsilon float8, alpha float8, max_rows int4 DEFAULT 1, max_groups int4 DEFAULT 1)
RETURNS float8
AS 'MODULE_PATHNAME', 'dp_percentile_rank_error'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.dp_percentile_rank_error(float8, float8, int4, int4) IS
    'With probability 1 - alpha, dp_percentile and dp_median return a bucket within this many ranks of the target rank';

CREATE FUNCTION @extschema@.dp_select_units_threshold(
    epsilon float8, delta float8, max_groups int4 DEFAULT 1)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dp_select_units_threshold'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.dp_select_units_threshold(float8, float8, int4) IS
    'The noisy number of units a group needs to be released by dp_select_units';

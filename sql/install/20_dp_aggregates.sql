------------------------------------------------------------------------
-- DP aggregates
--
-- Row-level forms protect one row; per-unit forms, which take the privacy
-- unit (a customer or visitor id) first, protect one person with all their
-- rows. A form with a delta after epsilon uses the Gaussian mechanism,
-- charged as (epsilon, delta) or, with ciam_privacy.gaussian_accounting =
-- zcdp, as rho-zCDP. Values may be smallint, integer, bigint, real, double
-- precision or numeric. docs/dp.md describes them all. SSPACE is the
-- state size the planner assumes for a hash aggregate: a per-unit state
-- starts near 256 bytes and grows with its units.
------------------------------------------------------------------------

-- dp_count, row-level

CREATE FUNCTION @extschema@.dp_count_transfn(bigint, float8)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dp_count_transfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_count_transfn(bigint, "any", float8)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dp_count_transfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_count_transfn(bigint, "any", float8, float8)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dp_count_transfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_count_finalfn(bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dp_count_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.dp_count(epsilon float8) (
    SFUNC = @extschema@.dp_count_transfn,
    STYPE = bigint,
    INITCOND = '0',
    FINALFUNC = @extschema@.dp_count_finalfn,
    COMBINEFUNC = pg_catalog.int8pl,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_count(float8) IS
    'Number of rows plus discrete Laplace noise (sensitivity 1), at least 0';

CREATE AGGREGATE @extschema@.dp_count(value "any", epsilon float8) (
    SFUNC = @extschema@.dp_count_transfn,
    STYPE = bigint,
    INITCOND = '0',
    FINALFUNC = @extschema@.dp_count_finalfn,
    COMBINEFUNC = pg_catalog.int8pl,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_count("any", float8) IS
    'Number of non-null values plus discrete Laplace noise (sensitivity 1), at least 0';

CREATE AGGREGATE @extschema@.dp_count(value "any", epsilon float8, delta float8) (
    SFUNC = @extschema@.dp_count_transfn,
    STYPE = bigint,
    INITCOND = '0',
    FINALFUNC = @extschema@.dp_count_finalfn,
    COMBINEFUNC = pg_catalog.int8pl,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_count("any", float8, float8) IS
    'Number of non-null values plus discrete Gaussian noise (sensitivity 1), at least 0';

-- dp_sum, dp_avg, dp_variance, dp_stddev, row-level

CREATE FUNCTION @extschema@.dp_sum_transfn(internal, "any", float8, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_sum_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_sum_transfn(internal, "any", float8, float8, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_sum_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_mean_transfn(internal, "any", float8, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_mean_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_mean_transfn(internal, "any", float8, float8, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_mean_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_variance_transfn(internal, "any", float8, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_variance_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_variance_transfn(internal, "any", float8, float8, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_variance_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_bounded_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_bounded_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_bounded_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'dp_bounded_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_bounded_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_bounded_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_sum_finalfn(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'dp_sum_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.dp_sum(value "any", lower float8, upper float8, epsilon float8) (
    SFUNC = @extschema@.dp_sum_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.dp_sum_finalfn,
    COMBINEFUNC = @extschema@.dp_bounded_combinefn,
    SERIALFUNC = @extschema@.dp_bounded_serialize,
    DESERIALFUNC = @extschema@.dp_bounded_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_sum("any", float8, float8, float8) IS
    'Sum of values clamped to [lower, upper]; discrete Laplace noise';

CREATE AGGREGATE @extschema@.dp_sum(value "any", lower float8, upper float8, epsilon float8, delta float8) (
    SFUNC = @extschema@.dp_sum_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.dp_sum_finalfn,
    COMBINEFUNC = @extschema@.dp_bounded_combinefn,
    SERIALFUNC = @extschema@.dp_bounded_serialize,
    DESERIALFUNC = @extschema@.dp_bounded_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_sum("any", float8, float8, float8, float8) IS
    'Sum of values clamped to [lower, upper]; discrete Gaussian noise';

CREATE FUNCTION @extschema@.dp_avg_finalfn(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'dp_avg_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.dp_avg(value "any", lower float8, upper float8, epsilon float8) (
    SFUNC = @extschema@.dp_mean_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.dp_avg_finalfn,
    COMBINEFUNC = @extschema@.dp_bounded_combinefn,
    SERIALFUNC = @extschema@.dp_bounded_serialize,
    DESERIALFUNC = @extschema@.dp_bounded_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_avg("any", float8, float8, float8) IS
    'Mean of values clamped to [lower, upper]: half of the budget on a noisy sum, half on a noisy count; discrete Laplace noise';

CREATE AGGREGATE @extschema@.dp_avg(value "any", lower float8, upper float8, epsilon float8, delta float8) (
    SFUNC = @extschema@.dp_mean_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.dp_avg_finalfn,
    COMBINEFUNC = @extschema@.dp_bounded_combinefn,
    SERIALFUNC = @extschema@.dp_bounded_serialize,
    DESERIALFUNC = @extschema@.dp_bounded_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_avg("any", float8, float8, float8, float8) IS
    'Mean of values clamped to [lower, upper]: half of the budget on a noisy sum, half on a noisy count; discrete Gaussian noise';

CREATE FUNCTION @extschema@.dp_variance_finalfn(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'dp_variance_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.dp_variance(value "any", lower float8, upper float8, epsilon float8) (
    SFUNC = @extschema@.dp_variance_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.dp_variance_finalfn,
    COMBINEFUNC = @extschema@.dp_bounded_combinefn,
    SERIALFUNC = @extschema@.dp_bounded_serialize,
    DESERIALFUNC = @extschema@.dp_bounded_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_variance("any", float8, float8, float8) IS
    'Population variance of values clamped to [lower, upper]: a third of the budget each on count, sum and sum of squares; discrete Laplace noise';

CREATE AGGREGATE @extschema@.dp_variance(value "any", lower float8, upper float8, epsilon float8, delta float8) (
    SFUNC = @extschema@.dp_variance_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.dp_variance_finalfn,
    COMBINEFUNC = @extschema@.dp_bounded_combinefn,
    SERIALFUNC = @extschema@.dp_bounded_serialize,
    DESERIALFUNC = @extschema@.dp_bounded_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_variance("any", float8, float8, float8, float8) IS
    'Population variance of values clamped to [lower, upper]: a third of the budget each on count, sum and sum of squares; discrete Gaussian noise';

CREATE FUNCTION @extschema@.dp_stddev_finalfn(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'dp_stddev_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.dp_stddev(value "any", lower float8, upper float8, epsilon float8) (
    SFUNC = @extschema@.dp_variance_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.dp_stddev_finalfn,
    COMBINEFUNC = @extschema@.dp_bounded_combinefn,
    SERIALFUNC = @extschema@.dp_bounded_serialize,
    DESERIALFUNC = @extschema@.dp_bounded_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_stddev("any", float8, float8, float8) IS
    'Population standard deviation of values clamped to [lower, upper], the square root of dp_variance; discrete Laplace noise';

CREATE AGGREGATE @extschema@.dp_stddev(value "any", lower float8, upper float8, epsilon float8, delta float8) (
    SFUNC = @extschema@.dp_variance_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.dp_stddev_finalfn,
    COMBINEFUNC = @extschema@.dp_bounded_combinefn,
    SERIALFUNC = @extschema@.dp_bounded_serialize,
    DESERIALFUNC = @extschema@.dp_bounded_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_stddev("any", float8, float8, float8, float8) IS
    'Population standard deviation of values clamped to [lower, upper], the square root of dp_variance; discrete Gaussian noise';

-- dp_percentile and dp_median, row-level

CREATE FUNCTION @extschema@.dp_percentile_transfn(internal, "any", float8, float8, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_percentile_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_median_transfn(internal, "any", float8, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_median_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_percentile_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_percentile_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_percentile_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'dp_percentile_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_percentile_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_percentile_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_percentile_finalfn(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'dp_percentile_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_median_finalfn(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'dp_median_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.dp_percentile(value "any", percentile float8, lower float8, upper float8, epsilon float8) (
    SFUNC = @extschema@.dp_percentile_transfn,
    STYPE = internal,
    SSPACE = 16416,
    FINALFUNC = @extschema@.dp_percentile_finalfn,
    COMBINEFUNC = @extschema@.dp_percentile_combinefn,
    SERIALFUNC = @extschema@.dp_percentile_serialize,
    DESERIALFUNC = @extschema@.dp_percentile_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_percentile("any", float8, float8, float8, float8) IS
    'Percentile (0 to 1) of values clamped to [lower, upper], chosen among 2048 bucket centers by the exponential mechanism';

CREATE AGGREGATE @extschema@.dp_median(value "any", lower float8, upper float8, epsilon float8) (
    SFUNC = @extschema@.dp_median_transfn,
    STYPE = internal,
    SSPACE = 16416,
    FINALFUNC = @extschema@.dp_median_finalfn,
    COMBINEFUNC = @extschema@.dp_percentile_combinefn,
    SERIALFUNC = @extschema@.dp_percentile_serialize,
    DESERIALFUNC = @extschema@.dp_percentile_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_median("any", float8, float8, float8) IS
    'Median of values clamped to [lower, upper], by the exponential mechanism';

------------------------------------------------------------------------
-- Per-unit forms: the privacy unit first, then at most max_rows rows per
-- unit in a group and max_groups groups per unit
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.dp_unit_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_unit_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_unit_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'dp_unit_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_unit_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_unit_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_unit_count_transfn(internal, "any", int4, int4, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_unit_count_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_unit_count_transfn(internal, "any", int4, int4, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_unit_count_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_unit_count_finalfn(internal)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dp_unit_count_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.dp_count(unit "any", max_rows int4, max_groups int4, epsilon float8) (
    SFUNC = @extschema@.dp_unit_count_transfn,
    STYPE = internal,
    SSPACE = 256,
    FINALFUNC = @extschema@.dp_unit_count_finalfn,
    COMBINEFUNC = @extschema@.dp_unit_combinefn,
    SERIALFUNC = @extschema@.dp_unit_serialize,
    DESERIALFUNC = @extschema@.dp_unit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_count("any", int4, int4, float8) IS
    'Rows, at most max_rows per unit in a group and max_groups groups per unit, plus discrete Laplace noise; protects units';

CREATE AGGREGATE @extschema@.dp_count(unit "any", max_rows int4, max_groups int4, epsilon float8, delta float8) (
    SFUNC = @extschema@.dp_unit_count_transfn,
    STYPE = internal,
    SSPACE = 256,
    FINALFUNC = @extschema@.dp_unit_count_finalfn,
    COMBINEFUNC = @extschema@.dp_unit_combinefn,
    SERIALFUNC = @extschema@.dp_unit_serialize,
    DESERIALFUNC = @extschema@.dp_unit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_count("any", int4, int4, float8, float8) IS
    'Rows, at most max_rows per unit in a group and max_groups groups per unit, plus discrete Gaussian noise; protects units';

CREATE FUNCTION @extschema@.dp_count_units_transfn(internal, "any", int4, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_count_units_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_count_units_transfn(internal, "any", int4, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_count_units_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_count_units_finalfn(internal)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dp_count_units_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_select_units_finalfn(internal)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dp_select_units_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.dp_count_units(unit "any", max_groups int4, epsilon float8) (
    SFUNC = @extschema@.dp_count_units_transfn,
    STYPE = internal,
    SSPACE = 256,
    FINALFUNC = @extschema@.dp_count_units_finalfn,
    COMBINEFUNC = @extschema@.dp_unit_combinefn,
    SERIALFUNC = @extschema@.dp_unit_serialize,
    DESERIALFUNC = @extschema@.dp_unit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_count_units("any", int4, float8) IS
    'Distinct units, each in at most max_groups groups, plus discrete Laplace noise (sensitivity 1 per group)';

CREATE AGGREGATE @extschema@.dp_count_units(unit "any", max_groups int4, epsilon float8, delta float8) (
    SFUNC = @extschema@.dp_count_units_transfn,
    STYPE = internal,
    SSPACE = 256,
    FINALFUNC = @extschema@.dp_count_units_finalfn,
    COMBINEFUNC = @extschema@.dp_unit_combinefn,
    SERIALFUNC = @extschema@.dp_unit_serialize,
    DESERIALFUNC = @extschema@.dp_unit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_count_units("any", int4, float8, float8) IS
    'Distinct units, each in at most max_groups groups, plus discrete Gaussian noise';

CREATE AGGREGATE @extschema@.dp_select_units(unit "any", max_groups int4, epsilon float8, delta float8) (
    SFUNC = @extschema@.dp_count_units_transfn,
    STYPE = internal,
    SSPACE = 256,
    FINALFUNC = @extschema@.dp_select_units_finalfn,
    COMBINEFUNC = @extschema@.dp_unit_combinefn,
    SERIALFUNC = @extschema@.dp_unit_serialize,
    DESERIALFUNC = @extschema@.dp_unit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_select_units("any", int4, float8, float8) IS
    'Noisy number of distinct units if it passes the threshold set by epsilon and delta, else NULL: HAVING dp_select_units(...) IS NOT NULL keeps only groups that may be released';

CREATE FUNCTION @extschema@.dp_unit_sum_transfn(internal, "any", "any", float8, float8, int4, int4, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_unit_sum_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_unit_sum_transfn(internal, "any", "any", float8, float8, int4, int4, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_unit_sum_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_unit_mean_transfn(internal, "any", "any", float8, float8, int4, int4, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_unit_mean_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_unit_mean_transfn(internal, "any", "any", float8, float8, int4, int4, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_unit_mean_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_unit_variance_transfn(internal, "any", "any", float8, float8, int4, int4, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_unit_variance_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_unit_variance_transfn(internal, "any", "any", float8, float8, int4, int4, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_unit_variance_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_unit_sum_finalfn(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'dp_unit_sum_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.dp_sum(unit "any", value "any", lower float8, upper float8, max_rows int4, max_groups int4, epsilon float8) (
    SFUNC = @extschema@.dp_unit_sum_transfn,
    STYPE = internal,
    SSPACE = 256,
    FINALFUNC = @extschema@.dp_unit_sum_finalfn,
    COMBINEFUNC = @extschema@.dp_unit_combinefn,
    SERIALFUNC = @extschema@.dp_unit_serialize,
    DESERIALFUNC = @extschema@.dp_unit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_sum("any", "any", float8, float8, int4, int4, float8) IS
    'Sum of values clamped to [lower, upper], at most max_rows random rows per unit in a group and max_groups groups per unit; discrete Laplace noise; protects units';

CREATE AGGREGATE @extschema@.dp_sum(unit "any", value "any", lower float8, upper float8, max_rows int4, max_groups int4, epsilon float8, delta float8) (
    SFUNC = @extschema@.dp_unit_sum_transfn,
    STYPE = internal,
    SSPACE = 256,
    FINALFUNC = @extschema@.dp_unit_sum_finalfn,
    COMBINEFUNC = @extschema@.dp_unit_combinefn,
    SERIALFUNC = @extschema@.dp_unit_serialize,
    DESERIALFUNC = @extschema@.dp_unit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_sum("any", "any", float8, float8, int4, int4, float8, float8) IS
    'Sum of values clamped to [lower, upper], at most max_rows random rows per unit in a group and max_groups groups per unit; discrete Gaussian noise; protects units';

CREATE FUNCTION @extschema@.dp_unit_avg_finalfn(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'dp_unit_avg_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.dp_avg(unit "any", value "any", lower float8, upper float8, max_rows int4, max_groups int4, epsilon float8) (
    SFUNC = @extschema@.dp_unit_mean_transfn,
    STYPE = internal,
    SSPACE = 256,
    FINALFUNC = @extschema@.dp_unit_avg_finalfn,
    COMBINEFUNC = @extschema@.dp_unit_combinefn,
    SERIALFUNC = @extschema@.dp_unit_serialize,
    DESERIALFUNC = @extschema@.dp_unit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_avg("any", "any", float8, float8, int4, int4, float8) IS
    'Mean of values clamped to [lower, upper]: half of the budget on a noisy sum, half on a noisy count, at most max_rows random rows per unit in a group and max_groups groups per unit; discrete Laplace noise; protects units';

CREATE AGGREGATE @extschema@.dp_avg(unit "any", value "any", lower float8, upper float8, max_rows int4, max_groups int4, epsilon float8, delta float8) (
    SFUNC = @extschema@.dp_unit_mean_transfn,
    STYPE = internal,
    SSPACE = 256,
    FINALFUNC = @extschema@.dp_unit_avg_finalfn,
    COMBINEFUNC = @extschema@.dp_unit_combinefn,
    SERIALFUNC = @extschema@.dp_unit_serialize,
    DESERIALFUNC = @extschema@.dp_unit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_avg("any", "any", float8, float8, int4, int4, float8, float8) IS
    'Mean of values clamped to [lower, upper]: half of the budget on a noisy sum, half on a noisy count, at most max_rows random rows per unit in a group and max_groups groups per unit; discrete Gaussian noise; protects units';

CREATE FUNCTION @extschema@.dp_unit_variance_finalfn(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'dp_unit_variance_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.dp_variance(unit "any", value "any", lower float8, upper float8, max_rows int4, max_groups int4, epsilon float8) (
    SFUNC = @extschema@.dp_unit_variance_transfn,
    STYPE = internal,
    SSPACE = 256,
    FINALFUNC = @extschema@.dp_unit_variance_finalfn,
    COMBINEFUNC = @extschema@.dp_unit_combinefn,
    SERIALFUNC = @extschema@.dp_unit_serialize,
    DESERIALFUNC = @extschema@.dp_unit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_variance("any", "any", float8, float8, int4, int4, float8) IS
    'Population variance of values clamped to [lower, upper]: a third of the budget each on count, sum and sum of squares, at most max_rows random rows per unit in a group and max_groups groups per unit; discrete Laplace noise; protects units';

CREATE AGGREGATE @extschema@.dp_variance(unit "any", value "any", lower float8, upper float8, max_rows int4, max_groups int4, epsilon float8, delta float8) (
    SFUNC = @extschema@.dp_unit_variance_transfn,
    STYPE = internal,
    SSPACE = 256,
    FINALFUNC = @extschema@.dp_unit_variance_finalfn,
    COMBINEFUNC = @extschema@.dp_unit_combinefn,
    SERIALFUNC = @extschema@.dp_unit_serialize,
    DESERIALFUNC = @extschema@.dp_unit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_variance("any", "any", float8, float8, int4, int4, float8, float8) IS
    'Population variance of values clamped to [lower, upper]: a third of the budget each on count, sum and sum of squares, at most max_rows random rows per unit in a group and max_groups groups per unit; discrete Gaussian noise; protects units';

CREATE FUNCTION @extschema@.dp_unit_stddev_finalfn(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'dp_unit_stddev_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.dp_stddev(unit "any", value "any", lower float8, upper float8, max_rows int4, max_groups int4, epsilon float8) (
    SFUNC = @extschema@.dp_unit_variance_transfn,
    STYPE = internal,
    SSPACE = 256,
    FINALFUNC = @extschema@.dp_unit_stddev_finalfn,
    COMBINEFUNC = @extschema@.dp_unit_combinefn,
    SERIALFUNC = @extschema@.dp_unit_serialize,
    DESERIALFUNC = @extschema@.dp_unit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_stddev("any", "any", float8, float8, int4, int4, float8) IS
    'Population standard deviation of values clamped to [lower, upper], the square root of dp_variance, at most max_rows random rows per unit in a group and max_groups groups per unit; discrete Laplace noise; protects units';

CREATE AGGREGATE @extschema@.dp_stddev(unit "any", value "any", lower float8, upper float8, max_rows int4, max_groups int4, epsilon float8, delta float8) (
    SFUNC = @extschema@.dp_unit_variance_transfn,
    STYPE = internal,
    SSPACE = 256,
    FINALFUNC = @extschema@.dp_unit_stddev_finalfn,
    COMBINEFUNC = @extschema@.dp_unit_combinefn,
    SERIALFUNC = @extschema@.dp_unit_serialize,
    DESERIALFUNC = @extschema@.dp_unit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_stddev("any", "any", float8, float8, int4, int4, float8, float8) IS
    'Population standard deviation of values clamped to [lower, upper], the square root of dp_variance, at most max_rows random rows per unit in a group and max_groups groups per unit; discrete Gaussian noise; protects units';

CREATE FUNCTION @extschema@.dp_unit_percentile_transfn(internal, "any", "any", float8, float8, float8, int4, int4, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_unit_percentile_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_unit_median_transfn(internal, "any", "any", float8, float8, int4, int4, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_unit_median_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_unit_percentile_finalfn(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'dp_unit_percentile_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_unit_median_finalfn(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'dp_unit_median_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.dp_percentile(unit "any", value "any", percentile float8, lower float8, upper float8, max_rows int4, max_groups int4, epsilon float8) (
    SFUNC = @extschema@.dp_unit_percentile_transfn,
    STYPE = internal,
    SSPACE = 256,
    FINALFUNC = @extschema@.dp_unit_percentile_finalfn,
    COMBINEFUNC = @extschema@.dp_unit_combinefn,
    SERIALFUNC = @extschema@.dp_unit_serialize,
    DESERIALFUNC = @extschema@.dp_unit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_percentile("any", "any", float8, float8, float8, int4, int4, float8) IS
    'Percentile of values clamped to [lower, upper], at most max_rows random rows per unit in a group and max_groups groups per unit; protects units';

CREATE AGGREGATE @extschema@.dp_median(unit "any", value "any", lower float8, upper float8, max_rows int4, max_groups int4, epsilon float8) (
    SFUNC = @extschema@.dp_unit_median_transfn,
    STYPE = internal,
    SSPACE = 256,
    FINALFUNC = @extschema@.dp_unit_median_finalfn,
    COMBINEFUNC = @extschema@.dp_unit_combinefn,
    SERIALFUNC = @extschema@.dp_unit_serialize,
    DESERIALFUNC = @extschema@.dp_unit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_median("any", "any", float8, float8, int4, int4, float8) IS
    'Median of values clamped to [lower, upper], at most max_rows random rows per unit in a group and max_groups groups per unit; protects units';

-- Support functions are for the aggregates only: an analyst who could call
-- them, or build an aggregate on them, could read exact states.
REVOKE ALL ON FUNCTION
    @extschema@.dp_count_transfn(bigint, float8),
    @extschema@.dp_count_transfn(bigint, "any", float8),
    @extschema@.dp_count_transfn(bigint, "any", float8, float8),
    @extschema@.dp_count_finalfn(bigint),
    @extschema@.dp_sum_transfn(internal, "any", float8, float8, float8),
    @extschema@.dp_sum_transfn(internal, "any", float8, float8, float8, float8),
    @extschema@.dp_mean_transfn(internal, "any", float8, float8, float8),
    @extschema@.dp_mean_transfn(internal, "any", float8, float8, float8, float8),
    @extschema@.dp_variance_transfn(internal, "any", float8, float8, float8),
    @extschema@.dp_variance_transfn(internal, "any", float8, float8, float8, float8),
    @extschema@.dp_bounded_combinefn(internal, internal),
    @extschema@.dp_bounded_serialize(internal),
    @extschema@.dp_bounded_deserialize(bytea, internal),
    @extschema@.dp_sum_finalfn(internal),
    @extschema@.dp_avg_finalfn(internal),
    @extschema@.dp_variance_finalfn(internal),
    @extschema@.dp_stddev_finalfn(internal),
    @extschema@.dp_percentile_transfn(internal, "any", float8, float8, float8, float8),
    @extschema@.dp_median_transfn(internal, "any", float8, float8, float8),
    @extschema@.dp_percentile_combinefn(internal, internal),
    @extschema@.dp_percentile_serialize(internal),
    @extschema@.dp_percentile_deserialize(bytea, internal),
    @extschema@.dp_percentile_finalfn(internal),
    @extschema@.dp_median_finalfn(internal),
    @extschema@.dp_unit_combinefn(internal, internal),
    @extschema@.dp_unit_serialize(internal),
    @extschema@.dp_unit_deserialize(bytea, internal),
    @extschema@.dp_unit_count_transfn(internal, "any", int4, int4, float8),
    @extschema@.dp_unit_count_transfn(internal, "any", int4, int4, float8, float8),
    @extschema@.dp_unit_count_finalfn(internal),
    @extschema@.dp_count_units_transfn(internal, "any", int4, float8),
    @extschema@.dp_count_units_transfn(internal, "any", int4, float8, float8),
    @extschema@.dp_count_units_finalfn(internal),
    @extschema@.dp_select_units_finalfn(internal),
    @extschema@.dp_unit_sum_transfn(internal, "any", "any", float8, float8, int4, int4, float8),
    @extschema@.dp_unit_sum_transfn(internal, "any", "any", float8, float8, int4, int4, float8, float8),
    @extschema@.dp_unit_mean_transfn(internal, "any", "any", float8, float8, int4, int4, float8),
    @extschema@.dp_unit_mean_transfn(internal, "any", "any", float8, float8, int4, int4, float8, float8),
    @extschema@.dp_unit_variance_transfn(internal, "any", "any", float8, float8, int4, int4, float8),
    @extschema@.dp_unit_variance_transfn(internal, "any", "any", float8, float8, int4, int4, float8, float8),
    @extschema@.dp_unit_sum_finalfn(internal),
    @extschema@.dp_unit_avg_finalfn(internal),
    @extschema@.dp_unit_variance_finalfn(internal),
    @extschema@.dp_unit_stddev_finalfn(internal),
    @extschema@.dp_unit_percentile_transfn(internal, "any", "any", float8, float8, float8, int4, int4, float8),
    @extschema@.dp_unit_median_transfn(internal, "any", "any", float8, float8, int4, int4, float8),
    @extschema@.dp_unit_percentile_finalfn(internal),
    @extschema@.dp_unit_median_finalfn(internal)
FROM PUBLIC;

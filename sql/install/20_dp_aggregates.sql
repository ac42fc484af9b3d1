------------------------------------------------------------------------
-- dp_count
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.dp_count_transfn(bigint, float8)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dp_count_transfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_count_transfn(bigint, "any", float8)
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

------------------------------------------------------------------------
-- dp_avg
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.dp_avg_transfn(internal, float8, float8, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_avg_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_avg_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_avg_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_avg_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'dp_avg_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_avg_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_avg_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_avg_finalfn(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'dp_avg_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.dp_avg(value float8, lower float8, upper float8, epsilon float8) (
    SFUNC = @extschema@.dp_avg_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.dp_avg_finalfn,
    COMBINEFUNC = @extschema@.dp_avg_combinefn,
    SERIALFUNC = @extschema@.dp_avg_serialize,
    DESERIALFUNC = @extschema@.dp_avg_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_avg(float8, float8, float8, float8) IS
    'Mean of values clamped to [lower, upper]: half of epsilon on a noisy sum, half on a noisy count';

-- Support functions are for the aggregates only: an analyst who could call
-- them, or build an aggregate on them, could read exact states.
REVOKE ALL ON FUNCTION
    @extschema@.dp_count_transfn(bigint, float8),
    @extschema@.dp_count_transfn(bigint, "any", float8),
    @extschema@.dp_count_finalfn(bigint),
    @extschema@.dp_avg_transfn(internal, float8, float8, float8, float8),
    @extschema@.dp_avg_combinefn(internal, internal),
    @extschema@.dp_avg_serialize(internal),
    @extschema@.dp_avg_deserialize(bytea, internal),
    @extschema@.dp_avg_finalfn(internal)
FROM PUBLIC;


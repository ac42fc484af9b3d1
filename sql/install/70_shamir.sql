------------------------------------------------------------------------
-- Shamir secret sharing of byte strings, in HashiCorp Vault's format
------------------------------------------------------------------------

-- Not STRICT: a NULL secret, threshold or count raises an error instead of
-- returning NULL, so that a missing secret is never stored as "no shares".
CREATE FUNCTION @extschema@.shamir_share(secret bytea, threshold int, shares int)
RETURNS bytea[]
AS 'MODULE_PATHNAME', 'shamir_share'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.shamir_share(bytea, int, int) IS
    'Split a secret into shares (Vault format: y bytes, then x), any threshold of which rebuild it';

-- Not STRICT: a NULL array raises an error. STABLE, although the result
-- depends on the shares alone: PostgreSQL then rejects it in index
-- expressions and generated columns, which would store rebuilt secrets on
-- disk, and never folds a call into a cached plan.
CREATE FUNCTION @extschema@.shamir_combine(shares bytea[])
RETURNS bytea
AS 'MODULE_PATHNAME', 'shamir_combine'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.shamir_combine(bytea[]) IS
    'Rebuild a secret from shares in Vault format; fewer shares than the threshold give a wrong value without error';

------------------------------------------------------------------------
-- Shamir shares of integers over the field of p = 2^127 - 1
------------------------------------------------------------------------

CREATE TYPE @extschema@.shamir_int_share;

CREATE FUNCTION @extschema@.shamir_int_share_in(cstring)
RETURNS @extschema@.shamir_int_share
AS 'MODULE_PATHNAME', 'shamir_int_share_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.shamir_int_share_out(@extschema@.shamir_int_share)
RETURNS cstring
AS 'MODULE_PATHNAME', 'shamir_int_share_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.shamir_int_share_recv(internal)
RETURNS @extschema@.shamir_int_share
AS 'MODULE_PATHNAME', 'shamir_int_share_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.shamir_int_share_send(@extschema@.shamir_int_share)
RETURNS bytea
AS 'MODULE_PATHNAME', 'shamir_int_share_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.shamir_int_share (
    INPUT = @extschema@.shamir_int_share_in,
    OUTPUT = @extschema@.shamir_int_share_out,
    RECEIVE = @extschema@.shamir_int_share_recv,
    SEND = @extschema@.shamir_int_share_send,
    INTERNALLENGTH = 24,
    ALIGNMENT = double,
    STORAGE = plain
);
COMMENT ON TYPE @extschema@.shamir_int_share IS
    'Share (x,threshold,y) of an integer over the field of 2^127 - 1';

CREATE FUNCTION @extschema@.shamir_int_share_x(@extschema@.shamir_int_share)
RETURNS int
AS 'MODULE_PATHNAME', 'shamir_int_share_x'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.shamir_int_share_x(@extschema@.shamir_int_share) IS
    'x value of a share: the number of the party that holds it';

CREATE FUNCTION @extschema@.shamir_int_share_threshold(@extschema@.shamir_int_share)
RETURNS int
AS 'MODULE_PATHNAME', 'shamir_int_share_threshold'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.shamir_int_share_threshold(@extschema@.shamir_int_share) IS
    'Number of shares needed to rebuild the value';

CREATE FUNCTION @extschema@.shamir_share_int(value numeric, threshold int, shares int)
RETURNS @extschema@.shamir_int_share[]
AS 'MODULE_PATHNAME', 'shamir_share_int'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.shamir_share_int(numeric, int, int) IS
    'Split an integer of magnitude below 2^126 into shares; element k has x = k';

-- STABLE for the same reason as shamir_combine
CREATE FUNCTION @extschema@.shamir_combine_int(shares @extschema@.shamir_int_share[])
RETURNS numeric
AS 'MODULE_PATHNAME', 'shamir_combine_int'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.shamir_combine_int(@extschema@.shamir_int_share[]) IS
    'Rebuild an integer from at least threshold shares, checking any extra share';

-- The share-wise sum. Adding the shares with one x of several values gives
-- the share with that x of their total.
CREATE FUNCTION @extschema@.shamir_sum_transfn(internal, @extschema@.shamir_int_share)
RETURNS internal
AS 'MODULE_PATHNAME', 'shamir_sum_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.shamir_sum_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'shamir_sum_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.shamir_sum_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'shamir_sum_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.shamir_sum_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'shamir_sum_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.shamir_sum_finalfn(internal)
RETURNS @extschema@.shamir_int_share
AS 'MODULE_PATHNAME', 'shamir_sum_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.shamir_sum(@extschema@.shamir_int_share) (
    SFUNC = @extschema@.shamir_sum_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.shamir_sum_finalfn,
    COMBINEFUNC = @extschema@.shamir_sum_combinefn,
    SERIALFUNC = @extschema@.shamir_sum_serialize,
    DESERIALFUNC = @extschema@.shamir_sum_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.shamir_sum(@extschema@.shamir_int_share) IS
    'Share of the total of the values whose shares, all with one x, are added; NULL shares raise an error';

-- Rebuilding returns exact values, with no noise and no budget charge, so
-- analysts must not get it: the data owner grants it to the roles that
-- rebuild keys or totals.
REVOKE EXECUTE ON FUNCTION @extschema@.shamir_combine(bytea[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.shamir_combine_int(@extschema@.shamir_int_share[]) FROM PUBLIC;

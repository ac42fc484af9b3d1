-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION ciam_privacy" to load this file. \quit

-- The schema is visible to everyone so that analysts can call the
-- aggregates and budget_status(); its tables grant nothing to PUBLIC.
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;


-- Tables of the demo database, created by the data owner (a superuser).
--
--   crm        base tables with one row per customer or web request, and the
--              staging tables that receive the lines of the data files (the
--              access log's lines with the client IP address replaced by
--              its pseudonym). Only the owner can read this schema.
--   reference  public key lists: categories published in
--              data/adult/adult.names, the days the log covers, site
--              sections and HTTP status classes. The privatized views group
--              by these lists only, never by values taken from the data.
--              The analyst may read them (see 04_analyst.sql), and
--              ciam_privacy.publish_view() requires that of a key list.

CREATE EXTENSION ciam_privacy;

-- The key that turns client IP addresses into visitor pseudonyms: 32
-- random bytes made by the server and stored wrapped under the root key.
-- Only the data owner (a superuser) uses it, while loading the log.
SELECT ciam_privacy.create_key('web_visitors') AS web_visitors_key_version;

CREATE SCHEMA crm;
CREATE SCHEMA reference;
REVOKE ALL ON SCHEMA crm, reference FROM PUBLIC;

-- One row per line of a data file, unchanged, in file order.
CREATE TABLE crm.adult_names_lines (
    line_number bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    line text
);
CREATE TABLE crm.adult_data_lines (
    line_number bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    line text
);
-- The access log's lines in file order, each with its first field, the
-- client IP address, replaced by the visitor pseudonym (see 02_load.sql).
CREATE TABLE crm.access_log_lines (
    line_number bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    line text
);

-- The 15 columns of UCI Adult, named as in adult.names, with '?' as NULL.
CREATE TABLE crm.customers (
    customer_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    age integer NOT NULL,
    workclass text,
    fnlwgt integer NOT NULL,
    education text NOT NULL,
    education_num integer NOT NULL,
    marital_status text NOT NULL,
    occupation text,
    relationship text NOT NULL,
    race text NOT NULL,
    sex text NOT NULL,
    capital_gain integer NOT NULL,
    capital_loss integer NOT NULL,
    hours_per_week integer NOT NULL,
    native_country text,
    income text NOT NULL CHECK (income IN ('<=50K', '>50K'))
);

-- One row per access log line in the combined log format. visitor is
-- ciam_privacy.pseudonymize(client IP address, 'web_visitors'): the same
-- address always gives the same visitor, and the address itself is not
-- stored. '-' in bytes, referrer or user agent is stored as NULL.
CREATE TABLE crm.web_requests (
    request_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    line_number bigint NOT NULL REFERENCES crm.access_log_lines,
    visitor text NOT NULL,
    requested_at timestamptz NOT NULL,
    method text NOT NULL,
    path text NOT NULL,
    protocol text NOT NULL,
    status smallint NOT NULL,
    bytes bigint,
    referrer text,
    user_agent text
);

CREATE TABLE reference.countries (country text PRIMARY KEY);
CREATE TABLE reference.education_levels (education text PRIMARY KEY);
CREATE TABLE reference.sexes (sex text PRIMARY KEY);
CREATE TABLE reference.log_days (day date PRIMARY KEY);

-- A request belongs to the section whose first_segment equals the first
-- segment of its path ('' for the home page, '/' or '/?...'). Requests that
-- match no row belong to 'other', whose first_segment is NULL.
CREATE TABLE reference.site_sections (
    section text PRIMARY KEY,
    first_segment text UNIQUE
);

-- A status code belongs to the class of its first digit (404 is '4xx').
CREATE TABLE reference.status_classes (
    status_class text PRIMARY KEY,
    first_digit smallint NOT NULL UNIQUE
);

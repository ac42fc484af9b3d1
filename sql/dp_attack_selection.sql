-- Group selection when one unit is in more groups than max_groups: the
-- unit is kept in max_groups of them and dropped from the others, which
-- then have no unit left. Such a group must not appear, or each of them
-- adds its own chance of passing the threshold to delta.
SET client_min_messages = warning;
SELECT ciam_privacy.set_budget(current_user::regrole, 1000, 0.01);
-- one unit alone in 5000 groups
CREATE TABLE attack_sel AS SELECT 1 AS unit, g FROM generate_series(1, 5000) g;
ANALYZE attack_sel;
SET work_mem = '256MB';
-- With max_groups 1 only one group keeps the unit (count 1). The threshold
-- lets a count of 1 pass with probability below delta = 0.01; the other
-- 4999 groups count 0 units and must stay hidden. Before groups without
-- units were hidden, each passed with probability 0.008 (about 40 in all).
SELECT count(*) <= 1 AS at_most_one_group FROM (
    SELECT g FROM attack_sel GROUP BY g
    HAVING ciam_privacy.dp_select_units(unit, 1, 0.1, 0.01) IS NOT NULL
) s;
-- a group whose rows all have a NULL unit has no unit either (2000 groups)
SELECT ciam_privacy.reset_spending(current_user::regrole);
CREATE TABLE attack_sel_null AS
    SELECT NULL::int AS unit, g % 2000 AS g FROM generate_series(1, 4000) g;
SELECT count(*) = 0 AS no_group FROM (
    SELECT g FROM attack_sel_null GROUP BY g
    HAVING ciam_privacy.dp_select_units(unit, 1, 0.1, 0.01) IS NOT NULL
) s;
RESET work_mem;
DROP TABLE attack_sel, attack_sel_null;
-- leave the delta limit to the tests that follow
SELECT ciam_privacy.reset_spending(current_user::regrole);

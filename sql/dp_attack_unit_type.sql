-- A privacy unit whose type cannot be hashed is rejected when the query
-- starts. Raised by the first row instead, the error would tell whether the
-- input had a row.
SET client_min_messages = warning;
SELECT ciam_privacy.set_budget(current_user::regrole, 1000, 0.01);
CREATE TABLE attack_unit_type AS SELECT point(g, g) AS p, g FROM generate_series(1, 10) g;
SELECT ciam_privacy.dp_count_units(p, 1, 1.0) FROM attack_unit_type WHERE false;
SELECT ciam_privacy.dp_count_units(p, 1, 1.0) FROM attack_unit_type;
SELECT ciam_privacy.dp_sum(p, g, 0, 10, 1, 1, 1.0) FROM attack_unit_type WHERE false;
-- nothing was charged
SELECT epsilon_spent FROM ciam_privacy.budget_status();
DROP TABLE attack_unit_type;
SELECT ciam_privacy.reset_spending(current_user::regrole);

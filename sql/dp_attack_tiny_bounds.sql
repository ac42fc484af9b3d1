-- Equal bounds below about 2.5e-300 in magnitude made dp_sum's grid scale
-- infinite: llround() of an infinity, then an error about the noise, and
-- an interval of zero width. Such bounds are now rejected as parameters.
SET client_min_messages = warning;
SELECT ciam_privacy.set_budget(current_user::regrole, 1000, 0.01);
CREATE TABLE attack_tiny AS SELECT g AS u, g::float8 AS x FROM generate_series(1, 10) g;
SELECT ciam_privacy.dp_sum(x, 1e-300, 1e-300, 1) FROM attack_tiny;
SELECT ciam_privacy.dp_sum(x, -5e-324, -5e-324, 1) FROM attack_tiny;
SELECT ciam_privacy.dp_sum(u, x, 1e-300, 1e-300, 1, 1, 1) FROM attack_tiny;
SELECT * FROM ciam_privacy.dp_sum_interval(1, 1e-300, 1e-300, 1, 0.05);
-- equal bounds of 0, or of at least 1e-280, still draw noise
SELECT ciam_privacy.dp_sum(x, 1e-280, 1e-280, 1) IS NOT NULL AS ok FROM attack_tiny;
SELECT ciam_privacy.dp_sum(x, 0, 0, 1) IS NOT NULL AS ok FROM attack_tiny;
SELECT low < high AS has_width FROM ciam_privacy.dp_sum_interval(0, 1e-280, 1e-280, 1, 0.05);
DROP TABLE attack_tiny;
SELECT ciam_privacy.reset_spending(current_user::regrole);

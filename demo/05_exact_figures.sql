-- Exact figures of the web request views, without noise, for comparison
-- with the analyst's results. Only the data owner can compute these.

SELECT k.day,
       count(r.request_id) AS requests,
       count(DISTINCT r.visitor) AS visitors
FROM reference.log_days AS k
LEFT JOIN crm.web_requests AS r
       ON (r.requested_at AT TIME ZONE 'UTC')::date = k.day
GROUP BY k.day
ORDER BY k.day;

SELECT k.status_class, count(r.request_id) AS requests
FROM reference.status_classes AS k
LEFT JOIN crm.web_requests AS r ON r.status / 100 = k.first_digit
GROUP BY k.status_class
ORDER BY k.status_class;

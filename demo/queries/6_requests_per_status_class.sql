-- Web requests per HTTP status class
SELECT status_class, requests
FROM analytics.requests_per_status_class
ORDER BY status_class;

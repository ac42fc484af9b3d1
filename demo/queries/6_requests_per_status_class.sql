-- Web requests per HTTP status class, at most 10 from each visitor in at most 2 classes
SELECT status_class, requests
FROM analytics.requests_per_status_class
ORDER BY status_class;

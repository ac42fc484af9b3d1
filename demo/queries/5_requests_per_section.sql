-- Web requests per site section, at most 10 from each visitor in at most 3 sections
SELECT section, requests
FROM analytics.requests_per_section
ORDER BY requests DESC, section;

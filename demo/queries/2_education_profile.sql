-- Customers, mean age and mean weekly hours per education level
SELECT education, customers, mean_age, mean_hours_per_week
FROM analytics.education_profile
ORDER BY mean_hours_per_week DESC, education;

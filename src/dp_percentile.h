/*
 * dp_percentile.h
 *	  The DP percentile's buckets and release, shared by its row-level
 *	  (dp_percentile.c) and per-unit (dp_unit.c) forms.
 */
#ifndef DP_PERCENTILE_H
#define DP_PERCENTILE_H

#include "ciam_privacy.h"

/* Candidate outputs: the centers of this many equal buckets of [lower, upper] */
#define DP_PERCENTILE_BUCKETS 2048

extern int64 DpPercentileBucket(double lower, double upper, double value);
extern double DpReleasePercentile(const DpParams *params, const int64 *counts);

#endif							/* DP_PERCENTILE_H */

/*
 * dp_bounded.h
 *	  Grids, exact sums and releases shared by the bounded DP aggregates
 *	  (dp_bounded.c) and their per-unit forms (dp_unit.c).
 */
#ifndef DP_BOUNDED_H
#define DP_BOUNDED_H

#include "ciam_privacy.h"

typedef enum DpFamily
{
	DP_FAMILY_SUM = 1,			/* grid anchored at zero */
	DP_FAMILY_MEAN,				/* grid from the lower bound, 2^30 steps */
	DP_FAMILY_VARIANCE			/* grid from the lower bound, 2^15 steps */
} DpFamily;

typedef struct DpGrid
{
	DpFamily	family;
	double		lower;
	double		upper;
	double		scale;			/* 1 / grid step, a power of two */
	int64		qlow;			/* smallest quantized value */
	int64		qhigh;			/* largest quantized value */
	int64		range;			/* qhigh - qlow */
} DpGrid;

typedef struct DpSums
{
	int64		count;
	int128		sum;			/* of quantized values */
	int128		sumsq;			/* of their squares (variance only) */
} DpSums;

typedef struct DpBoundedState
{
	DpGrid		grid;
	Oid			value_type;
	DpSums		sums;
} DpBoundedState;

extern DpFamily DpFamilyOfKind(DpAggregateKind kind);
extern void DpSetGrid(DpGrid *grid, DpFamily family, double lower, double upper);
extern uint64 DpGridSensitivity(const DpGrid *grid, DpAggregateKind kind,
								int part, int32 max_rows);
extern double DpDatumToDouble(Datum value, Oid type);
extern bool DpValueTypeAccepted(Oid type);
extern int64 DpQuantize(const DpGrid *grid, double value);
extern double DpReleaseBounded(const DpParams *params, const DpGrid *grid,
							   const DpSums *sums);
extern void DpGetBounds(FunctionCallInfo fcinfo, int lower_arg,
						double *lower, double *upper);
extern void DpRequireSerializeContext(FunctionCallInfo fcinfo, const char *name);

#endif							/* DP_BOUNDED_H */

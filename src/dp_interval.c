/*
 * dp_interval.c
 *	  Confidence intervals of DP releases, from public parameters only.
 *
 * Each function takes a released value and the parameters of the call that
 * released it, and returns an interval that holds the true value with
 * probability at least 1 - alpha over the noise. The intervals use nothing
 * but the parameters (and, for the mean, a lower bound on the count that
 * the caller supplies), so computing them is post-processing and costs no
 * budget. The Gaussian forms read ciam_privacy.gaussian_accounting, which
 * must be the setting the release ran with.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/float.h"

#include "ciam_privacy.h"
#include "dp_bounded.h"
#include "dp_percentile.h"

/* Read a float8 argument that must not be null. */
static double
Float8Arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
	return PG_GETARG_FLOAT8(argno);
}

/* Read an int4 contribution bound argument in [1, limit]. */
static int32
BoundArg(FunctionCallInfo fcinfo, int argno, const char *name, int32 limit)
{
	int32		value;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
	value = PG_GETARG_INT32(argno);
	if (value < 1 || value > limit)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s %d is out of range", name, value),
				 errdetail("It must lie between 1 and %d.", limit)));
	return value;
}

/*
 * Fill parameters as the release validated them: epsilon, an optional
 * delta (NULL: Laplace), alpha in (0, 0.3].
 */
static void
IntervalParams(FunctionCallInfo fcinfo, DpParams *params, int epsilon_arg,
			   int alpha_arg, int delta_arg, double *alpha)
{
	double		epsilon = Float8Arg(fcinfo, epsilon_arg, "epsilon");

	memset(params, 0, sizeof(DpParams));
	params->max_rows = 1;
	params->max_groups = 1;
	if (!isfinite(epsilon) || epsilon < CIAM_EPSILON_MIN || epsilon > CIAM_EPSILON_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("epsilon %s is out of range", float8out_internal(epsilon)),
				 errdetail("Epsilon must lie between %g and %g.",
						   CIAM_EPSILON_MIN, CIAM_EPSILON_MAX)));
	params->epsilon_nanos = (int64) llround(epsilon * (double) CIAM_EPSILON_SCALE);

	*alpha = Float8Arg(fcinfo, alpha_arg, "alpha");
	if (!(*alpha > 0 && *alpha <= 0.3))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("alpha %s is out of range", float8out_internal(*alpha)),
				 errdetail("Alpha must lie in (0, 0.3]: the interval holds with probability 1 - alpha.")));

	params->mechanism = DP_LAPLACE;
	if (delta_arg >= 0 && !PG_ARGISNULL(delta_arg))
	{
		double		delta = PG_GETARG_FLOAT8(delta_arg);

		if (!(delta >= CIAM_DELTA_MIN) || !(delta <= CIAM_DELTA_LIMIT_MAX))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("delta %s is out of range", float8out_internal(delta))));
		params->mechanism = DP_GAUSSIAN;
		params->delta_attos = (int64) llround(delta * (double) CIAM_DELTA_SCALE);
		params->zcdp = DpGaussianAccountingIsZcdp();
	}
}

/* Validate bounds as the release did. */
static void
IntervalBounds(FunctionCallInfo fcinfo, DpParams *params, int lower_arg)
{
	params->lower = Float8Arg(fcinfo, lower_arg, "lower bound");
	params->upper = Float8Arg(fcinfo, lower_arg + 1, "upper bound");
	if (!DpBoundsUsable(params->lower, params->upper))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bounds [%s, %s] are invalid",
						float8out_internal(params->lower),
						float8out_internal(params->upper))));
}

/* Return (low, high) as the function's composite result. */
static Datum
ReturnInterval(FunctionCallInfo fcinfo, double low, double high)
{
	TupleDesc	desc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "interval functions must return a composite type");
	values[0] = Float8GetDatum(low);
	values[1] = Float8GetDatum(high);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

PG_FUNCTION_INFO_V1(dp_count_interval);

/*
 * dp_count_interval(estimate, epsilon, alpha, delta, max_rows, max_groups)
 * for dp_count in its row form (max_rows = max_groups = 1) or per-unit form.
 */
Datum
dp_count_interval(PG_FUNCTION_ARGS)
{
	double		estimate = Float8Arg(fcinfo, 0, "estimate");
	DpParams	params;
	double		alpha;
	double		t;

	IntervalParams(fcinfo, &params, 1, 2, 3, &alpha);
	params.max_rows = BoundArg(fcinfo, 4, "max_rows", CIAM_MAX_ROWS_LIMIT);
	params.max_groups = BoundArg(fcinfo, 5, "max_groups", CIAM_MAX_GROUPS_LIMIT);
	t = DpNoiseHalfWidth(&params, (uint64) params.max_rows, 1, alpha);
	return ReturnInterval(fcinfo, Max(estimate - t, 0), estimate + t);
}

PG_FUNCTION_INFO_V1(dp_count_units_interval);

/* dp_count_units_interval(estimate, epsilon, alpha, delta, max_groups) */
Datum
dp_count_units_interval(PG_FUNCTION_ARGS)
{
	double		estimate = Float8Arg(fcinfo, 0, "estimate");
	DpParams	params;
	double		alpha;
	double		t;

	IntervalParams(fcinfo, &params, 1, 2, 3, &alpha);
	params.max_groups = BoundArg(fcinfo, 4, "max_groups", CIAM_MAX_GROUPS_LIMIT);
	t = DpNoiseHalfWidth(&params, 1, 1, alpha);
	return ReturnInterval(fcinfo, Max(estimate - t, 0), estimate + t);
}

/*
 * Read the parameters of an interval of a bounded aggregate: lower and
 * upper at arguments 1 and 2, epsilon, alpha and delta at the positions
 * given, and max_rows and max_groups after delta. Then set its grid.
 */
static void
BoundedIntervalParams(FunctionCallInfo fcinfo, DpParams *params, DpGrid *grid,
					  DpAggregateKind kind, DpFamily family,
					  int epsilon_arg, int alpha_arg, int delta_arg, double *alpha)
{
	IntervalParams(fcinfo, params, epsilon_arg, alpha_arg, delta_arg, alpha);
	IntervalBounds(fcinfo, params, 1);
	params->kind = kind;
	params->max_rows = BoundArg(fcinfo, delta_arg + 1, "max_rows", CIAM_MAX_ROWS_LIMIT);
	params->max_groups = BoundArg(fcinfo, delta_arg + 2, "max_groups", CIAM_MAX_GROUPS_LIMIT);
	DpSetGrid(grid, family, params->lower, params->upper);
}

/* Return the (1 - alpha) half-width of the noise on one part of a release */
static double
PartHalfWidth(const DpParams *params, const DpGrid *grid, int part, int parts,
			  double alpha)
{
	return DpNoiseHalfWidth(params,
							DpGridSensitivity(grid, params->kind, part, params->max_rows),
							parts, alpha);
}

PG_FUNCTION_INFO_V1(dp_sum_interval);

/* dp_sum_interval(estimate, lower, upper, epsilon, alpha, delta, max_rows, max_groups) */
Datum
dp_sum_interval(PG_FUNCTION_ARGS)
{
	double		estimate = Float8Arg(fcinfo, 0, "estimate");
	DpParams	params;
	DpGrid		grid;
	double		alpha;
	double		t;

	BoundedIntervalParams(fcinfo, &params, &grid, DP_AGG_SUM, DP_FAMILY_SUM, 3, 4, 5, &alpha);
	t = PartHalfWidth(&params, &grid, 0, 1, alpha) / grid.scale;
	return ReturnInterval(fcinfo, estimate - t, estimate + t);
}

PG_FUNCTION_INFO_V1(dp_avg_interval);

/*
 * dp_avg_interval(estimate, lower, upper, epsilon, alpha, count_lower,
 * delta, max_rows, max_groups)
 *	  dp_avg releases lower + (R + (C + Zs) / (n + Zn)) g / 2, where C is the
 *	  centered sum (|C| <= n R) and Zs, Zn the noises. Then
 *	  |mean - estimate| <= (g / 2) (|Zs| + R |Zn|) / (n - |Zn|). With the
 *	  noises within their (1 - alpha / 2) half-widths and n at least
 *	  count_lower, that inequality bounds the error. count_lower is a lower
 *	  bound, supplied by the caller, on the number of values, for example
 *	  the low end of a dp_count interval. If count_lower is too small, the
 *	  interval is the bounds.
 */
Datum
dp_avg_interval(PG_FUNCTION_ARGS)
{
	double		estimate = Float8Arg(fcinfo, 0, "estimate");
	double		count_lower = Float8Arg(fcinfo, 5, "count_lower");
	DpParams	params;
	DpGrid		grid;
	double		alpha;
	double		count_error;
	double		sum_error;
	double		t;

	BoundedIntervalParams(fcinfo, &params, &grid, DP_AGG_AVG, DP_FAMILY_MEAN, 3, 4, 6, &alpha);
	count_error = PartHalfWidth(&params, &grid, 0, 2, alpha / 2);
	sum_error = PartHalfWidth(&params, &grid, 1, 2, alpha / 2);
	if (!(count_lower - count_error >= 1))
		return ReturnInterval(fcinfo, params.lower, params.upper);
	t = (sum_error + (double) grid.range * count_error) / (count_lower - count_error) /
		grid.scale / 2.0;
	return ReturnInterval(fcinfo, Max(estimate - t, params.lower),
						  Min(estimate + t, params.upper));
}

/*
 * Interval of a dp_variance release (square_root false) or a dp_stddev
 * release (true). In units of the centered grid (x = 2q - R, |x| <= R),
 * the release is S2' / n' - (S1' / n')^2, with noises Zn, Z1, Z2 on the
 * count, the sum and the sum of squares. As for the mean,
 * |S2' / n' - S2 / n| <= (|Z2| + R^2 |Zn|) / (n - |Zn|) = e2 and
 * |S1' / n' - S1 / n| <= (|Z1| + R |Zn|) / (n - |Zn|) = e1, and
 * |m'^2 - m^2| <= e1 (2 R + e1) since |m| <= R. Each noise is taken within
 * its (1 - alpha / 3) half-width.
 */
static Datum
VarianceInterval(FunctionCallInfo fcinfo, bool square_root)
{
	double		estimate = Float8Arg(fcinfo, 0, "estimate");
	double		count_lower = Float8Arg(fcinfo, 5, "count_lower");
	DpParams	params;
	DpGrid		grid;
	double		alpha;
	double		count_error;
	double		sum_error;
	double		squares_error;
	double		range;
	double		step;
	double		e1;
	double		e2;
	double		t;
	double		variance;
	double		limit;
	double		low;
	double		high;

	BoundedIntervalParams(fcinfo, &params, &grid, DP_AGG_VARIANCE, DP_FAMILY_VARIANCE,
						  3, 4, 6, &alpha);
	count_error = PartHalfWidth(&params, &grid, 0, 3, alpha / 3);
	sum_error = PartHalfWidth(&params, &grid, 1, 3, alpha / 3);
	squares_error = PartHalfWidth(&params, &grid, 2, 3, alpha / 3);
	limit = (params.upper - params.lower) * (params.upper - params.lower) / 4.0;
	if (!(count_lower - count_error >= 1))
		return ReturnInterval(fcinfo, 0, square_root ? sqrt(limit) : limit);

	range = (double) grid.range;
	e1 = (sum_error + range * count_error) / (count_lower - count_error);
	e2 = (squares_error + range * range * count_error) / (count_lower - count_error);
	/* x is in units of half a grid step */
	step = 1.0 / grid.scale / 2.0;
	t = (e2 + e1 * (2.0 * range + e1)) * step * step;

	variance = square_root ? estimate * estimate : estimate;
	low = Max(variance - t, 0);
	high = Min(variance + t, limit);
	if (square_root)
		return ReturnInterval(fcinfo, sqrt(low), sqrt(high));
	return ReturnInterval(fcinfo, low, high);
}

PG_FUNCTION_INFO_V1(dp_variance_interval);

/* dp_variance_interval(estimate, lower, upper, epsilon, alpha, count_lower, delta, max_rows, max_groups) */
Datum
dp_variance_interval(PG_FUNCTION_ARGS)
{
	return VarianceInterval(fcinfo, false);
}

PG_FUNCTION_INFO_V1(dp_stddev_interval);

/* dp_stddev_interval(estimate, lower, upper, epsilon, alpha, count_lower, delta, max_rows, max_groups) */
Datum
dp_stddev_interval(PG_FUNCTION_ARGS)
{
	return VarianceInterval(fcinfo, true);
}

PG_FUNCTION_INFO_V1(dp_percentile_rank_error);

/*
 * dp_percentile_rank_error(epsilon, alpha, max_rows, max_groups): with
 * probability 1 - alpha, the bucket dp_percentile or dp_median returns is
 * within this many ranks of the target rank (percentile * count): the
 * exponential mechanism's utility bound, 2 max_rows max_groups
 * ln(2048 / alpha) / epsilon. The returned value is also off by up to half
 * a bucket, (upper - lower) / 4096.
 */
Datum
dp_percentile_rank_error(PG_FUNCTION_ARGS)
{
	DpParams	params;
	double		alpha;
	int32		max_rows;
	int32		max_groups;

	IntervalParams(fcinfo, &params, 0, 1, -1, &alpha);
	max_rows = BoundArg(fcinfo, 2, "max_rows", CIAM_MAX_ROWS_LIMIT);
	max_groups = BoundArg(fcinfo, 3, "max_groups", CIAM_MAX_GROUPS_LIMIT);
	PG_RETURN_FLOAT8(2.0 * max_rows * max_groups *
					 log((double) DP_PERCENTILE_BUCKETS / alpha) /
					 EpsilonFromNanos(params.epsilon_nanos));
}

PG_FUNCTION_INFO_V1(dp_select_units_threshold);

/* dp_select_units_threshold(epsilon, delta, max_groups): the selection threshold */
Datum
dp_select_units_threshold(PG_FUNCTION_ARGS)
{
	double		epsilon = Float8Arg(fcinfo, 0, "epsilon");
	double		delta = Float8Arg(fcinfo, 1, "delta");
	int32		max_groups = BoundArg(fcinfo, 2, "max_groups", CIAM_MAX_GROUPS_LIMIT);

	if (!isfinite(epsilon) || epsilon < CIAM_EPSILON_MIN || epsilon > CIAM_EPSILON_MAX ||
		!(delta >= CIAM_DELTA_MIN) || !(delta <= CIAM_DELTA_LIMIT_MAX))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("epsilon %s or delta %s is out of range",
						float8out_internal(epsilon), float8out_internal(delta))));
	PG_RETURN_INT64(DpSelectionThreshold(epsilon, delta, max_groups));
}

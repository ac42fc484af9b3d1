/*
 * dp_bounded.c
 *	  dp_sum, dp_avg, dp_variance and dp_stddev, row-level forms:
 *	  aggregate(value, lower, upper, epsilon [, delta]).
 *
 * Values
 *	  The value may be smallint, integer, bigint, real, double precision or
 *	  numeric. It is read as a double, clamped to [lower, upper] and only
 *	  then quantized to an integer on a grid that depends on the bounds
 *	  alone. Reading a bigint near the int64 limits as a double rounds it by
 *	  at most 2^10, far below any grid step that such bounds produce. A
 *	  numeric too large for a double becomes an infinity, which clamps to a
 *	  bound. NULL and NaN are skipped.
 *
 * Grids
 *	  dp_sum quantizes on a grid anchored at zero: q = round(v / g), where g
 *	  is the power of two that makes max(|lower|, |upper|) / g at most 2^30.
 *	  q lies in [round(lower / g), round(upper / g)], so one row changes the
 *	  integer sum by at most max(|round(lower / g)|, |round(upper / g)|).
 *	  dp_avg, dp_variance and dp_stddev quantize relative to the lower
 *	  bound: q = round((v - lower) / g) in [0, R], R = (upper - lower) / g at
 *	  most 2^30 (2^15 for the variance, whose squares must stay small).
 *	  Sums of q and of q^2 are kept exactly in 128 bits: with fewer than
 *	  2^63 rows they cannot overflow, whatever the values.
 *
 * Releases
 *	  dp_sum releases the noisy integer sum times g, a multiple of a power
 *	  of two, computed from the noisy integer alone. dp_avg spends half of
 *	  the budget on the count and half on the centered sum sum(2q - R).
 *	  dp_variance and dp_stddev spend a third each on the count, the
 *	  centered sum and the sum of squares sum((2q - R)^2). The results are
 *	  computed from the noisy integers alone (post-processing) and clamped
 *	  to what is possible: [lower, upper] for the mean, [0, (upper -
 *	  lower)^2 / 4] for the variance.
 *
 *	  The per-unit forms (dp_unit.c) reuse the grids and the release code.
 *	  There each statistic's sensitivity is multiplied by max_rows.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "executor/nodeAgg.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "nodes/execnodes.h"
#include "utils/float.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

#include "ciam_privacy.h"
#include "dp_bounded.h"

#define DP_BOUNDED_SERIAL_SIZE (2 * sizeof(double) + 1 + 5 * sizeof(int64))

/* Return whether [lower, upper] are bounds that can be quantized. */
bool
DpBoundsUsable(double lower, double upper)
{
	if (!isfinite(lower) || !isfinite(upper) || !(lower <= upper) ||
		fabs(lower) > CIAM_BOUND_MAX || fabs(upper) > CIAM_BOUND_MAX)
		return false;

	/*
	 * dp_sum's grid step follows max(|lower|, |upper|), and below about
	 * 2.5e-300 its inverse is not a finite double, so equal bounds must be
	 * 0 or at least CIAM_BOUND_MIN_WIDTH in magnitude.
	 */
	if (upper == lower)
		return lower == 0 || fabs(lower) >= CIAM_BOUND_MIN_WIDTH;
	return upper - lower >= CIAM_BOUND_MIN_WIDTH;
}

/* Number of noisy statistics that share the budget of one release. */
int
DpPartsOfKind(DpAggregateKind kind)
{
	switch (kind)
	{
		case DP_AGG_AVG:
			return 2;
		case DP_AGG_VARIANCE:
		case DP_AGG_STDDEV:
			return 3;
		default:
			return 1;
	}
}

/* Family of the grid a kind uses. */
DpFamily
DpFamilyOfKind(DpAggregateKind kind)
{
	switch (kind)
	{
		case DP_AGG_SUM:
			return DP_FAMILY_SUM;
		case DP_AGG_AVG:
			return DP_FAMILY_MEAN;
		case DP_AGG_VARIANCE:
		case DP_AGG_STDDEV:
			return DP_FAMILY_VARIANCE;
		default:
			elog(ERROR, "DP aggregate kind %d has no grid", (int) kind);
	}
	return DP_FAMILY_SUM;		/* keep the compiler quiet */
}

/* Compute the quantization grid of [lower, upper] for a family. */
void
DpSetGrid(DpGrid *grid, DpFamily family, double lower, double upper)
{
	int			exponent;
	int			bits = (family == DP_FAMILY_VARIANCE) ? 15 : 30;

	if (!DpBoundsUsable(lower, upper))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bounds [%s, %s] of a DP aggregate are invalid",
						float8out_internal(lower), float8out_internal(upper))));

	memset(grid, 0, sizeof(DpGrid));
	grid->family = family;
	grid->lower = lower;
	grid->upper = upper;
	grid->scale = 1.0;
	if (family == DP_FAMILY_SUM)
	{
		double		magnitude = Max(fabs(lower), fabs(upper));

		if (magnitude > 0)
		{
			/* magnitude = m * 2^exponent, m in [0.5, 1) */
			(void) frexp(magnitude, &exponent);
			grid->scale = ldexp(1.0, bits - exponent);
		}
		grid->qlow = (int64) llround(lower * grid->scale);
		grid->qhigh = (int64) llround(upper * grid->scale);
		grid->range = grid->qhigh - grid->qlow;
	}
	else
	{
		double		width = upper - lower;

		if (width > 0)
		{
			(void) frexp(width, &exponent);
			grid->scale = ldexp(1.0, bits - exponent);
		}
		grid->qlow = 0;
		grid->range = (int64) llround(width * grid->scale);
		grid->qhigh = grid->range;
	}
}

/*
 * Return the sensitivity, in grid units, of one part of a release: the
 * maximum change that one row makes, times max_rows (the rows that one unit
 * may contribute). For dp_sum, part 0 is the sum. For the mean and variance,
 * part 0 is the count, part 1 the centered sum and part 2 the sum of squares.
 */
uint64
DpGridSensitivity(const DpGrid *grid, DpAggregateKind kind, int part, int32 max_rows)
{
	uint64		one;

	if (kind == DP_AGG_SUM)
		one = (uint64) Max(Abs(grid->qlow), Abs(grid->qhigh));
	else if (part == 0)
		one = 1;
	else if (part == 1)
		one = (uint64) grid->range;
	else
		one = (uint64) grid->range * (uint64) grid->range;
	return Max(one, 1) * (uint64) max_rows;
}

/* Sensitivity of part "part" of a validated release, for query_charge.c */
uint64
DpSensitivityOfKind(const DpParams *params, int part)
{
	DpGrid		grid;

	if (params->kind == DP_AGG_COUNT || params->kind == DP_AGG_COUNT_UNITS ||
		params->kind == DP_AGG_SELECT_UNITS)
		return (uint64) params->max_rows;
	DpSetGrid(&grid, DpFamilyOfKind(params->kind), params->lower, params->upper);
	return DpGridSensitivity(&grid, params->kind, part, params->max_rows);
}

/* Read a value of one of the accepted numeric types as a double. */
double
DpDatumToDouble(Datum value, Oid type)
{
	switch (type)
	{
		case FLOAT8OID:
			return DatumGetFloat8(value);
		case FLOAT4OID:
			return (double) DatumGetFloat4(value);
		case INT2OID:
			return (double) DatumGetInt16(value);
		case INT4OID:
			return (double) DatumGetInt32(value);
		case INT8OID:
			return (double) DatumGetInt64(value);
		case NUMERICOID:
			/* NaN stays NaN; a value beyond the double range becomes infinite */
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, value));
		default:
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("DP aggregates take values of type smallint, integer, bigint, real, double precision or numeric")));
	}
	return 0;					/* keep the compiler quiet */
}

/* Return whether a type is one that DpDatumToDouble() reads. */
bool
DpValueTypeAccepted(Oid type)
{
	return type == FLOAT8OID || type == FLOAT4OID || type == INT2OID ||
		type == INT4OID || type == INT8OID || type == NUMERICOID;
}

/* Clamp a value (not NaN) to the bounds and quantize it on the grid. */
int64
DpQuantize(const DpGrid *grid, double value)
{
	int64		q;

	/* Round half away from zero, without a call to llround() per row */
	if (grid->family == DP_FAMILY_SUM)
	{
		double		scaled;

		if (value <= grid->lower)
			return grid->qlow;
		if (value >= grid->upper)
			return grid->qhigh;
		scaled = value * grid->scale;
		q = (scaled >= 0) ? (int64) (scaled + 0.5) : -(int64) (0.5 - scaled);
	}
	else
	{
		if (value <= grid->lower)
			return 0;
		if (value >= grid->upper)
			return grid->range;
		q = (int64) ((value - grid->lower) * grid->scale + 0.5);
	}
	/* rounding is monotone, but keep q within the range whatever happens */
	if (q < grid->qlow)
		q = grid->qlow;
	if (q > grid->qhigh)
		q = grid->qhigh;
	return q;
}

/* Add one quantized value to sums. */
static inline void
AddQuantized(DpSums *sums, int64 q)
{
	sums->count++;
	sums->sum += q;
}

/* Add one quantized value to sums, with its square. */
static inline void
AddQuantizedSquare(DpSums *sums, int64 q)
{
	sums->count++;
	sums->sum += q;
	sums->sumsq += (int128) q * q;
}

/*
 * Release the value of a bounded aggregate from exact integer sums. The
 * sums are of quantized rows; for the per-unit forms, of the rows kept.
 */
double
DpReleaseBounded(const DpParams *params, const DpGrid *grid, const DpSums *sums)
{
	int			parts = DpPartsOfKind(params->kind);
	double		grid_step = 1.0 / grid->scale;
	int64		noisy_count;
	int128		centered;
	int128		squares;
	double		result;

	if (params->kind == DP_AGG_SUM)
	{
		int128		noisy = sums->sum +
			DpIntegerNoise(params, DpGridSensitivity(grid, params->kind, 0, params->max_rows), 1);

		/* a multiple of the grid step, from the noisy integer alone */
		return (double) noisy * grid_step;
	}

	noisy_count = sums->count +
		DpIntegerNoise(params, DpGridSensitivity(grid, params->kind, 0, params->max_rows), parts);
	centered = 2 * sums->sum - (int128) grid->range * sums->count;
	centered += DpIntegerNoise(params, DpGridSensitivity(grid, params->kind, 1, params->max_rows), parts);

	if (params->kind == DP_AGG_AVG)
	{
		/* mean = lower + (R + centered / n) * g / 2 */
		result = grid->lower + (double) grid->range * grid_step / 2.0 +
			((double) centered / (double) Max(noisy_count, 1)) * grid_step / 2.0;
		if (!(result >= grid->lower))
			result = grid->lower;
		if (result > grid->upper)
			result = grid->upper;
		return result;
	}

	/* sum((2q - R)^2) = 4 sum(q^2) - 4 R sum(q) + n R^2 */
	squares = 4 * sums->sumsq - 4 * (int128) grid->range * sums->sum +
		(int128) grid->range * grid->range * sums->count;
	squares += DpIntegerNoise(params, DpGridSensitivity(grid, params->kind, 2, params->max_rows), parts);
	{
		double		n = (double) Max(noisy_count, 1);
		double		mean_x = (double) centered / n;
		double		variance_x = (double) squares / n - mean_x * mean_x;
		double		limit = (double) grid->range * (double) grid->range;

		if (!(variance_x >= 0))
			variance_x = 0;
		if (variance_x > limit)
			variance_x = limit;
		/*
		 * x = 2q - R is in units of g / 2. The standard deviation is taken
		 * before scaling, so it stays below (upper - lower) / 2; a variance
		 * past the largest double (bounds wider than about 2.7e154) is
		 * clamped to it, so no release is infinite.
		 */
		if (params->kind == DP_AGG_STDDEV)
			return sqrt(variance_x) * (grid_step / 2.0);
		result = variance_x * (grid_step / 2.0) * (grid_step / 2.0);
		if (result > DBL_MAX)
			result = DBL_MAX;
		return result;
	}
}

/* ------------------------------------------------------------------------
 * Row-level aggregate support functions
 * ------------------------------------------------------------------------
 */

static DpBoundedState *
NewBoundedState(FunctionCallInfo fcinfo, DpFamily family, double lower,
				double upper)
{
	MemoryContext aggcontext;
	DpBoundedState *state;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("DP aggregate support functions can only be called by their aggregate")));
	state = MemoryContextAllocZero(aggcontext, sizeof(DpBoundedState));
	DpSetGrid(&state->grid, family, lower, upper);
	return state;
}

static void
CheckSameGrid(const DpGrid *grid, DpFamily family, double lower, double upper)
{
	if (grid->family != family || grid->lower != lower || grid->upper != upper)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bounds of a DP aggregate must be the same for every row")));
}

/* Read the bounds at argument positions lower_arg and lower_arg + 1. */
void
DpGetBounds(FunctionCallInfo fcinfo, int lower_arg, double *lower, double *upper)
{
	if (PG_ARGISNULL(lower_arg) || PG_ARGISNULL(lower_arg + 1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("bounds of a DP aggregate must not be null")));
	*lower = PG_GETARG_FLOAT8(lower_arg);
	*upper = PG_GETARG_FLOAT8(lower_arg + 1);
}

/* Transition: (state, value "any", lower, upper, epsilon [, delta]) */
static Datum
BoundedTransition(FunctionCallInfo fcinfo, DpFamily family)
{
	DpBoundedState *state = PG_ARGISNULL(0) ? NULL : (DpBoundedState *) PG_GETARG_POINTER(0);
	double		lower;
	double		upper;
	double		value;

	if (state == NULL)
	{
		DpGetBounds(fcinfo, 2, &lower, &upper);
		state = NewBoundedState(fcinfo, family, lower, upper);
		state->value_type = get_fn_expr_argtype(fcinfo->flinfo, 1);
		if (!DpValueTypeAccepted(state->value_type))
			(void) DpDatumToDouble((Datum) 0, state->value_type);	/* raises the error */
	}
	else if (unlikely(PG_ARGISNULL(2) || PG_ARGISNULL(3) ||
					  PG_GETARG_FLOAT8(2) != state->grid.lower ||
					  PG_GETARG_FLOAT8(3) != state->grid.upper))
	{
		DpGetBounds(fcinfo, 2, &lower, &upper);
		CheckSameGrid(&state->grid, family, lower, upper);
	}

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(state);
	value = (state->value_type == FLOAT8OID) ? PG_GETARG_FLOAT8(1) :
		DpDatumToDouble(PG_GETARG_DATUM(1), state->value_type);
	if (isnan(value))
		PG_RETURN_POINTER(state);
	if (family == DP_FAMILY_VARIANCE)
		AddQuantizedSquare(&state->sums, DpQuantize(&state->grid, value));
	else
		AddQuantized(&state->sums, DpQuantize(&state->grid, value));
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(dp_sum_transfn);
Datum
dp_sum_transfn(PG_FUNCTION_ARGS)
{
	return BoundedTransition(fcinfo, DP_FAMILY_SUM);
}

PG_FUNCTION_INFO_V1(dp_mean_transfn);
Datum
dp_mean_transfn(PG_FUNCTION_ARGS)
{
	return BoundedTransition(fcinfo, DP_FAMILY_MEAN);
}

PG_FUNCTION_INFO_V1(dp_variance_transfn);
Datum
dp_variance_transfn(PG_FUNCTION_ARGS)
{
	return BoundedTransition(fcinfo, DP_FAMILY_VARIANCE);
}

PG_FUNCTION_INFO_V1(dp_bounded_combinefn);

/* dp_bounded_combinefn(internal, internal) merges two partial states. */
Datum
dp_bounded_combinefn(PG_FUNCTION_ARGS)
{
	DpBoundedState *state1 = PG_ARGISNULL(0) ? NULL : (DpBoundedState *) PG_GETARG_POINTER(0);
	DpBoundedState *state2 = PG_ARGISNULL(1) ? NULL : (DpBoundedState *) PG_GETARG_POINTER(1);

	if (state2 == NULL)
	{
		if (state1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state1);
	}
	if (state1 == NULL)
	{
		state1 = NewBoundedState(fcinfo, state2->grid.family,
								 state2->grid.lower, state2->grid.upper);
		state1->value_type = state2->value_type;
		state1->sums = state2->sums;
		PG_RETURN_POINTER(state1);
	}
	CheckSameGrid(&state1->grid, state2->grid.family, state2->grid.lower,
				  state2->grid.upper);
	state1->sums.count += state2->sums.count;
	state1->sums.sum += state2->sums.sum;
	state1->sums.sumsq += state2->sums.sumsq;
	PG_RETURN_POINTER(state1);
}

/* Raise an error unless called to serialize a partial aggregate. */
void
DpRequireSerializeContext(FunctionCallInfo fcinfo, const char *name)
{
	if (AggCheckCallContext(fcinfo, NULL) != AGG_CONTEXT_AGGREGATE ||
		!IsA(fcinfo->context, AggState) ||
		!DO_AGGSPLIT_SERIALIZE(((AggState *) fcinfo->context)->aggsplit))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s can only be called by a partial aggregate", name)));
}

static void
SendInt128(StringInfo buffer, int128 value)
{
	pq_sendint64(buffer, (int64) (value >> 64));
	pq_sendint64(buffer, (int64) (uint64) value);
}

static int128
GetInt128(StringInfo buffer)
{
	uint64		high = (uint64) pq_getmsgint64(buffer);
	uint64		low = (uint64) pq_getmsgint64(buffer);

	return (int128) (((uint128_t) high << 64) | low);
}

PG_FUNCTION_INFO_V1(dp_bounded_serialize);

/*
 * dp_bounded_serialize(internal) returns bytea. It runs only in a partial
 * aggregate, so no role can make it the final function of an aggregate of
 * its own and read exact sums.
 */
Datum
dp_bounded_serialize(PG_FUNCTION_ARGS)
{
	DpBoundedState *state = (DpBoundedState *) PG_GETARG_POINTER(0);
	StringInfoData buffer;

	DpRequireSerializeContext(fcinfo, "dp_bounded_serialize");
	pq_begintypsend(&buffer);
	pq_sendfloat8(&buffer, state->grid.lower);
	pq_sendfloat8(&buffer, state->grid.upper);
	pq_sendbyte(&buffer, (uint8) state->grid.family);
	pq_sendint64(&buffer, state->sums.count);
	SendInt128(&buffer, state->sums.sum);
	SendInt128(&buffer, state->sums.sumsq);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buffer));
}

PG_FUNCTION_INFO_V1(dp_bounded_deserialize);

/* dp_bounded_deserialize(bytea, internal) validates every field it reads. */
Datum
dp_bounded_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *serial = PG_GETARG_BYTEA_PP(0);
	StringInfoData buffer;
	DpBoundedState *state;
	double		lower;
	double		upper;
	int			family;
	DpSums		sums;

	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("dp_bounded_deserialize can only be called by the aggregate")));
	if (VARSIZE_ANY_EXHDR(serial) != DP_BOUNDED_SERIAL_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid DP aggregate state: %zu bytes, expected %zu",
						(size_t) VARSIZE_ANY_EXHDR(serial),
						(size_t) DP_BOUNDED_SERIAL_SIZE)));

	buffer.data = VARDATA_ANY(serial);
	buffer.len = VARSIZE_ANY_EXHDR(serial);
	buffer.maxlen = buffer.len;
	buffer.cursor = 0;
	lower = pq_getmsgfloat8(&buffer);
	upper = pq_getmsgfloat8(&buffer);
	family = pq_getmsgbyte(&buffer);
	sums.count = pq_getmsgint64(&buffer);
	sums.sum = GetInt128(&buffer);
	sums.sumsq = GetInt128(&buffer);
	if (family != DP_FAMILY_SUM && family != DP_FAMILY_MEAN &&
		family != DP_FAMILY_VARIANCE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid DP aggregate state: unknown family")));

	state = NewBoundedState(fcinfo, (DpFamily) family, lower, upper);
	state->sums = sums;
	if (sums.count < 0 ||
		sums.sum < (int128) sums.count * state->grid.qlow ||
		sums.sum > (int128) sums.count * state->grid.qhigh ||
		sums.sumsq < 0 ||
		sums.sumsq > (int128) sums.count *
		((int128) Max(Abs(state->grid.qlow), Abs(state->grid.qhigh)) *
		 Max(Abs(state->grid.qlow), Abs(state->grid.qhigh))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid DP aggregate state: sums out of range")));
	PG_RETURN_POINTER(state);
}

/* Final: release the value of the kind of the aggregate. */
static Datum
BoundedFinal(FunctionCallInfo fcinfo, DpAggregateKind kind)
{
	const DpParams *params = DpBeginRelease(fcinfo, kind);
	DpBoundedState empty;
	DpBoundedState *state;

	if (PG_ARGISNULL(0))
	{
		memset(&empty, 0, sizeof(empty));
		DpSetGrid(&empty.grid, DpFamilyOfKind(kind), params->lower, params->upper);
		state = &empty;
	}
	else
	{
		state = (DpBoundedState *) PG_GETARG_POINTER(0);
		if (state->grid.lower != params->lower || state->grid.upper != params->upper ||
			state->grid.family != DpFamilyOfKind(kind))
			elog(ERROR, "DP aggregate state bounds differ from the validated bounds");
	}
	PG_RETURN_FLOAT8(DpReleaseBounded(params, &state->grid, &state->sums));
}

PG_FUNCTION_INFO_V1(dp_sum_finalfn);
Datum
dp_sum_finalfn(PG_FUNCTION_ARGS)
{
	return BoundedFinal(fcinfo, DP_AGG_SUM);
}

PG_FUNCTION_INFO_V1(dp_avg_finalfn);
Datum
dp_avg_finalfn(PG_FUNCTION_ARGS)
{
	return BoundedFinal(fcinfo, DP_AGG_AVG);
}

PG_FUNCTION_INFO_V1(dp_variance_finalfn);
Datum
dp_variance_finalfn(PG_FUNCTION_ARGS)
{
	return BoundedFinal(fcinfo, DP_AGG_VARIANCE);
}

PG_FUNCTION_INFO_V1(dp_stddev_finalfn);
Datum
dp_stddev_finalfn(PG_FUNCTION_ARGS)
{
	return BoundedFinal(fcinfo, DP_AGG_STDDEV);
}

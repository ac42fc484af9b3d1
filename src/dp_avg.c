/*
 * dp_avg.c
 *	  dp_avg(value, lower, upper, epsilon): a bounded mean with noise.
 *
 * Each value is clamped to [lower, upper] (NaN is skipped like NULL, and the
 * infinities clamp to the bounds) and quantized to an integer q in [0, R]:
 * q = round((value - lower) / grid), where grid is the power of two that
 * makes R = (upper - lower) / grid at most 2^30. The grid depends on the
 * bounds alone, never on the data. The state sums q exactly in 128 bits, so
 * no overflow and no floating-point rounding of the sum can change its
 * sensitivity.
 *
 * The final function spends half of epsilon on the count (sensitivity 1)
 * and half on the centered sum T = sum(2q - R), whose sensitivity is R,
 * since one row adds or removes a term in [-R, R]. Both noises are exact
 * discrete Laplace integers (noise.c). The mean is then computed from the two
 * noisy integers alone, with the count floored at 1, and clamped to
 * [lower, upper]. That is post-processing, so its floating point reveals
 * nothing beyond the two noisy integers.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "executor/nodeAgg.h"
#include "libpq/pqformat.h"
#include "nodes/execnodes.h"
#include "utils/float.h"

#include "ciam_privacy.h"

#define DP_AVG_GRID_BITS 30
#define DP_AVG_SERIAL_SIZE (5 * sizeof(int64))

typedef struct DpAvgState
{
	double		lower;
	double		upper;
	double		scale;			/* 1 / grid, a power of two */
	int64		range;			/* R: the largest quantized value */
	int64		count;
	int128		sum;			/* sum of quantized values, each in [0, R] */
} DpAvgState;

/* Return whether [lower, upper] are bounds that dp_avg can quantize. */
bool
DpAvgBoundsUsable(double lower, double upper)
{
	if (!isfinite(lower) || !isfinite(upper) || !(lower <= upper) ||
		fabs(lower) > CIAM_BOUND_MAX || fabs(upper) > CIAM_BOUND_MAX)
		return false;
	return upper == lower || upper - lower >= CIAM_BOUND_MIN_WIDTH;
}

/* Compute the quantization grid of [lower, upper] into the state. */
static void
SetGrid(DpAvgState *state, double lower, double upper)
{
	double		width = upper - lower;
	int			exponent;

	if (!DpAvgBoundsUsable(lower, upper))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bounds [%s, %s] of dp_avg are invalid",
						float8out_internal(lower), float8out_internal(upper))));

	state->lower = lower;
	state->upper = upper;
	if (width == 0)
	{
		state->scale = 1.0;
		state->range = 0;
		return;
	}
	/* width = m * 2^exponent with m in [0.5, 1), so width < 2^exponent */
	(void) frexp(width, &exponent);
	state->scale = ldexp(1.0, DP_AVG_GRID_BITS - exponent);
	state->range = (int64) (width * state->scale + 0.5);
}

static DpAvgState *
NewState(FunctionCallInfo fcinfo, double lower, double upper)
{
	MemoryContext aggcontext;
	DpAvgState *state;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("dp_avg support functions can only be called by the aggregate")));
	state = MemoryContextAllocZero(aggcontext, sizeof(DpAvgState));
	SetGrid(state, lower, upper);
	return state;
}

static void
CheckSameBounds(const DpAvgState *state, double lower, double upper)
{
	if (state->lower != lower || state->upper != upper)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bounds of dp_avg must be the same for every row")));
}

PG_FUNCTION_INFO_V1(dp_avg_transfn);

/* dp_avg_transfn(internal, value, lower, upper, epsilon) */
Datum
dp_avg_transfn(PG_FUNCTION_ARGS)
{
	DpAvgState *state = PG_ARGISNULL(0) ? NULL : (DpAvgState *) PG_GETARG_POINTER(0);
	double		lower;
	double		upper;
	double		value;
	int64		quantized;

	if (PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("bounds of dp_avg must not be null")));
	lower = PG_GETARG_FLOAT8(2);
	upper = PG_GETARG_FLOAT8(3);

	if (state == NULL)
		state = NewState(fcinfo, lower, upper);
	else
		CheckSameBounds(state, lower, upper);

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(state);
	value = PG_GETARG_FLOAT8(1);
	if (isnan(value))
		PG_RETURN_POINTER(state);

	if (value <= lower)
		quantized = 0;
	else if (value >= upper)
		quantized = state->range;
	else
	{
		quantized = (int64) ((value - lower) * state->scale + 0.5);
		if (quantized > state->range)
			quantized = state->range;
	}
	state->count++;
	state->sum += quantized;
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(dp_avg_combinefn);

/* dp_avg_combinefn(internal, internal) merges two partial states. */
Datum
dp_avg_combinefn(PG_FUNCTION_ARGS)
{
	DpAvgState *state1 = PG_ARGISNULL(0) ? NULL : (DpAvgState *) PG_GETARG_POINTER(0);
	DpAvgState *state2 = PG_ARGISNULL(1) ? NULL : (DpAvgState *) PG_GETARG_POINTER(1);

	if (state2 == NULL)
	{
		if (state1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state1);
	}
	if (state1 == NULL)
	{
		state1 = NewState(fcinfo, state2->lower, state2->upper);
		state1->count = state2->count;
		state1->sum = state2->sum;
		PG_RETURN_POINTER(state1);
	}
	CheckSameBounds(state1, state2->lower, state2->upper);
	state1->count += state2->count;
	state1->sum += state2->sum;
	PG_RETURN_POINTER(state1);
}

PG_FUNCTION_INFO_V1(dp_avg_serialize);

/*
 * dp_avg_serialize(internal) returns bytea. It runs only in a partial
 * aggregate, so no role can make it the final function of an aggregate of
 * its own and read the exact sum.
 */
Datum
dp_avg_serialize(PG_FUNCTION_ARGS)
{
	DpAvgState *state = (DpAvgState *) PG_GETARG_POINTER(0);
	StringInfoData buffer;

	if (AggCheckCallContext(fcinfo, NULL) != AGG_CONTEXT_AGGREGATE ||
		!IsA(fcinfo->context, AggState) ||
		!DO_AGGSPLIT_SERIALIZE(((AggState *) fcinfo->context)->aggsplit))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("dp_avg_serialize can only be called by a partial aggregate")));

	pq_begintypsend(&buffer);
	pq_sendfloat8(&buffer, state->lower);
	pq_sendfloat8(&buffer, state->upper);
	pq_sendint64(&buffer, state->count);
	pq_sendint64(&buffer, (int64) (state->sum >> 64));
	pq_sendint64(&buffer, (int64) (uint64) state->sum);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buffer));
}

PG_FUNCTION_INFO_V1(dp_avg_deserialize);

/* dp_avg_deserialize(bytea, internal) validates every field it reads. */
Datum
dp_avg_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *serial = PG_GETARG_BYTEA_PP(0);
	StringInfoData buffer;
	DpAvgState *state;
	double		lower;
	double		upper;
	int64		count;
	uint64		sum_high;
	uint64		sum_low;

	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("dp_avg_deserialize can only be called by the aggregate")));
	if (VARSIZE_ANY_EXHDR(serial) != DP_AVG_SERIAL_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid dp_avg state: %zu bytes, expected %zu",
						(size_t) VARSIZE_ANY_EXHDR(serial),
						(size_t) DP_AVG_SERIAL_SIZE)));

	buffer.data = VARDATA_ANY(serial);
	buffer.len = VARSIZE_ANY_EXHDR(serial);
	buffer.maxlen = buffer.len;
	buffer.cursor = 0;
	lower = pq_getmsgfloat8(&buffer);
	upper = pq_getmsgfloat8(&buffer);
	count = pq_getmsgint64(&buffer);
	sum_high = (uint64) pq_getmsgint64(&buffer);
	sum_low = (uint64) pq_getmsgint64(&buffer);

	state = NewState(fcinfo, lower, upper);
	state->count = count;
	state->sum = (int128) (((unsigned __int128) sum_high << 64) | sum_low);
	if (count < 0 || state->sum < 0 ||
		state->sum > (int128) count * (int128) state->range)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid dp_avg state: sum or count out of range")));
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(dp_avg_finalfn);

/* dp_avg_finalfn(internal) returns the noisy mean, within the bounds. */
Datum
dp_avg_finalfn(PG_FUNCTION_ARGS)
{
	const DpParams *params = DpBeginRelease(fcinfo, DP_AGG_AVG);
	DpAvgState	empty;
	DpAvgState *state;
	uint64		half_epsilon_denominator = 2 * (uint64) CIAM_EPSILON_SCALE;
	int64		noisy_count;
	int128		centered_sum;
	double		grid;
	double		mean;

	if (PG_ARGISNULL(0))
	{
		memset(&empty, 0, sizeof(empty));
		SetGrid(&empty, params->lower, params->upper);
		state = &empty;
	}
	else
	{
		state = (DpAvgState *) PG_GETARG_POINTER(0);
		if (state->lower != params->lower || state->upper != params->upper)
			elog(ERROR, "dp_avg state bounds differ from the validated bounds");
	}

	/* Half of epsilon on the count: rational epsilon / 2 at sensitivity 1 */
	noisy_count = state->count +
		SampleDiscreteLaplace((uint64) params->epsilon_nanos,
							  half_epsilon_denominator);

	/* The other half on the centered sum, at sensitivity R */
	centered_sum = 2 * state->sum - (int128) state->range * state->count;
	if (state->range > 0)
		centered_sum += SampleDiscreteLaplace((uint64) params->epsilon_nanos,
											  half_epsilon_denominator * (uint64) state->range);

	/* Post-processing of the two noisy integers */
	grid = 1.0 / state->scale;
	mean = state->lower + (double) state->range * grid / 2.0 +
		((double) centered_sum / (double) Max(noisy_count, 1)) * grid / 2.0;
	if (!(mean >= state->lower))
		mean = state->lower;
	if (mean > state->upper)
		mean = state->upper;
	PG_RETURN_FLOAT8(mean);
}

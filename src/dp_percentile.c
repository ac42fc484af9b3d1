/*
 * dp_percentile.c
 *	  dp_percentile(value, percentile, lower, upper, epsilon) and
 *	  dp_median(value, lower, upper, epsilon): a percentile chosen by the
 *	  exponential mechanism.
 *
 * The state counts values in 2048 equal buckets of [lower, upper] (values
 * clamped to the bounds, NULL and NaN skipped), so a row costs one
 * increment and the state does not grow with the data. The release picks
 * a bucket i with probability proportional to exp(-epsilon d_i / 2). d_i
 * is the distance, in ranks, from the target rank percentile * n to the
 * ranks that the bucket's values occupy, and 0 for the bucket that
 * contains the target. Adding or removing a row changes every d_i by at
 * most 1, so this is epsilon-DP (McSherry and Talwar 2007). The per-unit
 * form divides epsilon by max_groups and the distance by max_rows. The
 * output is the bucket's center, a value computed from the public bounds
 * and the chosen index alone. The percentile is rounded to a multiple of
 * 2^-20 so that every d_i is an exact rational, which lets the draw be
 * exact. A bucket drawn uniformly is accepted with probability
 * exp(-epsilon (d_i - d_min) / 2) by the exact Bernoulli sampler of noise.c.
 *
 * The result is therefore accurate to a bucket, (upper - lower) / 2048,
 * and, with probability 1 - alpha, lies in a bucket within
 * 2 ln(2048 / alpha) / epsilon ranks of the target (dp_percentile_rank_error).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/nodeAgg.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "utils/float.h"

#include "ciam_privacy.h"
#include "dp_bounded.h"
#include "dp_percentile.h"

#define PERCENTILE_FRACTION_BITS 20

typedef struct DpPercentileState
{
	double		lower;
	double		upper;
	Oid			value_type;
	int64		counts[DP_PERCENTILE_BUCKETS];
} DpPercentileState;

/* The bucket of a value (not NaN), after clamping to the bounds. */
int64
DpPercentileBucket(double lower, double upper, double value)
{
	double		position;

	if (!(value > lower) || upper == lower)
		return 0;
	if (value >= upper)
		return DP_PERCENTILE_BUCKETS - 1;
	position = floor((value - lower) / (upper - lower) * DP_PERCENTILE_BUCKETS);
	if (position < 0)
		return 0;
	if (position > DP_PERCENTILE_BUCKETS - 1)
		return DP_PERCENTILE_BUCKETS - 1;
	return (int64) position;
}

/* Choose a bucket by the exponential mechanism and return its center. */
double
DpReleasePercentile(const DpParams *params, const int64 *counts)
{
	uint128_t  *distances = palloc(sizeof(uint128_t) * DP_PERCENTILE_BUCKETS);
	int128		n = 0;
	int128		target;
	int128		below = 0;
	uint128_t	smallest = ~(uint128_t) 0;
	uint128_t	denominator;
	uint64		chosen = 0;
	int64		fraction;
	int			i;

	for (i = 0; i < DP_PERCENTILE_BUCKETS; i++)
		n += counts[i];
	fraction = (int64) llround(params->percentile * (double) (1 << PERCENTILE_FRACTION_BITS));
	target = n * fraction;		/* in units of 2^-20 ranks */

	for (i = 0; i < DP_PERCENTILE_BUCKETS; i++)
	{
		int128		low = below << PERCENTILE_FRACTION_BITS;
		int128		high = (below + counts[i]) << PERCENTILE_FRACTION_BITS;
		uint128_t	distance = 0;

		if (target < low)
			distance = (uint128_t) (low - target);
		else if (target > high)
			distance = (uint128_t) (target - high);
		distances[i] = distance;
		if (distance < smallest)
			smallest = distance;
		below += counts[i];
	}

	/*
	 * weight_i = exp(-epsilon d_i / (2 max_rows max_groups)), d_i in ranks:
	 * exp(-epsilon_nanos D_i / (1e9 2^21 max_rows max_groups)), D_i in 2^-20 ranks
	 */
	denominator = (uint128_t) CIAM_EPSILON_SCALE * ((uint128_t) 1 << (PERCENTILE_FRACTION_BITS + 1)) *
		(uint64) params->max_rows * (uint64) params->max_groups;

	/*
	 * NOTE: a proposal is accepted with probability sum_i w_i / 2048, which
	 * depends on how the values spread over the buckets, so the number of
	 * proposals, and the run time, depend on the data.
	 */
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		(void) SampleUniformIndex(DP_PERCENTILE_BUCKETS, &chosen);
		if (SampleBernoulliExpRational((uint128_t) params->epsilon_nanos *
									   (distances[chosen] - smallest),
									   denominator))
			break;
	}
	pfree(distances);

	if (params->upper == params->lower)
		return params->lower;
	return params->lower + ((double) chosen + 0.5) *
		((params->upper - params->lower) / DP_PERCENTILE_BUCKETS);
}

static DpPercentileState *
NewPercentileState(FunctionCallInfo fcinfo, double lower, double upper)
{
	MemoryContext aggcontext;
	DpPercentileState *state;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("DP aggregate support functions can only be called by their aggregate")));
	if (!DpBoundsUsable(lower, upper))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bounds [%s, %s] of a DP percentile are invalid",
						float8out_internal(lower), float8out_internal(upper))));
	state = MemoryContextAllocZero(aggcontext, sizeof(DpPercentileState));
	state->lower = lower;
	state->upper = upper;
	return state;
}

/* (state, value, [percentile,] lower, upper, epsilon) */
static Datum
PercentileTransition(FunctionCallInfo fcinfo, int lower_arg)
{
	DpPercentileState *state = PG_ARGISNULL(0) ? NULL : (DpPercentileState *) PG_GETARG_POINTER(0);
	double		value;

	if (state == NULL)
	{
		double		lower;
		double		upper;

		DpGetBounds(fcinfo, lower_arg, &lower, &upper);
		state = NewPercentileState(fcinfo, lower, upper);
		state->value_type = get_fn_expr_argtype(fcinfo->flinfo, 1);
		if (!DpValueTypeAccepted(state->value_type))
			(void) DpDatumToDouble((Datum) 0, state->value_type);
	}
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(state);
	value = (state->value_type == FLOAT8OID) ? PG_GETARG_FLOAT8(1) :
		DpDatumToDouble(PG_GETARG_DATUM(1), state->value_type);
	if (isnan(value))
		PG_RETURN_POINTER(state);
	state->counts[DpPercentileBucket(state->lower, state->upper, value)]++;
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(dp_percentile_transfn);
Datum
dp_percentile_transfn(PG_FUNCTION_ARGS)
{
	return PercentileTransition(fcinfo, 3);
}

PG_FUNCTION_INFO_V1(dp_median_transfn);
Datum
dp_median_transfn(PG_FUNCTION_ARGS)
{
	return PercentileTransition(fcinfo, 2);
}

PG_FUNCTION_INFO_V1(dp_percentile_combinefn);

/* dp_percentile_combinefn(internal, internal) */
Datum
dp_percentile_combinefn(PG_FUNCTION_ARGS)
{
	DpPercentileState *state1 = PG_ARGISNULL(0) ? NULL : (DpPercentileState *) PG_GETARG_POINTER(0);
	DpPercentileState *state2 = PG_ARGISNULL(1) ? NULL : (DpPercentileState *) PG_GETARG_POINTER(1);
	int			i;

	if (state2 == NULL)
	{
		if (state1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state1);
	}
	if (state1 == NULL)
	{
		state1 = NewPercentileState(fcinfo, state2->lower, state2->upper);
		state1->value_type = state2->value_type;
	}
	if (state1->lower != state2->lower || state1->upper != state2->upper)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bounds of a DP aggregate must be the same for every row")));
	for (i = 0; i < DP_PERCENTILE_BUCKETS; i++)
		state1->counts[i] += state2->counts[i];
	PG_RETURN_POINTER(state1);
}

PG_FUNCTION_INFO_V1(dp_percentile_serialize);

/* dp_percentile_serialize(internal) returns bytea; partial aggregates only. */
Datum
dp_percentile_serialize(PG_FUNCTION_ARGS)
{
	DpPercentileState *state = (DpPercentileState *) PG_GETARG_POINTER(0);
	StringInfoData buffer;
	int			i;

	DpRequireSerializeContext(fcinfo, "dp_percentile_serialize");
	pq_begintypsend(&buffer);
	pq_sendfloat8(&buffer, state->lower);
	pq_sendfloat8(&buffer, state->upper);
	for (i = 0; i < DP_PERCENTILE_BUCKETS; i++)
		pq_sendint64(&buffer, state->counts[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buffer));
}

PG_FUNCTION_INFO_V1(dp_percentile_deserialize);

/* dp_percentile_deserialize(bytea, internal) validates every field it reads. */
Datum
dp_percentile_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *serial = PG_GETARG_BYTEA_PP(0);
	StringInfoData buffer;
	DpPercentileState *state;
	double		lower;
	double		upper;
	int			i;

	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("dp_percentile_deserialize can only be called by the aggregate")));
	if (VARSIZE_ANY_EXHDR(serial) != 2 * sizeof(double) + DP_PERCENTILE_BUCKETS * sizeof(int64))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid DP percentile state size")));
	buffer.data = VARDATA_ANY(serial);
	buffer.len = VARSIZE_ANY_EXHDR(serial);
	buffer.maxlen = buffer.len;
	buffer.cursor = 0;
	lower = pq_getmsgfloat8(&buffer);
	upper = pq_getmsgfloat8(&buffer);
	state = NewPercentileState(fcinfo, lower, upper);
	for (i = 0; i < DP_PERCENTILE_BUCKETS; i++)
	{
		state->counts[i] = pq_getmsgint64(&buffer);
		if (state->counts[i] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid DP percentile state: negative count")));
	}
	PG_RETURN_POINTER(state);
}

static Datum
PercentileFinal(FunctionCallInfo fcinfo)
{
	const DpParams *params = DpBeginRelease(fcinfo, DP_AGG_PERCENTILE);
	DpPercentileState *state = PG_ARGISNULL(0) ? NULL : (DpPercentileState *) PG_GETARG_POINTER(0);
	int64	   *counts;
	double		result;

	if (state != NULL)
	{
		if (state->lower != params->lower || state->upper != params->upper)
			elog(ERROR, "DP percentile state bounds differ from the validated bounds");
		PG_RETURN_FLOAT8(DpReleasePercentile(params, state->counts));
	}
	counts = palloc0(sizeof(int64) * DP_PERCENTILE_BUCKETS);
	result = DpReleasePercentile(params, counts);
	pfree(counts);
	PG_RETURN_FLOAT8(result);
}

PG_FUNCTION_INFO_V1(dp_percentile_finalfn);
Datum
dp_percentile_finalfn(PG_FUNCTION_ARGS)
{
	return PercentileFinal(fcinfo);
}

PG_FUNCTION_INFO_V1(dp_median_finalfn);
Datum
dp_median_finalfn(PG_FUNCTION_ARGS)
{
	return PercentileFinal(fcinfo);
}

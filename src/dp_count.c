/*
 * dp_count.c
 *	  dp_count(epsilon) and dp_count(value, epsilon): counts with discrete
 *	  Laplace noise of sensitivity 1 (adding or removing one row changes the
 *	  count by at most 1).
 *
 * The state is a plain bigint, so the transition is as cheap as count(*)'s
 * and partial counts combine with int8pl. Noise is drawn only in the final
 * function, which runs once per group in the leader.
 */
#include "postgres.h"

#include "fmgr.h"

#include "ciam_privacy.h"

PG_FUNCTION_INFO_V1(dp_count_transfn);

/* dp_count_transfn(bigint, ...) adds one row; strict, so NULL values skip. */
Datum
dp_count_transfn(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(PG_GETARG_INT64(0) + 1);
}

PG_FUNCTION_INFO_V1(dp_count_finalfn);

/* dp_count_finalfn(bigint) returns the count plus noise, at least 0. */
Datum
dp_count_finalfn(PG_FUNCTION_ARGS)
{
	const DpParams *params = DpBeginRelease(fcinfo, DP_AGG_COUNT);
	int64		count = PG_ARGISNULL(0) ? 0 : PG_GETARG_INT64(0);

	PG_RETURN_INT64(AddCountNoise(count, params->epsilon_nanos));
}

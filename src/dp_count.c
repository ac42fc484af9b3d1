/*
 * dp_count.c
 *	  dp_count(epsilon), dp_count(value, epsilon) and
 *	  dp_count(value, epsilon, delta): row counts with discrete Laplace or
 *	  discrete Gaussian noise of sensitivity 1 (adding or removing one row
 *	  changes the count by at most 1). The per-unit forms are in dp_unit.c.
 *
 * The state is a plain bigint, so the transition is as cheap as count(*)'s
 * and partial counts combine with int8pl. Noise is drawn only in the final
 * function, which runs once per group in the leader.
 */
#include "postgres.h"

#include "common/int.h"
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
	int64		noisy;

	if (params->mechanism == DP_LAPLACE)
		PG_RETURN_INT64(AddCountNoise(count, params->epsilon_nanos));
	if (pg_add_s64_overflow(count, DpIntegerNoise(params, 1, 1), &noisy))
		noisy = 0;
	PG_RETURN_INT64(Max(noisy, 0));
}

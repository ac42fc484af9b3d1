/*
 * ciam_privacy.h
 *	  Declarations shared by the differential privacy aggregates, the query
 *	  accounting hook and the privacy budget.
 */
#ifndef CIAM_PRIVACY_H
#define CIAM_PRIVACY_H

#include "postgres.h"

#include "fmgr.h"
#include "nodes/execnodes.h"

/*
 * Epsilon is handled as an integer number of nano-epsilon (1e-9) units from
 * the moment it is validated: the noise scale and the budget charge are then
 * the same exact rational number, and sums of charges never round.
 */
#define CIAM_EPSILON_SCALE		INT64CONST(1000000000)
#define CIAM_EPSILON_MIN		1e-6
#define CIAM_EPSILON_MAX		10.0
#define CIAM_BUDGET_MAX			1e6

/*
 * Delta is handled as an integer number of atto-delta (1e-18) units, so
 * deltas add up exactly too. A delta limit lies in [0, 0.01].
 */
#define CIAM_DELTA_SCALE		INT64CONST(1000000000000000000)
#define CIAM_DELTA_LIMIT_MAX	1e-2

/*
 * What a release costs. Pure DP charges epsilon alone, approximate DP
 * epsilon and delta, zero-concentrated DP rho (in nano units, like
 * epsilon). budget.c composes them; docs/dp.md states the rules.
 */
typedef struct DpCharge
{
	int64		epsilon_nanos;
	int64		delta_attos;
	int64		rho_nanos;
} DpCharge;

/* Bounds of dp_avg may not exceed this magnitude, so upper - lower is finite */
#define CIAM_BOUND_MAX			1e300

/*
 * Unequal bounds of dp_avg must differ by at least this much, so that the
 * quantization grid, a power of two near (upper - lower) / 2^30, is a
 * normal double
 */
#define CIAM_BOUND_MIN_WIDTH	1e-280

/* Kinds of DP aggregate, distinguished by their final function */
typedef enum DpAggregateKind
{
	DP_AGG_NONE = 0,
	DP_AGG_COUNT,				/* (epsilon) or (value, epsilon) */
	DP_AGG_AVG					/* (value, lower, upper, epsilon) */
} DpAggregateKind;

/* Parameters of one DP aggregate call, validated before any row is read */
typedef struct DpParams
{
	DpAggregateKind kind;
	int64		epsilon_nanos;
	DpCharge	charge;			/* what one release of this call costs */
	double		lower;			/* DP_AGG_AVG only */
	double		upper;			/* DP_AGG_AVG only */
} DpParams;

/* dp_avg.c */
extern bool DpAvgBoundsUsable(double lower, double upper);

/* noise.c */
extern int64 SampleDiscreteLaplace(uint64 numerator, uint64 denominator);
extern int64 AddCountNoise(int64 count, int64 epsilon_nanos);

/* query_charge.c */
extern void InstallQueryChargeHooks(void);
extern DpAggregateKind KindOfAggregate(Oid aggfnoid);
extern const DpParams *DpBeginRelease(FunctionCallInfo fcinfo,
									  DpAggregateKind kind);

/* budget.c */
extern void ChargeLoginRole(const DpCharge *charge, const char *what);
extern void DpChargeAdd(DpCharge *total, const DpCharge *charge);
extern void DpChargeMultiply(DpCharge *charge, int factor);
extern double EpsilonFromNanos(int64 nanos);
extern double DeltaFromAttos(int64 attos);
extern bool RoleHasBudget(Oid roleid);
extern bool ResetBudgetSpending(Oid roleid, bool new_period, const char *what);

/* privatized_view.c */
extern void CheckAnalystIsolation(Oid analyst);

/* hidden_statistics.c */
extern void InstallStatisticsHooks(void);

/*
 * ledger.c, isolation_cache.c and standby_budget.c: the ledger, the cached
 * isolation check, and charges on a hot standby
 */
typedef enum LedgerEvent
{
	LEDGER_RELEASED,			/* a DP result was charged and released */
	LEDGER_REFUSED,				/* a DP query was refused by the budget */
	LEDGER_LIMIT_SET,			/* the data owner set a limit */
	LEDGER_SPENDING_RESET,		/* the data owner reset the spending to 0 */
	LEDGER_PERIOD_RENEWED		/* a budget period began, spending reset */
} LedgerEvent;

extern void AppendLedgerRow(LedgerEvent event, Oid roleid, int64 epsilon_nanos,
							int64 delta_attos, int64 rho_nanos,
							int64 limit_nanos, int64 spent_nanos,
							const char *description);
extern bool IsolationCheckCached(Oid analyst);
extern void RememberIsolationCheck(Oid analyst);
extern void ChargeStandbyBudget(Oid roleid, const DpCharge *charge,
								const char *what);
extern void DefineStandbyBudgetSettings(void);

/* ciam_privacy.c */
extern bool ciam_loaded_at_startup;
extern void RequirePreload(void);

#endif							/* CIAM_PRIVACY_H */

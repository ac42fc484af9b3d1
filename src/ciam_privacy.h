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
#define CIAM_DELTA_MIN			1e-15

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
	DP_AGG_COUNT,				/* rows */
	DP_AGG_SUM,
	DP_AGG_AVG,
	DP_AGG_VARIANCE,
	DP_AGG_STDDEV,
	DP_AGG_PERCENTILE,
	DP_AGG_COUNT_UNITS,			/* distinct privacy units */
	DP_AGG_SELECT_UNITS			/* distinct units, released only above a threshold */
} DpAggregateKind;

typedef enum DpMechanism
{
	DP_LAPLACE,					/* pure epsilon-DP */
	DP_GAUSSIAN					/* (epsilon, delta)-DP, or zCDP */
} DpMechanism;

/* Largest contribution bounds of the per-unit forms */
#define CIAM_MAX_ROWS_LIMIT		1000
#define CIAM_MAX_GROUPS_LIMIT	1000

/*
 * Noise scales (in grid units) above this are refused. The noise is an int64
 * and draws beyond 2^61 are redrawn (noise.c), so the scale must stay far
 * below 2^61 for that cut to be negligible: at 4e15 it lies 576 scales out.
 * Row-level forms at epsilon 1e-6 need up to 3 * 2^30 / 1e-6 = 3.2e15.
 */
#define CIAM_NOISE_SCALE_MAX	4.0e15

/* Parameters of one DP aggregate call, validated before any row is read */
typedef struct DpParams
{
	DpAggregateKind kind;
	bool		per_unit;		/* the form that takes a privacy unit */
	DpMechanism mechanism;
	bool		zcdp;			/* Gaussian noise charged as zCDP */
	int64		epsilon_nanos;
	int64		delta_attos;	/* DP_GAUSSIAN only */
	DpCharge	charge;			/* what one release of this call costs */
	double		lower;			/* bounded aggregates only */
	double		upper;
	double		percentile;		/* DP_AGG_PERCENTILE only, in [0, 1] */
	int32		max_rows;		/* rows per unit and group; 1 for row forms */
	int32		max_groups;		/* groups per unit; 1 for row forms */
	/* cache of DpNoiseSigma() */
	uint64		sigma_sensitivity[4];
	int			sigma_parts[4];
	double		sigma_value[4];
} DpParams;

/* dp_bounded.c */
extern bool DpBoundsUsable(double lower, double upper);
extern int	DpPartsOfKind(DpAggregateKind kind);
extern uint64 DpSensitivityOfKind(const DpParams *params, int part);

/* noise.c */
typedef unsigned __int128 uint128_t;
extern int64 SampleDiscreteLaplace(uint64 numerator, uint64 denominator);
extern int64 SampleDiscreteLaplaceWide(uint128_t numerator, uint128_t denominator);
extern int64 SampleDiscreteGaussian(double sigma);
extern double AnalyticGaussianSigma(double epsilon, double delta, double sensitivity);
extern double DiscreteGaussianSigma(double epsilon, double delta, uint64 sensitivity);
extern double DpNoiseSigma(const DpParams *params, uint64 sensitivity, int parts);
extern int64 DpIntegerNoise(const DpParams *params, uint64 sensitivity, int parts);
extern void DpSetCharge(DpParams *params, int parts);
extern double DpNoiseHalfWidth(const DpParams *params, uint64 sensitivity,
							   int parts, double alpha);
extern bool SampleUniformIndex(uint64 bound, uint64 *index);
extern bool SampleBernoulliExpRational(uint128_t numerator, uint128_t denominator);
extern uint64 RandomPriority(void);
extern int64 AddCountNoise(int64 count, int64 epsilon_nanos);

/* query_charge.c */
extern void InstallQueryChargeHooks(void);
extern void DefineDpSettings(void);
extern bool DpGaussianAccountingIsZcdp(void);
extern DpAggregateKind KindOfAggregate(Oid aggfnoid);
extern bool IsDpUnitAggregate(Oid aggfnoid);
extern const DpParams *DpBeginRelease(FunctionCallInfo fcinfo,
									  DpAggregateKind kind);

/* budget.c */
extern void ChargeLoginRole(const DpCharge *charge, const char *what);
extern void DpChargeAdd(DpCharge *total, const DpCharge *charge);
extern void DpChargeMultiply(DpCharge *charge, int factor);
extern double EpsilonFromNanos(int64 nanos);
extern double DeltaFromAttos(int64 attos);
extern bool RoleHasBudget(Oid roleid);
extern bool GetBudgetEpsilonLimit(Oid roleid, int64 *limit_nanos);
extern bool ResetBudgetSpending(Oid roleid, bool new_period, const char *what);

/* dp_unit.c */
extern void InstallDpUnitHooks(void);
extern int64 DpSelectionThreshold(double epsilon, double delta, int32 max_groups);

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

extern Relation OpenLedgerForAppend(void);
extern XLogRecPtr AppendLedgerRow(LedgerEvent event, Oid roleid, int64 epsilon_nanos,
							int64 delta_attos, int64 rho_nanos,
							int64 limit_nanos, int64 spent_nanos,
							const char *description);
extern void WaitForSyncStandbys(XLogRecPtr lsn);
extern bool IsolationCheckCached(Oid analyst);
extern void RememberIsolationCheck(Oid analyst);
extern void ChargeStandbyBudget(Oid roleid, const DpCharge *charge,
								const char *what);
extern void DefineStandbyBudgetSettings(void);

/*
 * paillier.c, paillier_key.c, paillier_gmp.c: their shared declarations
 * are in paillier.h, which needs <gmp.h>; no other file calls them.
 */

/* ciam_privacy.c */
extern bool ciam_loaded_at_startup;
extern void RequirePreload(void);

/* keys.c and pseudonym.c: pseudonymization keys and pseudonyms */
#define CIAM_KEY_NAME_MAX			63
#define CIAM_KEY_BYTES				32	/* a generated key */
#define CIAM_KEY_MAX_BYTES			1024	/* an imported key */
#define CIAM_PSEUDONYM_DIGEST_BYTES	32	/* HMAC-SHA256 */

/* Input types of pseudonymize(), each with its own derived key */
typedef enum PseudonymDomain
{
	PSEUDONYM_BYTEA = 0,		/* HMAC under the key itself */
	PSEUDONYM_TEXT,
	PSEUDONYM_BIGINT,
	PSEUDONYM_UUID,
	PSEUDONYM_INET,
	PSEUDONYM_EMAIL,
	PSEUDONYM_DOMAIN_COUNT
} PseudonymDomain;

typedef struct PseudonymKey PseudonymKey;

extern void InitRootKey(void);
extern ssize_t ReadKeyFile(int fd, const char *path, char *buffer,
						   size_t buffer_size, char *problem,
						   size_t problem_size);
extern PseudonymKey *GetPseudonymKey(FmgrInfo *flinfo, text *name_text,
									 int32 version);
extern int32 PseudonymKeyVersion(const PseudonymKey *key);
extern void ComputePseudonymMac(PseudonymKey *key, PseudonymDomain domain,
								const uint8 *data, size_t len, uint8 *digest);

/* shamir.c and shamir_int.c: Shamir secret sharing */
#define CIAM_SHAMIR_MAX_SHARES	255
extern void ShamirRandomBytes(void *buf, size_t len);
extern void ShamirCheckShareArguments(FunctionCallInfo fcinfo,
									  const char *function,
									  const char *first_argument);
extern struct ArrayType *ShamirGetShares(FunctionCallInfo fcinfo,
										 Pointer *elements, int *count);
extern void ShamirFreeShares(FunctionCallInfo fcinfo, struct ArrayType *array);
extern void ShamirCheckXCoordinates(const uint8 *xs, int count);

#endif							/* CIAM_PRIVACY_H */

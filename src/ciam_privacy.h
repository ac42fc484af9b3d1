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
extern void ChargeLoginRole(int64 epsilon_nanos, const char *what);
extern double EpsilonFromNanos(int64 nanos);
extern bool RoleHasBudget(Oid roleid);

/* privatized_view.c */
extern void CheckAnalystIsolation(Oid analyst);

/* hidden_statistics.c */
extern void InstallStatisticsHooks(void);

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

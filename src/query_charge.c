/*
 * query_charge.c
 *	  Charge every DP aggregate of a query once, before any row is read.
 *
 * The rule
 *	  Each DP aggregate in a query is charged its epsilon once per execution
 *	  of its Agg node. It is not charged once per group, because the groups
 *	  of one GROUP BY partition the rows (parallel composition). Nor is it
 *	  charged once per parallel worker, because workers only build partial
 *	  states and the leader finalizes them. A GROUPING SETS node releases one value per set for the
 *	  same rows, so it is charged once per set.
 *
 * How
 *	  An ExecutorStart hook runs after the executor state is built and before
 *	  any row is read. It walks the plan state tree and finds every Agg node
 *	  whose aggregates have a ciam_privacy final function. It validates
 *	  their parameters: epsilon and bounds must be constants or query
 *	  parameters, so they cannot vary from row to row. Then it charges the
 *	  sum of all their epsilons to the login role in one atomic step. A query that does not
 *	  fit the budget therefore fails before it computes anything, and a query
 *	  whose GROUP BY finds no rows is charged all the same.
 *
 *	  Each release is recorded in a list owned by the executor state. A final
 *	  function must find its own record (by Agg state and aggregate number)
 *	  before it draws noise; without one, the query did not pass through the
 *	  hook, and the final function raises an error instead of releasing an
 *	  uncharged value.
 *
 * Rescans
 *	  An Agg node below a nested loop or in a correlated subquery is run
 *	  again for each outer row, on different rows each time, and every run
 *	  releases fresh values. The first run is paid by the hook; each later run
 *	  is charged when it releases its first value. To see a new run start,
 *	  the hook wraps the node's ExecProcNode and the final function registers
 *	  a callback on the node's expression context. ExecReScan() resets that
 *	  context from outside the node, which ends the run. The node also resets
 *	  it itself between groups of a sorted aggregation, but from inside its
 *	  ExecProcNode, and such a reset does not end the run.
 *
 * EXPLAIN and debug messages
 *	  EXPLAIN ANALYZE prints exact row counts of the nodes below the
 *	  aggregate, and plain EXPLAIN prints estimates taken from the table
 *	  statistics. Both are rejected, for any query that reads a privatized
 *	  view or uses a DP aggregate, unless the current user is a superuser.
 *	  So is such a query nested in an EXPLAIN ANALYZE, in a function it
 *	  calls, since the outer plan's buffer counts include the nested query's.
 *	  So is such a query run with client_min_messages below notice, since
 *	  developer settings such as trace_sort print row counts at LOG and
 *	  DEBUG levels. ciam_privacy.c also drops LOG messages to non-superuser
 *	  clients, which covers debug_print_plan, printed before the executor
 *	  starts.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/relation.h"
#include "access/transam.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "executor/executor.h"
#include "executor/nodeAgg.h"
#include "lib/ilist.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteHandler.h"
#include "utils/float.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "ciam_privacy.h"

extern Datum dp_count_finalfn(PG_FUNCTION_ARGS);
extern Datum dp_sum_finalfn(PG_FUNCTION_ARGS);
extern Datum dp_avg_finalfn(PG_FUNCTION_ARGS);
extern Datum dp_variance_finalfn(PG_FUNCTION_ARGS);
extern Datum dp_stddev_finalfn(PG_FUNCTION_ARGS);
extern Datum dp_percentile_finalfn(PG_FUNCTION_ARGS);
extern Datum dp_median_finalfn(PG_FUNCTION_ARGS);
extern Datum dp_unit_count_finalfn(PG_FUNCTION_ARGS);
extern Datum dp_unit_sum_finalfn(PG_FUNCTION_ARGS);
extern Datum dp_unit_avg_finalfn(PG_FUNCTION_ARGS);
extern Datum dp_unit_variance_finalfn(PG_FUNCTION_ARGS);
extern Datum dp_unit_stddev_finalfn(PG_FUNCTION_ARGS);
extern Datum dp_unit_percentile_finalfn(PG_FUNCTION_ARGS);
extern Datum dp_unit_median_finalfn(PG_FUNCTION_ARGS);
extern Datum dp_count_units_finalfn(PG_FUNCTION_ARGS);
extern Datum dp_select_units_finalfn(PG_FUNCTION_ARGS);

/*
 * Every DP final function, with the kind of aggregate it finalizes and the
 * positions of its arguments (-1: none). Epsilon is followed by delta when
 * the call has one more argument: that form uses the Gaussian mechanism.
 */
typedef struct DpFinalFunction
{
	PGFunction	function;
	DpAggregateKind kind;
	bool		per_unit;
	bool		median;			/* percentile 0.5, no percentile argument */
	int			value_arg;
	int			percentile_arg;
	int			lower_arg;		/* upper follows */
	int			rows_arg;
	int			groups_arg;
	int			epsilon_arg;	/* -2: the last argument */
} DpFinalFunction;

static const DpFinalFunction dp_final_functions[] = {
	{dp_count_finalfn, DP_AGG_COUNT, false, false, -1, -1, -1, -1, -1, -2},
	{dp_sum_finalfn, DP_AGG_SUM, false, false, 0, -1, 1, -1, -1, 3},
	{dp_avg_finalfn, DP_AGG_AVG, false, false, 0, -1, 1, -1, -1, 3},
	{dp_variance_finalfn, DP_AGG_VARIANCE, false, false, 0, -1, 1, -1, -1, 3},
	{dp_stddev_finalfn, DP_AGG_STDDEV, false, false, 0, -1, 1, -1, -1, 3},
	{dp_percentile_finalfn, DP_AGG_PERCENTILE, false, false, 0, 1, 2, -1, -1, 4},
	{dp_median_finalfn, DP_AGG_PERCENTILE, false, true, 0, -1, 1, -1, -1, 3},
	{dp_unit_count_finalfn, DP_AGG_COUNT, true, false, -1, -1, -1, 1, 2, 3},
	{dp_unit_sum_finalfn, DP_AGG_SUM, true, false, 1, -1, 2, 4, 5, 6},
	{dp_unit_avg_finalfn, DP_AGG_AVG, true, false, 1, -1, 2, 4, 5, 6},
	{dp_unit_variance_finalfn, DP_AGG_VARIANCE, true, false, 1, -1, 2, 4, 5, 6},
	{dp_unit_stddev_finalfn, DP_AGG_STDDEV, true, false, 1, -1, 2, 4, 5, 6},
	{dp_unit_percentile_finalfn, DP_AGG_PERCENTILE, true, false, 1, 2, 3, 5, 6, 7},
	{dp_unit_median_finalfn, DP_AGG_PERCENTILE, true, true, 1, -1, 2, 4, 5, 6},
	{dp_count_units_finalfn, DP_AGG_COUNT_UNITS, true, false, -1, -1, -1, -1, 1, 2},
	{dp_select_units_finalfn, DP_AGG_SELECT_UNITS, true, false, -1, -1, -1, -1, 1, 2},
};

/* Accounting of the Gaussian mechanism: ciam_privacy.gaussian_accounting */
typedef enum GaussianAccounting
{
	GAUSSIAN_APPROXIMATE,
	GAUSSIAN_ZCDP
} GaussianAccounting;

static const struct config_enum_entry gaussian_accounting_options[] = {
	{"approximate", GAUSSIAN_APPROXIMATE, false},
	{"zcdp", GAUSSIAN_ZCDP, false},
	{NULL, 0, false}
};

static int	gaussian_accounting = GAUSSIAN_APPROXIMATE;

/* The runs of one Agg node that finalizes DP aggregates */
typedef struct DpAggRun
{
	AggState   *aggstate;
	ExecProcNodeMtd exec_original;	/* the node's own ExecProcNode */
	DpCharge	charge;			/* what one run of the node costs */
	int			runs;			/* runs that released values */
	bool		in_run;			/* a value was released since the last rescan */
	bool		executing;		/* inside the node's ExecProcNode */
	bool		callback_registered;
	List	   *releases;		/* of DpRelease *, the node's DP aggregates */
} DpAggRun;

/* One DP aggregate of one Agg node in one executor state */
typedef struct DpRelease
{
	DpAggRun   *run;
	int			aggno;
	DpParams	params;
} DpRelease;

/* The DP Agg nodes of one executor state, linked into the active list */
typedef struct QueryReleases
{
	dlist_node	node;
	List	   *runs;			/* of DpAggRun * */
	MemoryContextCallback unlink_callback;
} QueryReleases;

/* State of the plan walk */
typedef struct CollectContext
{
	EState	   *estate;
	List	   *runs;
	List	   *releases;
} CollectContext;

static dlist_head active_queries = DLIST_STATIC_INIT(active_queries);

/*
 * Instrumented statements (EXPLAIN ANALYZE) now running in this backend.
 * Their buffer and row counts include the queries nested in them, such as
 * those of a function they call, so a DP query nested in one is refused too.
 */
static int	instrumented_queries = 0;

/*
 * Queries of non-superusers that read private data (a DP aggregate or a
 * privatized view) whose executor state is still open in this backend: a
 * running query, or a cursor that may be fetched later. A cursor opened
 * before an EXPLAIN ANALYZE does its reads inside it when a function that
 * the explained statement calls fetches from it, and the buffer counts
 * would show them, so EXPLAIN ANALYZE waits until such cursors are closed.
 */
static int	open_private_queries = 0;
static ExecutorStart_hook_type prev_ExecutorStart = NULL;

static TupleTableSlot *ExecDpAgg(PlanState *planstate);

/* Find the description of a DP final function, or NULL. */
static const DpFinalFunction *
FindFinalFunction(PGFunction function)
{
	int			i;

	for (i = 0; i < (int) lengthof(dp_final_functions); i++)
	{
		if (dp_final_functions[i].function == function)
			return &dp_final_functions[i];
	}
	return NULL;
}

/* Classify an aggregate by the C function its final function points to. */
static DpAggregateKind
KindOfFinalFunction(PGFunction function)
{
	const DpFinalFunction *final = FindFinalFunction(function);

	return final ? final->kind : DP_AGG_NONE;
}

/* Return whether an aggregate function is a per-unit DP aggregate. */
bool
IsDpUnitAggregate(Oid aggfnoid)
{
	HeapTuple	tuple;
	Oid			finalfn;
	FmgrInfo	flinfo;
	const DpFinalFunction *final;

	tuple = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(aggfnoid));
	if (!HeapTupleIsValid(tuple))
		return false;
	finalfn = ((Form_pg_aggregate) GETSTRUCT(tuple))->aggfinalfn;
	ReleaseSysCache(tuple);
	if (!OidIsValid(finalfn))
		return false;
	fmgr_info(finalfn, &flinfo);
	final = FindFinalFunction(flinfo.fn_addr);
	return final != NULL && final->per_unit;
}

/* Return whether ciam_privacy.gaussian_accounting is zcdp. */
bool
DpGaussianAccountingIsZcdp(void)
{
	return gaussian_accounting == GAUSSIAN_ZCDP;
}

/* Define the settings of the DP aggregates; called from _PG_init(). */
void
DefineDpSettings(void)
{
	DefineCustomEnumVariable("ciam_privacy.gaussian_accounting",
							 "How Gaussian noise is charged to the budget.",
							 "approximate charges the (epsilon, delta) given; zcdp charges rho-zCDP, which composes better over many releases.",
							 &gaussian_accounting,
							 GAUSSIAN_APPROXIMATE,
							 gaussian_accounting_options,
							 PGC_SUSET, 0, NULL, NULL, NULL);
}

/* Classify an aggregate function by its OID, through pg_aggregate. */
DpAggregateKind
KindOfAggregate(Oid aggfnoid)
{
	HeapTuple	tuple;
	Oid			finalfn;
	FmgrInfo	flinfo;

	tuple = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(aggfnoid));
	if (!HeapTupleIsValid(tuple))
		return DP_AGG_NONE;
	finalfn = ((Form_pg_aggregate) GETSTRUCT(tuple))->aggfinalfn;
	ReleaseSysCache(tuple);
	if (!OidIsValid(finalfn))
		return DP_AGG_NONE;
	fmgr_info(finalfn, &flinfo);
	return KindOfFinalFunction(flinfo.fn_addr);
}

/*
 * Return whether an expression has one value for the whole execution: a
 * constant, a query parameter, or built-in immutable functions of those
 * (the casts a generic plan keeps around a parameter).
 */
static bool
IsConstantArgument(Node *node)
{
	ListCell   *lc;

	if (node == NULL)
		return false;
	switch (nodeTag(node))
	{
		case T_Const:
			return true;
		case T_Param:
			return ((Param *) node)->paramkind == PARAM_EXTERN;
		case T_RelabelType:
			return IsConstantArgument((Node *) ((RelabelType *) node)->arg);
		case T_FuncExpr:
			{
				FuncExpr   *func = (FuncExpr *) node;

				if (func->funcid >= FirstNormalObjectId || func->funcretset ||
					func_volatile(func->funcid) != PROVOLATILE_IMMUTABLE)
					return false;
				foreach(lc, func->args)
				{
					if (!IsConstantArgument(lfirst(lc)))
						return false;
				}
				return true;
			}
		default:
			return false;
	}
}

/* Evaluate an aggregate argument of a given type that must be constant for the query. */
static Datum
EvaluateTypedParameter(Aggref *aggref, int argno, Oid type, const char *name,
					   EState *estate)
{
	TargetEntry *tle = list_nth_node(TargetEntry, aggref->args, argno);
	Expr	   *expr = tle->expr;
	char	   *aggname = get_func_name(aggref->aggfnoid);
	Datum		value;
	bool		isnull;

	if (exprType((Node *) expr) != type)
		elog(ERROR, "%s of %s must be of type %s", name, aggname,
			 format_type_be(type));

	if (!IsConstantArgument((Node *) expr))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s of %s must be a constant or a query parameter",
						name, aggname),
				 errdetail("A value that can change from row to row would make the noise depend on the data.")));

	if (IsA(expr, Const))
	{
		value = ((Const *) expr)->constvalue;
		isnull = ((Const *) expr)->constisnull;
	}
	else
	{
		ExprState  *state = ExecInitExprWithParams(expr, estate->es_param_list_info);
		ExprContext *econtext = CreateStandaloneExprContext();

		econtext->ecxt_param_list_info = estate->es_param_list_info;
		value = ExecEvalExprSwitchContext(state, econtext, &isnull);
		FreeExprContext(econtext, true);
	}

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s of %s must not be null", name, aggname)));
	return value;
}

/* Evaluate a float8 aggregate argument that must be constant for the query. */
static double
EvaluateParameter(Aggref *aggref, int argno, const char *name, EState *estate)
{
	return DatumGetFloat8(EvaluateTypedParameter(aggref, argno, FLOAT8OID, name, estate));
}

/* Evaluate an integer contribution bound in [1, limit]. */
static int32
EvaluateBound(Aggref *aggref, int argno, const char *name, int32 limit,
			  EState *estate)
{
	int32		value = DatumGetInt32(EvaluateTypedParameter(aggref, argno, INT4OID,
															 name, estate));

	if (value < 1 || value > limit)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s %d of %s is out of range", name, value,
						get_func_name(aggref->aggfnoid)),
				 errdetail("It must lie between 1 and %d.", limit)));
	return value;
}

/* Validate and convert the parameters of one DP aggregate call. */
static void
ValidateParams(const DpFinalFunction *final, Aggref *aggref, EState *estate,
			   DpParams *params)
{
	int			nargs = list_length(aggref->args);
	char	   *aggname = get_func_name(aggref->aggfnoid);
	DpAggregateKind kind = final->kind;
	int			epsilon_arg = final->epsilon_arg;
	double		epsilon;
	int			parts = DpPartsOfKind(kind);
	int			part;

	memset(params, 0, sizeof(DpParams));
	params->kind = kind;
	params->per_unit = final->per_unit;
	params->max_rows = 1;
	params->max_groups = 1;
	params->mechanism = DP_LAPLACE;

	/* dp_count(epsilon), dp_count(value, epsilon), dp_count(value, epsilon, delta) */
	if (epsilon_arg == -2)
		epsilon_arg = Min(nargs - 1, 1);
	if (nargs > epsilon_arg + 2 || nargs < epsilon_arg + 1)
		elog(ERROR, "unexpected number of arguments of %s", aggname);

	epsilon = EvaluateParameter(aggref, epsilon_arg, "epsilon", estate);
	if (!isfinite(epsilon) || epsilon < CIAM_EPSILON_MIN || epsilon > CIAM_EPSILON_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("epsilon %s of %s is out of range",
						float8out_internal(epsilon), aggname),
				 errdetail("Epsilon must lie between %g and %g.",
						   CIAM_EPSILON_MIN, CIAM_EPSILON_MAX)));
	params->epsilon_nanos = (int64) llround(epsilon * (double) CIAM_EPSILON_SCALE);

	if (nargs == epsilon_arg + 2)
	{
		double		delta = EvaluateParameter(aggref, epsilon_arg + 1, "delta", estate);

		if (!(delta >= CIAM_DELTA_MIN) || !(delta <= CIAM_DELTA_LIMIT_MAX))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("delta %s of %s is out of range",
							float8out_internal(delta), aggname),
					 errdetail("Delta must lie between %g and %g.",
							   CIAM_DELTA_MIN, CIAM_DELTA_LIMIT_MAX)));
		params->delta_attos = (int64) llround(delta * (double) CIAM_DELTA_SCALE);
		/* Group selection uses Laplace noise; delta is its threshold's */
		if (kind != DP_AGG_SELECT_UNITS)
		{
			params->mechanism = DP_GAUSSIAN;
			params->zcdp = (gaussian_accounting == GAUSSIAN_ZCDP);
		}
	}
	else if (kind == DP_AGG_SELECT_UNITS)
		elog(ERROR, "dp_select_units needs a delta");

	if (final->rows_arg >= 0)
		params->max_rows = EvaluateBound(aggref, final->rows_arg, "max_rows",
										 CIAM_MAX_ROWS_LIMIT, estate);
	if (final->groups_arg >= 0)
		params->max_groups = EvaluateBound(aggref, final->groups_arg, "max_groups",
										   CIAM_MAX_GROUPS_LIMIT, estate);

	/*
	 * The unit is the first argument of every per-unit form. Its type is
	 * checked here, because the transition function would only raise the
	 * error when it reads a row, which would reveal whether there was one.
	 */
	if (final->per_unit)
	{
		Oid			unit_type = exprType((Node *) linitial_node(TargetEntry, aggref->args)->expr);
		TypeCacheEntry *entry = lookup_type_cache(unit_type, TYPECACHE_HASH_EXTENDED_PROC);

		if (!OidIsValid(entry->hash_extended_proc))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("the privacy unit of type %s cannot be hashed",
							format_type_be(unit_type)),
					 errhint("Use a unit id of a type with a hash operator class, such as bigint, uuid or text.")));
	}

	if (final->value_arg >= 0)
	{
		Oid			type = exprType((Node *) list_nth_node(TargetEntry, aggref->args,
														   final->value_arg)->expr);

		if (type != FLOAT8OID && type != FLOAT4OID && type != INT2OID &&
			type != INT4OID && type != INT8OID && type != NUMERICOID)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("%s does not accept values of type %s", aggname,
							format_type_be(type)),
					 errhint("Use smallint, integer, bigint, real, double precision or numeric.")));
	}

	if (final->median)
		params->percentile = 0.5;
	else if (final->percentile_arg >= 0)
	{
		params->percentile = EvaluateParameter(aggref, final->percentile_arg,
											   "percentile", estate);
		if (!(params->percentile >= 0 && params->percentile <= 1))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("percentile %s of %s is out of range",
							float8out_internal(params->percentile), aggname),
					 errdetail("The percentile must lie between 0 and 1.")));
	}

	if (final->lower_arg >= 0)
	{
		params->lower = EvaluateParameter(aggref, final->lower_arg, "lower bound", estate);
		params->upper = EvaluateParameter(aggref, final->lower_arg + 1, "upper bound", estate);
		if (!isfinite(params->lower) || !isfinite(params->upper) ||
			fabs(params->lower) > CIAM_BOUND_MAX || fabs(params->upper) > CIAM_BOUND_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("bounds [%s, %s] of %s are out of range",
							float8out_internal(params->lower),
							float8out_internal(params->upper), aggname),
					 errdetail("Bounds must be finite numbers of magnitude at most %g.",
							   CIAM_BOUND_MAX)));
		if (params->lower > params->upper)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("lower bound %s of %s is above its upper bound %s",
							float8out_internal(params->lower), aggname,
							float8out_internal(params->upper))));
		if (!DpBoundsUsable(params->lower, params->upper))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("bounds [%s, %s] of %s are too close together",
							float8out_internal(params->lower),
							float8out_internal(params->upper), aggname),
					 errdetail("The bounds must differ by at least %g, or be equal and either 0 or at least %g in magnitude.",
							   CIAM_BOUND_MIN_WIDTH, CIAM_BOUND_MIN_WIDTH)));
	}

	/* The noise must be representable: reject it here, before any charge */
	if (kind != DP_AGG_PERCENTILE)
	{
		for (part = 0; part < parts; part++)
		{
			uint64		sensitivity = Max(DpSensitivityOfKind(params, part), 1);
			double		scale;

			if (params->mechanism == DP_LAPLACE)
				scale = (double) sensitivity * params->max_groups * parts / epsilon;
			else
				scale = DpNoiseSigma(params, sensitivity, parts);
			if (scale > CIAM_NOISE_SCALE_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("the noise of %s would be too large", aggname),
						 errhint("Raise epsilon, or narrow the bounds or the contribution limits.")));
		}
	}
	DpSetCharge(params, parts);
}

/*
 * Find the partial aggregate that feeds a finalize aggregate, below the
 * Gather, Sort or Append nodes that separate them. Its Aggref still has the
 * original arguments; the finalize node's Aggref refers to the partial
 * result instead.
 */
static Aggref *
FindPartialAggref(PlanState *planstate, int aggno)
{
	Aggref	   *found = NULL;
	int			i;

	if (planstate == NULL)
		return NULL;

	if (IsA(planstate, AggState))
	{
		AggState   *aggstate = (AggState *) planstate;

		if (DO_AGGSPLIT_SKIPFINAL(aggstate->aggsplit) &&
			aggno < aggstate->numaggs)
			return aggstate->peragg[aggno].aggref;
		return NULL;
	}

	if (IsA(planstate, AppendState))
	{
		AppendState *append = (AppendState *) planstate;

		for (i = 0; i < append->as_nplans && found == NULL; i++)
			found = FindPartialAggref(append->appendplans[i], aggno);
		return found;
	}
	if (IsA(planstate, MergeAppendState))
	{
		MergeAppendState *merge = (MergeAppendState *) planstate;

		for (i = 0; i < merge->ms_nplans && found == NULL; i++)
			found = FindPartialAggref(merge->mergeplans[i], aggno);
		return found;
	}

	found = FindPartialAggref(outerPlanState(planstate), aggno);
	if (found == NULL)
		found = FindPartialAggref(innerPlanState(planstate), aggno);
	return found;
}

/* Count the grouping sets an Agg node and its chained nodes release. */
static int
CountGroupingSets(Agg *agg)
{
	int			count = Max(list_length(agg->groupingSets), 1);
	ListCell   *lc;

	foreach(lc, agg->chain)
	{
		Agg		   *chained = lfirst_node(Agg, lc);

		count += Max(list_length(chained->groupingSets), 1);
	}
	return count;
}

/*
 * The per-unit forms bound the groups a unit contributes to when all of
 * its groups are known, which holds when every group is finalized after
 * all input was read: a plain aggregate (one group) or a hash aggregate.
 * A sorted aggregate finalizes each group before reading the next, so it
 * is rejected; the planner hook in dp_unit.c removes such plans.
 */
static void
CheckUnitAggStrategy(AggState *aggstate, Aggref *aggref)
{
	Agg		   *agg = (Agg *) aggstate->ss.ps.plan;

	if (agg->groupingSets != NIL || agg->chain != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s cannot be used with GROUPING SETS, ROLLUP or CUBE",
						get_func_name(aggref->aggfnoid)),
				 errdetail("Contribution bounds across groups are kept for one GROUP BY.")));
	if (agg->numCols > 0 && agg->aggstrategy != AGG_HASHED)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s needs a hashed GROUP BY", get_func_name(aggref->aggfnoid)),
				 errdetail("A unit's groups are chosen once all groups are known; a sorted aggregate releases each group before it reads the next."),
				 errhint("Group by keys that can be hashed.")));

	/*
	 * Keep every group in memory. Whether the table outgrows work_mem
	 * depends on the number of groups and units, and a spill ends in an
	 * error at the first release (dp_unit.c), so an analyst who lowers
	 * work_mem would learn about the data from that error.
	 * NOTE: memory then grows with the data; running out of memory is
	 * still an error, but at a size the analyst cannot set.
	 */
	if (agg->aggstrategy == AGG_HASHED)
	{
		aggstate->hash_mem_limit = SIZE_MAX;
		aggstate->hash_ngroups_limit = PG_UINT64_MAX;
	}
}

/* Record the DP aggregates an Agg node finalizes. */
static void
CollectAggReleases(AggState *aggstate, CollectContext *context)
{
	int			grouping_sets;
	int			aggno;
	DpAggRun   *run = NULL;

	if (DO_AGGSPLIT_SKIPFINAL(aggstate->aggsplit))
		return;					/* a partial aggregate releases nothing */

	grouping_sets = CountGroupingSets((Agg *) aggstate->ss.ps.plan);
	for (aggno = 0; aggno < aggstate->numaggs; aggno++)
	{
		AggStatePerAgg peragg = &aggstate->peragg[aggno];
		const DpFinalFunction *final;
		Aggref	   *source;
		DpRelease  *release;
		DpCharge	charge;

		if (!OidIsValid(peragg->finalfn_oid))
			continue;
		final = FindFinalFunction(peragg->finalfn.fn_addr);
		if (final == NULL)
			continue;
		if (final->per_unit)
			CheckUnitAggStrategy(aggstate, peragg->aggref);

		source = peragg->aggref;
		if (DO_AGGSPLIT_COMBINE(aggstate->aggsplit))
		{
			source = FindPartialAggref(outerPlanState(aggstate), aggno);
			if (source == NULL)
				elog(ERROR, "could not find the partial aggregate of %s",
					 get_func_name(peragg->aggref->aggfnoid));
		}

		if (run == NULL)
		{
			run = palloc0(sizeof(DpAggRun));
			run->aggstate = aggstate;
			context->runs = lappend(context->runs, run);
		}
		release = palloc0(sizeof(DpRelease));
		release->run = run;
		release->aggno = aggno;
		ValidateParams(final, source, context->estate, &release->params);
		charge = release->params.charge;
		DpChargeMultiply(&charge, grouping_sets);
		DpChargeAdd(&run->charge, &charge);
		run->releases = lappend(run->releases, release);
		context->releases = lappend(context->releases, release);
	}
}

/* Reject DP aggregates used as window functions: each row would be a release. */
static bool
RejectDpWindowFunction(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, WindowFunc) &&
		KindOfAggregate(((WindowFunc *) node)->winfnoid) != DP_AGG_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s cannot be used as a window function",
						get_func_name(((WindowFunc *) node)->winfnoid)),
				 errdetail("A window function releases one value per row.")));
	return expression_tree_walker(node, RejectDpWindowFunction, context);
}

static bool
CollectReleases(PlanState *planstate, CollectContext *context)
{
	if (planstate == NULL)
		return false;
	if (IsA(planstate, AggState))
		CollectAggReleases((AggState *) planstate, context);
	else if (IsA(planstate, WindowAggState))
		RejectDpWindowFunction((Node *) planstate->plan->targetlist, NULL);
	return planstate_tree_walker(planstate, CollectReleases, context);
}

/* Return whether a query tree or expression contains a DP aggregate. */
static bool
ContainsDpAggregate(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Aggref) &&
		KindOfAggregate(((Aggref *) node)->aggfnoid) != DP_AGG_NONE)
		return true;
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, ContainsDpAggregate, context, 0);
	return expression_tree_walker(node, ContainsDpAggregate, context);
}

/*
 * Return whether a plan reads a privatized view, a view with DP aggregates,
 * even if none of its DP columns is computed.
 */
static bool
ReadsPrivatizedView(PlannedStmt *plannedstmt)
{
	ListCell   *lc;

	foreach(lc, plannedstmt->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
		Relation	view;
		bool		privatized;

		if (rte->rtekind != RTE_RELATION || rte->relkind != RELKIND_VIEW)
			continue;
		view = relation_open(rte->relid, AccessShareLock);
		privatized = ContainsDpAggregate((Node *) get_view_query(view), NULL);
		relation_close(view, AccessShareLock);
		if (privatized)
			return true;
	}
	return false;
}

/* Describe a query for the server log: the views it reads. */
static char *
DescribeQuery(QueryDesc *queryDesc)
{
	StringInfoData text;
	ListCell   *lc;
	bool		first = true;
	List	   *named = NIL;

	initStringInfo(&text);
	foreach(lc, queryDesc->plannedstmt->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		/* A view's stored rule adds entries for the view itself: name it once */
		if (rte->rtekind != RTE_RELATION || rte->relkind != RELKIND_VIEW ||
			list_member_oid(named, rte->relid))
			continue;
		named = lappend_oid(named, rte->relid);
		appendStringInfo(&text, "%s%s", first ? "query on view " : ", ",
						 quote_qualified_identifier(get_namespace_name(get_rel_namespace(rte->relid)),
													get_rel_name(rte->relid)));
		first = false;
	}
	if (first)
		appendStringInfoString(&text, "query");
	return text.data;
}

/*
 * Unlink the releases of an executor state when its memory goes, on success
 * or abort alike, so the active list never points into freed memory.
 */
static void
UnlinkQueryReleases(void *arg)
{
	QueryReleases *query = (QueryReleases *) arg;

	dlist_delete(&query->node);
}

/* Forget a counted statement when its executor memory goes. */
static void
ForgetRunningQuery(void *arg)
{
	int		   *counter = (int *) arg;

	(*counter)--;
}

/* Count a statement in a counter until its executor memory goes. */
static void
CountRunningQuery(EState *estate, int *counter)
{
	MemoryContextCallback *callback =
		MemoryContextAlloc(estate->es_query_cxt, sizeof(MemoryContextCallback));

	callback->func = ForgetRunningQuery;
	callback->arg = counter;
	MemoryContextRegisterResetCallback(estate->es_query_cxt, callback);
	(*counter)++;
}

/* Validate, charge and record the DP aggregates of a query about to run. */
static void
ChargeQuery(QueryDesc *queryDesc, int eflags)
{
	EState	   *estate = queryDesc->estate;
	CollectContext context = {estate, NIL, NIL};
	bool		inspecting = (eflags & EXEC_FLAG_EXPLAIN_ONLY) ||
		queryDesc->instrument_options != 0 || instrumented_queries > 0;
	MemoryContext oldcontext;
	QueryReleases *query;
	DpCharge	total = {0, 0, 0};
	ListCell   *lc;

	bool		restricted = !superuser();
	bool		reads_view;

	oldcontext = MemoryContextSwitchTo(estate->es_query_cxt);
	CollectReleases(queryDesc->planstate, &context);
	reads_view = restricted && ReadsPrivatizedView(queryDesc->plannedstmt);

	/*
	 * EXPLAIN shows row counts and estimates of the nodes below the
	 * aggregates, and debug messages can show them too (trace_sort). Both
	 * are for superusers only on queries that read private data through DP.
	 */
	if (restricted && (inspecting || client_min_messages < NOTICE) &&
		(context.releases != NIL || reads_view))
	{
		if (inspecting)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("EXPLAIN is not allowed on queries that use DP aggregates or read privatized views"),
					 errdetail("EXPLAIN shows row counts and estimates computed from the data without noise."),
					 errhint("Run the query without EXPLAIN; only superusers may see its plan.")));
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("client_min_messages must be notice or higher for queries that use DP aggregates"),
				 errdetail("Log and debug messages can show row counts computed from the data without noise."),
				 errhint("SET client_min_messages = notice;")));
	}
	/*
	 * What event triggers cannot watch is checked for each analyst query on
	 * a privatized view, including one that computes no DP column, because
	 * its reads still show in the statistics.
	 */
	if (reads_view)
		CheckAnalystIsolation(GetAuthenticatedUserId());
	if (restricted && (context.releases != NIL || reads_view))
		CountRunningQuery(estate, &open_private_queries);

	if (context.releases == NIL)
	{
		MemoryContextSwitchTo(oldcontext);
		return;
	}

	RequirePreload();

	if (!(eflags & EXEC_FLAG_EXPLAIN_ONLY))
	{
		foreach(lc, context.runs)
		{
			DpAggRun   *run = lfirst(lc);

			DpChargeAdd(&total, &run->charge);
		}
		elog(DEBUG1, "ciam_privacy: charging %d DP aggregates, epsilon %.9g, delta %g, rho %.9g",
			 list_length(context.releases), EpsilonFromNanos(total.epsilon_nanos),
			 DeltaFromAttos(total.delta_attos), EpsilonFromNanos(total.rho_nanos));
		ChargeLoginRole(&total, DescribeQuery(queryDesc));
	}

	/* Watch each node's runs from now on */
	foreach(lc, context.runs)
	{
		DpAggRun   *run = lfirst(lc);

		run->exec_original = run->aggstate->ss.ps.ExecProcNodeReal;
		ExecSetExecProcNode(&run->aggstate->ss.ps, ExecDpAgg);
	}

	query = palloc0(sizeof(QueryReleases));
	query->runs = context.runs;
	query->unlink_callback.func = UnlinkQueryReleases;
	query->unlink_callback.arg = query;
	dlist_push_head(&active_queries, &query->node);
	MemoryContextRegisterResetCallback(estate->es_query_cxt,
									   &query->unlink_callback);
	MemoryContextSwitchTo(oldcontext);
}

static void
ciam_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	if (queryDesc->instrument_options != 0 && open_private_queries > 0 &&
		!IsParallelWorker() && !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("EXPLAIN ANALYZE is not allowed while a cursor on a privatized view or a DP query is open"),
				 errdetail("A function that the explained statement calls could fetch from the cursor, and the buffer counts would include the reads of the data."),
				 errhint("Close the cursor first.")));

	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);

	/* Workers only build partial states; the leader charges the query */
	if (!IsParallelWorker())
		ChargeQuery(queryDesc, eflags);

	if (queryDesc->instrument_options != 0 && !IsParallelWorker())
		CountRunningQuery(queryDesc->estate, &instrumented_queries);
}

void
InstallQueryChargeHooks(void)
{
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = ciam_ExecutorStart;
}

/* Find the run record of an Agg node in the running queries. */
static DpAggRun *
FindRun(PlanState *planstate)
{
	dlist_iter	iter;
	ListCell   *lc;

	dlist_foreach(iter, &active_queries)
	{
		QueryReleases *query = dlist_container(QueryReleases, node, iter.cur);

		foreach(lc, query->runs)
		{
			DpAggRun   *run = lfirst(lc);

			if (&run->aggstate->ss.ps == planstate)
				return run;
		}
	}
	return NULL;
}

/* Find the release record of an aggregate in the running queries. */
static DpRelease *
FindRelease(AggState *aggstate, int aggno)
{
	DpAggRun   *run = FindRun(&aggstate->ss.ps);
	ListCell   *lc;

	if (run == NULL)
		return NULL;
	foreach(lc, run->releases)
	{
		DpRelease  *release = lfirst(lc);

		if (release->aggno == aggno)
			return release;
	}
	return NULL;
}

/* Run the Agg node's own ExecProcNode, noting that the node is executing. */
static TupleTableSlot *
ExecDpAgg(PlanState *planstate)
{
	DpAggRun   *run = FindRun(planstate);
	TupleTableSlot *slot;

	if (run == NULL)
		elog(ERROR, "DP aggregate node is not registered");

	/* A cursor can lower client_min_messages between its DECLARE and a FETCH */
	if (client_min_messages < NOTICE && !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("client_min_messages must be notice or higher for queries that use DP aggregates"),
				 errdetail("Log and debug messages can show row counts computed from the data without noise."),
				 errhint("SET client_min_messages = notice;")));
	run->executing = true;
	slot = run->exec_original(planstate);
	run->executing = false;
	return slot;
}

/*
 * Note a reset of the node's expression context. From outside the node it
 * is a rescan (or the end of the query), and the run is over.
 */
static void
EndRun(Datum arg)
{
	DpAggRun   *run = (DpAggRun *) DatumGetPointer(arg);

	run->callback_registered = false;
	if (!run->executing)
		run->in_run = false;
}

/*
 * Begin a release from a DP final function: check that the query was
 * charged, charge again if this is a new run of a rescanned node, and return
 * the validated parameters. Raises an error rather than release a value that
 * was not charged.
 */
const DpParams *
DpBeginRelease(FunctionCallInfo fcinfo, DpAggregateKind kind)
{
	DpRelease  *release = (DpRelease *) fcinfo->flinfo->fn_extra;
	DpAggRun   *run;
	int			context = AggCheckCallContext(fcinfo, NULL);

	if (context == AGG_CONTEXT_WINDOW)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("DP aggregates cannot be used as window functions")));
	if (context != AGG_CONTEXT_AGGREGATE || !IsA(fcinfo->context, AggState))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("DP final functions can only be called by their aggregate")));

	if (release == NULL)
	{
		AggState   *aggstate = (AggState *) fcinfo->context;
		Aggref	   *aggref = AggGetAggref(fcinfo);

		RequirePreload();
		if (IsParallelWorker())
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("DP aggregates cannot be finalized in a parallel worker"),
					 errhint("Set max_parallel_workers_per_gather to 0 for this query.")));
		release = FindRelease(aggstate, aggref->aggno);
		if (release == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("DP aggregate runs in a plan that was not charged when its query started"),
					 errdetail("PostgreSQL re-ran part of the plan outside the start of the query, for example to recheck a row changed by a concurrent UPDATE.")));
		fcinfo->flinfo->fn_extra = release;
	}
	if (release->params.kind != kind)
		elog(ERROR, "DP aggregate kind mismatch");

	run = release->run;
	if (!run->in_run)
	{
		if (run->runs > 0)
		{
			elog(DEBUG1, "ciam_privacy: charging run %d of a rescanned DP aggregate",
				 run->runs + 1);
			ChargeLoginRole(&run->charge,
							"re-execution of a DP aggregate in one query");
		}
		run->runs++;
		run->in_run = true;
	}
	if (!run->callback_registered)
	{
		RegisterExprContextCallback(run->aggstate->ss.ps.ps_ExprContext,
									EndRun, PointerGetDatum(run));
		run->callback_registered = true;
	}
	return &release->params;
}

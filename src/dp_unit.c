/*
 * dp_unit.c
 *	  The per-unit forms of the DP aggregates: privacy for people, not rows.
 *
 * The privacy unit
 *	  In identity data one customer has many rows. Noise scaled to one row
 *	  protects a row; a customer with a hundred logins is protected only a
 *	  hundredth as well. The per-unit forms take the unit (a customer or
 *	  visitor id) as their first argument and bound what one unit can add
 *	  to the result, so that the noise, scaled to that bound, protects the
 *	  whole unit:
 *
 *	  - max_rows: in each group, at most max_rows rows of a unit are used.
 *	    Each row draws a random 64-bit priority from pg_strong_random(), and
 *	    the max_rows rows of smallest priority are kept: a uniformly random
 *	    subset, whatever the order of the rows. Each kept value is clamped
 *	    to [lower, upper], so a unit's total lies in
 *	    max_rows * [lower, upper].
 *	  - max_groups: across the groups of one GROUP BY, a unit counts in at
 *	    most max_groups groups. A unit found in more is kept in a uniformly
 *	    random subset of max_groups of them (random priorities again) and
 *	    dropped from the others. The noise of every group is scaled for a
 *	    unit that changes max_groups groups (Laplace: epsilon / max_groups
 *	    per group; Gaussian: see noise.c).
 *	  - dp_count_units counts distinct units: sensitivity 1 per group.
 *
 *	  So the sensitivity follows from the public parameters alone.
 *
 * How the groups of a unit are found
 *	  An aggregate's state belongs to one group, and a sorted GROUP BY
 *	  finalizes each group before it reads the rows of the next, when a
 *	  unit's other groups are still unknown. These forms therefore run only
 *	  in a plain aggregate (one group) or a hash aggregate, where every row
 *	  has been read before the first group is finalized. The first final
 *	  call of a run walks the node's hash table, collects the units of
 *	  every group, applies max_groups, and marks every group's state as
 *	  bounded. query_charge.c rejects other strategies when the query starts,
 *	  and the planner hook below removes sorted plans for queries that use
 *	  these forms, so that the planner picks a hash plan. A hash aggregate
 *	  that spilled to disk would finalize its groups in batches, so
 *	  query_charge.c lifts the node's memory limit, and a spill that still
 *	  happens is rejected. The guarantee does not rest on the
 *	  SQL of the query: any query gets these bounds from the aggregate.
 *
 * Units
 *	  An integer unit is identified by a bijective mix of its value, any
 *	  other unit by the 64-bit extended hash of its value (the type's own
 *	  hash function, fixed seed). Two units with the same hash are merged,
 *	  and a merged pair keeps at most max_rows rows in a group. NULL units
 *	  are skipped.
 *	  NOTE: under max_groups, removing one unit of a merged pair can move
 *	  the other's contribution to other groups, so the pair may change up
 *	  to 2 max_groups groups. With n non-integer units this happens with
 *	  probability about n^2 / 2^65, and is not counted in delta.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "executor/nodeAgg.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pathnodes.h"
#include "optimizer/pathnode.h"
#include "optimizer/planner.h"
#include "optimizer/prep.h"
#include "optimizer/tlist.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "ciam_privacy.h"
#include "dp_bounded.h"
#include "dp_percentile.h"

#define UNIT_HASH_SEED UINT64CONST(0x63696d5f70726976)

typedef enum UnitMode
{
	UNIT_ROWS = 1,				/* dp_count per unit: rows, capped */
	UNIT_PRESENCE,				/* dp_count_units, dp_select_units */
	UNIT_VALUES,				/* dp_sum, dp_avg, dp_variance, dp_stddev */
	UNIT_BUCKETS				/* dp_percentile, dp_median */
} UnitMode;

typedef struct KeptValue
{
	uint64		priority;
	int64		q;				/* quantized value or bucket */
} KeptValue;

/* The values kept for one unit in one group: at most max_rows of them */
typedef struct KeptBlock
{
	int32		nkept;
	KeptValue	values[FLEXIBLE_ARRAY_MEMBER];
} KeptBlock;

/*
 * One unit in one group's hash table. It fits in 16 bytes, because
 * distinct counts over millions of units are bound by memory traffic.
 */
typedef struct UnitEntry
{
	uint64		key;
	uint32		kept;			/* 1 + index of its KeptBlock, or 0 */
	uint16		rows;			/* rows seen, saturating at UINT16_MAX */
	uint8		status;			/* for simplehash */
	uint8		dropped;		/* removed from this group by max_groups */
} UnitEntry;

/* max_rows must stay below the saturation of UnitEntry.rows */
StaticAssertDecl(CIAM_MAX_ROWS_LIMIT < PG_UINT16_MAX, "max_rows limit exceeds UnitEntry.rows");

#define SH_PREFIX unithash
#define SH_ELEMENT_TYPE UnitEntry
#define SH_KEY_TYPE uint64
#define SH_KEY key
#define SH_HASH_KEY(tb, key) ((uint32) ((key) ^ ((key) >> 32)))
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/*
 * The keys of dp_count_units and dp_select_units while rows arrive: an
 * open-addressing set of 8-byte keys (0 marks an empty slot, the key 0 has
 * its own flag), half the memory of a UnitEntry table. Counting distinct
 * units over millions of them is bound by memory traffic. The set becomes
 * a UnitEntry table (MaterializeUnits) when the groups must be bounded or
 * states combined.
 */
typedef struct KeySet
{
	uint64	   *slots;
	uint32		mask;			/* number of slots - 1, a power of two - 1 */
	uint32		used;
	bool		has_zero;
	uint64		last;			/* the key added last, 0 if none */
} KeySet;

typedef struct DpUnitState
{
	UnitMode	mode;
	int32		max_rows;
	bool		groups_bounded;
	Oid			unit_type;
	Oid			unit_collation;
	Oid			value_type;
	FmgrInfo   *unit_hash;		/* the unit type's extended hash function */
	DpGrid		grid;			/* UNIT_VALUES */
	double		lower;			/* UNIT_BUCKETS */
	double		upper;
	MemoryContext context;
	unithash_hash *units;
	UnitEntry  *last_entry;		/* the entry EnterUnit() returned last, or NULL */
	KeySet	   *keys;			/* keys of UNIT_PRESENCE before materialization */
	KeptBlock **blocks;			/* kept values of the units, by UnitEntry.kept */
	uint32		nblocks;
	uint32		maxblocks;
} DpUnitState;

/* The kept values of a unit, or NULL. */
static inline KeptBlock *
EntryBlock(const DpUnitState *state, const UnitEntry *entry)
{
	return entry->kept ? state->blocks[entry->kept - 1] : NULL;
}

static create_upper_paths_hook_type prev_create_upper_paths = NULL;

/* ------------------------------------------------------------------------
 * States
 * ------------------------------------------------------------------------
 */

static DpUnitState *
NewUnitState(FunctionCallInfo fcinfo, UnitMode mode, int32 max_rows)
{
	MemoryContext aggcontext;
	DpUnitState *state;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("DP aggregate support functions can only be called by their aggregate")));
	if (max_rows < 1 || max_rows > CIAM_MAX_ROWS_LIMIT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_rows %d is out of range", max_rows)));
	state = MemoryContextAllocZero(aggcontext, sizeof(DpUnitState));
	state->mode = mode;
	state->max_rows = max_rows;
	state->context = aggcontext;
	state->units = unithash_create(aggcontext, 4, NULL);
	return state;
}

/* Look up the extended hash function of the unit's type. */
static void
SetUnitType(DpUnitState *state, Oid type, Oid collation)
{
	TypeCacheEntry *entry;

	/* UnitKey() mixes integers itself */
	state->unit_type = type;
	if (type == INT8OID || type == INT4OID || type == INT2OID)
		return;

	entry = lookup_type_cache(type, TYPECACHE_HASH_EXTENDED_PROC_FINFO);

	if (!OidIsValid(entry->hash_extended_proc_finfo.fn_oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("the privacy unit of type %s cannot be hashed",
						format_type_be(type)),
				 errhint("Use a unit id of a type with a hash operator class, such as bigint, uuid or text.")));
	state->unit_type = type;
	state->unit_collation = OidIsValid(collation) ? collation : DEFAULT_COLLATION_OID;
	state->unit_hash = MemoryContextAlloc(state->context, sizeof(FmgrInfo));
	fmgr_info_copy(state->unit_hash, &entry->hash_extended_proc_finfo, state->context);
}

/*
 * Compute the key of a unit. Integer units are mixed by a bijection (the
 * finalizer of SplitMix64), so distinct integers never share a key and no
 * function call is made per row. Other types use their extended hash
 * function.
 */
static inline uint64
UnitKey(DpUnitState *state, Datum unit)
{
	uint64		x;

	switch (state->unit_type)
	{
		case INT8OID:
			x = (uint64) DatumGetInt64(unit);
			break;
		case INT4OID:
			x = (uint64) (int64) DatumGetInt32(unit);
			break;
		case INT2OID:
			x = (uint64) (int64) DatumGetInt16(unit);
			break;
		default:
			return DatumGetUInt64(FunctionCall2Coll(state->unit_hash, state->unit_collation,
													unit, UInt64GetDatum(UNIT_HASH_SEED)));
	}
	x = (x ^ (x >> 30)) * UINT64CONST(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64CONST(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

/* Keep a value in a unit's random subset of at most max_rows values. */
static inline void
KeepValue(DpUnitState *state, UnitEntry *entry, uint64 priority, int64 q)
{
	KeptBlock  *block;
	int			i;
	int			largest = 0;

	if (entry->kept == 0)
	{
		if (state->nblocks == state->maxblocks)
		{
			state->maxblocks = Max(state->maxblocks * 2, 64);
			if (state->blocks == NULL)
				state->blocks = MemoryContextAlloc(state->context,
												   sizeof(KeptBlock *) * state->maxblocks);
			else
				state->blocks = repalloc_huge(state->blocks,
											  sizeof(KeptBlock *) * state->maxblocks);
		}
		block = MemoryContextAlloc(state->context,
								   offsetof(KeptBlock, values) +
								   sizeof(KeptValue) * state->max_rows);
		block->nkept = 0;
		state->blocks[state->nblocks++] = block;
		entry->kept = state->nblocks;
	}
	else
		block = state->blocks[entry->kept - 1];

	if (block->nkept < state->max_rows)
	{
		block->values[block->nkept].priority = priority;
		block->values[block->nkept].q = q;
		block->nkept++;
		return;
	}
	for (i = 1; i < block->nkept; i++)
	{
		if (block->values[i].priority > block->values[largest].priority)
			largest = i;
	}
	if (priority < block->values[largest].priority)
	{
		block->values[largest].priority = priority;
		block->values[largest].q = q;
	}
}

/*
 * Find or add a unit's entry. Rows of one unit often come together, so the
 * last entry is tried first. An insert may move entries, so only the entry
 * returned after the latest insert is remembered. MergeUnits() and
 * MaterializeUnits() reset it to NULL before they add entries.
 */
static inline UnitEntry *
EnterUnit(DpUnitState *state, uint64 key)
{
	bool		found;
	UnitEntry  *entry = state->last_entry;

	if (entry != NULL && entry->key == key)
	{
		if (entry->rows < PG_UINT16_MAX)
			entry->rows++;
		return entry;
	}
	entry = unithash_insert(state->units, key, &found);
	state->last_entry = entry;

	if (!found)
	{
		entry->dropped = false;
		entry->rows = 0;
		entry->kept = 0;
	}
	if (entry->rows < PG_UINT16_MAX)
		entry->rows++;
	return entry;
}

/* Read an int4 contribution bound argument. */
static int32
GetBoundArg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("contribution bounds of a DP aggregate must not be null")));
	return PG_GETARG_INT32(argno);
}

/* ------------------------------------------------------------------------
 * Transition functions
 * ------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(dp_unit_count_transfn);

/* (state, unit, max_rows, max_groups, epsilon [, delta]) */
Datum
dp_unit_count_transfn(PG_FUNCTION_ARGS)
{
	DpUnitState *state = PG_ARGISNULL(0) ? NULL : (DpUnitState *) PG_GETARG_POINTER(0);

	if (state == NULL)
	{
		state = NewUnitState(fcinfo, UNIT_ROWS, GetBoundArg(fcinfo, 2));
		SetUnitType(state, get_fn_expr_argtype(fcinfo->flinfo, 1), PG_GET_COLLATION());
	}
	if (!PG_ARGISNULL(1))
		(void) EnterUnit(state, UnitKey(state, PG_GETARG_DATUM(1)));
	PG_RETURN_POINTER(state);
}

/* Create an empty key set. */
static KeySet *
NewKeySet(MemoryContext context)
{
	KeySet	   *set = MemoryContextAllocZero(context, sizeof(KeySet));

	set->mask = 63;
	set->slots = MemoryContextAllocZero(context, sizeof(uint64) * 64);
	return set;
}

/* Double the slots of a key set and insert its keys again. */
static void
GrowKeySet(DpUnitState *state, KeySet *set)
{
	uint32		old_slots = set->mask + 1;
	uint64	   *old = set->slots;
	uint32		i;

	if (old_slots >= ((uint32) 1 << 31))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many privacy units in one group")));
	set->mask = old_slots * 2 - 1;
	set->slots = MemoryContextAllocExtended(state->context,
											sizeof(uint64) * (Size) (set->mask + 1),
											MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (i = 0; i < old_slots; i++)
	{
		uint64		key = old[i];
		uint32		slot;

		if (key == 0)
			continue;
		slot = (uint32) (key ^ (key >> 32)) & set->mask;
		while (set->slots[slot] != 0)
			slot = (slot + 1) & set->mask;
		set->slots[slot] = key;
	}
	pfree(old);
}

/* Add a key to a key set. */
static inline void
AddKey(DpUnitState *state, uint64 key)
{
	KeySet	   *set = state->keys;
	uint32		slot;

	if (key == 0)
	{
		set->has_zero = true;
		return;
	}
	if (key == set->last)
		return;
	set->last = key;
	slot = (uint32) (key ^ (key >> 32)) & set->mask;
	for (;;)
	{
		uint64		found = set->slots[slot];

		if (found == key)
			return;
		if (found == 0)
			break;
		slot = (slot + 1) & set->mask;
	}
	set->slots[slot] = key;
	set->used++;
	if ((uint64) set->used * 4 >= ((uint64) set->mask + 1) * 3)
		GrowKeySet(state, set);
}

/* Move the keys of a key set into the state's UnitEntry table. */
static void
MaterializeUnits(DpUnitState *state)
{
	KeySet	   *set;
	uint32		i;

	if (state == NULL || state->keys == NULL)
		return;
	set = state->keys;
	state->keys = NULL;
	state->last_entry = NULL;
	for (i = 0; i <= set->mask; i++)
	{
		if (set->slots[i] != 0)
			(void) EnterUnit(state, set->slots[i]);
	}
	if (set->has_zero)
		(void) EnterUnit(state, 0);
	pfree(set->slots);
	pfree(set);
}

PG_FUNCTION_INFO_V1(dp_count_units_transfn);

/* (state, unit, max_groups, epsilon [, delta]) */
Datum
dp_count_units_transfn(PG_FUNCTION_ARGS)
{
	DpUnitState *state = PG_ARGISNULL(0) ? NULL : (DpUnitState *) PG_GETARG_POINTER(0);

	if (state == NULL)
	{
		state = NewUnitState(fcinfo, UNIT_PRESENCE, 1);
		SetUnitType(state, get_fn_expr_argtype(fcinfo->flinfo, 1), PG_GET_COLLATION());
		state->keys = NewKeySet(state->context);
	}
	if (!PG_ARGISNULL(1))
	{
		uint64		key = UnitKey(state, PG_GETARG_DATUM(1));

		if (state->keys != NULL)
			AddKey(state, key);
		else
			(void) EnterUnit(state, key);
	}
	PG_RETURN_POINTER(state);
}

/* (state, unit, value, lower, upper, max_rows, max_groups, epsilon [, delta]) */
static Datum
UnitValuesTransition(FunctionCallInfo fcinfo, DpFamily family)
{
	DpUnitState *state = PG_ARGISNULL(0) ? NULL : (DpUnitState *) PG_GETARG_POINTER(0);
	double		value;
	UnitEntry  *entry;

	if (state == NULL)
	{
		double		lower;
		double		upper;

		DpGetBounds(fcinfo, 3, &lower, &upper);
		state = NewUnitState(fcinfo, UNIT_VALUES, GetBoundArg(fcinfo, 5));
		SetUnitType(state, get_fn_expr_argtype(fcinfo->flinfo, 1), PG_GET_COLLATION());
		state->value_type = get_fn_expr_argtype(fcinfo->flinfo, 2);
		if (!DpValueTypeAccepted(state->value_type))
			(void) DpDatumToDouble((Datum) 0, state->value_type);
		DpSetGrid(&state->grid, family, lower, upper);
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(state);
	value = DpDatumToDouble(PG_GETARG_DATUM(2), state->value_type);
	if (isnan(value))
		PG_RETURN_POINTER(state);
	entry = EnterUnit(state, UnitKey(state, PG_GETARG_DATUM(1)));
	KeepValue(state, entry, RandomPriority(), DpQuantize(&state->grid, value));
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(dp_unit_sum_transfn);
Datum
dp_unit_sum_transfn(PG_FUNCTION_ARGS)
{
	return UnitValuesTransition(fcinfo, DP_FAMILY_SUM);
}

PG_FUNCTION_INFO_V1(dp_unit_mean_transfn);
Datum
dp_unit_mean_transfn(PG_FUNCTION_ARGS)
{
	return UnitValuesTransition(fcinfo, DP_FAMILY_MEAN);
}

PG_FUNCTION_INFO_V1(dp_unit_variance_transfn);
Datum
dp_unit_variance_transfn(PG_FUNCTION_ARGS)
{
	return UnitValuesTransition(fcinfo, DP_FAMILY_VARIANCE);
}

/*
 * (state, unit, value, [percentile,] lower, upper, max_rows, max_groups, epsilon):
 * lower_arg is the argument number of lower, and upper follows it.
 */
static Datum
UnitBucketsTransition(FunctionCallInfo fcinfo, int lower_arg)
{
	DpUnitState *state = PG_ARGISNULL(0) ? NULL : (DpUnitState *) PG_GETARG_POINTER(0);
	double		value;
	UnitEntry  *entry;

	if (state == NULL)
	{
		double		lower;
		double		upper;

		DpGetBounds(fcinfo, lower_arg, &lower, &upper);
		if (!DpBoundsUsable(lower, upper))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("bounds of a DP percentile are invalid")));
		state = NewUnitState(fcinfo, UNIT_BUCKETS, GetBoundArg(fcinfo, lower_arg + 2));
		SetUnitType(state, get_fn_expr_argtype(fcinfo->flinfo, 1), PG_GET_COLLATION());
		state->value_type = get_fn_expr_argtype(fcinfo->flinfo, 2);
		if (!DpValueTypeAccepted(state->value_type))
			(void) DpDatumToDouble((Datum) 0, state->value_type);
		state->lower = lower;
		state->upper = upper;
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(state);
	value = DpDatumToDouble(PG_GETARG_DATUM(2), state->value_type);
	if (isnan(value))
		PG_RETURN_POINTER(state);
	entry = EnterUnit(state, UnitKey(state, PG_GETARG_DATUM(1)));
	KeepValue(state, entry, RandomPriority(),
			  DpPercentileBucket(state->lower, state->upper, value));
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(dp_unit_percentile_transfn);
Datum
dp_unit_percentile_transfn(PG_FUNCTION_ARGS)
{
	return UnitBucketsTransition(fcinfo, 4);
}

PG_FUNCTION_INFO_V1(dp_unit_median_transfn);
Datum
dp_unit_median_transfn(PG_FUNCTION_ARGS)
{
	return UnitBucketsTransition(fcinfo, 3);
}

/* ------------------------------------------------------------------------
 * Parallel support
 * ------------------------------------------------------------------------
 */

/* Copy the parameters of one state into a new, empty one. */
static DpUnitState *
CopyUnitShape(FunctionCallInfo fcinfo, const DpUnitState *from)
{
	DpUnitState *state = NewUnitState(fcinfo, from->mode, from->max_rows);

	state->grid = from->grid;
	state->lower = from->lower;
	state->upper = from->upper;
	state->value_type = from->value_type;
	return state;
}

/* Merge the units of "from" into "into". */
static void
MergeUnits(DpUnitState *into, DpUnitState *from)
{
	unithash_iterator iterator;
	UnitEntry  *source;

	into->last_entry = NULL;
	unithash_start_iterate(from->units, &iterator);
	while ((source = unithash_iterate(from->units, &iterator)) != NULL)
	{
		bool		found;
		UnitEntry  *entry = unithash_insert(into->units, source->key, &found);
		KeptBlock  *block = EntryBlock(from, source);
		int			i;

		if (!found)
		{
			entry->dropped = false;
			entry->rows = 0;
			entry->kept = 0;
		}
		entry->rows = (uint16) Min((int) entry->rows + source->rows, PG_UINT16_MAX);
		for (i = 0; block != NULL && i < block->nkept; i++)
			KeepValue(into, entry, block->values[i].priority, block->values[i].q);
	}
}

PG_FUNCTION_INFO_V1(dp_unit_combinefn);

/* dp_unit_combinefn(internal, internal) */
Datum
dp_unit_combinefn(PG_FUNCTION_ARGS)
{
	DpUnitState *state1 = PG_ARGISNULL(0) ? NULL : (DpUnitState *) PG_GETARG_POINTER(0);
	DpUnitState *state2 = PG_ARGISNULL(1) ? NULL : (DpUnitState *) PG_GETARG_POINTER(1);

	if (state2 == NULL)
	{
		if (state1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state1);
	}
	if (state1 == NULL)
		state1 = CopyUnitShape(fcinfo, state2);
	MaterializeUnits(state1);
	MaterializeUnits(state2);
	if (state1->mode != state2->mode || state1->max_rows != state2->max_rows ||
		state1->grid.lower != state2->grid.lower ||
		state1->grid.upper != state2->grid.upper ||
		state1->lower != state2->lower || state1->upper != state2->upper)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("parameters of a DP aggregate must be the same for every row")));
	MergeUnits(state1, state2);
	PG_RETURN_POINTER(state1);
}

PG_FUNCTION_INFO_V1(dp_unit_serialize);

/* dp_unit_serialize(internal) returns bytea; partial aggregates only. */
Datum
dp_unit_serialize(PG_FUNCTION_ARGS)
{
	DpUnitState *state = (DpUnitState *) PG_GETARG_POINTER(0);
	StringInfoData buffer;
	unithash_iterator iterator;
	UnitEntry  *entry;

	DpRequireSerializeContext(fcinfo, "dp_unit_serialize");
	MaterializeUnits(state);
	pq_begintypsend(&buffer);
	pq_sendbyte(&buffer, (uint8) state->mode);
	pq_sendint32(&buffer, state->max_rows);
	pq_sendbyte(&buffer, (uint8) state->grid.family);
	pq_sendfloat8(&buffer, state->grid.lower);
	pq_sendfloat8(&buffer, state->grid.upper);
	pq_sendfloat8(&buffer, state->lower);
	pq_sendfloat8(&buffer, state->upper);
	pq_sendint32(&buffer, state->value_type);
	pq_sendint64(&buffer, (int64) state->units->members);
	unithash_start_iterate(state->units, &iterator);
	while ((entry = unithash_iterate(state->units, &iterator)) != NULL)
	{
		KeptBlock  *block = EntryBlock(state, entry);
		int			nkept = block ? block->nkept : 0;
		int			i;

		pq_sendint64(&buffer, (int64) entry->key);
		pq_sendint32(&buffer, entry->rows);
		pq_sendint32(&buffer, nkept);
		for (i = 0; i < nkept; i++)
		{
			pq_sendint64(&buffer, (int64) block->values[i].priority);
			pq_sendint64(&buffer, block->values[i].q);
		}
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buffer));
}

static void
InvalidUnitState(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid per-unit DP aggregate state: %s", what)));
}

PG_FUNCTION_INFO_V1(dp_unit_deserialize);

/* dp_unit_deserialize(bytea, internal) validates every field it reads. */
Datum
dp_unit_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *serial = PG_GETARG_BYTEA_PP(0);
	StringInfoData buffer;
	DpUnitState *state;
	int			mode;
	int32		max_rows;
	int			family;
	double		grid_lower;
	double		grid_upper;
	int64		members;
	int64		i;

	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("dp_unit_deserialize can only be called by the aggregate")));
	buffer.data = VARDATA_ANY(serial);
	buffer.len = VARSIZE_ANY_EXHDR(serial);
	buffer.maxlen = buffer.len;
	buffer.cursor = 0;

	mode = pq_getmsgbyte(&buffer);
	max_rows = pq_getmsgint(&buffer, 4);
	family = pq_getmsgbyte(&buffer);
	grid_lower = pq_getmsgfloat8(&buffer);
	grid_upper = pq_getmsgfloat8(&buffer);
	if (mode < UNIT_ROWS || mode > UNIT_BUCKETS)
		InvalidUnitState("unknown mode");
	state = NewUnitState(fcinfo, (UnitMode) mode, max_rows);
	state->lower = pq_getmsgfloat8(&buffer);
	state->upper = pq_getmsgfloat8(&buffer);
	state->value_type = (Oid) pq_getmsgint(&buffer, 4);
	if (mode == UNIT_VALUES)
	{
		if (family != DP_FAMILY_SUM && family != DP_FAMILY_MEAN &&
			family != DP_FAMILY_VARIANCE)
			InvalidUnitState("unknown family");
		DpSetGrid(&state->grid, (DpFamily) family, grid_lower, grid_upper);
	}
	if (mode == UNIT_BUCKETS && !DpBoundsUsable(state->lower, state->upper))
		InvalidUnitState("invalid bounds");

	members = pq_getmsgint64(&buffer);
	if (members < 0 || members > buffer.len)
		InvalidUnitState("invalid number of units");
	for (i = 0; i < members; i++)
	{
		uint64		key = (uint64) pq_getmsgint64(&buffer);
		int32		rows = pq_getmsgint(&buffer, 4);
		int32		nkept = pq_getmsgint(&buffer, 4);
		bool		found;
		UnitEntry  *entry;
		int			k;

		if (rows < 1 || rows > PG_UINT16_MAX || nkept < 0 || nkept > max_rows || nkept > rows ||
			(nkept > 0 && mode != UNIT_VALUES && mode != UNIT_BUCKETS))
			InvalidUnitState("invalid unit entry");
		entry = unithash_insert(state->units, key, &found);
		if (found)
			InvalidUnitState("duplicate unit");
		entry->dropped = false;
		entry->rows = (uint16) rows;
		entry->kept = 0;
		for (k = 0; k < nkept; k++)
		{
			uint64		priority = (uint64) pq_getmsgint64(&buffer);
			int64		q = pq_getmsgint64(&buffer);

			if (mode == UNIT_VALUES && (q < state->grid.qlow || q > state->grid.qhigh))
				InvalidUnitState("value out of range");
			if (mode == UNIT_BUCKETS && (q < 0 || q >= DP_PERCENTILE_BUCKETS))
				InvalidUnitState("bucket out of range");
			KeepValue(state, entry, priority, q);
		}
	}
	pq_getmsgend(&buffer);
	PG_RETURN_POINTER(state);
}

/* ------------------------------------------------------------------------
 * The bound on groups per unit
 * ------------------------------------------------------------------------
 */

/* One unit's groups while max_groups is applied */
typedef struct UnitGroups
{
	uint64		key;
	char		status;
	int32		ngroups;
	int32		nchosen;
	UnitEntry **chosen;			/* max_groups entries of smallest priority */
	uint64	   *priorities;
} UnitGroups;

#define SH_PREFIX groupshash
#define SH_ELEMENT_TYPE UnitGroups
#define SH_KEY_TYPE uint64
#define SH_KEY key
#define SH_HASH_KEY(tb, key) ((uint32) ((key) ^ ((key) >> 32)))
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* Collect the states of one transition in every group of a hash aggregate. */
static List *
GroupStates(AggState *aggstate, int transno)
{
	List	   *states = NIL;
	int			setno;

	for (setno = 0; setno < aggstate->num_hashes; setno++)
	{
		TupleHashTable table = aggstate->perhash[setno].hashtable;
		TupleHashIterator iterator;
		TupleHashEntry entry;

		if (table == NULL)
			continue;
		InitTupleHashIterator(table, &iterator);
		while ((entry = ScanTupleHashTable(table, &iterator)) != NULL)
		{
			AggStatePerGroup pergroup = (AggStatePerGroup) entry->additional;

			if (pergroup == NULL || pergroup[transno].transValueIsNull)
				continue;
			MaterializeUnits((DpUnitState *) DatumGetPointer(pergroup[transno].transValue));
			states = lappend(states, DatumGetPointer(pergroup[transno].transValue));
		}
		TermTupleHashIterator(&iterator);
	}
	return states;
}

/*
 * Keep each unit in at most max_groups groups of an Agg node, chosen
 * uniformly at random among the groups it appears in, and mark every
 * group's state as bounded.
 */
static void
BoundGroupsPerUnit(AggState *aggstate, int transno, int32 max_groups)
{
	MemoryContext work = AllocSetContextCreate(CurrentMemoryContext,
											   "ciam_privacy group bound",
											   ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(work);
	List	   *states;
	ListCell   *lc;
	groupshash_hash *units;

	if (aggstate->hash_ever_spilled)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("per-unit DP aggregate needs its GROUP BY to fit in memory"),
				 errdetail("The hash aggregate spilled to disk, so not all groups of a unit are known when the first group is released."),
				 errhint("Raise work_mem or hash_mem_multiplier for this query.")));

	states = GroupStates(aggstate, transno);
	units = groupshash_create(work, 1024, NULL);

	/* First pass: the number of groups of each unit */
	foreach(lc, states)
	{
		DpUnitState *state = (DpUnitState *) lfirst(lc);
		unithash_iterator iterator;
		UnitEntry  *entry;

		unithash_start_iterate(state->units, &iterator);
		while ((entry = unithash_iterate(state->units, &iterator)) != NULL)
		{
			bool		found;
			UnitGroups *groups = groupshash_insert(units, entry->key, &found);

			if (!found)
			{
				groups->ngroups = 0;
				groups->nchosen = 0;
				groups->chosen = NULL;
				groups->priorities = NULL;
			}
			groups->ngroups++;
		}
		CHECK_FOR_INTERRUPTS();
	}

	/* Second pass: a random subset of max_groups for units in more groups */
	foreach(lc, states)
	{
		DpUnitState *state = (DpUnitState *) lfirst(lc);
		unithash_iterator iterator;
		UnitEntry  *entry;

		unithash_start_iterate(state->units, &iterator);
		while ((entry = unithash_iterate(state->units, &iterator)) != NULL)
		{
			UnitGroups *groups = groupshash_lookup(units, entry->key);
			uint64		priority;
			int			largest = 0;
			int			i;

			if (groups->ngroups <= max_groups)
				continue;
			priority = RandomPriority();
			if (groups->chosen == NULL)
			{
				groups->chosen = palloc(sizeof(UnitEntry *) * max_groups);
				groups->priorities = palloc(sizeof(uint64) * max_groups);
			}
			if (groups->nchosen < max_groups)
			{
				groups->chosen[groups->nchosen] = entry;
				groups->priorities[groups->nchosen] = priority;
				groups->nchosen++;
				continue;
			}
			for (i = 1; i < groups->nchosen; i++)
			{
				if (groups->priorities[i] > groups->priorities[largest])
					largest = i;
			}
			if (priority < groups->priorities[largest])
			{
				groups->chosen[largest]->dropped = true;
				groups->chosen[largest] = entry;
				groups->priorities[largest] = priority;
			}
			else
				entry->dropped = true;
		}
		CHECK_FOR_INTERRUPTS();
	}

	foreach(lc, states)
		((DpUnitState *) lfirst(lc))->groups_bounded = true;

	MemoryContextSwitchTo(old);
	MemoryContextDelete(work);
}

/*
 * Make sure max_groups holds for the group being finalized: in an Agg node
 * with grouping columns, bound all its groups at the first final call of a
 * run (query_charge.c has checked the node hashes its groups).
 */
static void
EnsureGroupsBounded(FunctionCallInfo fcinfo, DpUnitState *state,
					const DpParams *params)
{
	AggState   *aggstate = (AggState *) fcinfo->context;
	Agg		   *agg = (Agg *) aggstate->ss.ps.plan;
	Aggref	   *aggref;
	int			transno;

	if (state == NULL || state->groups_bounded || agg->numCols == 0)
		return;
	if (agg->aggstrategy != AGG_HASHED)
		elog(ERROR, "per-unit DP aggregate in a GROUP BY that is not hashed");
	aggref = AggGetAggref(fcinfo);
	transno = aggstate->peragg[aggref->aggno].transno;
	BoundGroupsPerUnit(aggstate, transno, params->max_groups);
	if (!state->groups_bounded)
		elog(ERROR, "per-unit DP aggregate state was not found in its hash table");
}

/* ------------------------------------------------------------------------
 * Final functions
 * ------------------------------------------------------------------------
 */

static DpUnitState *
FinalState(FunctionCallInfo fcinfo, const DpParams *params)
{
	DpUnitState *state = PG_ARGISNULL(0) ? NULL : (DpUnitState *) PG_GETARG_POINTER(0);

	if (state != NULL && state->max_rows != params->max_rows &&
		(state->mode == UNIT_ROWS || state->mode == UNIT_VALUES ||
		 state->mode == UNIT_BUCKETS))
		elog(ERROR, "per-unit DP aggregate state differs from the validated parameters");
	EnsureGroupsBounded(fcinfo, state, params);
	return state;
}

PG_FUNCTION_INFO_V1(dp_unit_count_finalfn);

/* Rows per unit, at most max_rows each, plus noise of sensitivity max_rows. */
Datum
dp_unit_count_finalfn(PG_FUNCTION_ARGS)
{
	const DpParams *params = DpBeginRelease(fcinfo, DP_AGG_COUNT);
	DpUnitState *state = FinalState(fcinfo, params);
	int64		count = 0;
	int64		noisy;

	if (state != NULL)
	{
		unithash_iterator iterator;
		UnitEntry  *entry;

		unithash_start_iterate(state->units, &iterator);
		while ((entry = unithash_iterate(state->units, &iterator)) != NULL)
		{
			if (!entry->dropped)
				count += Min(entry->rows, params->max_rows);
		}
	}
	noisy = count + DpIntegerNoise(params, (uint64) params->max_rows, 1);
	PG_RETURN_INT64(Max(noisy, 0));
}

/* The number of units kept in a group. */
static int64
CountUnits(DpUnitState *state)
{
	unithash_iterator iterator;
	UnitEntry  *entry;
	int64		count = 0;

	if (state == NULL)
		return 0;
	/* a key set is never bounded by groups: every key counts */
	if (state->keys != NULL)
		return (int64) state->keys->used + (state->keys->has_zero ? 1 : 0);
	unithash_start_iterate(state->units, &iterator);
	while ((entry = unithash_iterate(state->units, &iterator)) != NULL)
	{
		if (!entry->dropped)
			count++;
	}
	return count;
}

PG_FUNCTION_INFO_V1(dp_count_units_finalfn);

/* Distinct units plus noise of sensitivity 1. */
Datum
dp_count_units_finalfn(PG_FUNCTION_ARGS)
{
	const DpParams *params = DpBeginRelease(fcinfo, DP_AGG_COUNT_UNITS);
	DpUnitState *state = FinalState(fcinfo, params);
	int64		noisy = CountUnits(state) + DpIntegerNoise(params, 1, 1);

	PG_RETURN_INT64(Max(noisy, 0));
}

/*
 * The smallest threshold tau at which a group made by one unit alone
 * (count 1) is released with probability at most delta / max_groups:
 * with discrete Laplace noise Z of parameter p = exp(-epsilon / max_groups),
 * P(Z >= m) = p^m / (1 + p), so tau = 1 + ceil(ln(delta (1 + p) / max_groups) / ln p).
 * A unit touches at most max_groups groups, so in all it makes a group
 * appear with probability at most delta.
 */
int64
DpSelectionThreshold(double epsilon, double delta, int32 max_groups)
{
	double		log_p = -epsilon / max_groups;
	double		p = exp(log_p);
	double		m = ceil(log(delta * (1.0 + p) / max_groups) / log_p);

	/* a margin of one covers the rounding of log() */
	return 1 + (int64) Max(m, 0) + 1;
}

PG_FUNCTION_INFO_V1(dp_select_units_finalfn);

/*
 * The noisy number of distinct units if it reaches the threshold, else
 * NULL. Used in HAVING ... IS NOT NULL, the group and this value appear
 * together or not at all, decided by the same draw.
 *
 * A group with no unit kept is never released. Such a group exists only
 * because of rows that max_groups dropped (or rows with a NULL unit), so
 * one unit in many groups would otherwise make each of its dropped groups
 * pass with probability P(Z >= tau), and delta would grow with the number
 * of groups the unit is in, not with max_groups.
 */
Datum
dp_select_units_finalfn(PG_FUNCTION_ARGS)
{
	const DpParams *params = DpBeginRelease(fcinfo, DP_AGG_SELECT_UNITS);
	DpUnitState *state = FinalState(fcinfo, params);
	int64		units = CountUnits(state);
	int64		noisy = units + DpIntegerNoise(params, 1, 1);
	int64		threshold = DpSelectionThreshold(EpsilonFromNanos(params->epsilon_nanos),
												 DeltaFromAttos(params->delta_attos),
												 params->max_groups);

	if (units == 0 || noisy < threshold)
		PG_RETURN_NULL();
	PG_RETURN_INT64(noisy);
}

/* Sum the kept values of the units kept in a group. */
static void
SumKeptValues(DpUnitState *state, DpSums *sums)
{
	unithash_iterator iterator;
	UnitEntry  *entry;

	memset(sums, 0, sizeof(DpSums));
	if (state == NULL)
		return;
	unithash_start_iterate(state->units, &iterator);
	while ((entry = unithash_iterate(state->units, &iterator)) != NULL)
	{
		KeptBlock  *block = EntryBlock(state, entry);
		int			i;

		if (entry->dropped || block == NULL)
			continue;
		for (i = 0; i < block->nkept; i++)
		{
			int64		q = block->values[i].q;

			sums->count++;
			sums->sum += q;
			sums->sumsq += (int128) q * q;
		}
	}
}

static Datum
UnitBoundedFinal(FunctionCallInfo fcinfo, DpAggregateKind kind)
{
	const DpParams *params = DpBeginRelease(fcinfo, kind);
	DpUnitState *state = FinalState(fcinfo, params);
	DpGrid		grid;
	DpSums		sums;

	DpSetGrid(&grid, DpFamilyOfKind(kind), params->lower, params->upper);
	if (state != NULL && (state->grid.lower != grid.lower ||
						  state->grid.upper != grid.upper ||
						  state->grid.family != grid.family))
		elog(ERROR, "per-unit DP aggregate state bounds differ from the validated bounds");
	SumKeptValues(state, &sums);
	PG_RETURN_FLOAT8(DpReleaseBounded(params, &grid, &sums));
}

PG_FUNCTION_INFO_V1(dp_unit_sum_finalfn);
Datum
dp_unit_sum_finalfn(PG_FUNCTION_ARGS)
{
	return UnitBoundedFinal(fcinfo, DP_AGG_SUM);
}

PG_FUNCTION_INFO_V1(dp_unit_avg_finalfn);
Datum
dp_unit_avg_finalfn(PG_FUNCTION_ARGS)
{
	return UnitBoundedFinal(fcinfo, DP_AGG_AVG);
}

PG_FUNCTION_INFO_V1(dp_unit_variance_finalfn);
Datum
dp_unit_variance_finalfn(PG_FUNCTION_ARGS)
{
	return UnitBoundedFinal(fcinfo, DP_AGG_VARIANCE);
}

PG_FUNCTION_INFO_V1(dp_unit_stddev_finalfn);
Datum
dp_unit_stddev_finalfn(PG_FUNCTION_ARGS)
{
	return UnitBoundedFinal(fcinfo, DP_AGG_STDDEV);
}

static Datum
UnitPercentileFinal(FunctionCallInfo fcinfo)
{
	const DpParams *params = DpBeginRelease(fcinfo, DP_AGG_PERCENTILE);
	DpUnitState *state = FinalState(fcinfo, params);
	int64	   *counts = palloc0(sizeof(int64) * DP_PERCENTILE_BUCKETS);
	double		result;

	if (state != NULL)
	{
		unithash_iterator iterator;
		UnitEntry  *entry;

		if (state->lower != params->lower || state->upper != params->upper)
			elog(ERROR, "per-unit DP percentile state bounds differ from the validated bounds");
		unithash_start_iterate(state->units, &iterator);
		while ((entry = unithash_iterate(state->units, &iterator)) != NULL)
		{
			KeptBlock  *block = EntryBlock(state, entry);
			int			i;

			if (entry->dropped || block == NULL)
				continue;
			for (i = 0; i < block->nkept; i++)
				counts[block->values[i].q]++;
		}
	}
	result = DpReleasePercentile(params, counts);
	pfree(counts);
	PG_RETURN_FLOAT8(result);
}

PG_FUNCTION_INFO_V1(dp_unit_percentile_finalfn);
Datum
dp_unit_percentile_finalfn(PG_FUNCTION_ARGS)
{
	return UnitPercentileFinal(fcinfo);
}

PG_FUNCTION_INFO_V1(dp_unit_median_finalfn);
Datum
dp_unit_median_finalfn(PG_FUNCTION_ARGS)
{
	return UnitPercentileFinal(fcinfo);
}

/* ------------------------------------------------------------------------
 * Planner hook: hashed GROUP BY for the per-unit forms
 * ------------------------------------------------------------------------
 */

static bool
ContainsUnitAggregate(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Aggref) && IsDpUnitAggregate(((Aggref *) node)->aggfnoid))
		return true;
	return expression_tree_walker(node, ContainsUnitAggregate, context);
}

static bool
ContainsDpAggregateCall(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Aggref) && KindOfAggregate(((Aggref *) node)->aggfnoid) != DP_AGG_NONE)
		return true;
	return expression_tree_walker(node, ContainsDpAggregateCall, context);
}

/*
 * For a GROUP BY with per-unit DP aggregates, keep only hashed aggregation
 * paths, so that the plan can bound the groups of each unit (see the top
 * of this file). add_path() may already have discarded the hashed paths as
 * dominated by a sorted one, so a hashed path over the cheapest input is
 * added here when none is left. Only one-node aggregation paths stay: an
 * Append of one aggregate per partition (partitionwise aggregation) would
 * bound a unit's groups in each partition separately.
 */
static void
ciam_create_upper_paths(PlannerInfo *root, UpperRelationKind stage,
						RelOptInfo *input_rel, RelOptInfo *output_rel,
						void *extra)
{
	Query	   *parse = root->parse;

	if (prev_create_upper_paths)
		prev_create_upper_paths(root, stage, input_rel, output_rel, extra);

	/*
	 * DP aggregates are charged and finalized in the leader. A whole
	 * aggregate below a Gather would be finalized in a worker and fail
	 * there: a partial path of the grouped relation (one aggregate per
	 * partition under a Parallel Append) or a parallel-safe path that a
	 * Parallel Append of a UNION ALL runs in one worker. So the grouped
	 * relation gets no partial paths and its paths are not parallel safe.
	 * Partial aggregation in the workers is planned in a relation of its
	 * own and is kept.
	 */
	if (stage == UPPERREL_GROUP_AGG &&
		(ContainsDpAggregateCall((Node *) parse->targetList, NULL) ||
		 ContainsDpAggregateCall(parse->havingQual, NULL)))
	{
		ListCell   *lc;

		output_rel->partial_pathlist = NIL;
		output_rel->consider_parallel = false;
		foreach(lc, output_rel->pathlist)
			((Path *) lfirst(lc))->parallel_safe = false;
	}

	if (stage == UPPERREL_GROUP_AGG && parse->groupClause != NIL &&
		parse->groupingSets == NIL && extra != NULL &&
		grouping_is_hashable(parse->groupClause) &&
		(ContainsUnitAggregate((Node *) parse->targetList, NULL) ||
		 ContainsUnitAggregate(parse->havingQual, NULL)))
	{
		GroupPathExtraData *group_extra = (GroupPathExtraData *) extra;
		List	   *hashed = NIL;
		double		groups = -1;
		ListCell   *lc;

		foreach(lc, output_rel->pathlist)
		{
			Path	   *path = (Path *) lfirst(lc);

			if (!IsA(path, AggPath))
				continue;
			if (((AggPath *) path)->aggstrategy == AGG_HASHED)
				hashed = lappend(hashed, path);
			else if (groups < 0)
				groups = ((AggPath *) path)->numGroups;
		}
		/*
		 * A hash aggregate cannot compute DISTINCT or ORDER BY aggregates.
		 * The paths left would be sorted, or an Append of one aggregate per
		 * partition, which would bound groups per partition only.
		 */
		if (root->numOrderedAggs > 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("per-unit DP aggregates cannot be used in a GROUP BY with DISTINCT or ORDER BY aggregates"),
					 errdetail("Their groups must be computed by one hash aggregate, which cannot sort inside a group."),
					 errhint("Drop DISTINCT: the per-unit forms count each unit once already.")));
		if (hashed == NIL && input_rel->cheapest_total_path != NULL)
		{
			AggClauseCosts costs;

			MemSet(&costs, 0, sizeof(costs));
			get_agg_clause_costs(root, AGGSPLIT_SIMPLE, &costs);
			hashed = list_make1(create_agg_path(root, output_rel,
												input_rel->cheapest_total_path,
												output_rel->reltarget,
												AGG_HASHED, AGGSPLIT_SIMPLE,
												parse->groupClause,
												(List *) group_extra->havingQual,
												&costs,
												groups < 0 ? output_rel->rows : groups));
		}
		if (hashed != NIL)
		{
			output_rel->pathlist = hashed;
			output_rel->cheapest_startup_path = NULL;
			output_rel->cheapest_total_path = NULL;
		}
	}
}

void
InstallDpUnitHooks(void)
{
	prev_create_upper_paths = create_upper_paths_hook;
	create_upper_paths_hook = ciam_create_upper_paths;
}

/*
 * budget.c
 *	  The privacy budget: one row per analyst role, charged outside MVCC.
 *
 * What must hold
 *	  A charge, once made, is permanent: ROLLBACK, ROLLBACK TO SAVEPOINT, an
 *	  exception block, a closed cursor, a cancel, a disconnect, and a crash
 *	  after the result was sent must not give epsilon back. Two sessions
 *	  charging the same role at once must never together pass its limit.
 *
 * The mechanism chosen: an in-place, WAL-logged update of a heap row
 *	  The budget is the table ciam_privacy.budget (role, limit, spent), with
 *	  fixed-width columns. A charge locks the row's buffer exclusively, reads
 *	  limit and spent, and if the charge fits, overwrites "spent" in place
 *	  and writes the heap's own XLOG_HEAP_INPLACE WAL record, as VACUUM does
 *	  for pg_class. It then flushes WAL up to that record before returning,
 *	  so the charge is on disk before any result is computed. An in-place
 *	  change has no transaction id and no MVCC version, so no abort can undo
 *	  it, and the exclusive buffer lock makes read-check-write atomic across
 *	  sessions. Replicas and crash recovery replay the record like any other.
 *
 *	  Three alternatives were rejected. A sequence has one counter per object
 *	  and no limit check. Shared memory backed by a file needs its own fsync
 *	  protocol and crash recovery, which WAL already provides, with group
 *	  commit. A transactional UPDATE is exactly what ROLLBACK undoes.
 *
 *	  This file writes the WAL record itself instead of calling
 *	  heap_inplace_update(), because that function refuses to run in
 *	  parallel mode, and the leader of a parallel query is in parallel mode
 *	  while it charges.
 *
 * What is charged
 *	  A charge (DpCharge) has three parts: epsilon and delta of pure and
 *	  approximate DP, and rho of zero-concentrated DP (zCDP). A row keeps
 *	  their sums. Pure and approximate charges compose by adding epsilons
 *	  and deltas. zCDP charges compose by adding rho, which is much tighter
 *	  for many Gaussian releases than adding their (epsilon, delta). The
 *	  row is within its limits if
 *
 *		  delta_spent <= delta_limit, and
 *		  epsilon_spent + rho + 2 sqrt(rho ln(1 / (delta_limit - delta_spent)))
 *			  <= epsilon_limit
 *
 *	  that is, the zCDP part is converted to (epsilon, delta) with all the
 *	  delta the approximate charges left (Bun and Steinke 2016, Proposition
 *	  1.3), and composed with the rest by adding epsilons and deltas. The
 *	  whole history is then (epsilon_limit, delta_limit)-DP. With no delta
 *	  left, no zCDP charge fits. docs/dp.md states the same rules.
 *
 * Rules for the row
 *	  Rows are inserted by set_budget() (an ordinary, transactional insert)
 *	  and afterwards changed only in place, by this file. A trigger rejects
 *	  UPDATE, because a new row version would copy "spent" as it was when
 *	  the UPDATE read it and lose concurrent charges.
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "access/heapam_xlog.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xlog.h"
#include "access/xloginsert.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "ciam_privacy.h"

#define BUDGET_NATTS			6
#define Anum_budget_role		1
#define Anum_budget_limit		2
#define Anum_budget_spent		3
#define Anum_budget_delta_limit	4
#define Anum_budget_delta_spent	5
#define Anum_budget_rho_spent	6

typedef enum BudgetChange
{
	BUDGET_READ,
	BUDGET_CHARGE,
	BUDGET_SET_LIMIT,
	BUDGET_RESET_SPENDING
} BudgetChange;

typedef struct BudgetRow
{
	int64		limit_nanos;	/* epsilon limit */
	int64		spent_nanos;	/* epsilon of pure and approximate charges */
	int64		delta_limit_attos;	/* delta limit */
	int64		delta_spent_attos;	/* delta of approximate charges */
	int64		rho_spent_nanos;	/* rho of zCDP charges */
} BudgetRow;

double
EpsilonFromNanos(int64 nanos)
{
	return (double) nanos / (double) CIAM_EPSILON_SCALE;
}

double
DeltaFromAttos(int64 attos)
{
	return (double) attos / (double) CIAM_DELTA_SCALE;
}

/*
 * Epsilon of a rho-zCDP guarantee at a given delta, rounded up to a whole
 * nano-epsilon: rho + 2 sqrt(rho ln(1/delta)) (Bun and Steinke 2016,
 * Proposition 1.3). Without delta to spend, no finite epsilon holds.
 */
static int64
ZcdpEpsilonNanos(int64 rho_nanos, int64 delta_attos)
{
	double		rho;
	double		delta;
	double		epsilon;

	if (rho_nanos <= 0)
		return 0;
	if (delta_attos <= 0)
		return PG_INT64_MAX;
	rho = EpsilonFromNanos(rho_nanos);
	delta = DeltaFromAttos(delta_attos);
	epsilon = rho + 2.0 * sqrt(rho * -log(delta));
	/* one part in 1e12 more covers the rounding of log() and sqrt() */
	epsilon = epsilon * (1.0 + 1e-12) * (double) CIAM_EPSILON_SCALE;
	if (!(epsilon < 9e18))
		return PG_INT64_MAX;
	return (int64) ceil(epsilon);
}

/*
 * Compute the total epsilon, in nanos, that a budget row has spent. Its pure
 * and approximate charges compose by adding epsilons and deltas (basic
 * composition). Its zCDP charges add their rho, and the sum is converted to
 * (epsilon, delta) with all the delta that the approximate charges left.
 * The two parts then compose by basic composition once more. Returns
 * PG_INT64_MAX when no finite epsilon bounds the spending, for example when
 * the delta spent exceeds its limit.
 */
static int64
TotalEpsilonNanos(const BudgetRow *row)
{
	int64		zcdp;
	int64		total;

	if (row->delta_spent_attos > row->delta_limit_attos)
		return PG_INT64_MAX;
	zcdp = ZcdpEpsilonNanos(row->rho_spent_nanos,
							row->delta_limit_attos - row->delta_spent_attos);
	if (pg_add_s64_overflow(row->spent_nanos, zcdp, &total))
		return PG_INT64_MAX;
	return total;
}

/* Return whether a row's spending, after a charge, fits its limits. */
static bool
ChargeFits(const BudgetRow *row)
{
	return row->delta_spent_attos <= row->delta_limit_attos &&
		TotalEpsilonNanos(row) <= row->limit_nanos;
}

/* Add one charge to another, raising an error on overflow. */
void
DpChargeAdd(DpCharge *total, const DpCharge *charge)
{
	if (pg_add_s64_overflow(total->epsilon_nanos, charge->epsilon_nanos,
							&total->epsilon_nanos) ||
		pg_add_s64_overflow(total->delta_attos, charge->delta_attos,
							&total->delta_attos) ||
		pg_add_s64_overflow(total->rho_nanos, charge->rho_nanos,
							&total->rho_nanos))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("privacy charge overflows")));
}

/* Multiply a charge by a count of releases, raising an error on overflow. */
void
DpChargeMultiply(DpCharge *charge, int factor)
{
	if (pg_mul_s64_overflow(charge->epsilon_nanos, factor, &charge->epsilon_nanos) ||
		pg_mul_s64_overflow(charge->delta_attos, factor, &charge->delta_attos) ||
		pg_mul_s64_overflow(charge->rho_nanos, factor, &charge->rho_nanos))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("privacy charge overflows")));
}

/* Open ciam_privacy.budget, or raise an error if the extension is missing. */
static Relation
OpenBudgetTable(LOCKMODE lockmode)
{
	Oid			namespace_id = get_namespace_oid("ciam_privacy", true);
	Oid			relid = InvalidOid;

	if (OidIsValid(namespace_id))
		relid = get_relname_relid("budget", namespace_id);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table ciam_privacy.budget does not exist"),
				 errhint("Run CREATE EXTENSION ciam_privacy in this database.")));
	return table_open(relid, lockmode);
}

/* Find the budget row of a role through the primary key index. */
static bool
FindBudgetRow(Relation rel, Oid roleid, ItemPointer tid)
{
	List	   *indexes = RelationGetIndexList(rel);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;

	if (list_length(indexes) != 1)
		elog(ERROR, "ciam_privacy.budget must have exactly one index");

	ScanKeyInit(&key, Anum_budget_role, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(roleid));
	scan = systable_beginscan(rel, linitial_oid(indexes), true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		*tid = tuple->t_self;
		found = true;
	}
	systable_endscan(scan);
	list_free(indexes);
	return found;
}

/*
 * Read a budget row and apply a change to it in place, atomically under an
 * exclusive buffer lock. A charge that does not fit is not applied. Returns
 * whether the change was applied; *row receives the values after it.
 */
static bool
ChangeBudgetRow(Relation rel, ItemPointer tid, Oid roleid,
				BudgetChange change, const DpCharge *amount, BudgetRow *row)
{
	TupleDesc	desc = RelationGetDescr(rel);
	OffsetNumber offnum = ItemPointerGetOffsetNumber(tid);
	Buffer		buffer;
	Page		page;
	ItemId		itemid;
	HeapTupleData tuple;
	Datum		values[BUDGET_NATTS];
	bool		nulls[BUDGET_NATTS];
	bool		applied = true;
	XLogRecPtr	recptr = InvalidXLogRecPtr;

	buffer = ReadBuffer(rel, ItemPointerGetBlockNumber(tid));
	LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
	page = BufferGetPage(buffer);

	if (offnum < FirstOffsetNumber || offnum > PageGetMaxOffsetNumber(page))
		elog(ERROR, "budget row of role %u is not at its index entry", roleid);
	itemid = PageGetItemId(page, offnum);
	if (!ItemIdIsNormal(itemid))
		elog(ERROR, "budget row of role %u is not at its index entry", roleid);

	tuple.t_data = (HeapTupleHeader) PageGetItem(page, itemid);
	tuple.t_len = ItemIdGetLength(itemid);
	tuple.t_tableOid = RelationGetRelid(rel);
	tuple.t_self = *tid;
	if (HeapTupleHeaderGetNatts(tuple.t_data) != BUDGET_NATTS ||
		HeapTupleHasNulls(&tuple))
		elog(ERROR, "budget row of role %u has an unexpected layout", roleid);

	heap_deform_tuple(&tuple, desc, values, nulls);
	if (DatumGetObjectId(values[Anum_budget_role - 1]) != roleid)
		elog(ERROR, "budget row of role %u is not at its index entry", roleid);
	row->limit_nanos = DatumGetInt64(values[Anum_budget_limit - 1]);
	row->spent_nanos = DatumGetInt64(values[Anum_budget_spent - 1]);
	row->delta_limit_attos = DatumGetInt64(values[Anum_budget_delta_limit - 1]);
	row->delta_spent_attos = DatumGetInt64(values[Anum_budget_delta_spent - 1]);
	row->rho_spent_nanos = DatumGetInt64(values[Anum_budget_rho_spent - 1]);

	switch (change)
	{
		case BUDGET_READ:
			applied = false;
			break;
		case BUDGET_CHARGE:
			{
				BudgetRow	after = *row;

				if (amount->epsilon_nanos < 0 || amount->delta_attos < 0 ||
					amount->rho_nanos < 0)
					elog(ERROR, "privacy charge must not be negative");
				if (pg_add_s64_overflow(after.spent_nanos, amount->epsilon_nanos,
										&after.spent_nanos) ||
					pg_add_s64_overflow(after.delta_spent_attos, amount->delta_attos,
										&after.delta_spent_attos) ||
					pg_add_s64_overflow(after.rho_spent_nanos, amount->rho_nanos,
										&after.rho_spent_nanos) ||
					!ChargeFits(&after))
					applied = false;
				else
					*row = after;
			}
			break;
		case BUDGET_SET_LIMIT:
			row->limit_nanos = amount->epsilon_nanos;
			row->delta_limit_attos = amount->delta_attos;
			break;
		case BUDGET_RESET_SPENDING:
			row->spent_nanos = 0;
			row->delta_spent_attos = 0;
			row->rho_spent_nanos = 0;
			break;
	}

	if (applied)
	{
		HeapTuple	newtuple;
		uint32		data_length;

		values[Anum_budget_limit - 1] = Int64GetDatum(row->limit_nanos);
		values[Anum_budget_spent - 1] = Int64GetDatum(row->spent_nanos);
		values[Anum_budget_delta_limit - 1] = Int64GetDatum(row->delta_limit_attos);
		values[Anum_budget_delta_spent - 1] = Int64GetDatum(row->delta_spent_attos);
		values[Anum_budget_rho_spent - 1] = Int64GetDatum(row->rho_spent_nanos);
		newtuple = heap_form_tuple(desc, values, nulls);
		data_length = newtuple->t_len - newtuple->t_data->t_hoff;
		if (newtuple->t_data->t_hoff != tuple.t_data->t_hoff ||
			data_length != tuple.t_len - tuple.t_data->t_hoff)
			elog(ERROR, "budget row of role %u changed size", roleid);

		START_CRIT_SECTION();

		memcpy((char *) tuple.t_data + tuple.t_data->t_hoff,
			   (char *) newtuple->t_data + newtuple->t_data->t_hoff,
			   data_length);
		MarkBufferDirty(buffer);

		if (RelationNeedsWAL(rel))
		{
			xl_heap_inplace xlrec;

			xlrec.offnum = offnum;
			XLogBeginInsert();
			XLogRegisterData((char *) &xlrec, SizeOfHeapInplace);
			XLogRegisterBuffer(0, buffer, REGBUF_STANDARD);
			XLogRegisterBufData(0, (char *) tuple.t_data + tuple.t_data->t_hoff,
								data_length);
			recptr = XLogInsert(RM_HEAP_ID, XLOG_HEAP_INPLACE);
			PageSetLSN(page, recptr);
		}

		END_CRIT_SECTION();
		heap_freetuple(newtuple);
	}

	UnlockReleaseBuffer(buffer);

	/*
	 * Durable before the caller computes anything it could release. A
	 * charge is flushed by the ledger row that ChargeLoginRole() appends
	 * right after it, whose WAL record comes later: one flush for both.
	 */
	if (!XLogRecPtrIsInvalid(recptr) && change != BUDGET_CHARGE)
		XLogFlush(recptr);
	return applied;
}

/* Return whether a role has the LOGIN attribute. */
static bool
RoleCanLogIn(Oid roleid)
{
	HeapTuple	tuple = SearchSysCache1(AUTHOID, ObjectIdGetDatum(roleid));
	bool		can_login;

	if (!HeapTupleIsValid(tuple))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role with OID %u does not exist", roleid)));
	can_login = ((Form_pg_authid) GETSTRUCT(tuple))->rolcanlogin;
	ReleaseSysCache(tuple);
	return can_login;
}

/* Format an epsilon amount in nano units for messages. */
static char *
FormatEpsilon(int64 nanos)
{
	if (nanos == PG_INT64_MAX)
		return pstrdup("infinity");
	return psprintf("%.9g", EpsilonFromNanos(nanos));
}

/* Describe a charge for messages: "epsilon 0.5, delta 1e-06, rho 0.1". */
static char *
FormatCharge(const DpCharge *charge)
{
	StringInfoData text;

	initStringInfo(&text);
	appendStringInfo(&text, "epsilon %s", FormatEpsilon(charge->epsilon_nanos));
	if (charge->delta_attos > 0)
		appendStringInfo(&text, ", delta %.6g", DeltaFromAttos(charge->delta_attos));
	if (charge->rho_nanos > 0)
		appendStringInfo(&text, ", rho (zCDP) %s", FormatEpsilon(charge->rho_nanos));
	return text.data;
}

/* Epsilon that remains of a row for pure charges, at least 0. */
static int64
RemainingEpsilonNanos(const BudgetRow *row)
{
	int64		total = TotalEpsilonNanos(row);

	if (total >= row->limit_nanos)
		return 0;
	return row->limit_nanos - total;
}

/*
 * Charge the login role a privacy cost, or raise an error and release
 * nothing. The role is the authenticated user: SET ROLE and SET SESSION
 * AUTHORIZATION do not change it, so an analyst cannot charge anyone else.
 * NOTE: code of another role that this session runs (a trigger on that
 * role's table, its function or view, SECURITY DEFINER or not) is charged
 * here too, and may store the result where its author can read it. An
 * analyst with a writable schema can set such a trap for another.
 * The charge is applied whole or not at all: it fits if, after it, the
 * composition of everything the role spent (TotalEpsilonNanos) is within
 * the epsilon limit and the deltas within the delta limit.
 */
void
ChargeLoginRole(const DpCharge *charge, const char *what)
{
	Oid			roleid = GetAuthenticatedUserId();
	char	   *rolename = GetUserNameFromId(roleid, true);
	Relation	rel;
	Relation	ledger;
	ItemPointerData tid;
	BudgetRow	row;
	XLogRecPtr	lsn;

	/* A hot standby cannot write the budget table; see standby_budget.c */
	if (RecoveryInProgress())
	{
		ChargeStandbyBudget(roleid, charge, what);
		return;
	}

	rel = OpenBudgetTable(RowExclusiveLock);
	ledger = OpenLedgerForAppend();
	if (!FindBudgetRow(rel, roleid, &tid))
	{
		AppendLedgerRow(LEDGER_REFUSED, roleid, charge->epsilon_nanos,
						charge->delta_attos, charge->rho_nanos, 0, 0, what);
		ereport(LOG,
				(errmsg("ciam_privacy: rejected %s for role \"%s\": no privacy budget",
						what, rolename ? rolename : "?")));
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" has no privacy budget",
						rolename ? rolename : "?"),
				 errhint("The data owner grants one with ciam_privacy.set_budget().")));
	}

	/*
	 * From the change of the budget row until its ledger row is on disk, a
	 * cancel, a timeout or pg_terminate_backend() waits, so that no charge
	 * goes unrecorded. The ledger's table lock is already held, so the only
	 * waits left are short ones, for the page that the ledger grows by.
	 *
	 * NOTE: an error raised in between (out of memory, a read error on the
	 * ledger's last page) still leaves a charge without its ledger row. The
	 * charge stays, which errs on the side of privacy.
	 */
	HOLD_INTERRUPTS();
	if (!ChangeBudgetRow(rel, &tid, roleid, BUDGET_CHARGE, charge, &row))
	{
		char	   *needed = FormatCharge(charge);
		char	   *remaining = psprintf("epsilon %s and delta %.6g",
										 FormatEpsilon(RemainingEpsilonNanos(&row)),
										 DeltaFromAttos(Max(row.delta_limit_attos - row.delta_spent_attos, 0)));
		char	   *limits = psprintf("epsilon %s and delta %.6g",
									  FormatEpsilon(row.limit_nanos),
									  DeltaFromAttos(row.delta_limit_attos));

		AppendLedgerRow(LEDGER_REFUSED, roleid, charge->epsilon_nanos,
						charge->delta_attos, charge->rho_nanos,
						row.limit_nanos, row.spent_nanos, what);
		RESUME_INTERRUPTS();

		ereport(LOG,
				(errmsg("ciam_privacy: rejected %s for role \"%s\": needs %s; %s remain of the limits %s",
						what, rolename ? rolename : "?", needed, remaining, limits)));
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("privacy budget exceeded for role \"%s\"",
						rolename ? rolename : "?"),
				 errdetail("The query needs %s; %s remain of the limits %s.",
						   needed, remaining, limits),
				 errhint("Ask the data owner to raise the budget with ciam_privacy.set_budget().")));
	}

	/* Flushes WAL past the charge too, before any row is read */
	lsn = AppendLedgerRow(LEDGER_RELEASED, roleid, charge->epsilon_nanos,
						  charge->delta_attos, charge->rho_nanos,
						  row.limit_nanos, row.spent_nanos, what);
	/* And on the synchronous standbys, so that a failover keeps it */
	WaitForSyncStandbys(lsn);
	RESUME_INTERRUPTS();
	table_close(ledger, RowExclusiveLock);
	table_close(rel, RowExclusiveLock);
}

/* Return whether a role has a row in the budget table. */
bool
RoleHasBudget(Oid roleid)
{
	Relation	rel = OpenBudgetTable(AccessShareLock);
	ItemPointerData tid;
	bool		found = FindBudgetRow(rel, roleid, &tid);

	table_close(rel, AccessShareLock);
	return found;
}

/*
 * Read a role's epsilon limit. Returns false if the role has no budget row.
 */
bool
GetBudgetEpsilonLimit(Oid roleid, int64 *limit_nanos)
{
	Relation	rel = OpenBudgetTable(AccessShareLock);
	ItemPointerData tid;
	BudgetRow	row;
	bool		found = FindBudgetRow(rel, roleid, &tid);

	if (found)
	{
		ChangeBudgetRow(rel, &tid, roleid, BUDGET_READ, NULL, &row);
		*limit_nanos = row.limit_nanos;
	}
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * Reset a role's spending to zero in place, keeping its limits, and record
 * it in the ledger as a reset or as the start of a budget period. Returns
 * false if the role has no budget row.
 */
bool
ResetBudgetSpending(Oid roleid, bool new_period, const char *what)
{
	Relation	rel = OpenBudgetTable(RowExclusiveLock);
	Relation	ledger = OpenLedgerForAppend();
	ItemPointerData tid;
	BudgetRow	row;

	if (!FindBudgetRow(rel, roleid, &tid))
	{
		table_close(ledger, RowExclusiveLock);
		table_close(rel, RowExclusiveLock);
		return false;
	}
	/* Recorded whole or not at all, as a charge in ChargeLoginRole() */
	HOLD_INTERRUPTS();
	ChangeBudgetRow(rel, &tid, roleid, BUDGET_RESET_SPENDING, NULL, &row);
	AppendLedgerRow(new_period ? LEDGER_PERIOD_RENEWED : LEDGER_SPENDING_RESET,
					roleid, 0, 0, 0, row.limit_nanos, row.spent_nanos, what);
	RESUME_INTERRUPTS();
	table_close(ledger, RowExclusiveLock);
	table_close(rel, RowExclusiveLock);
	return true;
}

PG_FUNCTION_INFO_V1(set_budget);

/*
 * set_budget(role regrole, epsilon_limit float8, delta_limit float8)
 *	  Set a role's epsilon and delta limits; what it has spent is kept.
 */
Datum
set_budget(PG_FUNCTION_ARGS)
{
	Oid			roleid;
	double		epsilon;
	double		delta;
	DpCharge	limits = {0, 0, 0};
	Relation	rel;
	Relation	ledger;
	ItemPointerData tid;
	BudgetRow	row;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("role, epsilon_limit and delta_limit must not be null")));
	roleid = PG_GETARG_OID(0);
	epsilon = PG_GETARG_FLOAT8(1);
	delta = PG_GETARG_FLOAT8(2);
	if (isnan(epsilon) || epsilon < 0 || epsilon > CIAM_BUDGET_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("epsilon_limit %s is out of range", float8out_internal(epsilon)),
				 errdetail("A budget must lie between 0 and %g.", CIAM_BUDGET_MAX)));
	if (isnan(delta) || delta < 0 || delta > CIAM_DELTA_LIMIT_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("delta_limit %s is out of range", float8out_internal(delta)),
				 errdetail("A delta limit must lie between 0 and %g.", CIAM_DELTA_LIMIT_MAX)));
	limits.epsilon_nanos = (int64) llround(epsilon * (double) CIAM_EPSILON_SCALE);
	limits.delta_attos = (int64) llround(delta * (double) CIAM_DELTA_SCALE);

	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot set a privacy budget on a server in recovery")));
	if (!RoleCanLogIn(roleid))
		ereport(WARNING,
				(errmsg("role \"%s\" cannot log in", GetUserNameFromId(roleid, false)),
				 errdetail("Queries are charged to the role that logged in, so this budget is never spent.")));

	rel = OpenBudgetTable(RowExclusiveLock);
	ledger = OpenLedgerForAppend();
	row.spent_nanos = 0;
	if (FindBudgetRow(rel, roleid, &tid))
	{
		/* Recorded whole or not at all, as a charge in ChargeLoginRole() */
		HOLD_INTERRUPTS();
		ChangeBudgetRow(rel, &tid, roleid, BUDGET_SET_LIMIT, &limits, &row);
		AppendLedgerRow(LEDGER_LIMIT_SET, roleid, limits.epsilon_nanos,
						limits.delta_attos, 0, limits.epsilon_nanos,
						row.spent_nanos, "set_budget");
		RESUME_INTERRUPTS();
	}
	else
	{
		Oid			argtypes[3] = {OIDOID, INT8OID, INT8OID};
		Datum		args[3] = {ObjectIdGetDatum(roleid),
			Int64GetDatum(limits.epsilon_nanos),
		Int64GetDatum(limits.delta_attos)};

		SPI_connect();
		if (SPI_execute_with_args("INSERT INTO ciam_privacy.budget "
								  "(role, epsilon_limit_nanos, epsilon_spent_nanos, "
								  "delta_limit_attos, delta_spent_attos, rho_spent_nanos) "
								  "VALUES ($1, $2, 0, $3, 0, 0)",
								  3, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not insert the budget row of role %u", roleid);
		SPI_finish();
		/*
		 * The INSERT is transactional: a cancel before the ledger row rolls
		 * it back, and one after leaves a limit_set row for a budget that
		 * was never created, which overstates rather than hides a change.
		 */
		AppendLedgerRow(LEDGER_LIMIT_SET, roleid, limits.epsilon_nanos,
						limits.delta_attos, 0, limits.epsilon_nanos,
						row.spent_nanos, "set_budget");
	}
	table_close(ledger, RowExclusiveLock);
	table_close(rel, RowExclusiveLock);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(budget_status);

/*
 * budget_status() returns the login role's limits, spending and what
 * remains; the amounts are null if the role has no budget. epsilon_spent
 * is the total epsilon of everything spent, zCDP charges converted as in
 * TotalEpsilonNanos(). It reads the table directly,
 * so analysts need no privilege on it and see no other role's row.
 */
Datum
budget_status(PG_FUNCTION_ARGS)
{
	Oid			roleid = GetAuthenticatedUserId();
	TupleDesc	result_desc;
	Relation	rel;
	ItemPointerData tid;
	BudgetRow	row;
	bool		found;
	Datum		values[8];
	bool		nulls[8];
	char	   *rolename;

	if (get_call_result_type(fcinfo, NULL, &result_desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "budget_status must return a composite type");

	rel = OpenBudgetTable(AccessShareLock);
	found = FindBudgetRow(rel, roleid, &tid);
	if (found)
		ChangeBudgetRow(rel, &tid, roleid, BUDGET_READ, NULL, &row);
	table_close(rel, AccessShareLock);

	rolename = GetUserNameFromId(roleid, false);
	memset(nulls, 0, sizeof(nulls));
	values[0] = DirectFunctionCall1(namein, CStringGetDatum(rolename));
	if (!found)
	{
		memset(nulls + 1, true, sizeof(nulls) - sizeof(bool));
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(result_desc, values, nulls)));
	}
	values[1] = Float8GetDatum(EpsilonFromNanos(row.limit_nanos));
	if (TotalEpsilonNanos(&row) == PG_INT64_MAX)
		values[2] = Float8GetDatum(get_float8_infinity());
	else
		values[2] = Float8GetDatum(EpsilonFromNanos(TotalEpsilonNanos(&row)));
	values[3] = Float8GetDatum(EpsilonFromNanos(RemainingEpsilonNanos(&row)));
	values[4] = Float8GetDatum(DeltaFromAttos(row.delta_limit_attos));
	values[5] = Float8GetDatum(DeltaFromAttos(row.delta_spent_attos));
	values[6] = Float8GetDatum(DeltaFromAttos(Max(row.delta_limit_attos - row.delta_spent_attos, 0)));
	values[7] = Float8GetDatum(EpsilonFromNanos(row.rho_spent_nanos));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(result_desc, values, nulls)));
}

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

#define BUDGET_NATTS			3
#define Anum_budget_role		1
#define Anum_budget_limit		2
#define Anum_budget_spent		3

typedef enum BudgetChange
{
	BUDGET_READ,
	BUDGET_CHARGE,
	BUDGET_SET_LIMIT
} BudgetChange;

typedef struct BudgetRow
{
	int64		limit_nanos;
	int64		spent_nanos;
} BudgetRow;

double
EpsilonFromNanos(int64 nanos)
{
	return (double) nanos / (double) CIAM_EPSILON_SCALE;
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
				BudgetChange change, int64 amount, BudgetRow *row)
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

	switch (change)
	{
		case BUDGET_READ:
			applied = false;
			break;
		case BUDGET_CHARGE:
			if (amount > row->limit_nanos - row->spent_nanos)
				applied = false;
			else
				row->spent_nanos += amount;
			break;
		case BUDGET_SET_LIMIT:
			row->limit_nanos = amount;
			break;
	}

	if (applied)
	{
		HeapTuple	newtuple;
		uint32		data_length;

		values[Anum_budget_limit - 1] = Int64GetDatum(row->limit_nanos);
		values[Anum_budget_spent - 1] = Int64GetDatum(row->spent_nanos);
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

	/* Durable before the caller computes anything it could release */
	if (!XLogRecPtrIsInvalid(recptr))
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
	return psprintf("%.9g", EpsilonFromNanos(nanos));
}

/*
 * Charge the login role epsilon_nanos, or raise an error and release nothing.
 * The role is the authenticated user: SET ROLE and SET SESSION AUTHORIZATION
 * do not change it, so an analyst cannot charge anyone else.
 */
void
ChargeLoginRole(int64 epsilon_nanos, const char *what)
{
	Oid			roleid = GetAuthenticatedUserId();
	char	   *rolename = GetUserNameFromId(roleid, true);
	Relation	rel;
	ItemPointerData tid;
	BudgetRow	row;

	/* A hot standby cannot write the budget table; see standby_budget.c */
	if (RecoveryInProgress())
	{
		ChargeStandbyBudget(roleid, epsilon_nanos, what);
		return;
	}

	rel = OpenBudgetTable(RowExclusiveLock);
	if (!FindBudgetRow(rel, roleid, &tid))
	{
		AppendLedgerRow(LEDGER_REFUSED, roleid, epsilon_nanos, 0, 0, 0, 0, what);
		ereport(LOG,
				(errmsg("ciam_privacy: rejected %s for role \"%s\": no privacy budget",
						what, rolename ? rolename : "?")));
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" has no privacy budget",
						rolename ? rolename : "?"),
				 errhint("The data owner grants one with ciam_privacy.set_budget().")));
	}

	if (!ChangeBudgetRow(rel, &tid, roleid, BUDGET_CHARGE, epsilon_nanos, &row))
	{
		AppendLedgerRow(LEDGER_REFUSED, roleid, epsilon_nanos, 0, 0,
						row.limit_nanos, row.spent_nanos, what);
		ereport(LOG,
				(errmsg("ciam_privacy: rejected %s for role \"%s\": needs epsilon %s, %s of %s remains",
						what, rolename ? rolename : "?",
						FormatEpsilon(epsilon_nanos),
						FormatEpsilon(row.limit_nanos - row.spent_nanos),
						FormatEpsilon(row.limit_nanos))));
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("privacy budget exceeded for role \"%s\"",
						rolename ? rolename : "?"),
				 errdetail("The query needs epsilon %s, and %s of the limit %s remains.",
						   FormatEpsilon(epsilon_nanos),
						   FormatEpsilon(row.limit_nanos - row.spent_nanos),
						   FormatEpsilon(row.limit_nanos)),
				 errhint("Ask the data owner to raise the budget with ciam_privacy.set_budget().")));
	}

	/* Flushes WAL past the charge too, before any row is read */
	AppendLedgerRow(LEDGER_RELEASED, roleid, epsilon_nanos, 0, 0,
					row.limit_nanos, row.spent_nanos, what);
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

PG_FUNCTION_INFO_V1(set_budget);

/*
 * set_budget(role regrole, epsilon_limit float8)
 *	  Set a role's epsilon limit; what it has spent is kept.
 */
Datum
set_budget(PG_FUNCTION_ARGS)
{
	Oid			roleid;
	double		epsilon;
	int64		limit_nanos;
	Relation	rel;
	ItemPointerData tid;
	BudgetRow	row;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("role and epsilon_limit must not be null")));
	roleid = PG_GETARG_OID(0);
	epsilon = PG_GETARG_FLOAT8(1);
	if (isnan(epsilon) || epsilon < 0 || epsilon > CIAM_BUDGET_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("epsilon_limit %s is out of range", float8out_internal(epsilon)),
				 errdetail("A budget must lie between 0 and %g.", CIAM_BUDGET_MAX)));
	limit_nanos = (int64) llround(epsilon * (double) CIAM_EPSILON_SCALE);

	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot set a privacy budget on a server in recovery")));
	if (!RoleCanLogIn(roleid))
		ereport(WARNING,
				(errmsg("role \"%s\" cannot log in", GetUserNameFromId(roleid, false)),
				 errdetail("Queries are charged to the role that logged in, so this budget is never spent.")));

	rel = OpenBudgetTable(RowExclusiveLock);
	row.spent_nanos = 0;
	if (FindBudgetRow(rel, roleid, &tid))
		ChangeBudgetRow(rel, &tid, roleid, BUDGET_SET_LIMIT, limit_nanos, &row);
	else
	{
		Oid			argtypes[2] = {OIDOID, INT8OID};
		Datum		args[2] = {ObjectIdGetDatum(roleid), Int64GetDatum(limit_nanos)};

		SPI_connect();
		if (SPI_execute_with_args("INSERT INTO ciam_privacy.budget "
								  "(role, epsilon_limit_nanos, epsilon_spent_nanos) "
								  "VALUES ($1, $2, 0)",
								  2, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not insert the budget row of role %u", roleid);
		SPI_finish();
	}
	AppendLedgerRow(LEDGER_LIMIT_SET, roleid, limit_nanos, 0, 0,
					limit_nanos, row.spent_nanos, "set_budget");
	table_close(rel, RowExclusiveLock);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(budget_status);

/*
 * budget_status() returns the login role's limit, spent and remaining
 * epsilon; the amounts are null if the role has no budget. It reads the table directly,
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
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	char	   *rolename;

	if (get_call_result_type(fcinfo, NULL, &result_desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "budget_status must return a composite type");

	rel = OpenBudgetTable(AccessShareLock);
	found = FindBudgetRow(rel, roleid, &tid);
	if (found)
		ChangeBudgetRow(rel, &tid, roleid, BUDGET_READ, 0, &row);
	table_close(rel, AccessShareLock);

	rolename = GetUserNameFromId(roleid, false);
	values[0] = DirectFunctionCall1(namein, CStringGetDatum(rolename));
	if (!found)
	{
		nulls[1] = nulls[2] = nulls[3] = true;
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(result_desc, values, nulls)));
	}
	values[1] = Float8GetDatum(EpsilonFromNanos(row.limit_nanos));
	values[2] = Float8GetDatum(EpsilonFromNanos(row.spent_nanos));
	values[3] = Float8GetDatum(EpsilonFromNanos(Max(row.limit_nanos - row.spent_nanos, 0)));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(result_desc, values, nulls)));
}

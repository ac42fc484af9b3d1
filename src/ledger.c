/*
 * ledger.c
 *	  The append-only ledger: one row per charge, refusal and budget change.
 *
 * What must hold
 *	  Every release of a DP result has a ledger row on disk before the
 *	  result is computed, like its budget charge. ROLLBACK, ROLLBACK TO
 *	  SAVEPOINT, an error after the charge and a crash must not remove it.
 *	  Rows are never changed or deleted through SQL. Analysts cannot read
 *	  the ledger.
 *
 * The mechanism chosen: frozen heap tuples written outside any transaction
 *	  The ledger is the heap table ciam_privacy.ledger, without indexes.
 *	  AppendLedgerRow() forms a tuple whose xmin is FrozenTransactionId with
 *	  the HEAP_XMIN_FROZEN bits set, so it is visible to every snapshot and
 *	  no transaction, committed or aborted, owns it. The tuple goes on the
 *	  last page of the table under an exclusive buffer lock. When that page
 *	  is full, a new page is added under the relation extension lock. The page
 *	  change is WAL-logged as a generic WAL record (access/generic_xlog.h),
 *	  which replays byte for byte on a replica and in crash recovery, and
 *	  the WAL is flushed up to that record before the function returns. The
 *	  budget charge made just before by budget.c has a lower LSN, so the
 *	  one flush makes both durable (concurrent flushers share one fsync
 *	  through XLogFlush's group commit).
 *
 *	  Triggers reject UPDATE, DELETE and TRUNCATE from SQL. This file
 *	  fires no triggers. INSERT is not rejected, because restoring a dump
 *	  copies the rows back with COPY. No privilege on the table is granted
 *	  to PUBLIC, so only superusers and roles granted INSERT can insert.
 *	  NOTE: such a role can therefore add forged rows. VACUUM finds no
 *	  dead tuple to remove and nothing to freeze, and an appended frozen
 *	  tuple leaves a page's all-visible bit correct, so it is not cleared.
 *
 *	  Alternatives rejected: an INSERT in the analyst's transaction is undone
 *	  by ROLLBACK. An autonomous transaction (dblink, a background worker)
 *	  costs a connection or a process hop per query, and the analyst's
 *	  session could be killed between its commit and the release or before
 *	  it. A file of our own would need its own fsync protocol, replication
 *	  and crash recovery, all of which WAL provides. The heap's own
 *	  XLOG_HEAP_INSERT record would do as well, but its redo sets the
 *	  tuple's xmin from the record's transaction id, which is invalid here,
 *	  so the replayed page would differ from the primary's. The generic
 *	  record copies the bytes and needs no transaction at all.
 *
 * Columns are in LedgerColumn order below; sql/install/50_ledger.sql must
 * declare them in the same order and types.
 */
#include "postgres.h"

#include "access/generic_xlog.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/transam.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "replication/syncrep.h"
#include "replication/walsender.h"
#include "replication/walsender_private.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "tcop/tcopprot.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "ciam_privacy.h"

/* Columns of ciam_privacy.ledger, numbered from 0 */
typedef enum LedgerColumn
{
	LEDGER_RECORDED_AT,			/* timestamptz */
	LEDGER_ROLE,				/* regrole: the role charged or changed */
	LEDGER_ROLE_NAME,			/* name: kept if the role is dropped */
	LEDGER_EVENT,				/* text: see LedgerEventName() */
	LEDGER_EPSILON_NANOS,		/* int8: charged, or the new limit */
	LEDGER_DELTA_ATTOS,			/* int8: delta charged, in units of 1e-18 */
	LEDGER_RHO_NANOS,			/* int8: zCDP rho charged, in units of 1e-9 */
	LEDGER_LIMIT_NANOS,			/* int8: the role's limit after the event */
	LEDGER_SPENT_NANOS,			/* int8: the role's spending after it */
	LEDGER_QUERY_ID,			/* int8: top-level query id, null if none */
	LEDGER_DESCRIPTION,			/* text: the views read, or the action */
	LEDGER_QUERY_TEXT,			/* text: top-level statement, clipped */
	LEDGER_SESSION_USER,		/* name: who ran it */
	LEDGER_BACKEND_PID,			/* int4 */
	LEDGER_NATTS
} LedgerColumn;

/* Statement text beyond this many bytes is cut off, so a row fits a page */
#define LEDGER_MAX_TEXT			1024

/* Name the event kinds as stored in the table. */
static const char *
LedgerEventName(LedgerEvent event)
{
	switch (event)
	{
		case LEDGER_RELEASED:
			return "released";
		case LEDGER_REFUSED:
			return "refused";
		case LEDGER_LIMIT_SET:
			return "limit_set";
		case LEDGER_SPENDING_RESET:
			return "spending_reset";
		case LEDGER_PERIOD_RENEWED:
			return "period_renewed";
	}
	elog(ERROR, "unknown ledger event %d", (int) event);
	return NULL;				/* keep the compiler quiet */
}

/* Open ciam_privacy.ledger, or raise an error if it is missing. */
static Relation
OpenLedgerTable(void)
{
	Oid			namespace_id = get_namespace_oid("ciam_privacy", true);
	Oid			relid = InvalidOid;
	Relation	rel;

	if (OidIsValid(namespace_id))
		relid = get_relname_relid("ledger", namespace_id);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table ciam_privacy.ledger does not exist"),
				 errhint("Run ALTER EXTENSION ciam_privacy UPDATE, or CREATE EXTENSION ciam_privacy in this database.")));
	rel = table_open(relid, RowExclusiveLock);
	if (RelationGetDescr(rel)->natts != LEDGER_NATTS ||
		rel->rd_rel->relkind != RELKIND_RELATION ||
		rel->rd_rel->relam != HEAP_TABLE_AM_OID ||
		!RelationNeedsWAL(rel))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table ciam_privacy.ledger has been altered"),
				 errdetail("The ledger must be a logged heap table with %d columns.",
						   LEDGER_NATTS)));
	return rel;
}

/*
 * Open the ledger, taking its table lock and checking its shape, before a
 * budget change. A wait for this lock can end in a cancel, a
 * statement_timeout or a lock_timeout. It must happen before the budget row
 * changes, so that an interrupted charge leaves neither a charge nor a
 * ledger row. While the caller keeps the table open, AppendLedgerRow()
 * opens it without waiting; the caller closes it with RowExclusiveLock.
 */
Relation
OpenLedgerForAppend(void)
{
	return OpenLedgerTable();
}

/* Copy text for the ledger, cut at a character boundary. */
static Datum
ClippedText(const char *text)
{
	int			length = strlen(text);

	if (length > LEDGER_MAX_TEXT)
		length = pg_mbcliplen(text, length, LEDGER_MAX_TEXT);
	return PointerGetDatum(cstring_to_text_with_len(text, length));
}

/*
 * Place a frozen tuple on the last page of the ledger, adding a page when
 * it is full, and WAL-log the change. Returns the record's end position.
 */
static XLogRecPtr
PlaceFrozenTuple(Relation rel, HeapTuple tuple)
{
	Size		needed = MAXALIGN(tuple->t_len);
	Buffer		buffer = InvalidBuffer;
	bool		new_page = false;
	GenericXLogState *state;
	Page		page;
	OffsetNumber offnum;
	XLogRecPtr	lsn;

	if (needed > MaxHeapTupleSize)
		elog(ERROR, "ledger row of %zu bytes does not fit on a page", needed);

	while (!BufferIsValid(buffer))
	{
		BlockNumber nblocks = RelationGetNumberOfBlocks(rel);

		if (nblocks > 0)
			buffer = ReadBuffer(rel, nblocks - 1);
		else
		{
			/* The extension lock keeps two sessions from adding one page */
			LockRelationForExtension(rel, ExclusiveLock);
			buffer = ReadBufferExtended(rel, MAIN_FORKNUM, P_NEW, RBM_NORMAL, NULL);
			UnlockRelationForExtension(rel, ExclusiveLock);
		}
		LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);

		/*
		 * Whether the page is new is only known under its lock: another
		 * session that saw it as the last page may have initialized and
		 * filled it between the extension and this lock.
		 */
		new_page = PageIsNew(BufferGetPage(buffer));
		if (!new_page && PageGetHeapFreeSpace(BufferGetPage(buffer)) < needed)
		{
			BlockNumber full = BufferGetBlockNumber(buffer);

			UnlockReleaseBuffer(buffer);
			buffer = InvalidBuffer;
			LockRelationForExtension(rel, ExclusiveLock);
			/* Add a page unless another session did since the full one */
			if (RelationGetNumberOfBlocks(rel) == full + 1)
			{
				buffer = ReadBufferExtended(rel, MAIN_FORKNUM, P_NEW, RBM_NORMAL, NULL);
				LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
				new_page = PageIsNew(BufferGetPage(buffer));
				if (!new_page && PageGetHeapFreeSpace(BufferGetPage(buffer)) < needed)
				{
					UnlockReleaseBuffer(buffer);
					buffer = InvalidBuffer;
				}
			}
			UnlockRelationForExtension(rel, ExclusiveLock);
		}
	}

	state = GenericXLogStart(rel);
	page = GenericXLogRegisterBuffer(state, buffer,
									 new_page ? GENERIC_XLOG_FULL_IMAGE : 0);
	if (new_page)
		PageInit(page, BufferGetPageSize(buffer), 0);

	offnum = PageAddItem(page, (Item) tuple->t_data, tuple->t_len,
						 InvalidOffsetNumber, false, true);
	if (offnum == InvalidOffsetNumber)
	{
		GenericXLogAbort(state);
		elog(ERROR, "could not add a row to page %u of the ledger",
			 BufferGetBlockNumber(buffer));
	}
	/* The tuple's own pointer, as heap_insert sets it */
	ItemPointerSet(&((HeapTupleHeader) PageGetItem(page, PageGetItemId(page, offnum)))->t_ctid,
				   BufferGetBlockNumber(buffer), offnum);

	lsn = GenericXLogFinish(state);
	UnlockReleaseBuffer(buffer);
	return lsn;
}

/*
 * Append one row to the ledger and flush WAL up to it. The row is permanent
 * at once, whatever the calling transaction does afterwards. The query id
 * and statement text are those of the top-level statement of the session.
 * Returns the end of the row's WAL record.
 */
XLogRecPtr
AppendLedgerRow(LedgerEvent event, Oid roleid, int64 epsilon_nanos,
				int64 delta_attos, int64 rho_nanos, int64 limit_nanos,
				int64 spent_nanos, const char *description)
{
	Relation	rel;
	Datum		values[LEDGER_NATTS];
	bool		nulls[LEDGER_NATTS];
	char	   *rolename = GetUserNameFromId(roleid, true);
	char	   *session_user = GetUserNameFromId(GetSessionUserId(), true);
	uint64		query_id = pgstat_get_my_query_id();
	NameData	role_name_data;
	NameData	session_user_data;
	HeapTuple	tuple;
	XLogRecPtr	lsn;

	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot write the privacy ledger on a server in recovery")));

	memset(nulls, false, sizeof(nulls));
	namestrcpy(&role_name_data, rolename ? rolename : "");
	namestrcpy(&session_user_data, session_user ? session_user : "");

	values[LEDGER_RECORDED_AT] = TimestampTzGetDatum(GetCurrentTimestamp());
	values[LEDGER_ROLE] = ObjectIdGetDatum(roleid);
	values[LEDGER_ROLE_NAME] = NameGetDatum(&role_name_data);
	values[LEDGER_EVENT] = CStringGetTextDatum(LedgerEventName(event));
	values[LEDGER_EPSILON_NANOS] = Int64GetDatum(epsilon_nanos);
	values[LEDGER_DELTA_ATTOS] = Int64GetDatum(delta_attos);
	values[LEDGER_RHO_NANOS] = Int64GetDatum(rho_nanos);
	values[LEDGER_LIMIT_NANOS] = Int64GetDatum(limit_nanos);
	values[LEDGER_SPENT_NANOS] = Int64GetDatum(spent_nanos);
	values[LEDGER_QUERY_ID] = Int64GetDatum((int64) query_id);
	nulls[LEDGER_QUERY_ID] = (query_id == 0);
	values[LEDGER_DESCRIPTION] = ClippedText(description ? description : "");
	values[LEDGER_QUERY_TEXT] = ClippedText(debug_query_string ? debug_query_string : "");
	nulls[LEDGER_QUERY_TEXT] = (debug_query_string == NULL);
	values[LEDGER_SESSION_USER] = NameGetDatum(&session_user_data);
	values[LEDGER_BACKEND_PID] = Int32GetDatum(MyProcPid);

	rel = OpenLedgerTable();
	tuple = heap_form_tuple(RelationGetDescr(rel), values, nulls);
	if (HeapTupleHasExternal(tuple))
		elog(ERROR, "ledger row must not be toasted");

	/* Visible to every snapshot, owned by no transaction */
	HeapTupleHeaderSetXmin(tuple->t_data, FrozenTransactionId);
	HeapTupleHeaderSetXmax(tuple->t_data, InvalidTransactionId);
	HeapTupleHeaderSetCmin(tuple->t_data, FirstCommandId);
	tuple->t_data->t_infomask &= ~HEAP_XACT_MASK;
	tuple->t_data->t_infomask2 &= ~HEAP2_XACT_MASK;
	tuple->t_data->t_infomask |= HEAP_XMIN_FROZEN | HEAP_XMAX_INVALID;
	tuple->t_tableOid = RelationGetRelid(rel);

	lsn = PlaceFrozenTuple(rel, tuple);
	table_close(rel, RowExclusiveLock);

	/* On disk, with the budget change before it, before anything is released */
	XLogFlush(lsn);
	heap_freetuple(tuple);
	return lsn;
}

/* Return whether synchronous standbys are configured and must be waited for. */
static bool
SyncStandbysDefined(void)
{
	bool		defined;

	if (max_wal_senders <= 0)
		return false;
	LWLockAcquire(SyncRepLock, LW_SHARED);
	defined = (WalSndCtl->sync_standbys_status & SYNC_STANDBY_DEFINED) != 0;
	LWLockRelease(SyncRepLock);
	return defined;
}

/*
 * Wait until the synchronous standbys have flushed WAL up to a charge's
 * ledger row, or raise an error. A commit waits for them, but a DP query
 * may commit nothing, and the analyst may set synchronous_commit = local.
 * Without this wait, a failover to a synchronous standby would forget the
 * charge of a result already released. The wait uses remote_flush whatever
 * the session's synchronous_commit. A cancel or a termination ends the wait
 * with a WARNING from PostgreSQL; the charge then stays on this server and
 * nothing is released. Call with interrupts held, as SyncRepWaitForLSN()
 * requires.
 */
void
WaitForSyncStandbys(XLogRecPtr lsn)
{
	int			nest_level;
	bool		confirmed;

	if (!SyncStandbysDefined())
		return;

	nest_level = NewGUCNestLevel();
	(void) set_config_option("synchronous_commit", "on",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	SyncRepWaitForLSN(lsn, false);
	AtEOXact_GUC(true, nest_level);

	/* A cancel also ends the wait, so check that the standbys confirmed */
	LWLockAcquire(SyncRepLock, LW_SHARED);
	confirmed = WalSndCtl->lsn[SYNC_REP_WAIT_FLUSH] >= lsn ||
		(WalSndCtl->sync_standbys_status & SYNC_STANDBY_DEFINED) == 0;
	LWLockRelease(SyncRepLock);
	if (!confirmed)
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("canceled waiting for the synchronous standbys to confirm a privacy charge"),
				 errdetail("The charge is recorded on this server; no result was released.")));
}

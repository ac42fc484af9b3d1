/*
 * standby_budget.c
 *	  Charging DP queries on a hot standby, where the budget table and the
 *	  ledger cannot be written.
 *
 * The rule
 *	  By default a DP query on a server in recovery is rejected: the charge
 *	  cannot be written to the replicated budget, so it could not count
 *	  against the analyst's limit. The owner of a standby may opt in by
 *	  setting ciam_privacy.standby_epsilon_limit in that standby's
 *	  postgresql.conf. It is a sighup setting, so only the server's
 *	  configuration (or a superuser's ALTER SYSTEM) can change it. Each
 *	  analyst with a budget row on the primary may then spend up to that
 *	  much epsilon on this standby, in addition to their budget on the
 *	  primary. It is capped at their epsilon limit on the primary, so a
 *	  limit of 0 there stops them here too. The standby limit is in
 *	  epsilon alone, so only pure epsilon-DP charges are accepted there.
 *	  The privacy loss of the data is bounded by the primary's limit plus
 *	  the limit of every standby where the setting is on: each standby is
 *	  one more budget, and the data owner must count it as such.
 *
 * How the spending is kept
 *	  In the file ciam_privacy_standby_spent in the standby's data
 *	  directory: one fixed-size record per charge (role, epsilon in nano
 *	  units, CRC-32C). A charge opens the file and takes flock(LOCK_EX),
 *	  which serializes the read-check-append of all backends. It then sums
 *	  the role's records. If the charge fits, it appends a record and fsyncs
 *	  the file before returning, so the charge is on disk before any row is
 *	  read. A record cut short by a crash was never acknowledged, so it is
 *	  truncated away under the lock. A record with a wrong CRC stops all DP
 *	  queries with an error instead of being guessed at.
 *
 *	  WAL cannot be used: a standby writes none. Shared memory alone would
 *	  be emptied by a restart, which would hand the whole limit out again.
 *
 * Limits, stated honestly
 *	  The file is not replicated and not part of a base backup taken from
 *	  the primary. Rebuilding a standby from a new base backup, or deleting
 *	  the file, starts its spending from zero; a new standby is a new budget.
 *	  Standby charges are in the standby's server log at LOG level but not
 *	  in the ledger, which only the primary can write. After promotion the
 *	  server charges the replicated budget table as a primary does.
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "funcapi.h"
#include "miscadmin.h"
#include "port/pg_crc32c.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/tuplestore.h"

#include "ciam_privacy.h"

#define STANDBY_SPENT_FILE		"ciam_privacy_standby_spent"

/* One charge on this standby, as stored in the file */
typedef struct StandbyChargeRecord
{
	Oid			roleid;
	pg_crc32c	crc;			/* of roleid and epsilon_nanos */
	int64		epsilon_nanos;
} StandbyChargeRecord;

/* Epsilon each role may spend on this standby; 0 rejects DP queries here */
static double standby_epsilon_limit = 0;

void
DefineStandbyBudgetSettings(void)
{
	DefineCustomRealVariable("ciam_privacy.standby_epsilon_limit",
							 "Sets the epsilon each analyst may spend on this hot standby.",
							 "0 rejects DP queries on a standby. Any other value is an extra "
							 "budget per analyst on this standby, on top of the primary's.",
							 &standby_epsilon_limit,
							 0, 0, CIAM_BUDGET_MAX,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);
}

static pg_crc32c
RecordCrc(const StandbyChargeRecord *record)
{
	pg_crc32c	crc;

	INIT_CRC32C(crc);
	COMP_CRC32C(crc, &record->roleid, sizeof(record->roleid));
	COMP_CRC32C(crc, &record->epsilon_nanos, sizeof(record->epsilon_nanos));
	FIN_CRC32C(crc);
	return crc;
}

/*
 * Open the spending file locked exclusively, cut a torn last record and
 * return the descriptor. Created with its directory entry made durable.
 */
static int
OpenSpentFile(void)
{
	int			fd;
	struct stat st;
	bool		created = (access(STANDBY_SPENT_FILE, F_OK) != 0);

	fd = OpenTransientFile(STANDBY_SPENT_FILE, O_RDWR | O_CREAT | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", STANDBY_SPENT_FILE)));
	if (flock(fd, LOCK_EX) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not lock file \"%s\": %m", STANDBY_SPENT_FILE)));
	if (created)
		fsync_fname(".", true);

	if (fstat(fd, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", STANDBY_SPENT_FILE)));
	if (st.st_size % sizeof(StandbyChargeRecord) != 0)
	{
		off_t		whole = st.st_size - st.st_size % sizeof(StandbyChargeRecord);

		ereport(LOG,
				(errmsg("ciam_privacy: cutting a torn record from \"%s\" at byte %lld",
						STANDBY_SPENT_FILE, (long long) whole)));
		if (ftruncate(fd, whole) != 0 || pg_fsync(fd) != 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not truncate file \"%s\": %m", STANDBY_SPENT_FILE)));
	}
	else if (st.st_size > 0)
	{
		StandbyChargeRecord last;
		off_t		last_offset = st.st_size - sizeof(StandbyChargeRecord);

		/* A last record whose write a crash cut off was never acknowledged */
		if (pg_pread(fd, &last, sizeof(last), last_offset) != sizeof(last))
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", STANDBY_SPENT_FILE)));
		if (RecordCrc(&last) != last.crc)
		{
			ereport(LOG,
					(errmsg("ciam_privacy: cutting a torn record from \"%s\" at byte %lld",
							STANDBY_SPENT_FILE, (long long) last_offset)));
			if (ftruncate(fd, last_offset) != 0 || pg_fsync(fd) != 0)
				ereport(ERROR,
						(errcode_for_file_access(),
						 errmsg("could not truncate file \"%s\": %m", STANDBY_SPENT_FILE)));
		}
	}
	return fd;
}

/*
 * NOTE: every charge reads the whole file, so a standby that has recorded
 * millions of charges spends milliseconds per query here.
 *
 * Read every record of the open file. With a valid roleid, return that
 * role's total; with InvalidOid, add each role's total to the tuplestore.
 */
static int64
SumSpentFile(int fd, Oid roleid, Tuplestorestate *store, TupleDesc desc)
{
	StandbyChargeRecord records[512];
	off_t		offset = 0;
	int64		total = 0;
	List	   *roles = NIL;
	List	   *totals = NIL;

	for (;;)
	{
		ssize_t		nread = pg_pread(fd, records, sizeof(records), offset);
		int			count;
		int			i;

		if (nread < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", STANDBY_SPENT_FILE)));
		count = nread / sizeof(StandbyChargeRecord);
		for (i = 0; i < count; i++)
		{
			if (RecordCrc(&records[i]) != records[i].crc)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("file \"%s\" is corrupt at byte %lld",
								STANDBY_SPENT_FILE,
								(long long) (offset + i * sizeof(StandbyChargeRecord))),
						 errhint("No DP query can run on this standby until the file is repaired.")));
			if (OidIsValid(roleid))
			{
				if (records[i].roleid == roleid)
					total += records[i].epsilon_nanos;
			}
			else
			{
				ListCell   *lc_role;
				ListCell   *lc_total;
				bool		found = false;

				forboth(lc_role, roles, lc_total, totals)
				{
					if (lfirst_oid(lc_role) == records[i].roleid)
					{
						*(int64 *) lfirst(lc_total) += records[i].epsilon_nanos;
						found = true;
						break;
					}
				}
				if (!found)
				{
					int64	   *sum = palloc(sizeof(int64));

					*sum = records[i].epsilon_nanos;
					roles = lappend_oid(roles, records[i].roleid);
					totals = lappend(totals, sum);
				}
			}
		}
		if (nread < (ssize_t) sizeof(records))
			break;
		offset += nread;
	}

	if (store != NULL)
	{
		ListCell   *lc_role;
		ListCell   *lc_total;

		forboth(lc_role, roles, lc_total, totals)
		{
			Datum		values[2];
			bool		nulls[2] = {false, false};

			values[0] = ObjectIdGetDatum(lfirst_oid(lc_role));
			values[1] = Float8GetDatum(EpsilonFromNanos(*(int64 *) lfirst(lc_total)));
			tuplestore_putvalues(store, desc, values, nulls);
		}
	}
	return total;
}

/*
 * Charge a DP query on a hot standby against the standby's own limit, or
 * raise an error. Called by ChargeLoginRole() while in recovery.
 */
void
ChargeStandbyBudget(Oid roleid, const DpCharge *charge, const char *what)
{
	char	   *rolename = GetUserNameFromId(roleid, true);
	int64		epsilon_nanos = charge->epsilon_nanos;
	int64		limit_nanos;
	int64		primary_limit_nanos;
	int64		spent;
	int			fd;
	StandbyChargeRecord record;

	if (standby_epsilon_limit <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot charge a privacy budget on a hot standby"),
				 errdetail("The budget and the ledger are tables that a standby cannot write."),
				 errhint("Run DP queries on the primary server, or give this standby a budget of its own with ciam_privacy.standby_epsilon_limit.")));

	/*
	 * The standby limit is a pure epsilon budget: it has no delta to spend,
	 * and zCDP charges need delta to convert to epsilon.
	 */
	if (charge->delta_attos > 0 || charge->rho_nanos > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("only pure epsilon-DP queries can be charged on a hot standby"),
				 errdetail("The standby budget has no delta to spend, and approximate and zCDP charges need one."),
				 errhint("Run this query on the primary server.")));

	/* The data owner grants standby spending only to roles with a budget */
	if (!GetBudgetEpsilonLimit(roleid, &primary_limit_nanos))
	{
		ereport(LOG,
				(errmsg("ciam_privacy: rejected %s on standby for role \"%s\": no privacy budget",
						what, rolename ? rolename : "?")));
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" has no privacy budget", rolename ? rolename : "?"),
				 errhint("The data owner grants one on the primary with ciam_privacy.set_budget().")));
	}

	/*
	 * No role spends more here than its limit on the primary, as replayed so
	 * far: revoke_analyst() and set_budget(role, 0) stop an analyst on every
	 * standby too, including in sessions opened before the revocation.
	 */
	limit_nanos = (int64) (standby_epsilon_limit * (double) CIAM_EPSILON_SCALE);
	limit_nanos = Min(limit_nanos, primary_limit_nanos);
	fd = OpenSpentFile();
	spent = SumSpentFile(fd, roleid, NULL, NULL);
	if (epsilon_nanos > limit_nanos - spent)
	{
		CloseTransientFile(fd);
		ereport(LOG,
				(errmsg("ciam_privacy: rejected %s on standby for role \"%s\": needs epsilon %.9g, %.9g of the standby limit %.9g remains",
						what, rolename ? rolename : "?",
						EpsilonFromNanos(epsilon_nanos),
						EpsilonFromNanos(Max(limit_nanos - spent, 0)),
						EpsilonFromNanos(limit_nanos))));
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("standby privacy budget exceeded for role \"%s\"",
						rolename ? rolename : "?"),
				 errdetail("The query needs epsilon %.9g, and %.9g of this standby's limit %.9g remains.",
						   EpsilonFromNanos(epsilon_nanos),
						   EpsilonFromNanos(Max(limit_nanos - spent, 0)),
						   EpsilonFromNanos(limit_nanos))));
	}

	memset(&record, 0, sizeof(record));
	record.roleid = roleid;
	record.epsilon_nanos = epsilon_nanos;
	record.crc = RecordCrc(&record);
	if (lseek(fd, 0, SEEK_END) < 0 ||
		write(fd, &record, sizeof(record)) != sizeof(record) ||
		pg_fsync(fd) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write file \"%s\": %m", STANDBY_SPENT_FILE)));
	CloseTransientFile(fd);

	ereport(LOG,
			(errmsg("ciam_privacy: charged %s on standby for role \"%s\": epsilon %.9g, %.9g of the standby limit %.9g spent",
					what, rolename ? rolename : "?",
					EpsilonFromNanos(epsilon_nanos),
					EpsilonFromNanos(spent + epsilon_nanos),
					EpsilonFromNanos(limit_nanos))));
}

PG_FUNCTION_INFO_V1(standby_spending);

/*
 * standby_spending() returns (role, epsilon_spent) for every role charged on
 * this server while it was a standby.
 */
Datum
standby_spending(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			fd;

	InitMaterializedSRF(fcinfo, 0);
	if (access(STANDBY_SPENT_FILE, F_OK) != 0)
		PG_RETURN_VOID();
	fd = OpenSpentFile();
	SumSpentFile(fd, InvalidOid, rsinfo->setResult, rsinfo->setDesc);
	CloseTransientFile(fd);
	PG_RETURN_VOID();
}

/*
 * admin.c
 *	  The data owner's budget functions that must change the budget row in
 *	  place: resetting an analyst's spending. The rest of the admin
 *	  interface is SQL (sql/install/55_admin.sql).
 */
#include "postgres.h"

#include "access/xlog.h"
#include "fmgr.h"
#include "miscadmin.h"

#include "ciam_privacy.h"

PG_FUNCTION_INFO_V1(reset_spending);

/*
 * reset_spending(analyst regrole)
 *	  Set an analyst's epsilon, delta and rho spending to zero, keeping the
 *	  limits. Like a charge, the reset is in place and remains even if
 *	  the caller's transaction rolls back; the ledger records it.
 */
Datum
reset_spending(PG_FUNCTION_ARGS)
{
	Oid			roleid;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("analyst must not be null")));
	roleid = PG_GETARG_OID(0);
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot reset a privacy budget on a server in recovery")));
	if (!ResetBudgetSpending(roleid, "reset_spending"))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"%s\" has no privacy budget",
						GetUserNameFromId(roleid, false)),
				 errhint("Create one with ciam_privacy.set_budget().")));
	PG_RETURN_VOID();
}

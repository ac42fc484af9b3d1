/*
 * admin.c
 *	  The data owner's budget functions that must change the budget row in
 *	  place: resetting an analyst's spending, on request or at the start of
 *	  a budget period. The rest of the admin interface, renew_budgets()
 *	  included, is SQL (sql/install/55_admin.sql).
 */
#include "postgres.h"

#include "access/xlog.h"
#include "fmgr.h"
#include "miscadmin.h"

#include "ciam_privacy.h"

/* Reset a role's spending for reset_spending() and renew_budgets(). */
static void
ResetSpending(FunctionCallInfo fcinfo, bool new_period, const char *what)
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
	if (!ResetBudgetSpending(roleid, new_period, what))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"%s\" has no privacy budget",
						GetUserNameFromId(roleid, false)),
				 errhint("Create one with ciam_privacy.set_budget().")));
}

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
	ResetSpending(fcinfo, false, "reset_spending");
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(start_budget_period);

/*
 * start_budget_period(analyst regrole)
 *	  The same reset, recorded as the start of a new budget period. Called
 *	  by renew_budgets() only after the period's advance has committed.
 */
Datum
start_budget_period(PG_FUNCTION_ARGS)
{
	ResetSpending(fcinfo, true, "renew_budgets");
	PG_RETURN_VOID();
}

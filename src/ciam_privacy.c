/*
 * ciam_privacy.c
 *	  Module initialization.
 *
 * The extension must be loaded through shared_preload_libraries: the
 * ExecutorStart hook that charges DP queries has to be in place before the
 * first query of every session, or that query could not be charged before
 * its rows were read.
 *
 * Log messages
 *	  Some developer settings that any role may change print row counts of
 *	  the data at LOG level: debug_print_plan prints the planner's estimates,
 *	  trace_sort the number of rows sorted. An analyst who sets
 *	  client_min_messages = log would receive them. While
 *	  ciam_privacy.hide_log_messages is on, an emit_log_hook keeps messages
 *	  below INFO from clients whose session user is not a superuser; the
 *	  server log still gets them. The hook receives only messages that also go
 *	  to the server log, so query_charge.c rejects DP queries run with
 *	  client_min_messages below notice as well.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/elog.h"
#include "utils/guc.h"
#include "utils/queryjumble.h"

#include "ciam_privacy.h"

PG_MODULE_MAGIC;

bool		ciam_loaded_at_startup = false;

static bool hide_log_messages = true;
static emit_log_hook_type prev_emit_log_hook = NULL;

void		_PG_init(void);

/* Keep LOG and DEBUG messages from clients that are not superusers. */
static void
HideLogMessages(ErrorData *edata)
{
	if (hide_log_messages && edata->elevel < INFO && edata->output_to_client &&
		!session_auth_is_superuser)
		edata->output_to_client = false;
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

void
_PG_init(void)
{
	ciam_loaded_at_startup = process_shared_preload_libraries_in_progress;

	DefineCustomBoolVariable("ciam_privacy.hide_log_messages",
							 "Keeps LOG and DEBUG messages from clients that are not superusers.",
							 "Settings such as debug_print_plan and trace_sort print row counts "
							 "of the data at these levels.",
							 &hide_log_messages,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	DefineDpSettings();			/* query_charge.c */
	DefineStandbyBudgetSettings();
	InitRootKey();				/* keys.c */
	MarkGUCPrefixReserved("ciam_privacy");

	/* The ledger records each query's id, without pg_stat_statements */
	EnableQueryId();

	InstallQueryChargeHooks();
	InstallDpUnitHooks();		/* dp_unit.c */
	InstallStatisticsHooks();
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = HideLogMessages;
}

/* Raise an error unless the library was loaded at server start. */
void
RequirePreload(void)
{
	if (!ciam_loaded_at_startup)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("ciam_privacy must be loaded through shared_preload_libraries"),
				 errhint("Add ciam_privacy to shared_preload_libraries in postgresql.conf and restart the server.")));
}

/*
 * ciam_privacy.c
 *	  Module initialization.
 *
 * The extension must be loaded through shared_preload_libraries: the
 * ExecutorStart hook that charges DP queries has to be in place before the
 * first query of every session, or that query could not be charged before
 * its rows were read.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "ciam_privacy.h"

PG_MODULE_MAGIC;

bool		ciam_loaded_at_startup = false;

void		_PG_init(void);

void
_PG_init(void)
{
	ciam_loaded_at_startup = process_shared_preload_libraries_in_progress;
	InstallQueryChargeHooks();
	MarkGUCPrefixReserved("ciam_privacy");
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

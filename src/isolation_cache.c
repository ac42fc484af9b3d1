/*
 * isolation_cache.c
 *	  Remember, per backend, that the login role passed the isolation checks
 *	  that run when each analyst query on a privatized view starts.
 *
 * Why
 *	  CheckAnalystIsolation() (privatized_view.c) lists the analyst's roles
 *	  and looks up pg_stat_statements through SPI, and checks privileges on
 *	  the statistics functions, pg_class.reltuples and every database. At a
 *	  few thousand queries per second that was about a third of the server's
 *	  CPU time (perf profile in docs/benchmarks.md), for a result that only
 *	  changes when a catalog changes.
 *
 * Why the cached result stays correct
 *	  The checks read only pg_authid, pg_auth_members, pg_database, pg_proc,
 *	  pg_class and pg_attribute. Every change to a row of these catalogs,
 *	  inserts included, queues a catalog cache invalidation, and each
 *	  backend applies the invalidations of committed transactions before it
 *	  locks a relation, so before its next query reaches ExecutorStart. A
 *	  callback on those caches clears the cached result. A lost-message
 *	  reset of the caches calls the callbacks too. Only a passing result is
 *	  cached, for one role, so a failing check is repeated (and fails) at
 *	  every query.
 */
#include "postgres.h"

#include "utils/inval.h"
#include "utils/syscache.h"

#include "ciam_privacy.h"

static bool callbacks_registered = false;
static Oid	verified_role = InvalidOid;

/* Forget the cached result after any change to a catalog the checks read. */
static void
ForgetIsolationCheck(Datum arg pg_attribute_unused(),
					 int cacheid pg_attribute_unused(),
					 uint32 hashvalue pg_attribute_unused())
{
	verified_role = InvalidOid;
}

/* Return whether the role passed the isolation checks since the last change. */
bool
IsolationCheckCached(Oid analyst)
{
	/*
	 * A query in a transaction that already holds its locks may take no
	 * new lock, which is where invalidations are applied; apply them here.
	 */
	AcceptInvalidationMessages();
	return OidIsValid(verified_role) && verified_role == analyst;
}

/* Remember that the role passed the isolation checks. */
void
RememberIsolationCheck(Oid analyst)
{
	if (!callbacks_registered)
	{
		int			caches[] = {AUTHOID, AUTHMEMMEMROLE, AUTHMEMROLEMEM,
			DATABASEOID, PROCOID, RELOID, ATTNUM};
		int			i;

		for (i = 0; i < (int) lengthof(caches); i++)
			CacheRegisterSyscacheCallback(caches[i], ForgetIsolationCheck, (Datum) 0);
		callbacks_registered = true;
	}
	verified_role = analyst;
}

/*
 * privatized_view.c
 *	  publish_view(view, analyst): check that a view releases only DP
 *	  aggregates, then grant it to an analyst role.
 *
 * A privatized view is a security_barrier view whose output columns are
 * either grouping keys or expressions over DP aggregates only. The barrier
 * keeps the planner from pushing an analyst's leaky function below the
 * aggregate, where it would see every row. The view runs with its owner's
 * privileges, so the analyst needs, and must have, no privilege on the
 * tables beneath it; publish_view() refuses to grant a view to a role that
 * can already read one of them.
 *
 * NOTE: the grouping keys are released as they are. Group only by columns
 * whose values are public (for example a list of countries joined to the
 * data), since the existence of a group reveals that some row has that key.
 */
#include "postgres.h"

#include "access/table.h"
#include "miscadmin.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "ciam_privacy.h"

typedef struct OutputCheck
{
	Query	   *query;
	const char *column;
	int			dp_aggregates;
} OutputCheck;

/* Return whether an expression is one of the query's GROUP BY expressions. */
static bool
IsGroupingExpression(Query *query, Node *node)
{
	ListCell   *lc;

	foreach(lc, query->groupClause)
	{
		SortGroupClause *clause = lfirst_node(SortGroupClause, lc);
		TargetEntry *tle = get_sortgroupclause_tle(clause, query->targetList);

		if (equal(tle->expr, node))
			return true;
	}
	return false;
}

/*
 * Walk an output expression: allow DP aggregates and grouping keys, reject
 * other aggregates, raw columns and subqueries.
 */
static bool
CheckOutputExpression(Node *node, OutputCheck *check)
{
	if (node == NULL)
		return false;
	if (IsA(node, Aggref))
	{
		Aggref	   *aggref = (Aggref *) node;

		if (KindOfAggregate(aggref->aggfnoid) == DP_AGG_NONE)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("column \"%s\" uses %s, which is not a DP aggregate",
							check->column, get_func_name(aggref->aggfnoid)),
					 errhint("Use ciam_privacy.dp_count or ciam_privacy.dp_avg.")));
		check->dp_aggregates++;
		return false;			/* the arguments are the aggregate's input */
	}
	if (IsGroupingExpression(check->query, node))
		return false;
	if (IsA(node, Var))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("column \"%s\" releases a value that is neither a grouping key nor a DP aggregate",
						check->column)));
	if (IsA(node, SubLink))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("column \"%s\" contains a subquery", check->column),
				 errdetail("A subquery in the output could read rows without noise.")));
	return expression_tree_walker(node, CheckOutputExpression, check);
}

/* Reject the view if the analyst can read any relation it reads. */
static bool
CheckBaseRelations(Node *node, Oid analyst)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *rte = (RangeTblEntry *) node;

		if (rte->rtekind == RTE_RELATION &&
			(pg_class_aclcheck(rte->relid, analyst, ACL_SELECT) == ACLCHECK_OK ||
			 pg_attribute_aclcheck_all(rte->relid, analyst, ACL_SELECT,
									   ACLMASK_ANY) == ACLCHECK_OK))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_GRANT_OPERATION),
					 errmsg("role \"%s\" can read \"%s\", which the view reads",
							GetUserNameFromId(analyst, false),
							get_rel_name(rte->relid)),
					 errhint("Revoke that privilege (from PUBLIC too) before publishing the view.")));
		return false;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, CheckBaseRelations,
								 (void *) (uintptr_t) analyst,
								 QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, CheckBaseRelations,
								  (void *) (uintptr_t) analyst);
}

/* Check that a view releases only grouping keys and DP aggregates. */
static void
CheckPrivatizedView(Relation view)
{
	Query	   *query = get_view_query(view);
	OutputCheck check = {query, NULL, 0};
	ListCell   *lc;

	if (!RelationIsSecurityView(view))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("view \"%s\" is not a security_barrier view",
						RelationGetRelationName(view)),
				 errhint("ALTER VIEW %s SET (security_barrier = true);",
						 RelationGetRelationName(view))));
	if (query->setOperations != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("view \"%s\" uses UNION, INTERSECT or EXCEPT",
						RelationGetRelationName(view)),
				 errhint("Publish one view per aggregate query.")));
	if (query->hasWindowFuncs)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("view \"%s\" uses window functions",
						RelationGetRelationName(view))));

	foreach(lc, query->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		if (tle->resjunk)
			continue;
		check.column = tle->resname ? tle->resname : "?";
		CheckOutputExpression((Node *) tle->expr, &check);
	}
	check.column = "HAVING";
	CheckOutputExpression(query->havingQual, &check);

	if (check.dp_aggregates == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("view \"%s\" releases no DP aggregate",
						RelationGetRelationName(view))));
}

PG_FUNCTION_INFO_V1(publish_view);

/*
 * publish_view(view regclass, analyst regrole)
 *	  Validate a privatized view and grant SELECT on it to the analyst.
 */
Datum
publish_view(PG_FUNCTION_ARGS)
{
	Oid			viewid = PG_GETARG_OID(0);
	Oid			analyst = PG_GETARG_OID(1);
	Relation	view;
	char	   *grant;

	view = table_open(viewid, AccessShareLock);
	if (view->rd_rel->relkind != RELKIND_VIEW)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a view", RelationGetRelationName(view))));
	CheckPrivatizedView(view);
	CheckBaseRelations((Node *) get_view_query(view), analyst);

	grant = psprintf("GRANT SELECT ON %s TO %s",
					 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(view)),
												RelationGetRelationName(view)),
					 quote_identifier(GetUserNameFromId(analyst, false)));
	table_close(view, AccessShareLock);

	SPI_connect();
	if (SPI_execute(grant, false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not run: %s", grant);
	SPI_finish();
	PG_RETURN_VOID();
}

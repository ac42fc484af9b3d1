/*
 * privatized_view.c
 *	  publish_view(view, analyst): check that a view releases only DP
 *	  aggregates, then grant it to an analyst role.
 *
 * A privatized view is a security_barrier view whose output columns are
 * either grouping keys or expressions over DP aggregates only. The barrier
 * keeps the planner from pushing an analyst's leaky function below the
 * aggregate, where it would see every row. The view runs with its owner's
 * privileges, so the analyst needs no privilege on the tables of personal
 * data beneath it, and must have none: publish_view() rejects a grant to a
 * role that can already read one of them.
 *
 * Grouping keys are released as they are, and a group that exists only
 * when some row has its key would reveal that row. So the keys must be
 * public: they must come from tables the analyst may read (a list of
 * countries, say), from generate_series() or from VALUES, and every key must
 * reach the output whatever the data holds. The view must therefore start
 * from the key lists and LEFT JOIN the data to them, and its WHERE clause
 * may filter the keys but not the data.
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "parser/parsetree.h"
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

/* Return whether the analyst can read a relation, or any of its columns. */
static bool
AnalystCanRead(Oid relid, Oid analyst)
{
	return pg_class_aclcheck(relid, analyst, ACL_SELECT) == ACLCHECK_OK ||
		pg_attribute_aclcheck_all(relid, analyst, ACL_SELECT,
								  ACLMASK_ANY) == ACLCHECK_OK;
}

/*
 * Return whether a range table entry holds only public values: a relation
 * the analyst may read, or a function or VALUES list of constants.
 */
static bool
IsPublicSource(RangeTblEntry *rte, Oid analyst)
{
	switch (rte->rtekind)
	{
		case RTE_RELATION:
			return AnalystCanRead(rte->relid, analyst);
		case RTE_FUNCTION:
			return !contain_var_clause((Node *) rte->functions);
		case RTE_VALUES:
			return !contain_var_clause((Node *) rte->values_lists);
		default:
			return false;
	}
}

/* Return whether every range table entry below a join tree node is public. */
static bool
IsPublicJoinTree(Node *node, Query *query, Oid analyst)
{
	ListCell   *lc;

	if (IsA(node, RangeTblRef))
		return IsPublicSource(rt_fetch(((RangeTblRef *) node)->rtindex,
									   query->rtable), analyst);
	if (IsA(node, JoinExpr))
	{
		JoinExpr   *join = (JoinExpr *) node;

		return IsPublicJoinTree(join->larg, query, analyst) &&
			IsPublicJoinTree(join->rarg, query, analyst);
	}
	if (IsA(node, FromExpr))
	{
		foreach(lc, ((FromExpr *) node)->fromlist)
		{
			if (!IsPublicJoinTree(lfirst(lc), query, analyst))
				return false;
		}
		return true;
	}
	return false;
}

/* Collect the range table indexes of the relations a grouping key reads. */
static bool
CollectKeySources(Node *node, void *context)
{
	void	  **args = (void **) context;
	Query	   *query = (Query *) args[0];
	Bitmapset **sources = (Bitmapset **) args[1];

	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;
		RangeTblEntry *rte = rt_fetch(var->varno, query->rtable);

		if (rte->rtekind == RTE_JOIN && var->varattno > 0)
			return CollectKeySources(list_nth(rte->joinaliasvars,
											  var->varattno - 1), context);
		*sources = bms_add_member(*sources, var->varno);
		return false;
	}
	return expression_tree_walker(node, CollectKeySources, context);
}

/*
 * Check that the grouping keys come from public sources on the preserved
 * side of every outer join, so that each key reaches the output whatever
 * the data holds. Returns the public relations the keys read.
 */
static List *
CheckPublicKeys(Query *query, Oid analyst)
{
	Bitmapset  *sources = NULL;
	void	   *args[2] = {query, &sources};
	List	   *key_relations = NIL;
	Node	   *node;
	ListCell   *lc;
	int			rtindex = -1;

	foreach(lc, query->groupClause)
	{
		TargetEntry *tle = get_sortgroupclause_tle(lfirst_node(SortGroupClause, lc),
												   query->targetList);

		CollectKeySources((Node *) tle->expr, args);
	}
	if (query->groupClause == NIL)
		return NIL;

	while ((rtindex = bms_next_member(sources, rtindex)) >= 0)
	{
		RangeTblEntry *rte = rt_fetch(rtindex, query->rtable);

		if (!IsPublicSource(rte, analyst))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("a grouping key of the view comes from \"%s\", which is not a public list of keys",
							rte->rtekind == RTE_RELATION ? get_rel_name(rte->relid) :
							(rte->eref ? rte->eref->aliasname : "?")),
					 errdetail("A group that exists only when some row has its key reveals that row."),
					 errhint("Group by a table of public keys that the analyst may read, or by generate_series() or VALUES, and LEFT JOIN the data to it.")));
		if (rte->rtekind == RTE_RELATION)
			key_relations = lappend_oid(key_relations, rte->relid);
	}

	/* The data may filter no key: only keys may appear in WHERE */
	if (query->jointree->quals != NULL)
	{
		Bitmapset  *filtered = NULL;
		void	   *where_args[2] = {query, &filtered};

		CollectKeySources(query->jointree->quals, where_args);
		rtindex = -1;
		while ((rtindex = bms_next_member(filtered, rtindex)) >= 0)
		{
			if (!IsPublicSource(rt_fetch(rtindex, query->rtable), analyst))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
						 errmsg("the WHERE clause of the view filters the data, which can remove keys"),
						 errhint("Move the condition into the ON clause of the LEFT JOIN, or into a subquery of the data.")));
		}
	}

	/* Walk down from the top: the keys must stay on the preserved side */
	if (list_length(query->jointree->fromlist) != 1)
	{
		if (!IsPublicJoinTree((Node *) query->jointree, query, analyst))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("the view joins its keys to the data with an inner join, which can remove keys"),
					 errhint("LEFT JOIN the data to the list of keys.")));
		return key_relations;
	}
	node = linitial(query->jointree->fromlist);
	while (!IsPublicJoinTree(node, query, analyst))
	{
		JoinExpr   *join = IsA(node, JoinExpr) ? (JoinExpr *) node : NULL;

		if (join != NULL && join->jointype == JOIN_LEFT)
			node = join->larg;
		else if (join != NULL && join->jointype == JOIN_RIGHT)
			node = join->rarg;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("the view joins its keys to the data with an inner join, which can remove keys"),
					 errhint("LEFT JOIN the data to the list of keys.")));
	}
	return key_relations;
}

typedef struct BaseRelationCheck
{
	Oid			analyst;
	Oid			view;
	List	   *key_relations;
} BaseRelationCheck;

/*
 * Reject the view if the analyst can read a relation of personal data that
 * it reads, that is any relation but the view itself and its key lists.
 */
static bool
CheckBaseRelations(Node *node, BaseRelationCheck *check)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *rte = (RangeTblEntry *) node;

		if (rte->rtekind == RTE_RELATION && rte->relid != check->view &&
			!list_member_oid(check->key_relations, rte->relid) &&
			AnalystCanRead(rte->relid, check->analyst))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_GRANT_OPERATION),
					 errmsg("role \"%s\" can read \"%s\", which the view reads",
							GetUserNameFromId(check->analyst, false),
							get_rel_name(rte->relid)),
					 errhint("Revoke that privilege (from PUBLIC too) before publishing the view.")));
		return false;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, CheckBaseRelations,
								 (void *) check, QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, CheckBaseRelations, (void *) check);
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
	BaseRelationCheck check;

	view = table_open(viewid, AccessShareLock);
	if (view->rd_rel->relkind != RELKIND_VIEW)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a view", RelationGetRelationName(view))));
	CheckPrivatizedView(view);
	check.analyst = analyst;
	check.view = viewid;
	check.key_relations = CheckPublicKeys(get_view_query(view), analyst);
	CheckBaseRelations((Node *) get_view_query(view), &check);

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

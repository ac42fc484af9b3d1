/*
 * privatized_view.c
 *	  publish_view(view, analyst): check that a view releases only DP
 *	  aggregates over public keys, then grant it to an analyst role.
 *
 * What a published view must guarantee
 *	  1. It is a security_barrier view, so the planner never pushes an
 *	     analyst's leaky function or operator below the aggregate, where it
 *	     would see every row.
 *	  2. Everything it releases is a grouping key or an expression over DP
 *	     aggregates: output columns, hidden sort columns and HAVING alike.
 *	     No subquery appears there, LIMIT and OFFSET are constants, and
 *	     DISTINCT ON (which picks rows by an exact order) is not used.
 *	  3. The grouping keys are public and all of them reach the output,
 *	     because a group that exists only when some row has its key would
 *	     reveal that row. So keys come from tables the analyst may read,
 *	     from generate_series() or from VALUES, on the preserved side of a
 *	     single LEFT JOIN to the data, and WHERE filters only keys.
 *	  4. Each data row matches at most one row of the keys, so that the
 *	     groups partition the data and one charge covers them all: the ON
 *	     clause compares each key source with equality on a unique key.
 *	  5. The analyst can read no table of personal data the view reads, and
 *	     no per-table statistics, which count rows without noise.
 *
 *	  The view runs with its owner's privileges, so the analyst needs no
 *	  privilege on the tables beneath it. Published views are recorded in
 *	  ciam_privacy.published_view, and an event trigger checks them again
 *	  after every CREATE OR REPLACE VIEW, ALTER VIEW, GRANT or change of
 *	  indexes, so a published view cannot be turned into an unsafe one.
 *
 * NOTE: the privacy unit is a row of the data side of the join. A join on
 * the data side that repeats a base row (one customer, many sessions)
 * multiplies that base row's contribution; bounding it per person needs
 * privacy-unit aggregates, which this version does not have.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteHandler.h"
#include "rewrite/rewriteManip.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "ciam_privacy.h"

/* State of the checks of one view for one analyst */
typedef struct ViewCheck
{
	Query	   *query;
	Oid			view;
	Oid			analyst;
	char	   *view_name;		/* schema-qualified */
	const char *part;			/* the part of the view being checked */
	int			dp_aggregates;
	List	   *key_relations;	/* OIDs of the public relations of the keys */
} ViewCheck;

static void
RejectView(ViewCheck *check, const char *message, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
			 errmsg("view %s cannot be published: %s", check->view_name, message),
			 hint ? errhint("%s", hint) : 0));
}

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
 * Walk a released expression: allow DP aggregates and grouping keys, reject
 * other aggregates, raw columns and subqueries.
 */
static bool
CheckReleasedExpression(Node *node, ViewCheck *check)
{
	if (node == NULL)
		return false;
	if (IsA(node, SubLink))
		RejectView(check, psprintf("%s contains a subquery, which could read rows without noise",
								   check->part), NULL);
	if (IsA(node, Aggref))
	{
		Aggref	   *aggref = (Aggref *) node;

		if (KindOfAggregate(aggref->aggfnoid) == DP_AGG_NONE)
			RejectView(check, psprintf("%s uses %s, which is not a DP aggregate",
									   check->part, get_func_name(aggref->aggfnoid)),
					   "Use ciam_privacy.dp_count or ciam_privacy.dp_avg.");
		check->dp_aggregates++;
		return false;			/* the arguments are the aggregate's input */
	}
	if (IsGroupingExpression(check->query, node))
		return false;
	if (IsA(node, Var))
		RejectView(check, psprintf("%s releases a value that is neither a grouping key nor a DP aggregate",
								   check->part), NULL);
	return expression_tree_walker(node, CheckReleasedExpression, check);
}

/* Return whether a clause is absent or a constant expression. */
static bool
IsConstantClause(Node *node)
{
	return node == NULL ||
		(!contain_var_clause(node) && !checkExprHasSubLink(node) &&
		 !contain_volatile_functions(node) && !contain_agg_clause(node));
}

/* Check everything the view releases (guarantee 2). */
static void
CheckReleasedValues(ViewCheck *check)
{
	Query	   *query = check->query;
	ListCell   *lc;

	if (query->setOperations != NULL)
		RejectView(check, "it uses UNION, INTERSECT or EXCEPT",
				   "Publish one view per aggregate query.");
	if (query->hasWindowFuncs)
		RejectView(check, "it uses window functions", NULL);
	if (query->hasDistinctOn)
		RejectView(check, "it uses DISTINCT ON, which picks rows by an exact order", NULL);
	if (!IsConstantClause(query->limitCount) || !IsConstantClause(query->limitOffset))
		RejectView(check, "its LIMIT or OFFSET is not a constant", NULL);

	foreach(lc, query->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		check->part = tle->resjunk ? "the ORDER BY clause" :
			psprintf("column \"%s\"", tle->resname ? tle->resname : "?");
		CheckReleasedExpression((Node *) tle->expr, check);
	}
	check->part = "the HAVING clause";
	CheckReleasedExpression(query->havingQual, check);

	if (check->dp_aggregates == 0)
		RejectView(check, "it releases no DP aggregate", NULL);
}

/* Return whether the analyst can read a relation, or any of its columns. */
static bool
AnalystCanRead(Oid relid, Oid analyst)
{
	return pg_class_aclcheck(relid, analyst, ACL_SELECT) == ACLCHECK_OK ||
		pg_attribute_aclcheck_all(relid, analyst, ACL_SELECT,
								  ACLMASK_ANY) == ACLCHECK_OK;
}

/* Return whether an expression calls generate_series(), whose rows are distinct. */
static bool
IsGenerateSeries(Node *node)
{
	if (!IsA(node, FuncExpr))
		return false;
	switch (((FuncExpr *) node)->funcid)
	{
		case F_GENERATE_SERIES_INT4_INT4:
		case F_GENERATE_SERIES_INT4_INT4_INT4:
		case F_GENERATE_SERIES_INT8_INT8:
		case F_GENERATE_SERIES_INT8_INT8_INT8:
		case F_GENERATE_SERIES_NUMERIC_NUMERIC:
		case F_GENERATE_SERIES_NUMERIC_NUMERIC_NUMERIC:
		case F_GENERATE_SERIES_TIMESTAMP_TIMESTAMP_INTERVAL:
		case F_GENERATE_SERIES_TIMESTAMPTZ_TIMESTAMPTZ_INTERVAL:
			return true;
		default:
			return false;
	}
}

static bool IsPublicQuery(Query *query, Oid analyst);

/*
 * Return whether a range table entry holds only public values: a relation
 * the analyst may read, generate_series() or VALUES of constants, or a
 * subquery over those.
 */
static bool
IsPublicSource(RangeTblEntry *rte, Oid analyst)
{
	switch (rte->rtekind)
	{
		case RTE_RELATION:
			return AnalystCanRead(rte->relid, analyst);
		case RTE_FUNCTION:
			{
				RangeTblFunction *rtfunc;

				if (list_length(rte->functions) != 1 || rte->funcordinality)
					return false;
				rtfunc = linitial_node(RangeTblFunction, rte->functions);
				return IsGenerateSeries(rtfunc->funcexpr) &&
					!contain_var_clause(rtfunc->funcexpr) &&
					!checkExprHasSubLink(rtfunc->funcexpr);
			}
		case RTE_VALUES:
			return !contain_var_clause((Node *) rte->values_lists) &&
				!checkExprHasSubLink((Node *) rte->values_lists);
		case RTE_SUBQUERY:
			return IsPublicQuery(rte->subquery, analyst);
		default:
			return false;
	}
}

/* Return whether a subquery reads only public sources and no subquery. */
static bool
IsPublicQuery(Query *query, Oid analyst)
{
	ListCell   *lc;

	if (query->hasSubLinks || query->setOperations != NULL || query->cteList != NIL)
		return false;
	foreach(lc, query->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind != RTE_JOIN && !IsPublicSource(rte, analyst))
			return false;
	}
	return true;
}

/* Collect the range table indexes below a join tree node. */
static void
CollectJoinTreeIndexes(Node *node, Bitmapset **indexes)
{
	ListCell   *lc;

	if (IsA(node, RangeTblRef))
		*indexes = bms_add_member(*indexes, ((RangeTblRef *) node)->rtindex);
	else if (IsA(node, JoinExpr))
	{
		CollectJoinTreeIndexes(((JoinExpr *) node)->larg, indexes);
		CollectJoinTreeIndexes(((JoinExpr *) node)->rarg, indexes);
	}
	else if (IsA(node, FromExpr))
	{
		foreach(lc, ((FromExpr *) node)->fromlist)
			CollectJoinTreeIndexes(lfirst(lc), indexes);
	}
}

/* Return whether every range table entry below a join tree node is public. */
static bool
IsPublicJoinTree(Node *node, Query *query, Oid analyst)
{
	Bitmapset  *indexes = NULL;
	int			rtindex = -1;

	CollectJoinTreeIndexes(node, &indexes);
	while ((rtindex = bms_next_member(indexes, rtindex)) >= 0)
	{
		if (!IsPublicSource(rt_fetch(rtindex, query->rtable), analyst))
			return false;
	}
	return true;
}

/* Follow a Var through join alias columns to a base range table entry. */
static Var *
ResolveVar(Query *query, Node *node)
{
	while (node != NULL && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	while (node != NULL && IsA(node, Var))
	{
		Var		   *var = (Var *) node;
		RangeTblEntry *rte = rt_fetch(var->varno, query->rtable);

		if (var->varlevelsup != 0)
			return NULL;
		if (rte->rtekind != RTE_JOIN)
			return var;
		if (var->varattno <= 0)
			return NULL;
		node = list_nth(rte->joinaliasvars, var->varattno - 1);
		while (node != NULL && IsA(node, RelabelType))
			node = (Node *) ((RelabelType *) node)->arg;
	}
	return NULL;
}

/* Collect the base range table indexes an expression reads. */
static bool
CollectSources(Node *node, void *context)
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
			return CollectSources(list_nth(rte->joinaliasvars,
										   var->varattno - 1), context);
		*sources = bms_add_member(*sources, var->varno);
		return false;
	}
	return expression_tree_walker(node, CollectSources, context);
}

static Bitmapset *
SourcesOf(Query *query, Node *node)
{
	Bitmapset  *sources = NULL;
	void	   *args[2] = {query, &sources};

	CollectSources(node, args);
	return sources;
}

/* Return whether the VALUES rows are distinct on the given columns. */
static bool
ValuesDistinctOn(List *values_lists, Bitmapset *attnos)
{
	ListCell   *row1;
	ListCell   *row2;

	foreach(row1, values_lists)
	{
		foreach(row2, values_lists)
		{
			bool		same = true;
			int			attno = -1;

			if (row2 == row1)
				break;
			while ((attno = bms_next_member(attnos, attno)) >= 0)
			{
				Node	   *value1 = list_nth(lfirst(row1), attno - 1);
				Node	   *value2 = list_nth(lfirst(row2), attno - 1);

				if (!IsA(value1, Const) || !IsA(value2, Const))
					return false;
				if (!equal(value1, value2))
				{
					same = false;
					break;
				}
			}
			if (same)
				return false;
		}
	}
	return true;
}

/* Return whether a relation has a unique index on a subset of attnos. */
static bool
RelationUniqueOn(Oid relid, Bitmapset *attnos)
{
	Relation	rel = table_open(relid, AccessShareLock);
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	bool		unique = false;

	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), AccessShareLock);
		Form_pg_index form = index->rd_index;
		int			column;
		bool		covered = form->indisunique && form->indimmediate &&
			form->indisvalid && RelationGetIndexExpressions(index) == NIL &&
			RelationGetIndexPredicate(index) == NIL;

		for (column = 0; covered && column < form->indnkeyatts; column++)
			covered = bms_is_member(form->indkey.values[column], attnos);
		index_close(index, AccessShareLock);
		if (covered)
		{
			unique = true;
			break;
		}
	}
	list_free(indexes);
	table_close(rel, AccessShareLock);
	return unique;
}

/*
 * Return whether the rows of a public key source are distinct on the given
 * columns (1-based), so that an equality on them matches at most one row.
 */
static bool
KeySourceUniqueOn(RangeTblEntry *rte, Bitmapset *attnos)
{
	switch (rte->rtekind)
	{
		case RTE_RELATION:
			return RelationUniqueOn(rte->relid, attnos);
		case RTE_FUNCTION:
			return bms_is_member(1, attnos);
		case RTE_VALUES:
			return !bms_is_empty(attnos) && ValuesDistinctOn(rte->values_lists, attnos);
		case RTE_SUBQUERY:
			{
				Query	   *sub = rte->subquery;
				Bitmapset  *inner = NULL;
				RangeTblEntry *values;
				int			attno = -1;

				/* SELECT DISTINCT on every output column, all compared */
				if (sub->distinctClause != NIL && !sub->hasDistinctOn &&
					list_length(sub->distinctClause) == list_length(sub->targetList))
					return bms_num_members(attnos) == list_length(sub->targetList);

				/* A VALUES list in FROM, which the parser wraps in a subquery */
				if (list_length(sub->rtable) != 1)
					return false;
				values = linitial_node(RangeTblEntry, sub->rtable);
				if (values->rtekind != RTE_VALUES)
					return false;
				while ((attno = bms_next_member(attnos, attno)) >= 0)
				{
					TargetEntry *tle = list_nth_node(TargetEntry, sub->targetList, attno - 1);

					if (!IsA(tle->expr, Var))
						return false;
					inner = bms_add_member(inner, ((Var *) tle->expr)->varattno);
				}
				return KeySourceUniqueOn(values, inner);
			}
		default:
			return false;
	}
}

/*
 * Check the ON clause that joins the data to the keys: each conjunct that
 * reads a key source must be an equality between a column of that source and
 * an expression of the data, and the equalities must cover a unique key of
 * every key source (guarantee 4).
 */
static void
CheckKeyJoinCondition(ViewCheck *check, JoinExpr *join, Bitmapset *key_indexes)
{
	Query	   *query = check->query;
	List	   *conjuncts = make_ands_implicit((Expr *) join->quals);
	Bitmapset **matched = palloc0(sizeof(Bitmapset *) * (list_length(query->rtable) + 1));
	ListCell   *lc;
	int			rtindex = -1;
	const char *hint = "Join the data with ON data_column = key_column AND ..., on columns that are unique among the keys.";

	foreach(lc, conjuncts)
	{
		Node	   *conjunct = lfirst(lc);
		OpExpr	   *op;
		Var		   *key_var = NULL;
		Node	   *other = NULL;

		if (!bms_overlap(SourcesOf(query, conjunct), key_indexes))
			continue;			/* a condition on the data alone */

		if (!IsA(conjunct, OpExpr) || list_length(((OpExpr *) conjunct)->args) != 2 ||
			!op_mergejoinable(((OpExpr *) conjunct)->opno,
							  exprType(linitial(((OpExpr *) conjunct)->args))))
			RejectView(check, "its ON clause compares the keys by something other than equality", hint);
		op = (OpExpr *) conjunct;

		key_var = ResolveVar(query, linitial(op->args));
		other = lsecond(op->args);
		if (key_var == NULL || !bms_is_member(key_var->varno, key_indexes))
		{
			key_var = ResolveVar(query, lsecond(op->args));
			other = linitial(op->args);
		}
		if (key_var == NULL || !bms_is_member(key_var->varno, key_indexes) ||
			bms_overlap(SourcesOf(query, other), key_indexes))
			RejectView(check, "its ON clause compares the keys by something other than a key column equal to the data", hint);
		matched[key_var->varno] = bms_add_member(matched[key_var->varno],
												 key_var->varattno);
	}

	while ((rtindex = bms_next_member(key_indexes, rtindex)) >= 0)
	{
		RangeTblEntry *rte = rt_fetch(rtindex, query->rtable);

		if (rte->rtekind == RTE_JOIN)
			continue;
		if (!KeySourceUniqueOn(rte, matched[rtindex]))
			RejectView(check,
					   psprintf("a data row could match several rows of the keys from \"%s\", and count in several groups",
								rte->eref ? rte->eref->aliasname : "?"),
					   "Compare the data with columns of the keys that a unique index, SELECT DISTINCT or distinct VALUES makes unique.");
	}
}

/*
 * Check that the grouping keys come from public sources on the preserved
 * side of a single LEFT JOIN, so that each key reaches the output whatever
 * the data holds (guarantee 3), and that the join partitions the data
 * (guarantee 4).
 */
static void
CheckPublicKeys(ViewCheck *check)
{
	Query	   *query = check->query;
	Bitmapset  *key_sources = NULL;
	Bitmapset  *key_indexes = NULL;
	JoinExpr   *data_join = NULL;
	Node	   *node;
	ListCell   *lc;
	int			rtindex = -1;
	const char *join_hint = "Start FROM the public keys and LEFT JOIN the data to them, once.";

	if (query->groupClause == NIL && query->groupingSets == NIL)
		return;

	foreach(lc, query->groupClause)
	{
		TargetEntry *tle = get_sortgroupclause_tle(lfirst_node(SortGroupClause, lc),
												   query->targetList);

		if (checkExprHasSubLink((Node *) tle->expr))
			RejectView(check, "a grouping key contains a subquery", NULL);
		key_sources = bms_union(key_sources, SourcesOf(query, (Node *) tle->expr));
	}
	while ((rtindex = bms_next_member(key_sources, rtindex)) >= 0)
	{
		RangeTblEntry *rte = rt_fetch(rtindex, query->rtable);

		if (!IsPublicSource(rte, check->analyst))
			RejectView(check,
					   psprintf("a grouping key comes from \"%s\", which is not a public list of keys",
								rte->rtekind == RTE_RELATION ? get_rel_name(rte->relid) :
								(rte->eref ? rte->eref->aliasname : "?")),
					   "Group by a table of public keys that the analyst may read, or by generate_series() or VALUES, and LEFT JOIN the data to it.");
	}

	/* The data may filter no key: WHERE reads public sources only */
	if (query->jointree->quals != NULL)
	{
		Bitmapset  *filtered = SourcesOf(query, query->jointree->quals);

		if (checkExprHasSubLink(query->jointree->quals))
			RejectView(check, "its WHERE clause contains a subquery, which can remove keys", NULL);
		rtindex = -1;
		while ((rtindex = bms_next_member(filtered, rtindex)) >= 0)
		{
			if (!IsPublicSource(rt_fetch(rtindex, query->rtable), check->analyst))
				RejectView(check, "its WHERE clause filters the data, which can remove keys",
						   "Move the condition into the ON clause of the LEFT JOIN, or into a subquery of the data.");
		}
	}

	/* Walk down from the top: the keys stay on the preserved side */
	if (list_length(query->jointree->fromlist) == 1)
		node = linitial(query->jointree->fromlist);
	else
		node = (Node *) query->jointree;
	while (!IsPublicJoinTree(node, query, check->analyst))
	{
		JoinExpr   *join = IsA(node, JoinExpr) ? (JoinExpr *) node : NULL;

		if (join == NULL || (join->jointype != JOIN_LEFT && join->jointype != JOIN_RIGHT))
			RejectView(check, "it joins its keys to the data with an inner join, which can remove keys",
					   join_hint);
		if (data_join != NULL)
			RejectView(check, "it joins data to its keys more than once", join_hint);
		data_join = join;
		node = (join->jointype == JOIN_LEFT) ? join->larg : join->rarg;
	}

	CollectJoinTreeIndexes(node, &key_indexes);
	if (!bms_is_subset(key_sources, key_indexes))
		RejectView(check, "a grouping key comes from the data side of the join", join_hint);

	/* Only the key lists themselves may be readable by the analyst */
	rtindex = -1;
	while ((rtindex = bms_next_member(key_sources, rtindex)) >= 0)
	{
		RangeTblEntry *rte = rt_fetch(rtindex, query->rtable);

		if (rte->rtekind == RTE_RELATION)
			check->key_relations = lappend_oid(check->key_relations, rte->relid);
	}
	if (data_join != NULL)
		CheckKeyJoinCondition(check, data_join, key_indexes);
}

/*
 * Reject the view if the analyst can read a relation of personal data that
 * it reads, that is any relation but the view itself and its key lists.
 */
static bool
CheckBaseRelations(Node *node, ViewCheck *check)
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
					 errmsg("role \"%s\" can read %s, which view %s reads",
							GetUserNameFromId(check->analyst, false),
							quote_qualified_identifier(get_namespace_name(get_rel_namespace(rte->relid)),
													   get_rel_name(rte->relid)),
							check->view_name),
					 errhint("Revoke that privilege (from PUBLIC too) before publishing the view.")));
		return false;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, CheckBaseRelations,
								 (void *) check, QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, CheckBaseRelations, (void *) check);
}

/* Reject an analyst who can read per-table statistics (guarantee 5). */
static void
CheckStatisticsRestricted(Oid analyst)
{
	Oid			counters[] = {F_PG_STAT_GET_TUPLES_RETURNED,
		F_PG_STAT_GET_XACT_TUPLES_FETCHED, F_PG_STAT_GET_LIVE_TUPLES,
	F_PG_STAT_GET_BLOCKS_FETCHED, F_PG_RELATION_SIZE_REGCLASS};
	bool		readable = pg_attribute_aclcheck(RelationRelationId,
												 Anum_pg_class_reltuples,
												 analyst, ACL_SELECT) == ACLCHECK_OK;
	int			i;

	for (i = 0; i < (int) lengthof(counters) && !readable; i++)
		readable = pg_proc_aclcheck(counters[i], analyst, ACL_EXECUTE) == ACLCHECK_OK;
	if (readable)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_GRANT_OPERATION),
				 errmsg("role \"%s\" can read per-table statistics, which count rows without noise",
						GetUserNameFromId(analyst, false)),
				 errdetail("The statistics functions (pg_stat_get_*), the size functions and pg_class.reltuples show how many rows a query read."),
				 errhint("Run SELECT ciam_privacy.restrict_statistics(); as a superuser in this database.")));
}

/* Run every check of a view for an analyst; raise an error on the first failure. */
static void
CheckPublishable(Oid viewid, Oid analyst)
{
	Relation	view = table_open(viewid, AccessShareLock);
	ViewCheck	check;

	memset(&check, 0, sizeof(check));
	check.view = viewid;
	check.analyst = analyst;
	check.view_name = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(view)),
												 RelationGetRelationName(view));
	if (view->rd_rel->relkind != RELKIND_VIEW)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s is not a view", check.view_name)));
	if (!RelationIsSecurityView(view))
		RejectView(&check, "it is not a security_barrier view",
				   psprintf("ALTER VIEW %s SET (security_barrier = true);", check.view_name));

	check.query = get_view_query(view);
	CheckReleasedValues(&check);
	CheckPublicKeys(&check);
	CheckBaseRelations((Node *) check.query, &check);
	CheckStatisticsRestricted(analyst);
	table_close(view, AccessShareLock);
}

PG_FUNCTION_INFO_V1(check_published_view);

/*
 * check_published_view(view regclass, analyst regrole)
 *	  Raise an error unless the view may be published to the analyst.
 */
Datum
check_published_view(PG_FUNCTION_ARGS)
{
	CheckPublishable(PG_GETARG_OID(0), PG_GETARG_OID(1));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(publish_view);

/*
 * publish_view(view regclass, analyst regrole)
 *	  Check a privatized view, record it, and grant SELECT on it.
 */
Datum
publish_view(PG_FUNCTION_ARGS)
{
	Oid			viewid = PG_GETARG_OID(0);
	Oid			analyst = PG_GETARG_OID(1);
	Oid			argtypes[2] = {REGCLASSOID, REGROLEOID};
	Datum		args[2] = {ObjectIdGetDatum(viewid), ObjectIdGetDatum(analyst)};
	char	   *grant;

	CheckPublishable(viewid, analyst);

	grant = psprintf("GRANT SELECT ON %s TO %s",
					 quote_qualified_identifier(get_namespace_name(get_rel_namespace(viewid)),
												get_rel_name(viewid)),
					 quote_identifier(GetUserNameFromId(analyst, false)));
	SPI_connect();
	if (SPI_execute_with_args("INSERT INTO ciam_privacy.published_view (view, analyst) "
							  "VALUES ($1, $2) ON CONFLICT DO NOTHING",
							  2, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record the publication of view %u", viewid);
	if (SPI_execute(grant, false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not run: %s", grant);
	SPI_finish();

	if (!RoleHasBudget(analyst))
		ereport(NOTICE,
				(errmsg("role \"%s\" has no privacy budget yet",
						GetUserNameFromId(analyst, false)),
				 errhint("Set one with ciam_privacy.set_budget(); until then the view rejects every query of this role.")));
	PG_RETURN_VOID();
}

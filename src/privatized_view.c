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
 *	     DISTINCT ON (which picks rows by an exact order) is not used. The
 *	     view sorts by every grouping key, since the order in which rows
 *	     leave a hash aggregate depends on the data.
 *	  3. The grouping keys are public and all of them reach the output,
 *	     because a group that exists only when some row has its key would
 *	     reveal that row. So keys come from tables the analyst may read,
 *	     from generate_series() or from VALUES, on the preserved side of a
 *	     single LEFT JOIN to the data, and WHERE filters only keys.
 *	     Alternatively, keys come from the data and the view selects its
 *	     groups: HAVING has, as one of its top-level AND terms,
 *	     ciam_privacy.dp_select_units(...) IS NOT NULL, so a group appears
 *	     only when its noisy number of units passes a threshold set by
 *	     epsilon and delta (dp_unit.c).
 *	  4. Each data row matches at most one row of the keys, so that the
 *	     groups partition the data and one charge covers them all: the ON
 *	     clause compares each key source with equality on a unique key.
 *	  5. The analyst can read no table of personal data the view reads, and
 *	     no per-table statistics, which count rows without noise, in this
 *	     database or, through CONNECT, in another one.
 *	  6. The analyst cannot change what the view computes. They own and may
 *	     modify no key table. Every function the view calls is built in or
 *	     pins its search_path, because otherwise an operator of the
 *	     analyst's, first in their search_path, would be called on the data. Functions in
 *	     what the view releases must also be immutable and not SECURITY
 *	     DEFINER, so that they cannot read data on their own.
 *
 *	  The view runs with its owner's privileges, so the analyst needs no
 *	  privilege on the tables beneath it. Published views are recorded in
 *	  ciam_privacy.published_view, and an event trigger checks them again
 *	  after every CREATE OR REPLACE VIEW, ALTER VIEW, GRANT or change of
 *	  indexes, so a published view cannot be turned into an unsafe one.
 *
 * The privacy unit of a row-level DP aggregate is a row of the data side
 * of the join: a join that repeats a base row (one customer, many
 * sessions) multiplies that row's contribution. The per-unit forms
 * (dp_unit.c) bound each person's contribution from the unit id instead,
 * whatever the joins, and are the ones to publish for data about people.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relation.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_database.h"
#include "lib/stringinfo.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_proc.h"
#include "commands/defrem.h"
#include "catalog/pg_am.h"
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
#include "utils/syscache.h"
#include "utils/array.h"
#include "catalog/pg_type.h"

#include "ciam_privacy.h"

/* State of the checks of one view for one analyst */
typedef struct ViewCheck
{
	Query	   *query;
	Oid			view;
	Oid			analyst;
	List	   *analyst_roles;	/* the analyst and the roles it can SET ROLE to */
	char	   *view_name;		/* schema-qualified */
	const char *part;			/* the part of the view being checked */
	int			dp_aggregates;
	List	   *key_relations;	/* OIDs of the public relations of the keys */
	List	   *walked_views;	/* views whose queries are being walked */
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
					   "Use the DP aggregates of ciam_privacy, such as dp_count_units, dp_sum or dp_avg.");
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

/* Name an output column, or the ORDER BY clause for a hidden sort column, in messages. */
static const char *
DescribeTargetEntry(TargetEntry *tle)
{
	if (tle->resjunk)
		return "the ORDER BY clause";
	return psprintf("column \"%s\"", tle->resname ? tle->resname : "?");
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
	if (query->hasTargetSRFs)
		RejectView(check, "it calls a set-returning function in its output, which copies groups", NULL);
	foreach(lc, query->rtable)
	{
		if (lfirst_node(RangeTblEntry, lc)->lateral)
			RejectView(check, "it uses LATERAL, which lets the data depend on the keys", NULL);
	}
	if (!IsConstantClause(query->limitCount) || !IsConstantClause(query->limitOffset))
		RejectView(check, "its LIMIT or OFFSET is not a constant", NULL);


	foreach(lc, query->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		check->part = DescribeTargetEntry(tle);
		CheckReleasedExpression((Node *) tle->expr, check);
	}
	check->part = "the HAVING clause";
	CheckReleasedExpression(query->havingQual, check);

	if (check->dp_aggregates == 0)
		RejectView(check, "it releases no DP aggregate", NULL);
}

/*
 * Check that the view sorts by every grouping key (guarantee 2). Rows leave
 * an aggregate in an order that can depend on the data, since a hash table
 * fills in the order in which keys turn up.
 */
static void
CheckSortedByKeys(ViewCheck *check)
{
	Query	   *query = check->query;
	ListCell   *lc;

	foreach(lc, query->groupClause)
	{
		SortGroupClause *group = lfirst_node(SortGroupClause, lc);
		ListCell   *sort_lc;
		bool		sorted = false;

		foreach(sort_lc, query->sortClause)
			sorted |= lfirst_node(SortGroupClause, sort_lc)->tleSortGroupRef ==
				group->tleSortGroupRef;
		if (!sorted)
			RejectView(check, "its ORDER BY does not list every grouping key",
					   "Add ORDER BY on the grouping keys, so that the order of its rows depends on the keys alone.");
	}
}

/*
 * Return the roles whose privileges the analyst can use: the analyst and
 * every role it is a member of, with or without INHERIT, since SET ROLE
 * reaches them all.
 */
static List *
AnalystRoles(Oid analyst)
{
	List	   *roles = list_make1_oid(analyst);
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(analyst)};
	uint64		i;

	SPI_connect();
	if (SPI_execute_with_args("SELECT oid FROM pg_catalog.pg_roles "
							  "WHERE oid <> $1 AND pg_catalog.pg_has_role($1, oid, 'MEMBER')",
							  1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not list the roles of role %u", analyst);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		role = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		roles = lappend_oid(roles, DatumGetObjectId(role));
	}
	SPI_finish();
	return roles;
}

/* Return whether any of the analyst's roles can read a relation or a column of it. */
static bool
AnalystCanRead(Oid relid, List *roles)
{
	ListCell   *lc;

	foreach(lc, roles)
	{
		Oid			role = lfirst_oid(lc);

		if (pg_class_aclcheck(relid, role, ACL_SELECT) == ACLCHECK_OK ||
			pg_attribute_aclcheck_all(relid, role, ACL_SELECT,
									  ACLMASK_ANY) == ACLCHECK_OK)
			return true;
	}
	return false;
}

/*
 * Return whether a relation is a public list of keys for the analyst. Every
 * column must be readable (SELECT on the table, not on some columns), and so
 * must every row. Row-level security would hide rows from the analyst that
 * the view, running as its owner, would release.
 */
static bool
IsPublicRelation(Oid relid, List *roles)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	bool		row_security;
	ListCell   *lc;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	row_security = ((Form_pg_class) GETSTRUCT(tuple))->relrowsecurity;
	ReleaseSysCache(tuple);
	if (row_security)
		return false;

	foreach(lc, roles)
	{
		if (pg_class_aclcheck(relid, lfirst_oid(lc), ACL_SELECT) == ACLCHECK_OK)
			return true;
	}
	return false;
}

/* Return whether any of the analyst's roles owns or may modify a relation. */
static bool
AnalystCanModify(Oid relid, List *roles)
{
	ListCell   *lc;

	foreach(lc, roles)
	{
		Oid			role = lfirst_oid(lc);

		if (pg_class_ownercheck(relid, role) ||
			pg_class_aclcheck(relid, role, ACL_INSERT | ACL_UPDATE | ACL_DELETE |
							  ACL_TRUNCATE | ACL_REFERENCES | ACL_TRIGGER) == ACLCHECK_OK ||
			pg_attribute_aclcheck_all(relid, role, ACL_INSERT | ACL_UPDATE,
									  ACLMASK_ANY) == ACLCHECK_OK)
			return true;
	}
	return false;
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

static bool IsPublicQuery(Query *query, List *roles);

/*
 * Return whether a range table entry holds only public values: a relation
 * the analyst may read, generate_series() or VALUES of constants, or a
 * subquery over those.
 */
static bool
IsPublicSource(RangeTblEntry *rte, List *roles)
{
	switch (rte->rtekind)
	{
		case RTE_RELATION:
			return IsPublicRelation(rte->relid, roles);
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
			return IsPublicQuery(rte->subquery, roles);
		default:
			return false;
	}
}

/* Return whether a subquery reads only public sources and no subquery. */
static bool
IsPublicQuery(Query *query, List *roles)
{
	ListCell   *lc;

	if (query->hasSubLinks || query->setOperations != NULL || query->cteList != NIL)
		return false;
	foreach(lc, query->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind != RTE_JOIN && !IsPublicSource(rte, roles))
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
IsPublicJoinTree(Node *node, Query *query, List *roles)
{
	Bitmapset  *indexes = NULL;
	int			rtindex = -1;

	CollectJoinTreeIndexes(node, &indexes);
	while ((rtindex = bms_next_member(indexes, rtindex)) >= 0)
	{
		if (!IsPublicSource(rt_fetch(rtindex, query->rtable), roles))
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

/* One equality of the ON clause: key column = data expression */
typedef struct KeyMatch
{
	AttrNumber	attno;			/* column of the key source */
	Oid			opno;			/* the equality operator */
	Oid			collation;		/* its input collation */
} KeyMatch;

/* Find the match of a column in a list of KeyMatch, or NULL. */
static KeyMatch *
FindMatch(List *matches, AttrNumber attno)
{
	ListCell   *lc;

	foreach(lc, matches)
	{
		KeyMatch   *match = lfirst(lc);

		if (match->attno == attno)
			return match;
	}
	return NULL;
}

/* Return whether an operator compares two values of one type. */
static bool
OperatorOnOneType(Oid opno, Oid type)
{
	Oid			left;
	Oid			right;

	op_input_types(opno, &left, &right);
	return left == type && right == type;
}

/*
 * Return whether the VALUES rows are distinct under the matched operators:
 * no two rows are equal on every matched column. The operators are built in
 * and immutable (checked by the caller), so calling them here runs no
 * code of any role.
 */
static bool
ValuesDistinctUnder(List *values_lists, List *matches)
{
	ListCell   *row1;
	ListCell   *row2;
	ListCell   *lc;

	if (matches == NIL)
		return false;
	foreach(lc, matches)
	{
		KeyMatch   *match = lfirst(lc);
		Node	   *first = list_nth(linitial(values_lists), match->attno - 1);

		if (match->opno >= FirstNormalObjectId ||
			!OperatorOnOneType(match->opno, exprType(first)))
			return false;
	}

	foreach(row1, values_lists)
	{
		foreach(row2, values_lists)
		{
			bool		same = true;

			if (row2 == row1)
				break;
			foreach(lc, matches)
			{
				KeyMatch   *match = lfirst(lc);
				Node	   *value1 = list_nth(lfirst(row1), match->attno - 1);
				Node	   *value2 = list_nth(lfirst(row2), match->attno - 1);

				if (!IsA(value1, Const) || !IsA(value2, Const))
					return false;
				if (((Const *) value1)->constisnull || ((Const *) value2)->constisnull ||
					!DatumGetBool(OidFunctionCall2Coll(get_opcode(match->opno),
													   match->collation,
													   ((Const *) value1)->constvalue,
													   ((Const *) value2)->constvalue)))
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

/*
 * Return whether a relation has a unique index whose every column is
 * matched by an operator of the index's operator family, under the index's
 * collation. Indexes with expressions or a predicate are skipped without
 * evaluating them, since that would run functions written by the index's
 * creator.
 */
static bool
RelationUniqueUnder(Oid relid, List *matches)
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
			form->indisvalid && form->indislive &&
			heap_attisnull(index->rd_indextuple, Anum_pg_index_indexprs, NULL) &&
			heap_attisnull(index->rd_indextuple, Anum_pg_index_indpred, NULL);

		for (column = 0; covered && column < form->indnkeyatts; column++)
		{
			KeyMatch   *match = FindMatch(matches, form->indkey.values[column]);

			covered = match != NULL &&
				op_in_opfamily(match->opno, index->rd_opfamily[column]) &&
				match->collation == index->rd_indcollation[column];
		}
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
 * Return whether an equality on the matched columns finds at most one row
 * of a public key source.
 */
static bool
KeySourceUniqueUnder(RangeTblEntry *rte, List *matches)
{
	switch (rte->rtekind)
	{
		case RTE_RELATION:
			return RelationUniqueUnder(rte->relid, matches);
		case RTE_FUNCTION:
			{
				RangeTblFunction *rtfunc = linitial_node(RangeTblFunction, rte->functions);
				Oid			type = exprType(rtfunc->funcexpr);
				KeyMatch   *match = FindMatch(matches, 1);
				Oid			opclass = GetDefaultOpClass(type, BTREE_AM_OID);

				/* generate_series() values are distinct under the type's own = */
				return match != NULL && OidIsValid(opclass) &&
					OperatorOnOneType(match->opno, type) &&
					op_in_opfamily(match->opno, get_opclass_family(opclass));
			}
		case RTE_VALUES:
			return ValuesDistinctUnder(rte->values_lists, matches);
		case RTE_SUBQUERY:
			{
				Query	   *sub = rte->subquery;
				RangeTblEntry *values;
				List	   *inner = NIL;
				ListCell   *lc;

				/* A VALUES list in FROM, which the parser wraps in a subquery */
				if (list_length(sub->rtable) != 1)
					return false;
				values = linitial_node(RangeTblEntry, sub->rtable);
				if (values->rtekind != RTE_VALUES)
					return false;
				foreach(lc, matches)
				{
					KeyMatch   *match = lfirst(lc);
					KeyMatch   *mapped = palloc(sizeof(KeyMatch));
					TargetEntry *tle = list_nth_node(TargetEntry, sub->targetList, match->attno - 1);

					if (!IsA(tle->expr, Var))
						return false;
					*mapped = *match;
					mapped->attno = ((Var *) tle->expr)->varattno;
					inner = lappend(inner, mapped);
				}
				return ValuesDistinctUnder(values->values_lists, inner);
			}
		default:
			return false;
	}
}

/*
 * Check the ON clause that joins the data to the keys (guarantee 4). Each
 * conjunct that reads a key source must be an immutable equality between a
 * column of that source and an expression of the data. Together, the
 * equalities must find at most one row of every key source.
 */
static void
CheckKeyJoinCondition(ViewCheck *check, JoinExpr *join, Bitmapset *key_indexes)
{
	Query	   *query = check->query;
	List	   *conjuncts = make_ands_implicit((Expr *) join->quals);
	List	  **matches = palloc0(sizeof(List *) * (list_length(query->rtable) + 1));
	ListCell   *lc;
	int			rtindex = -1;
	const char *hint = "Join the data with ON data_column = key_column AND ..., on columns that are unique among the keys.";

	foreach(lc, conjuncts)
	{
		Node	   *conjunct = lfirst(lc);
		OpExpr	   *op;
		Var		   *key_var = NULL;
		Node	   *other = NULL;
		KeyMatch   *match;

		if (!bms_overlap(SourcesOf(query, conjunct), key_indexes))
			continue;			/* a condition on the data alone */

		if (!IsA(conjunct, OpExpr) || list_length(((OpExpr *) conjunct)->args) != 2 ||
			!op_mergejoinable(((OpExpr *) conjunct)->opno,
							  exprType(linitial(((OpExpr *) conjunct)->args))))
			RejectView(check, "its ON clause compares the keys by something other than equality", hint);
		op = (OpExpr *) conjunct;
		if (func_volatile(get_opcode(op->opno)) != PROVOLATILE_IMMUTABLE)
			RejectView(check, "its ON clause compares the keys with an equality that is not immutable",
					   "Compare values of the same type, so that settings such as TimeZone cannot change the result.");

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

		match = palloc(sizeof(KeyMatch));
		match->attno = key_var->varattno;
		match->opno = op->opno;
		match->collation = op->inputcollid;
		matches[key_var->varno] = lappend(matches[key_var->varno], match);
	}

	while ((rtindex = bms_next_member(key_indexes, rtindex)) >= 0)
	{
		RangeTblEntry *rte = rt_fetch(rtindex, query->rtable);

		if (rte->rtekind == RTE_JOIN)
			continue;
		if (!KeySourceUniqueUnder(rte, matches[rtindex]))
			RejectView(check,
					   psprintf("a data row could match several rows of the keys from \"%s\", and count in several groups",
								rte->eref ? rte->eref->aliasname : "?"),
					   "Compare the data, with the column's own equality and collation, to key columns that a unique index or distinct VALUES make unique.");
	}
}

/*
 * Return whether a view selects its groups: a top-level AND term of HAVING
 * is dp_select_units(...) IS NOT NULL.
 */
static bool
SelectsGroups(Query *query)
{
	List	   *terms;
	ListCell   *lc;

	if (query->havingQual == NULL || query->groupingSets != NIL)
		return false;
	if (is_andclause(query->havingQual))
		terms = ((BoolExpr *) query->havingQual)->args;
	else
		terms = list_make1(query->havingQual);
	foreach(lc, terms)
	{
		Node	   *term = (Node *) lfirst(lc);
		NullTest   *test;

		if (!IsA(term, NullTest))
			continue;
		test = (NullTest *) term;
		if (test->nulltesttype == IS_NOT_NULL && !test->argisrow &&
			IsA(test->arg, Aggref) &&
			KindOfAggregate(((Aggref *) test->arg)->aggfnoid) == DP_AGG_SELECT_UNITS)
			return true;
	}
	return false;
}

/*
 * Check that the grouping keys come from public sources on the preserved
 * side of a single LEFT JOIN, so that each key reaches the output whatever
 * the data contains (guarantee 3), and that the join partitions the data
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

	/* Keys from the data, each group released only past the threshold */
	if (SelectsGroups(query))
	{
		foreach(lc, query->groupClause)
		{
			TargetEntry *tle = get_sortgroupclause_tle(lfirst_node(SortGroupClause, lc),
													   query->targetList);

			if (checkExprHasSubLink((Node *) tle->expr))
				RejectView(check, "a grouping key contains a subquery", NULL);
		}
		return;
	}

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

		if (rte->rtekind == RTE_RELATION && !IsPublicRelation(rte->relid, check->analyst_roles))
			RejectView(check,
					   psprintf("role \"%s\" cannot read every row and column of the key table %s",
								GetUserNameFromId(check->analyst, false),
								quote_qualified_identifier(get_namespace_name(get_rel_namespace(rte->relid)),
														   get_rel_name(rte->relid))),
					   "Grant the analyst SELECT on the whole key table, without row-level security, if its keys are public; otherwise group by a public list of keys.");
		if (!IsPublicSource(rte, check->analyst_roles))
			RejectView(check,
					   psprintf("a grouping key comes from \"%s\", which is not a public list of keys",
								rte->rtekind == RTE_RELATION ? get_rel_name(rte->relid) :
								(rte->eref ? rte->eref->aliasname : "?")),
					   "Group by a table of public keys that the analyst may read, or by generate_series() or VALUES, and LEFT JOIN the data to it; or select the groups with HAVING ciam_privacy.dp_select_units(...) IS NOT NULL.");
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
			if (!IsPublicSource(rt_fetch(rtindex, query->rtable), check->analyst_roles))
				RejectView(check, "its WHERE clause filters the data, which can remove keys",
						   "Move the condition into the ON clause of the LEFT JOIN, or into a subquery of the data.");
		}
	}

	/* Walk down from the top: the keys stay on the preserved side */
	if (list_length(query->jointree->fromlist) == 1)
		node = linitial(query->jointree->fromlist);
	else
		node = (Node *) query->jointree;
	while (!IsPublicJoinTree(node, query, check->analyst_roles))
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

	/*
	 * Only the key lists themselves may be readable by the analyst, and the
	 * analyst must not be able to change them (a key added, a child table
	 * appended, a foreign key probed by a DELETE).
	 */
	rtindex = -1;
	while ((rtindex = bms_next_member(key_indexes, rtindex)) >= 0)
	{
		RangeTblEntry *rte = rt_fetch(rtindex, query->rtable);

		if (rte->rtekind != RTE_RELATION)
			continue;
		if (AnalystCanModify(rte->relid, check->analyst_roles))
			RejectView(check,
					   psprintf("role \"%s\" owns or may modify the key table \"%s\"",
								GetUserNameFromId(check->analyst, false),
								get_rel_name(rte->relid)),
					   "Key tables belong to the data owner; grant the analyst SELECT on them only.");
		if (rte->inh && has_subclass(rte->relid))
			RejectView(check,
					   psprintf("the key table \"%s\" has child tables, which its unique index does not cover",
								get_rel_name(rte->relid)),
					   "Read the keys FROM ONLY that table.");
		if (bms_is_member(rtindex, key_sources))
			check->key_relations = lappend_oid(check->key_relations, rte->relid);
	}
	if (data_join != NULL)
		CheckKeyJoinCondition(check, data_join, key_indexes);
}

/* Return the query of a view that a view reads. */
static Query *
NestedViewQuery(Oid relid)
{
	Relation	view = relation_open(relid, AccessShareLock);
	Query	   *query = copyObject(get_view_query(view));

	relation_close(view, AccessShareLock);
	return query;
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
			AnalystCanRead(rte->relid, check->analyst_roles))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_GRANT_OPERATION),
					 errmsg("role \"%s\" can read %s, which view %s reads",
							GetUserNameFromId(check->analyst, false),
							quote_qualified_identifier(get_namespace_name(get_rel_namespace(rte->relid)),
													   get_rel_name(rte->relid)),
							check->view_name),
					 errhint("Revoke that privilege (from PUBLIC too) before publishing the view.")));
		/* The relations beneath a view that the view reads count as well */
		if (rte->rtekind == RTE_RELATION && rte->relkind == RELKIND_VIEW &&
			!list_member_oid(check->walked_views, rte->relid))
		{
			bool		result;

			check->walked_views = lappend_oid(check->walked_views, rte->relid);
			result = CheckBaseRelations((Node *) NestedViewQuery(rte->relid), check);
			check->walked_views = list_delete_last(check->walked_views);
			return result;
		}
		return false;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, CheckBaseRelations,
								 (void *) check, QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, CheckBaseRelations, (void *) check);
}

/* Return whether a role can call pg_stat_statements, if it is installed. */
static bool
CanReadStatementStatistics(Oid role)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(role)};
	bool		readable;

	SPI_connect();
	if (SPI_execute_with_args("SELECT 1 FROM pg_catalog.pg_proc "
							  "WHERE proname IN ('pg_stat_statements', 'pg_stat_statements_info') "
							  "AND pg_catalog.has_function_privilege($1, oid, 'EXECUTE')",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up pg_stat_statements");
	readable = SPI_processed > 0;
	SPI_finish();
	return readable;
}

/*
 * Reject an analyst who can read per-table or per-statement statistics,
 * through any role it can SET ROLE to (guarantee 5).
 */
static void
CheckStatisticsRestricted(Oid analyst)
{
	Oid			counters[] = {F_PG_STAT_GET_TUPLES_RETURNED,
		F_PG_STAT_GET_XACT_TUPLES_FETCHED, F_PG_STAT_GET_LIVE_TUPLES,
	F_PG_STAT_GET_BLOCKS_FETCHED, F_PG_RELATION_SIZE_REGCLASS};
	List	   *roles = AnalystRoles(analyst);
	bool		readable = false;
	ListCell   *lc;

	foreach(lc, roles)
	{
		Oid			role = lfirst_oid(lc);
		int			i;

		readable |= pg_attribute_aclcheck(RelationRelationId, Anum_pg_class_reltuples,
										  role, ACL_SELECT) == ACLCHECK_OK;
		for (i = 0; i < (int) lengthof(counters) && !readable; i++)
			readable = pg_proc_aclcheck(counters[i], role, ACL_EXECUTE) == ACLCHECK_OK;
		readable |= CanReadStatementStatistics(role);
		if (readable)
			break;
	}
	if (readable)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_GRANT_OPERATION),
				 errmsg("role \"%s\" can read per-table statistics, which count rows without noise",
						GetUserNameFromId(analyst, false)),
				 errdetail("The statistics functions (pg_stat_get_*), the size functions, pg_class.reltuples and pg_stat_statements show how many rows a query read."),
				 errhint("Run SELECT ciam_privacy.restrict_statistics(); as a superuser in this database.")));
}

/*
 * Reject an analyst who can connect to another database: its statistics
 * views count the rows read in this one (pg_stat_database), and
 * restrict_statistics() acts on one database only.
 */
static void
CheckNoOtherDatabase(Oid analyst)
{
	Relation	rel = table_open(DatabaseRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	StringInfoData names;
	HeapTuple	tuple;

	initStringInfo(&names);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_database form = (Form_pg_database) GETSTRUCT(tuple);

		if (form->oid == MyDatabaseId || !form->datallowconn ||
			pg_database_aclcheck(form->oid, analyst, ACL_CONNECT) != ACLCHECK_OK)
			continue;
		appendStringInfo(&names, "%s%s", names.len > 0 ? ", " : "",
						 quote_identifier(NameStr(form->datname)));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	if (names.len > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_GRANT_OPERATION),
				 errmsg("role \"%s\" can connect to other databases: %s",
						GetUserNameFromId(analyst, false), names.data),
				 errdetail("The statistics of every database, readable from any of them, count the rows that queries read in this one."),
				 errhint("REVOKE CONNECT ON DATABASE ... FROM PUBLIC (and from the analyst) for each of them.")));
}

/*
 * Check, when an analyst's query starts, what DDL event triggers cannot
 * watch: CONNECT on databases created or granted later, and statistics
 * readable through roles granted later.
 */
void
CheckAnalystIsolation(Oid analyst)
{
	/* Cached until a catalog the checks read changes (isolation_cache.c) */
	if (IsolationCheckCached(analyst))
		return;
	CheckStatisticsRestricted(analyst);
	CheckNoOtherDatabase(analyst);
	RememberIsolationCheck(analyst);
}

/* State of the walk over the functions a view calls */
typedef struct FunctionCheck
{
	ViewCheck  *view_check;
	bool		released;		/* checking what the view releases */
	Oid			extension_namespace;
} FunctionCheck;

/*
 * Check one function the view calls. Built-in functions are trusted. Any
 * other must pin its search_path and must not belong to the analyst. In
 * what the view releases, it must also be immutable and not SECURITY
 * DEFINER.
 */
static bool
CheckOneFunction(Oid funcid, void *context)
{
	FunctionCheck *walk = (FunctionCheck *) context;
	ViewCheck  *check = walk->view_check;
	HeapTuple	tuple;
	Form_pg_proc form;
	bool		pinned_path = false;
	ListCell   *lc;

	if (funcid < FirstNormalObjectId)
		return false;
	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for function %u", funcid);
	form = (Form_pg_proc) GETSTRUCT(tuple);
	if (form->pronamespace == walk->extension_namespace)
	{
		ReleaseSysCache(tuple);
		return false;
	}

	if (!heap_attisnull(tuple, Anum_pg_proc_proconfig, NULL))
	{
		bool		isnull;
		ArrayType  *config = DatumGetArrayTypeP(SysCacheGetAttr(PROCOID, tuple,
																 Anum_pg_proc_proconfig,
																 &isnull));
		Datum	   *items;
		int			nitems;
		int			i;

		deconstruct_array(config, TEXTOID, -1, false, TYPALIGN_INT, &items, NULL, &nitems);
		for (i = 0; i < nitems; i++)
			pinned_path |= strncmp(TextDatumGetCString(items[i]), "search_path=", 12) == 0;
	}
	if (!pinned_path)
		RejectView(check,
				   psprintf("it calls %s(), which does not set its search_path",
							NameStr(form->proname)),
				   "ALTER FUNCTION ... SET search_path = pg_catalog, ...; otherwise an operator of the analyst's, first in their search_path, would run on the data.");
	foreach(lc, check->analyst_roles)
	{
		if (pg_proc_ownercheck(funcid, lfirst_oid(lc)))
			RejectView(check,
					   psprintf("it calls %s(), which role \"%s\" owns",
								NameStr(form->proname),
								GetUserNameFromId(check->analyst, false)),
					   NULL);
	}
	if (walk->released && (form->provolatile != PROVOLATILE_IMMUTABLE || form->prosecdef))
		RejectView(check,
				   psprintf("%s calls %s(), which is not immutable or is SECURITY DEFINER, so it could read rows without noise",
							check->part, NameStr(form->proname)),
				   NULL);
	ReleaseSysCache(tuple);
	return false;
}

static bool CheckFunctionsWalker(Node *node, FunctionCheck *walk);

/* Return the type a domain is defined over, itself possibly a domain. */
static Oid
DomainBaseType(Oid domain)
{
	HeapTuple	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(domain));
	Oid			base;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for type %u", domain);
	base = ((Form_pg_type) GETSTRUCT(tuple))->typbasetype;
	ReleaseSysCache(tuple);
	return base;
}

/*
 * Check the functions of the CHECK constraints of a domain and of the
 * domains it is based on: a cast to the domain runs them on the data.
 */
static void
CheckDomainConstraints(Oid domain, FunctionCheck *walk)
{
	while (get_typtype(domain) == TYPTYPE_DOMAIN)
	{
		Relation	rel = table_open(ConstraintRelationId, AccessShareLock);
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple	tuple;

		ScanKeyInit(&key, Anum_pg_constraint_contypid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(domain));
		scan = systable_beginscan(rel, ConstraintTypidIndexId, true, NULL, 1, &key);
		while (HeapTupleIsValid(tuple = systable_getnext(scan)))
		{
			bool		isnull;
			Datum		conbin = heap_getattr(tuple, Anum_pg_constraint_conbin,
											  RelationGetDescr(rel), &isnull);

			if (!isnull)
				CheckFunctionsWalker(stringToNode(TextDatumGetCString(conbin)), walk);
		}
		systable_endscan(scan);
		table_close(rel, AccessShareLock);
		domain = DomainBaseType(domain);
	}
}

/* Walk expressions and subqueries, checking every function they call. */
static bool
CheckFunctionsWalker(Node *node, FunctionCheck *walk)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, CheckFunctionsWalker, walk,
								 QTW_EXAMINE_RTES_BEFORE);
	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *rte = (RangeTblEntry *) node;

		/* The functions of a view that the view reads count as well */
		ViewCheck  *check = walk->view_check;

		if (rte->rtekind == RTE_RELATION && rte->relkind == RELKIND_VIEW &&
			!list_member_oid(check->walked_views, rte->relid))
		{
			bool		released = walk->released;
			bool		result;

			walk->released = false;
			check->walked_views = lappend_oid(check->walked_views, rte->relid);
			result = CheckFunctionsWalker((Node *) NestedViewQuery(rte->relid), walk);
			check->walked_views = list_delete_last(check->walked_views);
			walk->released = released;
			return result;
		}
		return false;
	}
	if (IsA(node, CoerceToDomain))
		CheckDomainConstraints(((CoerceToDomain *) node)->resulttype, walk);
	if (walk->released && IsA(node, Aggref) &&
		KindOfAggregate(((Aggref *) node)->aggfnoid) != DP_AGG_NONE)
	{
		/* The input of a DP aggregate is data; check it by the looser rule */
		bool		released = walk->released;

		walk->released = false;
		expression_tree_walker(node, CheckFunctionsWalker, walk);
		walk->released = released;
		return false;
	}
	check_functions_in_node(node, CheckOneFunction, walk);
	return expression_tree_walker(node, CheckFunctionsWalker, walk);
}

/* Check the functions of the whole view, and the stricter rule where it releases values (guarantee 6). */
static void
CheckFunctions(ViewCheck *check)
{
	Query	   *query = check->query;
	FunctionCheck walk = {check, false, get_namespace_oid("ciam_privacy", false)};
	ListCell   *lc;

	check->part = "the view";
	query_tree_walker(query, CheckFunctionsWalker, &walk, QTW_EXAMINE_RTES_BEFORE);

	walk.released = true;
	foreach(lc, query->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		check->part = DescribeTargetEntry(tle);
		CheckFunctionsWalker((Node *) tle->expr, &walk);
	}
	check->part = "the HAVING, WHERE or LIMIT clause";
	CheckFunctionsWalker(query->havingQual, &walk);
	CheckFunctionsWalker(query->jointree->quals, &walk);
	CheckFunctionsWalker(query->limitCount, &walk);
	CheckFunctionsWalker(query->limitOffset, &walk);
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

	check.analyst_roles = AnalystRoles(analyst);
	check.walked_views = list_make1_oid(viewid);
	check.query = get_view_query(view);
	CheckReleasedValues(&check);
	CheckPublicKeys(&check);
	CheckFunctions(&check);
	CheckBaseRelations((Node *) check.query, &check);
	CheckStatisticsRestricted(analyst);
	CheckNoOtherDatabase(analyst);
	CheckSortedByKeys(&check);
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
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("view and analyst must not be null")));
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
	Oid			viewid;
	Oid			analyst;
	Oid			argtypes[2] = {REGCLASSOID, REGROLEOID};
	Datum		args[2];
	char	   *grant;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("view and analyst must not be null")));
	viewid = PG_GETARG_OID(0);
	analyst = PG_GETARG_OID(1);
	args[0] = ObjectIdGetDatum(viewid);
	args[1] = ObjectIdGetDatum(analyst);
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

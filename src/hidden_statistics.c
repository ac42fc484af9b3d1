/*
 * hidden_statistics.c
 *	  Plan an analyst's queries without the statistics of private tables.
 *
 * The planner's estimates come from the data: the column statistics in
 * pg_statistic (most common values with their frequencies, histograms,
 * n_distinct), extended statistics, reltuples and the size of the table and
 * its indexes on disk. EXPLAIN is rejected for analysts, but estimates also
 * show through behaviour that an analyst can time or count. Examples are
 * whether JIT compiles a plan (jit_above_cost), which of a generic and a
 * custom plan wins (pg_prepared_statements.generic_plans), and an index
 * scan against a sequential one.
 *
 * So when the current user is not a superuser and cannot read a table
 * itself, which is how an analyst reaches the tables beneath a privatized
 * view, the planner uses fixed numbers for that table: the row count set by
 * ciam_privacy.planner_rows, a size of one page per hundred of those rows,
 * a fixed width for variable-length columns, and no column or extended
 * statistics, so that every selectivity is PostgreSQL's default. Plans then depend on the query and the schema, not
 * on the data.
 *
 * NOTE: execution time still depends on the data; this removes only the
 * estimates.
 */
#include "postgres.h"

#include "catalog/index.h"
#include "miscadmin.h"
#include "optimizer/plancat.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/selfuncs.h"

#include "ciam_privacy.h"

#define ROWS_PER_PAGE	100

static int	planner_rows = 1000000;

static get_relation_info_hook_type prev_get_relation_info_hook = NULL;
static get_relation_stats_hook_type prev_get_relation_stats_hook = NULL;
static get_index_stats_hook_type prev_get_index_stats_hook = NULL;
static get_attavgwidth_hook_type prev_get_attavgwidth_hook = NULL;

/* Width in bytes assumed for a variable-length column of a hidden table */
#define HIDDEN_COLUMN_WIDTH 32

/* Return whether the planner must not see the statistics of a table. */
static bool
HideStatisticsOf(Oid relid)
{
	return !superuser() &&
		pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK;
}

/* Replace the sizes that get_relation_info() read from the table and its indexes. */
static void
HideRelationSize(PlannerInfo *root, Oid relid, bool inhparent, RelOptInfo *rel)
{
	if (prev_get_relation_info_hook)
		prev_get_relation_info_hook(root, relid, inhparent, rel);

	if (HideStatisticsOf(relid))
	{
		ListCell   *lc;

		rel->tuples = planner_rows;
		rel->pages = Max(planner_rows / ROWS_PER_PAGE, 1);
		rel->allvisfrac = 0;
		rel->statlist = NIL;
		foreach(lc, rel->indexlist)
		{
			IndexOptInfo *index = lfirst(lc);

			index->tuples = rel->tuples;
			index->pages = Max(rel->pages / 10, 1);
			if (index->tree_height >= 0)
				index->tree_height = 2;
		}
	}
}

/* Give the planner no column statistics of a hidden table. */
static bool
HideColumnStatistics(PlannerInfo *root, RangeTblEntry *rte, AttrNumber attnum,
					 VariableStatData *vardata)
{
	if (rte->rtekind == RTE_RELATION && HideStatisticsOf(rte->relid))
	{
		vardata->statsTuple = NULL;
		vardata->freefunc = NULL;
		return true;
	}
	if (prev_get_relation_stats_hook)
		return prev_get_relation_stats_hook(root, rte, attnum, vardata);
	return false;
}

/* Give the planner no statistics of an expression index on a hidden table. */
static bool
HideIndexStatistics(PlannerInfo *root, Oid indexOid, AttrNumber indexattnum,
					VariableStatData *vardata)
{
	if (HideStatisticsOf(IndexGetRelation(indexOid, false)))
	{
		vardata->statsTuple = NULL;
		vardata->freefunc = NULL;
		return true;
	}
	if (prev_get_index_stats_hook)
		return prev_get_index_stats_hook(root, indexOid, indexattnum, vardata);
	return false;
}

/* Give the planner a fixed average width for columns of a hidden table. */
static int32
HideColumnWidth(Oid relid, AttrNumber attnum)
{
	if (HideStatisticsOf(relid))
		return HIDDEN_COLUMN_WIDTH;
	if (prev_get_attavgwidth_hook)
		return prev_get_attavgwidth_hook(relid, attnum);
	return 0;
}

void
InstallStatisticsHooks(void)
{
	DefineCustomIntVariable("ciam_privacy.planner_rows",
							"Sets the number of rows the planner assumes for a table that the current user reaches only through views.",
							"The planner sees no statistics of such tables, so that plans reveal nothing of the data.",
							&planner_rows,
							1000000, 1, INT_MAX / 2,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);

	prev_get_relation_info_hook = get_relation_info_hook;
	get_relation_info_hook = HideRelationSize;
	prev_get_relation_stats_hook = get_relation_stats_hook;
	get_relation_stats_hook = HideColumnStatistics;
	prev_get_index_stats_hook = get_index_stats_hook;
	get_index_stats_hook = HideIndexStatistics;
	prev_get_attavgwidth_hook = get_attavgwidth_hook;
	get_attavgwidth_hook = HideColumnWidth;
}

/*
 * chainsweep: overlap analysis. Given a set of indicators (a new advisory,
 * or what a case found), rank the known activity clusters of the stored
 * intel by weighted overlap, each lead with the evidence that supports it
 * and its score broken down (docs/correlate.md). Never a bare verdict.
 *
 * A cluster is a named label a source gave (actor, intrusion-set,
 * threat-actor, campaign, malware, tool, incident, event, report, tag),
 * or, for a source that named none, the source file itself. Cluster
 * aliases are never merged: "actor:Lazarus Group" and
 * "intrusion-set:Lazarus" are two clusters.
 */
#ifndef CHAINSWEEP_CORRELATE_H
#define CHAINSWEEP_CORRELATE_H

#include <stddef.h>
#include <stdint.h>

#include "chainsweep/error.h"
#include "chainsweep/graph.h"
#include "chainsweep/intel.h"
#include "chainsweep/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One indicator of the query. Strings are borrowed for the call. */
struct cs_query_item {
	enum cs_kind kind;
	const char *value;            /* normalised, as in the indicator set */
	const char *const *resolves;  /* values the query says this resolves to or from */
	size_t nresolves;
	int warninglisted;            /* the query's own warninglists name it */
};

/* How evidence relates a query indicator to a cluster's indicator. */
enum cs_relation {
	CS_REL_EXACT = 0,      /* the same kind and value */
	CS_REL_PARENT = 1,     /* the query's domain is under the cluster's domain */
	CS_REL_URL_HOST = 2,   /* the query's URL is on the cluster's domain or address */
	CS_REL_RESOLUTION = 3, /* one resolves to the other (MISP domain-ip objects) */
	CS_REL_COOCCUR = 4,    /* both were found on one host within the window */
	CS_REL_PREFIX = 5,     /* same IPv4 /24, or inside the cluster's CIDR: weak */
	CS_REL_COUNT
};
const char *cs_relation_name(enum cs_relation r);

struct cs_correlate_opts {
	size_t top;          /* leads to keep; 0 means 10 */
	int weak;            /* keep leads that only weak (prefix) evidence supports */
	int sizes;           /* count each lead's source entries (one pass over all sources) */
	/* The query's own sources: stored sources from these files (as
	 * imported, or the same file by its real path) or with these
	 * STIX/MISP ids are the query itself and never evidence. */
	const char *const *self_files;
	size_t nself_files;
	const char *const *self_refs;
	size_t nself_refs;
	/* Co-occurrence: findings of the case on one host whose times lie
	 * within `window_ms` of each other (0: one day); off when 0. */
	int cooccur;
	int64_t window_ms;
};

/* One piece of evidence for a lead. */
struct cs_lead_evidence {
	enum cs_relation relation;
	enum cs_kind qkind;        /* the query's indicator */
	const char *qvalue;
	enum cs_kind kind;         /* the cluster's indicator */
	const char *value;
	const char *via;           /* resolution: the resolving value; co-occurrence: the host */
	double kind_weight;        /* by kind and specificity */
	double relation_weight;    /* by relation */
	unsigned nsources;         /* source files, not the query's, naming the value (rarity) */
	double weight;             /* kind x relation / nsources; 0 when warninglisted */
	int warninglisted;
	int counted;               /* 1: the best evidence of its query indicator for this lead */
	const char *file;          /* the source that puts the value in the cluster */
	uint64_t line;
	const char *ref;
	const char *description;
};

struct cs_lead {
	const char *cluster;       /* "actor:Lazarus Group", "source:path/to/file.csv" */
	double score;              /* sum of counted evidence */
	double by_relation[CS_REL_COUNT];
	size_t shared;             /* query indicators with counted evidence */
	uint64_t size;             /* the cluster's source entries; 0 unless opts.sizes */
	const struct cs_lead_evidence *evidence; /* counted first, then by weight */
	size_t nevidence;
};

struct cs_correlation;

/* Rank clusters of the intel in `st` against the query. */
int cs_correlate(struct cs_store *st, const struct cs_query_item *items, size_t nitems,
		 const struct cs_correlate_opts *opts, struct cs_correlation **out);
/* The findings of the case as a query (deduplicated indicators). */
int cs_correlate_case(struct cs_store *st, const struct cs_correlate_opts *opts,
		      struct cs_correlation **out);
void cs_correlation_free(struct cs_correlation *c);

size_t cs_correlation_query_size(const struct cs_correlation *c);
/* Query indicators no cluster shares anything with. */
size_t cs_correlation_unmatched(const struct cs_correlation *c);
size_t cs_correlation_clusters_seen(const struct cs_correlation *c);
/* Query values whose co-occurring values were too many to look up all
 * (more than 4,096 on their hosts within the window): their co-occurrence
 * evidence is incomplete. */
size_t cs_correlation_cooccur_capped(const struct cs_correlation *c);
size_t cs_correlation_lead_count(const struct cs_correlation *c);
const struct cs_lead *cs_correlation_lead(const struct cs_correlation *c, size_t i);

/*
 * The evidence graph of the first `top` leads (0: 5) into `g`: each lead's
 * cluster, the query indicators that support it, and between them the
 * cluster's value when it differs (a parent domain, a resolved address, a
 * value found beside it on a host), edges labelled with the relation and
 * weight. At most `per_lead` counted pieces per lead (0: 12).
 */
int cs_correlation_graph(const struct cs_correlation *c, size_t top, size_t per_lead,
			 struct cs_graph *g);

#ifdef __cplusplus
}
#endif

#endif /* CHAINSWEEP_CORRELATE_H */

/*
 * chainsweep: exposure, how far downstream a compromise reaches
 * (docs/exposure.md).
 *
 * A graph of vendors, their environments (build systems, update servers),
 * products and product versions with release dates, components, and
 * hosts, fed from
 *   - relations files users write (YAML): who makes what, which
 *     environment builds or updates which product, what was installed
 *     where and when, what depends on what;
 *   - CycloneDX SBOM dependency trees (product -> component edges);
 *   - the software sweeps of the case database (which host runs which
 *     version).
 * Given a compromised node and a window, cs_exposure_run() walks every
 * edge the compromise can flow along and reports each downstream product
 * version and host with the path that reaches it. A version whose release
 * date is unknown while a window applies is reported as indeterminate,
 * never dropped.
 */
#ifndef CHAINSWEEP_EXPOSURE_H
#define CHAINSWEEP_EXPOSURE_H

#include <stddef.h>
#include <stdint.h>

#include "chainsweep/error.h"
#include "chainsweep/graph.h"
#include "chainsweep/intel.h"
#include "chainsweep/store.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cs_exposure;

struct cs_exposure *cs_exposure_new(void);
void cs_exposure_free(struct cs_exposure *x);
/* Receive diagnostics (file:line:column, severity, message). */
void cs_exposure_set_diag(struct cs_exposure *x, cs_diag_fn fn, void *userdata);

/*
 * Read a relations file (YAML, docs/exposure.md). Every problem is
 * reported with its line and column; a file with errors (syntax, wrong
 * types, unknown references, over a cap) returns CS_ERR_PARSE (what was
 * valid in it is kept), CS_ERR_IO when it cannot be read, CS_ERR_TOOBIG
 * over the size cap. SBOM files it names are read too, relative to it.
 */
int cs_exposure_load_relations(struct cs_exposure *x, const char *path);
/* The same from memory; `name` is used in messages and for relative SBOM
 * paths (its folder). */
int cs_exposure_load_relations_mem(struct cs_exposure *x, const char *name, const void *data,
                                   size_t len);

/*
 * A CycloneDX JSON SBOM: its `dependencies` tree becomes "dependency of"
 * edges. The SBOM's own component (metadata.component) is `product` when
 * given ("ID@VERSION" of a declared product), else it is matched to a
 * declared product by name, else it is a component. CS_ERR_PARSE when
 * the file is not CycloneDX JSON.
 */
int cs_exposure_load_sbom(struct cs_exposure *x, const char *path, const char *product);

/* What the case database's software sweeps recorded (cs_store_software):
 * hosts that run declared product versions and SBOM components. */
int cs_exposure_load_store(struct cs_exposure *x, struct cs_store *st);
/* One recorded package (what _load_store does per row). */
int cs_exposure_add_software(struct cs_exposure *x, const struct cs_software_rec *r);

/* "FROM..TO" (dates or times, UTC; either end may be empty; a bare date
 * as TO means its whole day) -> epoch seconds, 0 for an open end.
 * CS_ERR_PARSE when malformed or FROM is after TO. */
int cs_exposure_parse_window(const char *s, int64_t *from, int64_t *until);

/* Kinds of what is reported. */
enum cs_exposed_kind {
	CS_EXPOSED_VERSION = 1, /* a product version (or SBOM component version) */
	CS_EXPOSED_HOST = 2,    /* a host that runs (or ran) one */
	CS_EXPOSED_OTHER = 3    /* an environment, vendor, product reached on the way */
};

/* One step of a path: the node, and the relation that led to it (NULL
 * for the compromised node). */
struct cs_exposure_step {
	const char *key;
	const char *label;
	const char *kind; /* "vendor", "environment", "product", "version", ... */
	const char *relation;
	const char *detail; /* e.g. the file a host's version was seen in, or NULL */
};

struct cs_exposure_hit {
	enum cs_exposed_kind kind;
	const char *key;
	const char *label;
	const char *node_kind;
	const char *product; /* versions and hosts: the product's label */
	const char *version; /* versions and hosts: the version */
	int64_t released;    /* versions: release time (epoch s), 0 when unknown */
	const char *host;    /* hosts */
	int current;         /* hosts: the host's latest software sweep still sees it */
	int64_t last_seen;   /* hosts: when that sweep finished (epoch s), 0 unknown */
	int indeterminate;   /* a release date needed for the window is unknown */
	int64_t window_from; /* the window that applied (epoch s, 0 = open) */
	int64_t window_until;
	const struct cs_exposure_step *path; /* from the compromised node to this one */
	size_t npath;
};

typedef int (*cs_exposure_fn)(void *userdata, const struct cs_exposure_hit *hit);

struct cs_exposure_query {
	const char *compromised; /* a node reference (docs/exposure.md) */
	int64_t from, until;     /* the compromise window (epoch s; 0 = open) */
};

struct cs_exposure_result {
	uint64_t versions;      /* product versions reported */
	uint64_t hosts;         /* hosts reported */
	uint64_t other;         /* other nodes reached */
	uint64_t indeterminate; /* of the above, indeterminate */
};

/*
 * Walk downstream from the compromised node and call fn for each node
 * reached: versions first (by product and version), then hosts, then the
 * rest. When `g` is not NULL, the nodes reached and the edges walked are
 * added to it (the compromised node with kind "compromised").
 * CS_ERR_NOTFOUND when the reference names no node, CS_ERR_INVALID when
 * it names several (the message says which), CS_ERR_NOMEM; a non-zero
 * return from fn stops and is returned.
 */
int cs_exposure_run(struct cs_exposure *x, const struct cs_exposure_query *q, cs_exposure_fn fn,
                    void *userdata, struct cs_graph *g, struct cs_exposure_result *res);
/* The message of the last failure. */
const char *cs_exposure_errmsg(const struct cs_exposure *x);

#ifdef __cplusplus
}
#endif

#endif /* CHAINSWEEP_EXPOSURE_H */

/*
 * libFuzzer target for overlap analysis: hostile query values against a
 * small case database (URL hosts, parent domains, addresses and networks
 * are parsed from the query), then the evidence graph and its SVG.
 *
 * Input: lines; each line's first byte picks the kind, the rest is the
 * value (raw bytes, NUL-free by construction). A line starting with '='
 * instead adds a resolution to the previous item.
 *
 * Invariants: cs_correlate succeeds (or runs out of memory); every lead
 * has a positive score, evidence pointing at its query values, weights
 * in [0, 1]; the graph writes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chainsweep/correlate.h"
#include "chainsweep/store.h"

static struct cs_store *st;
static char dir[] = "/tmp/fuzz_correlate.XXXXXX";

static void cleanup(void)
{
	char path[96];
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	size_t i;

	cs_store_close(st);
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/case.db%s", dir, suffix[i]);
		unlink(path);
	}
	rmdir(dir);
}

static const char known_c2[] = "# Cluster A\n"
			       "evil.example\n"
			       "203.0.113.10\n"
			       "2001:db8::10\n"
			       "# Cluster B\n"
			       "203.0.113.10\n"
			       "sub.evil.example\n";
static const char known_csv[] =
	"value,type\n"
	"https://evil.example/a/b.php,url\n"
	"198.51.100.0/24,cidr\n"
	"2001:db8:1::/48,cidr\n"
	"5e0b0b3a1d34b5f11b4a0b5f51d7bd6d8b9e2e1ee6c7f6b1d2f4b0b0f2c9a3d1,sha256\n";

static void setup(void)
{
	char db[64];
	struct cs_intel *in = cs_intel_new();
	struct cs_import_stats s;

	if (!mkdtemp(dir) || !in)
		abort();
	snprintf(db, sizeof(db), "%s/case.db", dir);
	memset(&s, 0, sizeof(s));
	cs_intel_set_format(in, "loki-c2");
	cs_intel_import_mem(in, "c2-iocs.txt", known_c2, sizeof(known_c2) - 1, &s);
	cs_intel_set_format(in, "csv");
	cs_intel_import_mem(in, "known.csv", known_csv, sizeof(known_csv) - 1, &s);
	cs_intel_finalize(in);
	if (cs_store_open(db, &st) || cs_store_save_intel(st, in, "fuzz", NULL, NULL))
		abort();
	cs_intel_free(in);
	atexit(cleanup);
}

static const enum cs_kind kinds[] = {
	CS_KIND_DOMAIN, CS_KIND_URL,    CS_KIND_IPV4,   CS_KIND_IPV6,
	CS_KIND_CIDR,   CS_KIND_SHA256, CS_KIND_EMAIL,  CS_KIND_FILENAME,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_query_item items[64];
	const char *res[64][4];
	char *buf, *p, *line;
	size_t n = 0, i, j;
	struct cs_correlate_opts o;
	struct cs_correlation *c = NULL;
	struct cs_graph *g;
	FILE *devnull;
	int rc;

	if (!st)
		setup();
	if (size > 1 << 16)
		return 0;
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	memset(items, 0, sizeof(items));
	for (p = buf; n < 64 && (line = strsep(&p, "\n")) != NULL;) {
		if (!*line)
			continue;
		if (line[0] == '=' && n) {
			struct cs_query_item *it = &items[n - 1];

			if (it->nresolves < 4) {
				res[n - 1][it->nresolves++] = line + 1;
				it->resolves = res[n - 1];
			}
			continue;
		}
		items[n].kind = kinds[(unsigned char)line[0] % (sizeof(kinds) / sizeof(kinds[0]))];
		items[n].value = line + 1;
		items[n].warninglisted = (unsigned char)line[0] >= 0xf0;
		n++;
	}
	memset(&o, 0, sizeof(o));
	o.weak = size & 1;
	o.sizes = 1;
	o.cooccur = 1;
	rc = cs_correlate(st, items, n, &o, &c);
	if (rc && rc != CS_ERR_NOMEM)
		__builtin_trap();
	for (i = 0; c && i < cs_correlation_lead_count(c); i++) {
		const struct cs_lead *l = cs_correlation_lead(c, i);

		if (!(l->score > 0) || !l->cluster)
			__builtin_trap();
		for (j = 0; j < l->nevidence; j++) {
			const struct cs_lead_evidence *e = &l->evidence[j];

			if (!e->qvalue || !e->value || e->weight < 0 || e->weight > 1)
				__builtin_trap();
		}
	}
	if (c && (g = cs_graph_new()) != NULL) {
		if (cs_correlation_graph(c, 0, 0, g) == CS_OK &&
		    (devnull = fopen("/dev/null", "w")) != NULL) {
			cs_graph_write_svg(g, devnull);
			cs_graph_write_dot(g, devnull);
			fclose(devnull);
		}
		cs_graph_free(g);
	}
	cs_correlation_free(c);
	free(buf);
	return 0;
}

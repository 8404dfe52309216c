/*
 * Generator of the log-hunt benchmark's data (bench/logs_dns.sh): a Zeek
 * dns.log, a JSON proxy log and a squid access.log of given sizes, the
 * indicator files, and the line numbers where a hit was planted.
 *
 *   gen_logs OUTDIR DNS_MB JSON_MB SQUID_MB NDOMAINS...
 *
 * Writes OUTDIR/dns.log, proxy.json, access.log; for each NDOMAINS,
 * intel-N.csv (N domains plus 200 addresses, 20 networks and 200 URLs)
 * and names-N.txt (the same values, one a line, for grep -F -f); and
 * planted.txt ("file line" of every line that must be reported). The
 * planted indicators are among the first 1,000 domains, so every list
 * holds them. Near misses sit in other lines: a name that ends with an
 * indicator without a label boundary ("x" + name), one that goes on past
 * it (name + ".example"), an address inside a longer number, a URL whose
 * path does not continue the indicator's, a network's neighbour.
 * Everything comes from a fixed seed: the same arguments give the same
 * bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned below(unsigned n)
{
	return (unsigned)(next() % n);
}

static const char *const tlds[] = {"com", "net", "org", "io", "de", "co.uk", "info", "ru", "cn", "xyz"};
#define NTLD (sizeof(tlds) / sizeof(tlds[0]))

/* A label of [lo, hi] letters and digits, first a letter; `salt` keeps
 * the benign and the indicator names apart (a letter no other uses at
 * the label's start). */
static void label(char *out, unsigned lo, unsigned hi, char first)
{
	unsigned n = lo + below(hi - lo + 1), i;

	out[0] = first;
	for (i = 1; i < n; i++) {
		unsigned r = below(36);

		out[i] = (char)(r < 26 ? 'a' + r : '0' + (r - 26));
	}
	out[n] = '\0';
}

#define NBENIGN 60000
#define NIP     200
#define NNET    20
#define NURL    200

static char (*benign)[48];
static char (*inds)[48];
static char ips[NIP][16];
static char urlhost[NURL][48];
static char urlpath[NURL][32];

static void make_names(unsigned nind)
{
	unsigned i;

	benign = malloc(sizeof(*benign) * NBENIGN);
	inds = malloc(sizeof(*inds) * nind);
	if (!benign || !inds)
		exit(2);
	for (i = 0; i < NBENIGN; i++) {
		char l[24];

		label(l, 4, 12, (char)('a' + below(20))); /* a..t */
		snprintf(benign[i], sizeof(benign[i]), "%s.%s", l, tlds[below(NTLD)]);
	}
	for (i = 0; i < nind; i++) {
		char l[24];

		label(l, 6, 14, (char)('u' + below(6))); /* u..z */
		snprintf(inds[i], sizeof(inds[i]), "%s.%s", l, tlds[below(NTLD)]);
	}
	for (i = 0; i < NIP; i++)
		snprintf(ips[i], sizeof(ips[i]), "198.51.%u.%u", 100 + i / 100, 1 + i % 100 * 2);
	for (i = 0; i < NURL; i++) {
		char l[24], p[24];

		label(l, 5, 10, (char)('a' + below(20)));
		label(p, 4, 8, 'p');
		snprintf(urlhost[i], sizeof(urlhost[i]), "cdn%u.%s.com", i, l);
		snprintf(urlpath[i], sizeof(urlpath[i]), "/%s/", p);
	}
}

/* Networks 203.0.113.0/24 ... : one /24 each from 203.0.0.0 on. */
static void net(unsigned k, char *out, size_t n, unsigned host)
{
	snprintf(out, n, "203.0.%u.%u", 100 + k, host);
}

static void benign_ip(char *out, size_t n)
{
	static const unsigned first[] = {52, 93, 151, 172, 13, 104, 142, 185};

	snprintf(out, n, "%u.%u.%u.%u", first[below(8)], below(256), below(256), 1 + below(254));
}

static void uid(char *out)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned i;

	out[0] = 'C';
	for (i = 1; i < 18; i++)
		out[i] = al[below(62)];
	out[18] = '\0';
}

/* What a line holds: 0 benign, 1 a planted hit, 2 a near miss. One line
 * in `every` is planted, the next one a near miss. */
static int kind_of(uint64_t line, uint64_t every)
{
	uint64_t r = line % every;

	return r == every / 2 ? 1 : r == every / 2 + 1 ? 2 : 0;
}

static void dns_log(const char *dir, uint64_t bytes, uint64_t every, FILE *planted)
{
	char path[4096], q[128], ans[160], id[20], a1[20], a2[20];
	FILE *f;
	uint64_t w = 0, line = 0, ts = 1680084000ULL * 1000000ULL;

	snprintf(path, sizeof(path), "%s/dns.log", dir);
	f = fopen(path, "w");
	if (!f)
		exit(2);
	w += (uint64_t)fprintf(
	        f, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
	           "#path\tdns\n#open\t2023-03-29-10-00-00\n"
	           "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\t"
	           "rtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\t"
	           "RD\tRA\tZ\tanswers\tTTLs\trejected\n"
	           "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\t"
	           "count\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\t"
	           "vector[string]\tvector[interval]\tbool\n");
	line = 8;
	while (w < bytes) {
		int k;

		line++;
		k = kind_of(line, every);
		ts += 1 + below(20000);
		uid(id);
		benign_ip(a1, sizeof(a1));
		benign_ip(a2, sizeof(a2));
		snprintf(q, sizeof(q), "%s%s", below(3) ? "www." : "", benign[below(NBENIGN)]);
		snprintf(ans, sizeof(ans), "%s,%s", a1, a2);
		if (k == 1) {
			unsigned r = below(10), i = below(1000);

			if (r < 7)
				snprintf(q, sizeof(q), "cdn%u.%s", below(100), inds[i]);
			else if (r < 9)
				snprintf(ans, sizeof(ans), "%s,%s", a1, ips[below(NIP)]);
			else
				net(below(NNET), ans, sizeof(ans), 1 + below(254));
			fprintf(planted, "dns.log %llu\n", (unsigned long long)line);
		} else if (k == 2) {
			unsigned r = below(4), i = below(1000);

			if (r == 0)
				snprintf(q, sizeof(q), "x%s", inds[i]);
			else if (r == 1)
				snprintf(q, sizeof(q), "%s.example", inds[i]);
			else if (r == 2)
				snprintf(ans, sizeof(ans), "1%s,%s0", ips[below(NIP)], ips[below(NIP)]);
			else
				snprintf(ans, sizeof(ans), "203.0.%u.7", 100 + NNET + below(20));
		}
		w += (uint64_t)fprintf(f,
		                       "%llu.%06llu\t%s\t10.%u.%u.%u\t%u\t10.0.0.53\t53\tudp\t%u\t"
		                       "0.%06u\t%s\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t%s\t"
		                       "300.000000,300.000000\tF\n",
		                       (unsigned long long)(ts / 1000000), (unsigned long long)(ts % 1000000),
		                       id, below(256), below(256), 1 + below(254), 1024 + below(60000),
		                       below(65536), below(100000), q, ans);
	}
	fprintf(f, "#close\t2023-03-29-11-00-00\n");
	fclose(f);
}

static void proxy_json(const char *dir, uint64_t bytes, uint64_t every, FILE *planted)
{
	char path[4096], url[256], host[128], a1[20];
	FILE *f;
	uint64_t w = 0, line = 0, ts = 1680084000ULL * 1000;

	snprintf(path, sizeof(path), "%s/proxy.json", dir);
	f = fopen(path, "w");
	if (!f)
		exit(2);
	while (w < bytes) {
		int k;
		char p[24];

		line++;
		k = kind_of(line, every);
		ts += 1 + below(50);
		benign_ip(a1, sizeof(a1));
		label(p, 3, 10, 'a');
		snprintf(host, sizeof(host), "%s", benign[below(NBENIGN)]);
		snprintf(url, sizeof(url), "https://%s/%s/%u.js?v=%u", host, p, below(1000), below(99));
		if (k == 1) {
			unsigned r = below(10), i = below(NURL);

			if (r < 5)
				snprintf(url, sizeof(url), "https://%s%s%s.bin", urlhost[i], urlpath[i], p);
			else if (r < 8)
				snprintf(url, sizeof(url), "http://img.%s/%s", inds[below(1000)], p);
			else
				snprintf(url, sizeof(url), "http://%s/%s", ips[below(NIP)], p);
			fprintf(planted, "proxy.json %llu\n", (unsigned long long)line);
		} else if (k == 2) {
			unsigned r = below(3), i = below(NURL);

			if (r == 0)
				snprintf(url, sizeof(url), "https://%s%.*sX/%s", urlhost[i],
				         (int)strlen(urlpath[i]) - 1, urlpath[i], p);
			else if (r == 1)
				snprintf(url, sizeof(url), "http://%s.example/%s", inds[below(1000)], p);
			else
				snprintf(url, sizeof(url), "http://x%s/%s", inds[below(1000)], p);
		}
		w += (uint64_t)fprintf(f,
		                       "{\"ts\":\"2023-03-29T%02llu:%02llu:%02llu.%03lluZ\",\"client_ip\":"
		                       "\"10.%u.%u.%u\",\"method\":\"GET\",\"url\":\"%s\",\"status\":200,"
		                       "\"bytes\":%u,\"server_ip\":\"%s\",\"ua\":\"Mozilla/5.0 (Windows NT "
		                       "10.0; Win64; x64) AppleWebKit/537.36\",\"referrer\":\"-\"}\n",
		                       (unsigned long long)(ts / 3600000 % 24),
		                       (unsigned long long)(ts / 60000 % 60),
		                       (unsigned long long)(ts / 1000 % 60), (unsigned long long)(ts % 1000),
		                       below(256), below(256), 1 + below(254), url, below(100000), a1);
	}
	fclose(f);
}

static void squid_log(const char *dir, uint64_t bytes, uint64_t every, FILE *planted)
{
	char path[4096], url[256], a1[20];
	FILE *f;
	uint64_t w = 0, line = 0, ts = 1680084000ULL * 1000;

	snprintf(path, sizeof(path), "%s/access.log", dir);
	f = fopen(path, "w");
	if (!f)
		exit(2);
	while (w < bytes) {
		int k;
		char p[24];

		line++;
		k = kind_of(line, every);
		ts += 1 + below(50);
		benign_ip(a1, sizeof(a1));
		label(p, 3, 10, 'a');
		snprintf(url, sizeof(url), "http://%s/%s", benign[below(NBENIGN)], p);
		if (k == 1) {
			snprintf(url, sizeof(url), "http://www.%s/%s", inds[below(1000)], p);
			fprintf(planted, "access.log %llu\n", (unsigned long long)line);
		} else if (k == 2) {
			snprintf(url, sizeof(url), "http://www.%s.example/%s", inds[below(1000)], p);
		}
		w += (uint64_t)fprintf(f, "%llu.%03llu %6u 10.%u.%u.%u TCP_MISS/200 %u GET %s - "
		                          "HIER_DIRECT/%s text/html\n",
		                       (unsigned long long)(ts / 1000), (unsigned long long)(ts % 1000),
		                       below(3000), below(256), below(256), 1 + below(254),
		                       below(100000), url, a1);
	}
	fclose(f);
}

static void intel(const char *dir, unsigned n)
{
	char path[4096];
	FILE *c, *t;
	unsigned i;

	snprintf(path, sizeof(path), "%s/intel-%u.csv", dir, n);
	c = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/names-%u.txt", dir, n);
	t = fopen(path, "w");
	if (!c || !t)
		exit(2);
	fprintf(c, "type,value\n");
	for (i = 0; i < n; i++) {
		fprintf(c, "domain,%s\n", inds[i]);
		fprintf(t, "%s\n", inds[i]);
	}
	for (i = 0; i < NIP; i++) {
		fprintf(c, "ipv4,%s\n", ips[i]);
		fprintf(t, "%s\n", ips[i]);
	}
	for (i = 0; i < NNET; i++) {
		fprintf(c, "cidr,203.0.%u.0/24\n", 100 + i);
		fprintf(t, "203.0.%u.\n", 100 + i);
	}
	for (i = 0; i < NURL; i++) {
		fprintf(c, "url,https://%s%.*s\n", urlhost[i], (int)strlen(urlpath[i]) - 1,
		        urlpath[i]);
		fprintf(t, "https://%s%s\n", urlhost[i], urlpath[i]);
	}
	fclose(c);
	fclose(t);
}

int main(int argc, char **argv)
{
	char path[4096];
	FILE *planted;
	unsigned maxn = 1000;
	int i;

	if (argc < 6) {
		fprintf(stderr, "usage: gen_logs OUTDIR DNS_MB JSON_MB SQUID_MB NDOMAINS...\n");
		return 2;
	}
	for (i = 5; i < argc; i++)
		if ((unsigned)atoi(argv[i]) > maxn)
			maxn = (unsigned)atoi(argv[i]);
	make_names(maxn);
	snprintf(path, sizeof(path), "%s/planted.txt", argv[1]);
	planted = fopen(path, "w");
	if (!planted)
		return 2;
	dns_log(argv[1], (uint64_t)atoll(argv[2]) << 20, 4000, planted);
	proxy_json(argv[1], (uint64_t)atoll(argv[3]) << 20, 2000, planted);
	squid_log(argv[1], (uint64_t)atoll(argv[4]) << 20, 2000, planted);
	fclose(planted);
	for (i = 5; i < argc; i++)
		intel(argv[1], (unsigned)atoi(argv[i]));
	return 0;
}

/*
 * The process scan: the proc text parsers on hostile lines (long lines,
 * names with spaces, newlines and " (deleted)", numbers that overflow),
 * and, as root, a crafted benign process found on each count (its
 * executable's hash, a YARA string only its memory holds, a connection
 * to a listed loopback address), again after its executable was deleted,
 * while a clean twin is not.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "chainsweep/proc.h"
#include "chainsweep/report.h"
#include "chainsweep/store.h"
#include "chainsweep/scan.h"
#include "core/core_int.h"
#include "scan/proc_int.h"
#include "testutil.h"

/* ---- parsers ---- */

static void test_maps_lines(void **state)
{
	struct cs_proc_map mp;
	const char *l;
	char path[256];

	(void)state;
	l = "55d0c0a00000-55d0c0a21000 rw-p 00000000 00:00 0                          [heap]\n";
	assert_int_equal(cs__proc_parse_maps_line(l, strlen(l), &mp), CS_OK);
	assert_int_equal(mp.start, 0x55d0c0a00000ULL);
	assert_int_equal(mp.end, 0x55d0c0a21000ULL);
	assert_string_equal(mp.perms, "rw-p");
	assert_int_equal(mp.inode, 0);
	assert_int_equal(mp.path_len, 6);
	assert_memory_equal(mp.path, "[heap]", 6);

	/* An anonymous map: no path at all. */
	l = "7f0000000000-7f0000001000 rw-p 00000000 00:00 0";
	assert_int_equal(cs__proc_parse_maps_line(l, strlen(l), &mp), CS_OK);
	assert_int_equal(mp.path_len, 0);

	/* Spaces in the name, the kernel's " (deleted)", a newline escaped. */
	l = "00400000-00452000 r-xp 00001000 fd:01 1234567    /tmp/my dir/evil\\012name (deleted)";
	assert_int_equal(cs__proc_parse_maps_line(l, strlen(l), &mp), CS_OK);
	assert_int_equal(mp.major, 0xfd);
	assert_int_equal(mp.minor, 1);
	assert_int_equal(mp.inode, 1234567);
	assert_int_equal(mp.offset, 0x1000);
	assert_true(mp.deleted);
	cs__proc_unescape(path, sizeof(path), mp.path, mp.path_len);
	assert_string_equal(path, "/tmp/my dir/evil\nname");

	/* A file really named "x (deleted)" that is deleted: only the last
	 * suffix is the kernel's. */
	l = "00400000-00452000 r--p 00000000 08:01 42 /a/x (deleted) (deleted)";
	assert_int_equal(cs__proc_parse_maps_line(l, strlen(l), &mp), CS_OK);
	assert_true(mp.deleted);
	assert_int_equal(mp.path_len, strlen("/a/x (deleted)"));

	/* A name of only " (deleted)" text is not a deleted path. */
	l = "00400000-00452000 r--p 00000000 00:00 0  (deleted)";
	assert_int_equal(cs__proc_parse_maps_line(l, strlen(l), &mp), CS_OK);
	assert_false(mp.deleted);

	/* Broken lines. */
	l = "55d0c0a00000 rw-p 00000000 00:00 0";
	assert_int_equal(cs__proc_parse_maps_line(l, strlen(l), &mp), CS_ERR_PARSE);
	l = "10000000000000000-2 rw-p 00000000 00:00 0";
	assert_int_equal(cs__proc_parse_maps_line(l, strlen(l), &mp), CS_ERR_PARSE);
	l = "2000-1000 rw-p 00000000 00:00 0";
	assert_int_equal(cs__proc_parse_maps_line(l, strlen(l), &mp), CS_ERR_PARSE);
	l = "1000-2000 rwzp 00000000 00:00 0";
	assert_int_equal(cs__proc_parse_maps_line(l, strlen(l), &mp), CS_ERR_PARSE);
	l = "1000-2000 rw-p 00000000 00:00 99999999999999999999999";
	assert_int_equal(cs__proc_parse_maps_line(l, strlen(l), &mp), CS_ERR_PARSE);
	assert_int_equal(cs__proc_parse_maps_line("", 0, &mp), CS_ERR_PARSE);
	/* The parser never reads past the length it is given. */
	l = "1000-2000 rw-p 00000000 00:00 7 /x";
	assert_int_equal(cs__proc_parse_maps_line(l, 20, &mp), CS_ERR_PARSE);
}

static void test_maps_long_line(void **state)
{
	size_t n = (size_t)1 << 20, k;
	char *l = malloc(n + 64);
	struct cs_proc_map mp;

	(void)state;
	assert_non_null(l);
	k = (size_t)snprintf(l, 64, "1000-2000 r--p 00000000 08:01 9 /");
	memset(l + k, 'a', n);
	assert_int_equal(cs__proc_parse_maps_line(l, k + n, &mp), CS_OK);
	assert_int_equal(mp.path_len, n + 1);
	free(l);
}

static void test_net_lines(void **state)
{
	struct cs_proc_sock k;
	const char *l;
	char a[64];

	(void)state;
	l = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
	    "timeout inode";
	assert_int_equal(cs__proc_parse_net_line(l, strlen(l), 4, &k), CS_ERR_PARSE);
	l = "   3: 0100007F:9C40 4200007F:01BB 01 00000000:00000000 00:00000000 00000000     0   "
	    "     0 4242 1 0000000000000000 20 4 30 10 -1\n";
	assert_int_equal(cs__proc_parse_net_line(l, strlen(l), 4, &k), CS_OK);
	inet_ntop(AF_INET, k.remote, a, sizeof(a));
	assert_string_equal(a, "127.0.0.66");
	inet_ntop(AF_INET, k.local, a, sizeof(a));
	assert_string_equal(a, "127.0.0.1");
	assert_int_equal(k.lport, 40000);
	assert_int_equal(k.rport, 443);
	assert_int_equal(k.state, 1);
	assert_int_equal(k.inode, 4242);
	/* IPv6, a v4-mapped remote. */
	l = "   0: 00000000000000000000000001000000:1F90 0000000000000000FFFF00004200007F:0050 01 "
	    "00000000:00000000 00:00000000 00000000  1000        0 77 1 0000000000000000 20 4 0 10 "
	    "-1";
	assert_int_equal(cs__proc_parse_net_line(l, strlen(l), 6, &k), CS_OK);
	inet_ntop(AF_INET6, k.remote, a, sizeof(a));
	assert_string_equal(a, "::ffff:127.0.0.66");
	inet_ntop(AF_INET6, k.local, a, sizeof(a));
	assert_string_equal(a, "::1");
	assert_int_equal(k.uid, 1000);
	/* Damaged: short address, a stray byte, a huge inode. */
	l = "   3: 0100007:9C40 4200007F:01BB 01 00000000:00000000 00:00000000 00000000 0 0 1";
	assert_int_equal(cs__proc_parse_net_line(l, strlen(l), 4, &k), CS_ERR_PARSE);
	l = "   3: 0100007F:9C40 4200007F:01BB 01 00000000:00000000 00:00000000 00000000 0 0 1\001";
	assert_int_equal(cs__proc_parse_net_line(l, strlen(l), 4, &k), CS_ERR_PARSE);
	l = "   3: 0100007F:9C40 4200007F:01BB 01 00000000:00000000 00:00000000 00000000 0 0 "
	    "999999999999999999999999";
	assert_int_equal(cs__proc_parse_net_line(l, strlen(l), 4, &k), CS_ERR_PARSE);
	assert_int_equal(cs__proc_parse_net_line(l, strlen(l), 5, &k), CS_ERR_PARSE);
}

static void test_stat_lines(void **state)
{
	struct cs_proc_stat st;
	const char *l;
	char buf[512];
	int i;

	(void)state;
	/* A command name with spaces and parentheses: the last ')' ends it. */
	l = "4242 (a) (b c)) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 1 1";
	assert_int_equal(cs__proc_parse_stat(l, strlen(l), &st), CS_OK);
	assert_int_equal(st.pid, 4242);
	assert_string_equal(st.comm, "a) (b c)");
	assert_int_equal(st.ppid, 17);
	assert_int_equal(st.starttime, 123456);
	/* A newline in the name. */
	l = "7 (x\ny) R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0";
	assert_int_equal(cs__proc_parse_stat(l, strlen(l), &st), CS_OK);
	assert_string_equal(st.comm, "x\ny");
	/* Cut short, no ')', a negative parent. */
	l = "7 (x) R 1 7 7 0";
	assert_int_equal(cs__proc_parse_stat(l, strlen(l), &st), CS_ERR_PARSE);
	l = "7 (x R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99";
	assert_int_equal(cs__proc_parse_stat(l, strlen(l), &st), CS_ERR_PARSE);
	l = "7 (x) R -1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99";
	assert_int_equal(cs__proc_parse_stat(l, strlen(l), &st), CS_ERR_PARSE);
	/* A name longer than the field is cut, not overflowed. */
	i = snprintf(buf, sizeof(buf), "9 (");
	memset(buf + i, 'n', 300);
	snprintf(buf + i + 300, sizeof(buf) - (size_t)i - 300,
	         ") S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5");
	assert_int_equal(cs__proc_parse_stat(buf, strlen(buf), &st), CS_OK);
	assert_int_equal(strlen(st.comm), sizeof(st.comm) - 1);
}

/* ---- the live test (root) ---- */

/* The elf module walks the memory blocks again before the rules run: the
 * byte bound holds for each walk, not for all of them together. */
#define RULE                                                                                       \
	"import \"elf\"\n"                                                                         \
	"rule CS_Live_Memory_Marker { strings: $m = \"CHAINSWEEP-BENIGN-LIVE-MEMORY-MARKER\" "     \
	"condition: $m and elf.number_of_sections >= 0 or $m }\n"

struct child {
	pid_t pid;
	int in, out; /* its stdin (we write), its stdout (we read) */
};

static int listen_on(const char *addr, unsigned *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, addr, &sa.sin_addr), 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void spawn(struct child *c, char *const argv[])
{
	int pin[2], pout[2];
	char buf[64];
	ssize_t n;

	assert_int_equal(pipe2(pin, O_CLOEXEC), 0);
	assert_int_equal(pipe2(pout, O_CLOEXEC), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	c->in = pin[1];
	c->out = pout[0];
	n = read(c->out, buf, sizeof(buf) - 1);
	assert_true(n > 5);
	buf[n] = '\0';
	assert_true(strncmp(buf, "ready", 5) == 0);
}

static void reap(struct child *c)
{
	int st;

	close(c->in);
	waitpid(c->pid, &st, 0);
	close(c->out);
}

static void copy_file(const char *from, const char *to)
{
	char *data = NULL;
	size_t len;
	int e, fd;

	assert_int_equal(cs__read_file(from, (size_t)64 << 20, &data, &len, &e), CS_OK);
	fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	free(data);
}

static void sha256_file(const char *path, char *hex)
{
	unsigned char md[32];
	unsigned mdlen = 0;
	char *data = NULL;
	size_t len, i;
	int e;

	assert_int_equal(cs__read_file(path, (size_t)64 << 20, &data, &len, &e), CS_OK);
	assert_int_equal(EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL), 1);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	free(data);
}

struct seen {
	pid_t target, twin;
	int exe_hash, exe_deleted, memory, socket, twin_hits;
	char exe_path[512];
};

static int on_finding(void *ud, const struct cs_proc_finding *f)
{
	struct seen *s = ud;

	if (f->proc->pid == s->twin) {
		s->twin_hits++;
		return 0;
	}
	if (f->proc->pid != s->target)
		return 0;
	assert_non_null(f->proc->user);
	assert_true(f->proc->start_time > 0);
	assert_true(f->proc->nparents >= 1);
	assert_int_equal(f->proc->parents[0].pid, getpid());
	if (f->place == CS_PROC_EXE && f->evidence == CS_EV_HASH) {
		s->exe_hash++;
		s->exe_deleted = f->deleted && f->proc->exe_deleted;
		snprintf(s->exe_path, sizeof(s->exe_path), "%s", f->path);
	} else if (f->place == CS_PROC_MEMORY && f->evidence == CS_EV_YARA) {
		assert_string_equal(f->matched, "CS_Live_Memory_Marker");
		assert_non_null(f->indicator);
		assert_true(f->region_end > f->region_start);
		assert_true(f->nstrings >= 1);
		s->memory++;
	} else if (f->place == CS_PROC_SOCKET) {
		assert_string_equal(f->matched, "127.0.0.66");
		assert_non_null(strstr(f->socket, "-> 127.0.0.66:"));
		s->socket++;
	}
	return 0;
}

static void test_live_process(void **state)
{
	char *dir, *target, *twin, hex[65], portbuf[16], portbuf2[16], intel[256];
	unsigned port66, port67;
	int l66, l67, a66, a67;
	struct child ct, cw;
	struct cs_intel *in;
	struct cs_matcher *m;
	struct cs_import_stats is;
	struct cs_proc_opts o;
	struct cs_proc_result res;
	struct seen seen;
	int pids[2];

	(void)state;
	if (geteuid() != 0) {
		print_message("SKIP: not root (the live process test reads other processes)\n");
		skip();
	}
	dir = cs_test_tmpdir();
	assert_true(asprintf(&target, "%s/target", dir) > 0);
	assert_true(asprintf(&twin, "%s/twin", dir) > 0);
	copy_file(CS_PROC_TARGET, target);
	copy_file(CS_PROC_TWIN, twin);
	sha256_file(target, hex);

	in = cs_intel_new();
	memset(&is, 0, sizeof(is));
	snprintf(intel, sizeof(intel), "%s\n127.0.0.66\n", hex);
	assert_int_equal(cs_intel_import_mem(in, "live.txt", intel, strlen(intel), &is), CS_OK);
	assert_int_equal(cs_intel_import_mem(in, "live.yar", RULE, strlen(RULE), &is), CS_OK);
	cs_intel_finalize(in);
	assert_int_equal(cs_matcher_new(in, NULL, NULL, &m), CS_OK);

	l66 = listen_on("127.0.0.66", &port66);
	l67 = listen_on("127.0.0.67", &port67);
	snprintf(portbuf, sizeof(portbuf), "%u", port66);
	snprintf(portbuf2, sizeof(portbuf2), "%u", port67);
	{
		char *const a1[] = {target, "marker", "connect", "127.0.0.66", portbuf, NULL};
		char *const a2[] = {twin, "connect", "127.0.0.67", portbuf2, NULL};

		spawn(&ct, a1);
		spawn(&cw, a2);
	}
	a66 = accept(l66, NULL, NULL);
	a67 = accept(l67, NULL, NULL);
	assert_true(a66 >= 0 && a67 >= 0);

	pids[0] = ct.pid;
	pids[1] = cw.pid;
	cs_proc_opts_init(&o);
	o.pids = pids;
	/* The target's memory is read twice (the elf module's walk, then the
	 * rules'): a bound of one and a half times it holds for each walk. */
	o.npids = 1;
	o.no_files = o.no_sockets = 1;
	assert_int_equal(cs_scan_processes(m, &o, &res), CS_OK);
	assert_true(res.memory_bytes > 0);
	o.max_bytes = res.memory_bytes / 2 + res.memory_bytes / 4;
	o.no_files = o.no_sockets = 0;
	o.npids = 2;
	o.on_finding = on_finding;
	memset(&seen, 0, sizeof(seen));
	seen.target = ct.pid;
	seen.twin = cw.pid;
	o.userdata = &seen;
	assert_int_equal(cs_scan_processes(m, &o, &res), CS_OK);
	assert_int_equal(res.scanned, 2);
	assert_int_equal(res.memory_capped, 0);
	assert_int_equal(seen.exe_hash, 1);
	assert_false(seen.exe_deleted);
	assert_string_equal(seen.exe_path, target);
	assert_int_equal(seen.memory, 1);
	assert_int_equal(seen.socket, 1);
	assert_int_equal(seen.twin_hits, 0);

	/* The executable deleted: still hashed through /proc, named deleted. */
	assert_int_equal(unlink(target), 0);
	assert_int_equal(unlink(twin), 0);
	memset(&seen, 0, sizeof(seen));
	seen.target = ct.pid;
	seen.twin = cw.pid;
	assert_int_equal(cs_scan_processes(m, &o, &res), CS_OK);
	assert_int_equal(seen.exe_hash, 1);
	assert_true(seen.exe_deleted);
	assert_string_equal(seen.exe_path, target);
	assert_int_equal(seen.memory, 1);
	assert_int_equal(seen.socket, 1);
	assert_int_equal(seen.twin_hits, 0);
	assert_true(res.files_via_proc >= 2);

	/* A process that is gone is noted, never an error. */
	reap(&cw);
	memset(&seen, 0, sizeof(seen));
	seen.target = ct.pid;
	seen.twin = cw.pid;
	assert_int_equal(cs_scan_processes(m, &o, &res), CS_OK);
	assert_int_equal(res.scanned, 1);
	assert_int_equal(seen.twin_hits, 0);

	reap(&ct);
	close(a66);
	close(a67);
	close(l66);
	close(l67);
	cs_matcher_free(m);
	cs_intel_free(in);
	cs_test_rmtree(dir);
	free(dir);
	free(target);
	free(twin);
}

/* ---- the case and the reports ---- */

#define PROC_JSON                                                                                  \
	"{\"pid\":4242,\"ppid\":4200,\"comm\":\"target\",\"exe\":\"/tmp/t/target\","               \
	"\"exe_deleted\":true,\"user\":\"root\",\"start\":\"2026-12-05T10:00:00Z\","               \
	"\"parents\":[{\"pid\":4200,\"comm\":\"bash\",\"exe\":\"/usr/bin/bash\"},"                 \
	"{\"pid\":1,\"comm\":\"init\",\"exe\":\"/sbin/init\"}],\"place\":\"memory\","              \
	"\"region\":{\"start\":\"0x1000\",\"end\":\"0x2000\",\"perms\":\"rw-p\","                  \
	"\"name\":\"[heap]\"}}"

static void proc_rec(struct cs_finding_rec *f)
{
	memset(f, 0, sizeof(*f));
	f->kind = CS_FIND_PROCESS;
	f->host = "ws-01";
	f->evidence = "yara";
	f->location = "pid 4242 /tmp/t/target (deleted): memory 1000-2000 rw-p [heap]";
	f->observed = "CS_Live_Memory_Marker";
	f->ind_kind = "yara-rule";
	f->ind_value = "CS_Live_Memory_Marker";
	f->confidence = -1;
	f->first_seen_ms = f->last_seen_ms = 1796464800000;
	f->count = 1;
	f->process = PROC_JSON;
}

static char *render(int (*fn)(FILE *, const struct cs_report *), const struct cs_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(fn(f, r), CS_OK);
	fclose(f);
	return buf;
}

static void test_report_process(void **state)
{
	struct cs_finding_rec f;
	struct cs_report r;
	char *out;

	(void)state;
	proc_rec(&f);
	memset(&r, 0, sizeof(r));
	r.title = "t";
	r.findings = &f;
	r.nfindings = 1;
	out = render(cs_report_jsonl, &r);
	assert_non_null(strstr(out, "\"kind\":\"process\""));
	assert_non_null(strstr(out, "\"process\":{"));
	assert_non_null(strstr(out, "\"exe_deleted\":true"));
	assert_non_null(strstr(out, "\"process\":1")); /* by_kind */
	free(out);
	out = render(cs_report_html, &r);
	/* The tree: init, then bash, then the process marked, with the region. */
	assert_non_null(strstr(out, "class=\"ptree mono\""));
	assert_true(strstr(out, ">1 init") < strstr(out, ">4200 bash"));
	assert_true(strstr(out, ">4200 bash") < strstr(out, "<strong>4242 target</strong>"));
	assert_non_null(strstr(out, "0x1000-0x2000 rw-p [heap]"));
	assert_non_null(strstr(out, "running process"));
	free(out);
	/* STIX: the location names a process, not a file path. */
	out = render(cs_report_stix, &r);
	assert_null(strstr(out, "[heap]\""));
	assert_null(strstr(out, "\"parent_directory_ref\""));
	free(out);
	/* A connection is an address observable. */
	f.evidence = "address";
	f.location = "pid 4242 /tmp/t/target (deleted): socket tcp 127.0.0.1:40000 -> "
	             "127.0.0.66:443 established";
	f.observed = "127.0.0.66";
	f.ind_kind = "ipv4";
	f.ind_value = "127.0.0.66";
	out = render(cs_report_stix, &r);
	assert_non_null(strstr(out, "\"type\": \"ipv4-addr\""));
	assert_non_null(strstr(out, "\"value\": \"127.0.0.66\""));
	assert_null(strstr(out, "\"type\": \"file\""));
	free(out);
	proc_rec(&f);
	/* A damaged process object is left out, not a failure. */
	f.process = "{not json";
	out = render(cs_report_jsonl, &r);
	assert_null(strstr(out, "\"process\":{"));
	free(out);
	out = render(cs_report_html, &r);
	assert_null(strstr(out, "class=\"ptree mono\""));
	free(out);
}

struct got {
	int n;
	char process[2048];
};

static int on_db(void *ud, const struct cs_finding_rec *f, int64_t a, int64_t b)
{
	struct got *g = ud;

	(void)a;
	(void)b;
	if (f->kind != CS_FIND_PROCESS)
		return 0;
	g->n++;
	snprintf(g->process, sizeof(g->process), "%s", f->process ? f->process : "");
	return 0;
}

static void test_store_process(void **state)
{
	char *dir = cs_test_tmpdir(), *db;
	struct cs_store *st = NULL;
	struct cs_finding_rec f;
	struct got g;
	int64_t sweep;

	(void)state;
	assert_true(asprintf(&db, "%s/case.db", dir) > 0);
	assert_int_equal(cs_store_open(db, &st), CS_OK);
	assert_int_equal(cs_store_sweep_begin(st, "ws-01", "processes", &sweep), CS_OK);
	proc_rec(&f);
	assert_int_equal(cs_store_finding_put(st, sweep, &f), CS_OK);
	assert_int_equal(cs_store_sweep_end(st, sweep, "{}", 0), CS_OK);
	memset(&g, 0, sizeof(g));
	assert_int_equal(cs_store_findings(st, NULL, CS_FIND_PROCESS, on_db, &g), CS_OK);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.process, PROC_JSON);
	cs_store_close(st);
	free(db);

	/* A case from before process findings: a reader sees no process, the
	 * first write adds the column. */
	assert_true(asprintf(&db, "%s/old.db", dir) > 0);
	assert_int_equal(cs_store_open(db, &st), CS_OK);
	cs_store_close(st);
	{
		sqlite3 *q;

		assert_int_equal(sqlite3_open(db, &q), SQLITE_OK);
		assert_int_equal(
		        sqlite3_exec(
		                q,
		                "CREATE TABLE finding(id INTEGER PRIMARY KEY, host INTEGER NOT "
		                "NULL, kind INTEGER NOT NULL, evidence TEXT NOT NULL, location "
		                "BLOB NOT NULL, observed TEXT, ind_kind TEXT NOT NULL, ind_value "
		                "TEXT NOT NULL, first_seen INTEGER NOT NULL DEFAULT 0, last_seen "
		                "INTEGER NOT NULL DEFAULT 0, count INTEGER NOT NULL DEFAULT 0, "
		                "first_sweep INTEGER NOT NULL, last_sweep INTEGER NOT NULL, sha256 "
		                "TEXT, sha1 TEXT, md5 TEXT, UNIQUE(host, kind, evidence, location, "
		                "ind_kind, ind_value));",
		                NULL, NULL, NULL),
		        SQLITE_OK);
		sqlite3_close(q);
	}
	assert_int_equal(cs_store_open(db, &st), CS_OK);
	assert_int_equal(cs_store_sweep_begin(st, "ws-01", "processes", &sweep), CS_OK);
	assert_int_equal(cs_store_finding_put(st, sweep, &f), CS_OK);
	memset(&g, 0, sizeof(g));
	assert_int_equal(cs_store_findings(st, NULL, CS_FIND_PROCESS, on_db, &g), CS_OK);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.process, PROC_JSON);
	cs_store_close(st);
	cs_test_rmtree(dir);
	free(dir);
	free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_maps_lines),     cmocka_unit_test(test_maps_long_line),
	        cmocka_unit_test(test_net_lines),      cmocka_unit_test(test_stat_lines),
	        cmocka_unit_test(test_report_process), cmocka_unit_test(test_store_process),
	        cmocka_unit_test(test_live_process),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Does a fanotify ignore mark outlive a write to its file?  A standalone
 * probe, with no chainsweep code, for the rare execution `watch` was
 * never asked about (docs/live-host.md, "Limits").
 *
 * One group (FAN_CLASS_CONTENT) marks a folder (with FAN_EVENT_ON_CHILD)
 * or its mount for FAN_OPEN_EXEC_PERM | FAN_CLOSE_WRITE. A reader thread
 * allows every execution and gives the file an ignore mark (ignored mask
 * FAN_OPEN_EXEC_PERM, without FAN_MARK_IGNORED_SURV_MODIFY) on the
 * event's descriptor. The main thread appends one byte to a copy of
 * /bin/true, then runs it (posix_spawn, waitpid), N times, and counts
 * the executions that were not asked about (the reader's count did not
 * move during the run).
 *
 *   fanotify_mark_probe DIR N [dir|mount] [before|after|none] [forget] [async] [keep]
 *
 *   before  the mark is added before the answer (as watch does), after:
 *           after it (the known race), none: no ignore marks (control)
 *   forget  remove the ignore mark again at each FAN_CLOSE_WRITE
 *   async   a second thread marks and answers while the reader goes on
 *           reading (the reader hands it each permission event)
 *   keep    the file's mark also carries an event (FAN_CLOSE_WRITE, which
 *           the folder mark reports anyway), so that removing its ignored
 *           mask at close-write leaves the mark in place instead of
 *           destroying it
 *
 * Prints "asked A of N executions, M missed, W writes seen" and the
 * indices of the first missed runs. Needs root.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

static int fan;
static int mark_when; /* 0 none, 1 before, 2 after */
static int forget, async_mode, keep;
static volatile int quit;
static unsigned long asked, writes;

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcv = PTHREAD_COND_INITIALIZER;
static int qfd[1024];
static unsigned qhead, qtail;

static void respond(int fd)
{
	struct fanotify_response r = {.fd = fd, .response = FAN_ALLOW};

	while (write(fan, &r, sizeof(r)) < 0 && errno == EINTR)
		;
}

static void decide(int fd)
{
	if (keep)
		fanotify_mark(fan, FAN_MARK_ADD, FAN_CLOSE_WRITE, fd, NULL);
	if (mark_when == 1)
		fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK, FAN_OPEN_EXEC_PERM, fd,
		              NULL);
	respond(fd);
	if (mark_when == 2)
		fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK, FAN_OPEN_EXEC_PERM, fd,
		              NULL);
	close(fd);
}

static void *decider(void *arg)
{
	(void)arg;
	for (;;) {
		int fd;

		pthread_mutex_lock(&qlock);
		while (qhead == qtail && !quit)
			pthread_cond_wait(&qcv, &qlock);
		if (qhead == qtail) {
			pthread_mutex_unlock(&qlock);
			return NULL;
		}
		fd = qfd[qhead++ % 1024];
		pthread_mutex_unlock(&qlock);
		decide(fd);
	}
}

static void *reader(void *arg)
{
	char buf[8192] __attribute__((aligned(8)));

	(void)arg;
	while (!quit) {
		struct pollfd p = {fan, POLLIN, 0};
		struct fanotify_event_metadata *md;
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = read(fan, buf, sizeof(buf));
		if (n <= 0)
			continue;
		for (md = (void *)buf; FAN_EVENT_OK(md, n); md = FAN_EVENT_NEXT(md, n)) {
			if (md->fd < 0)
				continue;
			if (md->mask & FAN_OPEN_EXEC_PERM) {
				__atomic_add_fetch(&asked, 1, __ATOMIC_SEQ_CST);
				if (async_mode) {
					pthread_mutex_lock(&qlock);
					qfd[qtail++ % 1024] = md->fd;
					pthread_cond_signal(&qcv);
					pthread_mutex_unlock(&qlock);
				} else {
					decide(md->fd);
				}
			} else {
				if (md->mask & FAN_CLOSE_WRITE) {
					__atomic_add_fetch(&writes, 1, __ATOMIC_SEQ_CST);
					if (forget)
						fanotify_mark(fan,
						              FAN_MARK_REMOVE | FAN_MARK_IGNORED_MASK,
						              FAN_OPEN_EXEC_PERM, md->fd, NULL);
				}
				close(md->fd);
			}
		}
	}
	return NULL;
}

static int copy_file(const char *from, const char *to)
{
	char b[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, b, sizeof(b))) > 0)
		if (write(out, b, (size_t)n) != n)
			break;
	close(in);
	return close(out);
}

static int append_byte(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, "x", 1) == 1;
	return close(fd) == 0 && ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	pthread_t rt, dt;
	char prog[4096];
	char *args[2];
	long n, i, missed = 0, shown = 0;
	int mount = 0, k;

	if (argc < 3 || (n = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: fanotify_mark_probe DIR N [dir|mount] "
		                "[before|after|none] [forget] [async] [keep]\n");
		return 2;
	}
	mark_when = 1;
	for (k = 3; k < argc; k++) {
		if (!strcmp(argv[k], "mount"))
			mount = 1;
		else if (!strcmp(argv[k], "dir"))
			mount = 0;
		else if (!strcmp(argv[k], "before"))
			mark_when = 1;
		else if (!strcmp(argv[k], "after"))
			mark_when = 2;
		else if (!strcmp(argv[k], "none"))
			mark_when = 0;
		else if (!strcmp(argv[k], "forget"))
			forget = 1;
		else if (!strcmp(argv[k], "async"))
			async_mode = 1;
		else if (!strcmp(argv[k], "keep"))
			keep = 1;
		else {
			fprintf(stderr, "unknown word %s\n", argv[k]);
			return 2;
		}
	}
	snprintf(prog, sizeof(prog), "%s/probe-prog", argv[1]);
	if (copy_file("/bin/true", prog) != 0) {
		perror(prog);
		return 1;
	}
	fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (fan < 0) {
		perror("fanotify_init");
		return 1;
	}
	if (mount ? fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_MOUNT,
	                          FAN_OPEN_EXEC_PERM | FAN_CLOSE_WRITE, AT_FDCWD, argv[1])
	          : fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_ONLYDIR,
	                          FAN_OPEN_EXEC_PERM | FAN_CLOSE_WRITE | FAN_EVENT_ON_CHILD,
	                          AT_FDCWD, argv[1])) {
		perror("fanotify_mark");
		return 1;
	}
	pthread_create(&rt, NULL, reader, NULL);
	if (async_mode)
		pthread_create(&dt, NULL, decider, NULL);
	args[0] = prog;
	args[1] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	for (i = 0; i < n; i++) {
		unsigned long before;
		pid_t pid;
		int st;

		if (append_byte(prog) != 0) {
			perror(prog);
			return 1;
		}
		before = __atomic_load_n(&asked, __ATOMIC_SEQ_CST);
		if (posix_spawn(&pid, prog, &fa, NULL, args, environ) != 0 ||
		    waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) {
			fprintf(stderr, "run %ld failed\n", i);
			return 1;
		}
		if (__atomic_load_n(&asked, __ATOMIC_SEQ_CST) == before) {
			missed++;
			if (shown++ < 10)
				fprintf(stderr, "run %ld was not asked about\n", i);
		}
	}
	quit = 1;
	pthread_cond_broadcast(&qcv);
	pthread_join(rt, NULL);
	if (async_mode)
		pthread_join(dt, NULL);
	unlink(prog);
	printf("asked %lu of %ld executions, %ld missed, %lu writes seen\n", asked, n, missed,
	       writes);
	return 0;
}

/*
 * The execution loop of bench/proc.sh's watch part: runs a program N
 * times, one after another (posix_spawn and waitpid, standard input and
 * output on /dev/null), and prints the elapsed wall time and the CPU time
 * (user and system, of this process and its children: the executions
 * themselves) in seconds. On a shared machine the CPU time is the less
 * noisy of the two: another program's load stretches the wall time.
 * With "append", one byte is appended to the program before each run
 * (a new ctime and size: the watcher's cold case).
 *
 * With "paired" and a second program (a copy of the first in a folder the
 * watcher does not watch), the two are run N times each, interleaved one
 * execution at a time in ABBA order, each execution timed on its own: both
 * arms see the same host at the same moment, so the drift of a shared
 * machine, which swings whole-loop arms by 10 % and more, cancels. Prints
 * for A then B: the sum of the executions' wall times, their median, and
 * the executions' own CPU time (from wait4), in seconds.
 *
 *   spawn_loop N PROGRAM [append]
 *   spawn_loop N PROGRAM_A paired PROGRAM_B
 *
 * Exits 1 when a run cannot be started or does not exit 0.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

extern char **environ;

static double ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One execution of prog: its wall time and its own CPU time (user and
 * system, from wait4). */
static int run_one(const char *prog, posix_spawn_file_actions_t *fa, double *wall, double *cpu)
{
	struct timespec t0, t1;
	struct rusage ru;
	char *args[2] = {(char *)prog, NULL};
	pid_t pid;
	int st, rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = posix_spawn(&pid, prog, fa, NULL, args, environ);
	if (rc != 0) {
		fprintf(stderr, "%s: %s\n", prog, strerror(rc));
		return -1;
	}
	if (wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "%s did not exit 0\n", prog);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*wall = ts_diff(&t0, &t1);
	*cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	return 0;
}

/* The paired mode (see the top of the file). */
static int paired(long n, const char *a, const char *b, posix_spawn_file_actions_t *fa)
{
	double *w[2], sum[2] = {0, 0}, cpu[2] = {0, 0}, wall, c;
	const char *prog[2] = {a, b};
	long i;
	int k, arm;

	w[0] = calloc((size_t)n, sizeof(double));
	w[1] = calloc((size_t)n, sizeof(double));
	if (!w[0] || !w[1]) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < 2; k++) {
			/* A B, then B A: neither always runs first. */
			arm = (i & 1) ? 1 - k : k;
			if (run_one(prog[arm], fa, &wall, &c) != 0)
				return 1;
			w[arm][i] = wall;
			sum[arm] += wall;
			cpu[arm] += c;
		}
	}
	qsort(w[0], (size_t)n, sizeof(double), cmp_double);
	qsort(w[1], (size_t)n, sizeof(double), cmp_double);
	printf("%.4f %.6f %.4f %.4f %.6f %.4f\n", sum[0], w[0][n / 2], cpu[0], sum[1], w[1][n / 2],
	       cpu[1]);
	free(w[0]);
	free(w[1]);
	return 0;
}

static double cpu_seconds(void)
{
	struct rusage self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
	                kids.ru_stime.tv_sec) +
	       (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
	                kids.ru_stime.tv_usec) /
	               1e6;
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
	struct timespec t0, t1;
	char *args[2];
	double cpu0;
	long n, i;
	int append;

	if (argc < 3 || (n = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: spawn_loop N PROGRAM [append | paired PROGRAM_B]\n");
		return 2;
	}
	append = argc > 3 && strcmp(argv[3], "append") == 0;
	args[0] = argv[2];
	args[1] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (argc > 4 && strcmp(argv[3], "paired") == 0)
		return paired(n, argv[2], argv[4], &fa);
	cpu0 = cpu_seconds();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		pid_t pid;
		int st, rc;

		if (append && append_byte(argv[2]) != 0) {
			perror(argv[2]);
			return 1;
		}
		rc = posix_spawn(&pid, argv[2], &fa, NULL, args, environ);
		if (rc != 0) {
			fprintf(stderr, "run %ld: %s: %s\n", i, argv[2], strerror(rc));
			return 1;
		}
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "run %ld: %s did not exit 0\n", i, argv[2]);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	posix_spawn_file_actions_destroy(&fa);
	printf("%.4f %.4f\n",
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       cpu_seconds() - cpu0);
	return 0;
}

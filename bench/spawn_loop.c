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
 *   spawn_loop N PROGRAM [append]
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
#include <sys/wait.h>

extern char **environ;

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
		fprintf(stderr, "usage: spawn_loop N PROGRAM [append]\n");
		return 2;
	}
	append = argc > 3 && strcmp(argv[3], "append") == 0;
	args[0] = argv[2];
	args[1] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
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

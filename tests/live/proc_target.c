/*
 * A benign stand-in for a trojanized running program, for the process
 * and watch tests (tests/unit/test_proc.c, docs/live-host.md). It never
 * does anything but hold what the tests look for:
 *
 *   proc_target [marker] [connect ADDR PORT]
 *
 * "marker" builds the test YARA string in heap memory at run time (the
 * executable holds it only XOR-masked, so only a memory scan sees it);
 * "connect" opens a TCP connection to ADDR:PORT (the tests listen on a
 * loopback address). It prints "ready" and waits until its standard input
 * is closed. Built twice: the twin (-DCS_TARGET_TWIN) differs in bytes,
 * so in hash.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef CS_TARGET_TWIN
static const char variant[] = "twin";
#else
static const char variant[] = "listed";
#endif

/* "CHAINSWEEP-BENIGN-LIVE-MEMORY-MARKER", each byte XOR 0x5a. */
static const unsigned char masked[] = {0x19, 0x12, 0x1b, 0x13, 0x14, 0x09, 0x0d, 0x1f, 0x1f,
                                       0x0a, 0x77, 0x18, 0x1f, 0x14, 0x13, 0x1d, 0x14, 0x77,
                                       0x16, 0x13, 0x0c, 0x1f, 0x77, 0x17, 0x1f, 0x17, 0x15,
                                       0x08, 0x03, 0x77, 0x17, 0x1b, 0x08, 0x11, 0x1f, 0x08};

int main(int argc, char **argv)
{
	char *marker = NULL, c;
	int i, fd = -1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "marker") == 0) {
			size_t k;

			marker = malloc(sizeof(masked) + 1);
			if (!marker)
				return 2;
			for (k = 0; k < sizeof(masked); k++)
				marker[k] = (char)(masked[k] ^ 0x5a);
			marker[sizeof(masked)] = '\0';
		} else if (strcmp(argv[i], "connect") == 0 && i + 2 < argc) {
			struct sockaddr_in sa;

			memset(&sa, 0, sizeof(sa));
			sa.sin_family = AF_INET;
			sa.sin_port = htons((unsigned short)atoi(argv[i + 2]));
			if (inet_pton(AF_INET, argv[i + 1], &sa.sin_addr) != 1)
				return 2;
			fd = socket(AF_INET, SOCK_STREAM, 0);
			if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
				return 3;
			i += 2;
		}
	}
	printf("ready %s\n", variant);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	if (marker)
		puts(marker + sizeof(masked)); /* keeps the buffer live until here */
	free(marker);
	if (fd >= 0)
		close(fd);
	return 0;
}

/*
 * libevtx used as a library, for bench/evtx.sh: every record of the files
 * named is read, in one of two ways: "xml" renders each record's XML (what
 * a reader needs to know which value is which field: libevtx gives the
 * event data as unnamed strings otherwise), "strings" takes the event id,
 * computer name and the unnamed strings only (its cheapest full read).
 * Prints the number of records read.
 *
 *   cc -O2 bench/evtx_libevtx.c $(pkg-config --cflags --libs libevtx)
 *   ./a.out xml|strings FILE...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libevtx.h>

int main(int argc, char **argv)
{
	int xml, k;
	unsigned long long n = 0;
	static uint8_t buf[1 << 20];

	if (argc < 3)
		return 2;
	xml = strcmp(argv[1], "xml") == 0;
	for (k = 2; k < argc; k++) {
		libevtx_file_t *f = NULL;
		int nrec = 0, i;

		if (libevtx_file_initialize(&f, NULL) != 1 ||
		    libevtx_file_open(f, argv[k], LIBEVTX_OPEN_READ, NULL) != 1 ||
		    libevtx_file_get_number_of_records(f, &nrec, NULL) != 1) {
			fprintf(stderr, "%s: cannot open\n", argv[k]);
			libevtx_file_free(&f, NULL);
			continue;
		}
		for (i = 0; i < nrec; i++) {
			libevtx_record_t *r = NULL;
			uint32_t id;
			int ns = 0, s;

			if (libevtx_file_get_record_by_index(f, i, &r, NULL) != 1)
				continue;
			if (xml) {
				if (libevtx_record_get_utf8_xml_string(r, buf, sizeof(buf), NULL) ==
				    1)
					n++;
			} else {
				libevtx_record_get_event_identifier(r, &id, NULL);
				libevtx_record_get_utf8_computer_name(r, buf, sizeof(buf), NULL);
				if (libevtx_record_get_number_of_strings(r, &ns, NULL) == 1)
					for (s = 0; s < ns; s++)
						libevtx_record_get_utf8_string(r, s, buf,
						                               sizeof(buf), NULL);
				n++;
			}
			libevtx_record_free(&r, NULL);
		}
		libevtx_file_close(f, NULL);
		libevtx_file_free(&f, NULL);
	}
	printf("%llu\n", n);
	return 0;
}

/*
 * The one helper every consumer of structured events needs.
 */
#include <string.h>

#include "chainsweep/event.h"

const struct cs_event_field *cs_event_get(const struct cs_event *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->nfields; i++)
		if (strcmp(e->fields[i].name, name) == 0)
			return &e->fields[i];
	return NULL;
}

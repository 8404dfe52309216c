/*
 * libyara glue shared by the import (read_yara.c) and the matchers
 * (lib/match): the externals we declare, and compiled rules to and from
 * bytes, the form the compiled-rules cache keeps.
 */
#include <stdlib.h>
#include <string.h>

#include "intel/yara_int.h"

const char *const cs__yara_external_names[] = {"filename", "filepath", "extension", "filetype",
                                              "owner", NULL};

int cs__yara_externals(YR_COMPILER *c)
{
	size_t k;
	int rc = ERROR_SUCCESS;

	for (k = 0; cs__yara_external_names[k] && rc == ERROR_SUCCESS; k++)
		rc = yr_compiler_define_string_variable(c, cs__yara_external_names[k], "");
	return rc;
}

/* libyara streams over memory: compiled rules go to and come from the
 * cache through these. */
struct mstream {
	unsigned char *p;
	size_t len, cap, pos;
	int nomem;
};

static size_t ms_write(const void *ptr, size_t size, size_t count, void *ud)
{
	struct mstream *s = ud;
	size_t n = size * count;

	if (size && n / size != count)
		return 0;
	if (cs__grow((void **)&s->p, &s->cap, s->len + n, 1)) {
		s->nomem = 1;
		return 0;
	}
	memcpy(s->p + s->len, ptr, n);
	s->len += n;
	return count;
}

static size_t ms_read(void *ptr, size_t size, size_t count, void *ud)
{
	struct mstream *s = ud;
	size_t n;

	if (!size)
		return 0;
	n = (s->len - s->pos) / size;
	if (n > count)
		n = count;
	memcpy(ptr, s->p + s->pos, n * size);
	s->pos += n * size;
	return n;
}

int cs__yara_save(YR_RULES *rules, unsigned char **out, size_t *len)
{
	struct mstream ms;
	YR_STREAM st;

	memset(&ms, 0, sizeof(ms));
	st.user_data = &ms;
	st.read = ms_read;
	st.write = ms_write;
	if (yr_rules_save_stream(rules, &st) != ERROR_SUCCESS || ms.nomem) {
		free(ms.p);
		return ms.nomem ? CS_ERR_NOMEM : CS_ERR_IO;
	}
	*out = ms.p;
	*len = ms.len;
	return CS_OK;
}

int cs__yara_load(const unsigned char *p, size_t len, YR_RULES **out)
{
	struct mstream ms;
	YR_STREAM st;

	memset(&ms, 0, sizeof(ms));
	ms.p = (unsigned char *)p;
	ms.len = len;
	st.user_data = &ms;
	st.read = ms_read;
	st.write = ms_write;
	*out = NULL;
	if (yr_rules_load_stream(&st, out) != ERROR_SUCCESS) {
		*out = NULL;
		return CS_ERR_PARSE;
	}
	return CS_OK;
}

size_t cs__yara_count(YR_RULES *rules)
{
	YR_RULE *rule;
	size_t n = 0;

	yr_rules_foreach(rules, rule)
	{
		n++;
	}
	return n;
}


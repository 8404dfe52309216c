/*
 * Hyperscan, loaded when regex intel or Sigma rules are first compiled
 * (matcher.c, compound.c, sigma.c call these names as usual). libhs is
 * C++ and brings libstdc++: linked, the two cost every chainsweep process
 * about 3 ms of CPU and 5 ms of wall time at start, though hash, name and
 * string intel never reach it. When the library cannot be loaded, a
 * compile answers HS_COMPILER_ERROR with a compile error whose message
 * is the reason, so every regex or rule left out says why in the words
 * its caller already uses; the rest answer HS_UNKNOWN_ERROR (none of
 * them is reached without a database, which only the library makes).
 * Freeing NULL does not load the library.
 */
#include <hs/hs.h>

#include "core/dl_int.h"

#ifndef CS_HS_SONAME
#define CS_HS_SONAME "libhs.so.5"
#endif

/* The compile error of a library that is not there: static, never freed
 * (hs_free_compile_error() below knows it); its message is the loader's
 * reason, written before a failed load is published. */
static hs_compile_error_t missing = {cs__dl_hs.why, -1};

static hs_error_t compile_fail(hs_compile_error_t **err)
{
	if (err)
		*err = &missing;
	return HS_COMPILER_ERROR;
}

#define CS_HS_FUNCS(X, V)                                                                          \
	X(hs_error_t, hs_alloc_scratch, (const hs_database_t *a, hs_scratch_t **b), (a, b),        \
	  HS_UNKNOWN_ERROR)                                                                        \
	X(hs_error_t, hs_clone_scratch, (const hs_scratch_t *a, hs_scratch_t **b), (a, b),         \
	  HS_UNKNOWN_ERROR)                                                                        \
	X(hs_error_t, hs_compile,                                                                  \
	  (const char *a, unsigned int b, unsigned int c, const hs_platform_info_t *d,             \
	   hs_database_t **e, hs_compile_error_t **f),                                             \
	  (a, b, c, d, e, f), compile_fail(f))                                                     \
	X(hs_error_t, hs_compile_lit_multi,                                                        \
	  (const char *const *a, const unsigned *b, const unsigned *c, const size_t *d,            \
	   unsigned e, unsigned f, const hs_platform_info_t *g, hs_database_t **h,                 \
	   hs_compile_error_t **i),                                                                \
	  (a, b, c, d, e, f, g, h, i), compile_fail(i))                                            \
	X(hs_error_t, hs_compile_multi,                                                            \
	  (const char *const *a, const unsigned int *b, const unsigned int *c, unsigned int d,     \
	   unsigned int e, const hs_platform_info_t *f, hs_database_t **g,                         \
	   hs_compile_error_t **h),                                                                \
	  (a, b, c, d, e, f, g, h), compile_fail(h))                                               \
	X(hs_error_t, hs_deserialize_database, (const char *a, const size_t b, hs_database_t **c), \
	  (a, b, c), HS_UNKNOWN_ERROR)                                                             \
	X(hs_error_t, hs_expression_info,                                                          \
	  (const char *a, unsigned int b, hs_expr_info_t **c, hs_compile_error_t **d),             \
	  (a, b, c, d), compile_fail(d))                                                           \
	X(hs_error_t, hs_scan,                                                                     \
	  (const hs_database_t *a, const char *b, unsigned int c, unsigned int d, hs_scratch_t *e, \
	   match_event_handler f, void *g),                                                        \
	  (a, b, c, d, e, f, g), HS_UNKNOWN_ERROR)                                                 \
	X(hs_error_t, hs_serialize_database, (const hs_database_t *a, char **b, size_t *c),        \
	  (a, b, c), HS_UNKNOWN_ERROR)                                                             \
	X(const char *, hs_version, (void), (), "(libhs not loaded)")

#define CS_HS_FREES(F)                                                                             \
	F(hs_free_compile_error, hs_compile_error_t)                                               \
	F(hs_free_database, hs_database_t)                                                         \
	F(hs_free_scratch, hs_scratch_t)
#define IDX_F(name, type)  I_##name,
#define NAME_F(name, type) #name,

enum { CS_HS_FUNCS(CS_DL_IDX_X, CS_DL_IDX_V) CS_HS_FREES(IDX_F) N_HS };

static const char *const hs_names[] = {CS_HS_FUNCS(CS_DL_NAME_X, CS_DL_NAME_V) CS_HS_FREES(NAME_F)};
static void *hs_slots[N_HS];
struct cs__dl cs__dl_hs = CS_DL_INIT(CS_HS_SONAME, hs_names, hs_slots);

#define CS_DL_SELF  cs__dl_hs
#define CS_DL_SLOTS hs_slots
CS_HS_FUNCS(CS_DL_WRAP_X, CS_DL_WRAP_V)

/* Freeing NULL, or the static compile error above, needs no library:
 * matchers without regexes free their (NULL) databases at the end. */
#define WRAP_F(name, type)                                                                         \
	hs_error_t name(type *a)                                                                   \
	{                                                                                          \
		if (!a || (void *)a == (void *)&missing)                                           \
			return HS_SUCCESS;                                                         \
		if (cs__dl_load(&cs__dl_hs) != CS_OK)                                              \
			return HS_UNKNOWN_ERROR;                                                   \
		return ((__typeof__(name) *)hs_slots[I_##name])(a);                                \
	}
CS_HS_FREES(WRAP_F)

/*
 * libyara, loaded when YARA rules are first read, compiled or scanned
 * with (read_yara.c, yara_rules.c, matcher.c, yara_variant.c, object.c,
 * proc.c and the tests call these names as usual). It brings libmagic:
 * linked, the two cost every chainsweep process a few milliseconds of
 * CPU at start, though the log hunt, the reports, the case commands and
 * the fleet never use YARA. yr_initialize() and yr_finalize() stay where
 * they were, at the first rule file read and the matcher's creation and
 * end, not at program start. When the library cannot be loaded, a
 * function answers ERROR_INTERNAL_FATAL_ERROR (or NULL, or nothing); the
 * rule reader and the matcher check cs__dl_load(&cs__dl_yara) first and
 * say why.
 */
#include <yara.h>

#include "core/dl_int.h"

#ifndef CS_YARA_SONAME
#define CS_YARA_SONAME "libyara.so.9"
#endif

#define CS_YARA_FUNCS(X, V)                                                                        \
	X(int, yr_compiler_add_string, (YR_COMPILER * a, const char *b, const char *c), (a, b, c), \
	  ERROR_INTERNAL_FATAL_ERROR)                                                              \
	X(int, yr_compiler_create, (YR_COMPILER * *a), (a), ERROR_INTERNAL_FATAL_ERROR)            \
	X(int, yr_compiler_define_string_variable,                                                 \
	  (YR_COMPILER * a, const char *b, const char *c), (a, b, c), ERROR_INTERNAL_FATAL_ERROR)  \
	V(yr_compiler_destroy, (YR_COMPILER * a), (a))                                             \
	X(int, yr_compiler_get_rules, (YR_COMPILER * a, YR_RULES * *b), (a, b),                    \
	  ERROR_INTERNAL_FATAL_ERROR)                                                              \
	V(yr_compiler_set_callback, (YR_COMPILER * a, YR_COMPILER_CALLBACK_FUNC b, void *c),       \
	  (a, b, c))                                                                               \
	V(yr_compiler_set_include_callback,                                                        \
	  (YR_COMPILER * a, YR_COMPILER_INCLUDE_CALLBACK_FUNC b, YR_COMPILER_INCLUDE_FREE_FUNC c,  \
	   void *d),                                                                               \
	  (a, b, c, d))                                                                            \
	X(int, yr_finalize, (void), (), ERROR_INTERNAL_FATAL_ERROR)                                \
	X(int, yr_initialize, (void), (), ERROR_INTERNAL_FATAL_ERROR)                              \
	X(int, yr_rules_destroy, (YR_RULES * a), (a), ERROR_INTERNAL_FATAL_ERROR)                  \
	X(int, yr_rules_load_stream, (YR_STREAM * a, YR_RULES * *b), (a, b),                       \
	  ERROR_INTERNAL_FATAL_ERROR)                                                              \
	X(int, yr_rules_save_stream, (YR_RULES * a, YR_STREAM * b), (a, b),                        \
	  ERROR_INTERNAL_FATAL_ERROR)                                                              \
	X(int, yr_scanner_create, (YR_RULES * a, YR_SCANNER * *b), (a, b),                         \
	  ERROR_INTERNAL_FATAL_ERROR)                                                              \
	X(int, yr_scanner_define_string_variable, (YR_SCANNER * a, const char *b, const char *c),  \
	  (a, b, c), ERROR_INTERNAL_FATAL_ERROR)                                                   \
	V(yr_scanner_destroy, (YR_SCANNER * a), (a))                                               \
	X(YR_RULE *, yr_scanner_last_error_rule, (YR_SCANNER * a), (a), NULL)                      \
	X(int, yr_scanner_scan_mem, (YR_SCANNER * a, const uint8_t *b, size_t c), (a, b, c),       \
	  ERROR_INTERNAL_FATAL_ERROR)                                                              \
	X(int, yr_scanner_scan_mem_blocks, (YR_SCANNER * a, YR_MEMORY_BLOCK_ITERATOR * b), (a, b), \
	  ERROR_INTERNAL_FATAL_ERROR)                                                              \
	V(yr_scanner_set_callback, (YR_SCANNER * a, YR_CALLBACK_FUNC b, void *c), (a, b, c))       \
	V(yr_scanner_set_flags, (YR_SCANNER * a, int b), (a, b))                                   \
	V(yr_scanner_set_timeout, (YR_SCANNER * a, int b), (a, b))

enum { CS_YARA_FUNCS(CS_DL_IDX_X, CS_DL_IDX_V) N_YARA };

static const char *const yara_names[] = {CS_YARA_FUNCS(CS_DL_NAME_X, CS_DL_NAME_V)};
static void *yara_slots[N_YARA];
struct cs__dl cs__dl_yara = CS_DL_INIT(CS_YARA_SONAME, yara_names, yara_slots);

#define CS_DL_SELF  cs__dl_yara
#define CS_DL_SLOTS yara_slots
CS_YARA_FUNCS(CS_DL_WRAP_X, CS_DL_WRAP_V)

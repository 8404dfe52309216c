/*
 * One option table per command (cli/opts.c).
 *
 * Each command describes its options once, in a static table of struct
 * cli_opt that says where each value goes (an offset into the command's
 * own argument struct), what it takes and what it is for. From that one
 * table come the parsing (long options with a separate or "=" value,
 * short flags, "--" to end the options, the global options anywhere),
 * the unknown-option and bad-value errors (exit 2, naming the option and
 * the command's --help), `--help`, the bash and zsh completion scripts,
 * the man page and docs/cli.md. Nothing about an option is written twice.
 */
#ifndef CS_CLI_OPTS_H
#define CS_CLI_OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cli_opt_kind {
	CLI_OPT_FLAG,     /* int: set to .set (1 when .set is 0) */
	CLI_OPT_STR,      /* const char *: the last value given */
	CLI_OPT_LIST,     /* struct cli_list: every value, in order */
	CLI_OPT_UNSIGNED, /* unsigned: a whole number in [min, max] */
	CLI_OPT_INT,      /* int: a whole number in [min, max] */
	CLI_OPT_U64,      /* uint64_t: a whole number in [min, max] */
	CLI_OPT_SIZE,     /* uint64_t: a size with an optional K, M, G or T */
	CLI_OPT_SECONDS,  /* double: a positive number at most .max */
	CLI_OPT_TIME,     /* int64_t: epoch milliseconds from ISO 8601 or epoch seconds */
	CLI_OPT_CHOICE,   /* const char *: one of .choices */
	CLI_OPT_FUNC      /* .parse(option, value, target): 0 or -1 (after printing) */
};

/* What a value names, for shell completion. */
enum cli_complete { CLI_C_NONE, CLI_C_FILE, CLI_C_DIR };

struct cli_opt {
	const char *name; /* long name without the dashes */
	char short_name;  /* or 0 */
	enum cli_opt_kind kind;
	size_t off;       /* of the target in the command's argument struct */
	const char *arg;  /* the value's name in help ("SECONDS", "FILE|DIR") */
	const char *help; /* what it does; may hold '\n' */
	uint64_t min, max;
	int set;                     /* CLI_OPT_FLAG: the value stored (0 means 1) */
	const char *const *choices;  /* CLI_OPT_CHOICE, NULL-terminated */
	int (*parse)(const char *opt, const char *val, void *target);
	enum cli_complete complete;
};

/* The values of a repeatable option, or the positional arguments. */
struct cli_list {
	const char **v;
	size_t n, cap;
};

struct cli_global;

/*
 * A command. `args_size` bytes at the argument struct hold every target;
 * `pos_off` is the offset of its struct cli_list of positional arguments,
 * named `pos_name` in help, at least `min_pos` and at most `max_pos`
 * (SIZE_MAX: any number) of them.
 */
struct cli_command {
	const char *name;    /* "scan files" */
	const char *summary; /* one line, for the command list */
	const char *description;
	const char *pos_name; /* "PATH..." or NULL for none */
	size_t pos_off;
	size_t min_pos, max_pos;
	enum cli_complete pos_complete;
	const struct cli_opt *opts; /* terminated by an entry with name NULL */
	const char *exit_status;    /* NULL: the usual 0/1/2/3 text */
	void (*init)(void *args); /* defaults, or NULL (all zero) */
	int (*run)(void *args, struct cli_global *g);
	size_t args_size;
};

/* Parse and run command c on argv[0..argc) (argv[0] its last word);
 * the exit status. */
int cli_run_command(const struct cli_command *c, int argc, char **argv, struct cli_global *g);
/* A global option at argv[*i] (before the command): 1 taken, -1 error
 * (printed; also for an unknown option). */
int cli_global_parse(int argc, char **argv, int *i, struct cli_global *g);

/* A CLI_OPT_FUNC parser for a string option that may be given once. */
int cli_opt_once(const char *opt, const char *val, void *target);

/* The options of the process sweep that `scan processes` and `sweep`
 * share, for an argument struct T whose member M is a struct cs_proc_opts. */
#define CLI_PROC_OPTS(T, M)                                                                   \
	{.name = "proc-max-bytes", .kind = CLI_OPT_SIZE, .off = offsetof(T, M.max_bytes),       \
	 .arg = "SIZE", .min = 4096, .max = UINT64_MAX,                                         \
	 .help = "process memory read for YARA per process (default 256M)"},                   \
	        {.name = "proc-time-limit", .kind = CLI_OPT_SECONDS,                             \
	         .off = offsetof(T, M.max_seconds), .arg = "SECONDS", .max = 86400,              \
	         .help = "memory scan time per process (default 30)"},                          \
	        {.name = "no-memory", .kind = CLI_OPT_FLAG, .off = offsetof(T, M.no_memory),    \
	         .help = "no YARA over process memory"},                                         \
	        {.name = "no-sockets", .kind = CLI_OPT_FLAG, .off = offsetof(T, M.no_sockets),  \
	         .help = "no connections matched against the intel's addresses"}

/* Every command, for help, completion and the man page (main.c). */
extern const struct cli_command *const cli_commands[];

/*
 * Parse argv[1..argc) (argv[0] is the command's last word) into `args`
 * (zeroed by the caller, defaults set) and the global options into g.
 * Returns 0 to run, 1 when --help was printed (exit 0), -1 after printing
 * an error (exit 2).
 */
int cli_parse(const struct cli_command *c, int argc, char **argv, struct cli_global *g,
              void *args);
/* Free the lists cli_parse() filled. */
void cli_parse_release(const struct cli_command *c, void *args);

/* `--help` of a command. */
void cli_command_help(const struct cli_command *c, FILE *f);
/* The commands of a group ("intel", "scan"), each with its usage line. */
void cli_group_help(const char *group, FILE *f);
/* The top-level help: the commands and the global options. */
void cli_main_help(FILE *f);

/* Generated documents: "bash", "zsh", "man", "markdown"; -1 for another. */
int cli_generate(const char *what, FILE *f);
/* Every option as "COMMAND\t--NAME" lines ("-" for the global ones). */
void cli_list_options(FILE *f);

#endif /* CS_CLI_OPTS_H */

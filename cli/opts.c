/*
 * Option tables: parsing, help and the generated documents (cli/opts.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainsweep/fleet_pg.h"
#include "cli.h"
#include "opts.h"

static const struct cli_opt global_opts[] = {
        {.name = "db", .kind = CLI_OPT_STR, .off = offsetof(struct cli_global, db), .arg = "PATH",
         .complete = CLI_C_FILE,
         .help = "the case database (default $CHAINSWEEP_DB, else\n"
                 "$XDG_DATA_HOME/chainsweep/case.db or ~/.local/share/chainsweep/case.db);\n"
                 "a postgresql:// URI: the fleet's case, read-only (docs/fleet.md)"},
        {.name = "json", .kind = CLI_OPT_FLAG, .off = offsetof(struct cli_global, json),
         .help = "machine-readable output: JSON Lines only, each with a \"record\" key\n"
                 "(docs/findings-schema.md)"},
        {.name = "quiet", .short_name = 'q', .kind = CLI_OPT_FLAG,
         .off = offsetof(struct cli_global, quiet), .help = "no per-file notes"},
        {.name = "verbose", .short_name = 'v', .kind = CLI_OPT_FLAG,
         .off = offsetof(struct cli_global, verbose),
         .help = "every diagnostic, not only the first per file"},
        {.name = "no-cache", .kind = CLI_OPT_FLAG, .off = offsetof(struct cli_global, no_cache),
         .help = "compile YARA rules and regexes every time, and load the case's intel\n"
                 "before a log hunt, without the cache\n"
                 "($CHAINSWEEP_CACHE_DIR, else $XDG_CACHE_HOME/chainsweep or ~/.cache/chainsweep)"},
        {.name = "no-yara-variants", .kind = CLI_OPT_FLAG,
         .off = offsetof(struct cli_global, no_yara_variants),
         .help = "scan every file with every YARA rule (by default a file is scanned\n"
                 "without the rules whose header test or size bound it fails:\n"
                 "docs/yara-variants.md)"},
        {.name = "allow-slow-rules", .kind = CLI_OPT_FLAG,
         .off = offsetof(struct cli_global, allow_slow_rules),
         .help = "keep YARA rule files with a string libyara says may slow down scanning\n"
                 "(by default such a file is left out and reported)"},
        {.name = "yara-variant-bytes", .kind = CLI_OPT_SIZE,
         .off = offsetof(struct cli_global, yara_variant_bytes), .arg = "SIZE", .min = 1,
         .max = UINT64_MAX,
         .help = "compile a YARA variant once this many bytes of files need it\n"
                 "(default 32M)"},
        {.name = NULL},
};

static const char default_exit[] =
        "0 nothing found (or success), 1 findings, 2 error, 3 nothing found but some\n"
        "input or intel could not be read or used to its end (a time limit, an\n"
        "interrupt, unreadable files): never a clean 0.";

/* ---- parsing ---- */

static const struct cli_opt *find_long(const struct cli_opt *t, const char *name, size_t n)
{
	for (; t->name; t++)
		if (strlen(t->name) == n && memcmp(t->name, name, n) == 0)
			return t;
	return NULL;
}

static const struct cli_opt *find_short(const struct cli_opt *t, char c)
{
	for (; t->name; t++)
		if (t->short_name && t->short_name == c)
			return t;
	return NULL;
}

static int list_add(struct cli_list *l, const char *v)
{
	if (l->n == l->cap) {
		size_t c = l->cap ? 2 * l->cap : 8;
		const char **nv = realloc(l->v, c * sizeof(*nv));

		if (!nv) {
			cli_err("out of memory");
			return -1;
		}
		l->v = nv;
		l->cap = c;
	}
	l->v[l->n++] = v;
	return 0;
}

/* Store `val` (NULL for a flag) into the option's target. */
static int set_value(const struct cli_opt *o, const char *shown, const char *val, char *base)
{
	void *t = base + o->off;
	uint64_t v;
	double d;

	switch (o->kind) {
	case CLI_OPT_FLAG:
		*(int *)t = o->set ? o->set : 1;
		return 0;
	case CLI_OPT_STR:
		*(const char **)t = val;
		return 0;
	case CLI_OPT_LIST:
		return list_add(t, val);
	case CLI_OPT_UNSIGNED:
		if (cli_opt_uint(shown, val, o->min, o->max, &v))
			return -1;
		*(unsigned *)t = (unsigned)v;
		return 0;
	case CLI_OPT_INT:
		if (cli_opt_uint(shown, val, o->min, o->max, &v))
			return -1;
		*(int *)t = (int)v;
		return 0;
	case CLI_OPT_U64:
		return cli_opt_uint(shown, val, o->min, o->max, t);
	case CLI_OPT_SIZE:
		return cli_opt_size(shown, val, o->min, o->max, t);
	case CLI_OPT_SECONDS:
		if (cli_opt_positive(shown, val, o->max ? (double)o->max : 1e12, &d))
			return -1;
		*(double *)t = d;
		return 0;
	case CLI_OPT_TIME:
		if (cli_parse_when(val, t)) {
			cli_err("%s: '%s' is not a time (ISO 8601, such as 2023-03-29T12:00:00Z, "
			        "or epoch seconds)",
			        shown, cli_safe(val));
			return -1;
		}
		return 0;
	case CLI_OPT_CHOICE: {
		const char *const *c;
		char buf[512];
		size_t n = 0;

		for (c = o->choices; *c; c++)
			if (strcmp(*c, val) == 0) {
				*(const char **)t = *c;
				return 0;
			}
		buf[0] = '\0';
		for (c = o->choices; *c && n < sizeof(buf) - 64; c++)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? ", " : "", *c);
		cli_err("%s: '%s' is not one of %s", shown, cli_safe(val), buf);
		return -1;
	}
	case CLI_OPT_FUNC:
		return o->parse(shown, val, t);
	}
	return -1;
}

int cli_opt_once(const char *opt, const char *val, void *target)
{
	if (*(const char **)target) {
		cli_err("%s is given once", opt);
		return -1;
	}
	*(const char **)target = val;
	return 0;
}

static void hint(const struct cli_command *c)
{
	fprintf(stderr, "(chainsweep %s --help lists the options)\n", c->name);
}

/* One option at argv[*i]: 1 taken, 0 not an option of table `t`, -1 error. */
static int take(const struct cli_opt *t, int argc, char **argv, int *i, char *base)
{
	const char *a = argv[*i], *eq, *val = NULL;
	const struct cli_opt *o;
	char shown[128];

	if (a[1] == '-') {
		eq = strchr(a + 2, '=');
		o = find_long(t, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
		if (!o)
			return 0;
		snprintf(shown, sizeof(shown), "--%s", o->name);
		if (o->kind == CLI_OPT_FLAG) {
			if (eq) {
				cli_err("%s takes no value", shown);
				return -1;
			}
		} else if (eq) {
			val = eq + 1;
		} else if (*i + 1 < argc) {
			val = argv[++*i];
		} else {
			cli_err("%s needs a value (%s)", shown, o->arg ? o->arg : "VALUE");
			return -1;
		}
	} else {
		if (a[2] != '\0')
			return 0;
		o = find_short(t, a[1]);
		if (!o)
			return 0;
		snprintf(shown, sizeof(shown), "-%c", o->short_name);
		if (o->kind != CLI_OPT_FLAG) {
			if (*i + 1 >= argc) {
				cli_err("%s needs a value (%s)", shown, o->arg ? o->arg : "VALUE");
				return -1;
			}
			val = argv[++*i];
		}
	}
	return set_value(o, shown, val, base) ? -1 : 1;
}

int cli_parse(const struct cli_command *c, int argc, char **argv, struct cli_global *g,
              void *args)
{
	struct cli_list *pos = (struct cli_list *)((char *)args + c->pos_off);
	int i, r, only_pos = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (only_pos || a[0] != '-' || a[1] == '\0') {
			if (!c->pos_name) {
				cli_err("%s: unexpected argument '%s'", c->name, cli_safe(a));
				hint(c);
				return -1;
			}
			if (list_add(pos, a))
				return -1;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			cli_command_help(c, stdout);
			return 1;
		}
		r = take(c->opts, argc, argv, &i, args);
		if (r == 0)
			r = take(global_opts, argc, argv, &i, (char *)g);
		if (r < 0)
			return -1;
		if (r == 0) {
			cli_err("%s: unknown option '%s'", c->name, cli_safe(a));
			hint(c);
			return -1;
		}
	}
	if (c->pos_name && (pos->n < c->min_pos || pos->n > c->max_pos)) {
		if (pos->n < c->min_pos)
			cli_err("%s: %s missing", c->name, c->pos_name);
		else
			cli_err("%s: too many arguments (%s)", c->name, c->pos_name);
		fprintf(stderr, "usage: chainsweep %s [options] %s\n", c->name, c->pos_name);
		hint(c);
		return -1;
	}
	return 0;
}

int cli_global_parse(int argc, char **argv, int *i, struct cli_global *g)
{
	int r = take(global_opts, argc, argv, i, (char *)g);

	if (r == 0)
		cli_err("unknown option '%s' (chainsweep --help lists them)", cli_safe(argv[*i]));
	return r;
}

int cli_run_command(const struct cli_command *c, int argc, char **argv, struct cli_global *g)
{
	void *args = calloc(1, c->args_size);
	int r, rc = CS_EXIT_ERROR;

	if (!args) {
		cli_err("out of memory");
		return CS_EXIT_ERROR;
	}
	if (c->init)
		c->init(args);
	r = cli_parse(c, argc, argv, g, args);
	if (r == 0 && cs_fleet_pg_is_uri(g->db))
		rc = cli_fleet_db_run(c, args, g);
	else if (r == 0)
		rc = c->run(args, g);
	else if (r == 1)
		rc = CS_EXIT_OK;
	cli_parse_release(c, args);
	free(args);
	return rc;
}

void cli_parse_release(const struct cli_command *c, void *args)
{
	const struct cli_opt *o;

	for (o = c->opts; o->name; o++)
		if (o->kind == CLI_OPT_LIST)
			free(((struct cli_list *)((char *)args + o->off))->v);
	if (c->pos_name)
		free(((struct cli_list *)((char *)args + c->pos_off))->v);
}

/* ---- help ---- */

static void opt_head(const struct cli_opt *o, char *buf, size_t len)
{
	int n = 0;

	if (o->short_name)
		n = snprintf(buf, len, "-%c, ", o->short_name);
	snprintf(buf + n, len - (size_t)n, "--%s%s%s%s", o->name, o->arg ? " " : "",
	         o->arg ? o->arg : "", o->kind == CLI_OPT_LIST ? "..." : "");
}

#define HELP_WIDTH 79

/* Text reflowed (its line breaks are only spaces) into lines of at most
 * HELP_WIDTH columns, starting at column `col`, later lines indented by
 * `ind`. A word longer than a line stands alone. */
static void indented(FILE *f, const char *s, int ind, int col)
{
	while (*s) {
		size_t w;

		while (*s == ' ' || *s == '\n')
			s++;
		if (!*s)
			break;
		w = strcspn(s, " \n");
		if (col > ind && col + 1 + (int)w > HELP_WIDTH) {
			fprintf(f, "\n%*s", ind, "");
			col = ind;
		} else if (col > ind) {
			fputc(' ', f);
			col++;
		}
		fwrite(s, 1, w, f);
		col += (int)w;
		s += w;
	}
}

static void opts_help(FILE *f, const struct cli_opt *o)
{
	char head[128];

	for (; o->name; o++) {
		opt_head(o, head, sizeof(head));
		if (strlen(head) > 24)
			fprintf(f, "  %s\n%28s", head, "");
		else
			fprintf(f, "  %-24s  ", head);
		indented(f, o->help, 28, 28);
		fputc('\n', f);
	}
}

void cli_command_help(const struct cli_command *c, FILE *f)
{
	fprintf(f, "usage: chainsweep %s [options]%s%s\n\n", c->name, c->pos_name ? " " : "",
	        c->pos_name ? c->pos_name : "");
	indented(f, c->description ? c->description : c->summary, 0, 0);
	fputc('\n', f);
	if (c->opts->name) {
		fputs("\noptions:\n", f);
		opts_help(f, c->opts);
	}
	fputs("\nglobal options (any command): --db PATH, --json, --quiet, --verbose,\n"
	      "--no-cache, --no-yara-variants, --allow-slow-rules, --yara-variant-bytes SIZE\n"
	      "(chainsweep --help)\n",
	      f);
	fputs("\nexit status: ", f);
	indented(f, c->exit_status ? c->exit_status : default_exit, 0, 13);
	fputc('\n', f);
}

void cli_group_help(const char *group, FILE *f)
{
	size_t i, n = strlen(group);

	fprintf(f, "usage: chainsweep %s COMMAND [options] ...\n\ncommands:\n", group);
	for (i = 0; cli_commands[i]; i++) {
		const struct cli_command *c = cli_commands[i];

		if (strncmp(c->name, group, n) != 0 || c->name[n] != ' ')
			continue;
		fprintf(f, "\nusage: chainsweep %s [options]%s%s\n    ", c->name,
		        c->pos_name ? " " : "", c->pos_name ? c->pos_name : "");
		indented(f, c->summary, 4, 4);
		fputc('\n', f);
	}
	fprintf(f, "\n(chainsweep %s COMMAND --help for a command's options)\n", group);
}

void cli_main_help(FILE *f)
{
	size_t i;

	fputs("usage: chainsweep [global options] COMMAND [options] ...\n"
	      "\n"
	      "Turns published threat intel into answers on this host.\n"
	      "\n"
	      "commands:\n",
	      f);
	for (i = 0; cli_commands[i]; i++) {
		const struct cli_command *c = cli_commands[i];

		if (strlen(c->name) > 18)
			fprintf(f, "  %s\n%22s", c->name, "");
		else
			fprintf(f, "  %-18s  ", c->name);
		indented(f, c->summary, 22, 22);
		fputc('\n', f);
	}
	fputs("  version               print the version\n"
	      "  help [COMMAND]        this text, or a command's options\n"
	      "  completion bash|zsh   a shell completion script\n"
	      "  man                   the manual page (roff)\n"
	      "\nglobal options:\n",
	      f);
	opts_help(f, global_opts);
	fputs("\nexit status: ", f);
	indented(f, default_exit, 0, 13);
	fputc('\n', f);
}

void cli_list_options(FILE *f)
{
	const struct cli_opt *o;
	size_t i;

	for (o = global_opts; o->name; o++)
		fprintf(f, "-\t--%s\n", o->name);
	for (i = 0; cli_commands[i]; i++)
		for (o = cli_commands[i]->opts; o->name; o++)
			fprintf(f, "%s\t--%s\n", cli_commands[i]->name, o->name);
}

/* ---- generated documents ---- */

static const char *const extra_words[] = {"version", "help", "completion", "man", NULL};

static void bash_opts(FILE *f, const struct cli_opt *o)
{
	for (; o->name; o++)
		fprintf(f, " --%s", o->name);
}

/* Options whose value is a file or a folder, as a bash case pattern. */
static void bash_valued(FILE *f, const struct cli_opt *o, int want_kind, int *any)
{
	for (; o->name; o++) {
		if (o->kind == CLI_OPT_FLAG)
			continue;
		if (want_kind == -2 || (want_kind == -1 && o->complete == CLI_C_NONE) ||
		    (want_kind >= 0 && (int)o->complete == want_kind)) {
			fprintf(f, "%s--%s", *any ? "|" : "", o->name);
			*any = 1;
		}
	}
}

static void gen_bash(FILE *f)
{
	size_t i;
	int k;

	fputs("# bash completion for chainsweep (generated: chainsweep completion bash)\n"
	      "_chainsweep() {\n"
	      "\tlocal cur prev cmd i w\n"
	      "\tcur=${COMP_WORDS[COMP_CWORD]}\n"
	      "\tprev=${COMP_WORDS[COMP_CWORD-1]}\n"
	      "\tcmd=\n"
	      "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	      "\t\tw=${COMP_WORDS[i]}\n"
	      "\t\tcase $w in\n\t\t",
	      f);
	{
		int any = 0;

		for (i = 0; cli_commands[i]; i++)
			bash_valued(f, cli_commands[i]->opts, -2, &any);
		bash_valued(f, global_opts, -2, &any);
		fputs(") ((i++)); continue ;;\n", f);
	}
	fputs("\t\t-*) continue ;;\n\t\tesac\n"
	      "\t\tcase \"$cmd $w\" in\n",
	      f);
	/* Two-word commands first, then one-word ones. */
	for (i = 0; cli_commands[i]; i++) {
		const char *sp = strchr(cli_commands[i]->name, ' ');

		if (sp)
			fprintf(f, "\t\t\"%s\") cmd=\"%s\" ;;\n", cli_commands[i]->name,
			        cli_commands[i]->name);
	}
	fputs("\t\t*)\n\t\t\tif [ -z \"$cmd\" ]; then cmd=$w; fi ;;\n\t\tesac\n\tdone\n", f);
	fputs("\tcase $prev in\n", f);
	for (k = 0; k < 3; k++) {
		int any = 0;
		for (i = 0; cli_commands[i]; i++)
			bash_valued(f, cli_commands[i]->opts, k == 2 ? -1 : k == 0 ? CLI_C_FILE : CLI_C_DIR,
			            &any);
		bash_valued(f, global_opts, k == 2 ? -1 : k == 0 ? CLI_C_FILE : CLI_C_DIR, &any);
		if (!any)
			continue;
		if (k == 0)
			fputs(") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n", f);
		else if (k == 1)
			fputs(") COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n", f);
		else
			fputs(") return ;;\n", f);
	}
	fputs("\tesac\n\tcase $cmd in\n\t\"\")\n\t\tCOMPREPLY=($(compgen -W \"", f);
	for (i = 0; cli_commands[i]; i++) {
		const char *sp = strchr(cli_commands[i]->name, ' ');
		size_t j, n = sp ? (size_t)(sp - cli_commands[i]->name) : strlen(cli_commands[i]->name);
		int dup = 0;

		for (j = 0; j < i; j++)
			if (strncmp(cli_commands[j]->name, cli_commands[i]->name, n) == 0 &&
			    (cli_commands[j]->name[n] == ' ' || cli_commands[j]->name[n] == '\0'))
				dup = 1;
		if (!dup)
			fprintf(f, "%.*s ", (int)n, cli_commands[i]->name);
	}
	for (i = 0; extra_words[i]; i++)
		fprintf(f, "%s ", extra_words[i]);
	bash_opts(f, global_opts);
	fputs("\" -- \"$cur\")) ;;\n", f);
	/* The second word of two-word commands. */
	for (i = 0; cli_commands[i]; i++) {
		const char *sp = strchr(cli_commands[i]->name, ' ');
		size_t j;

		if (!sp || (i && strncmp(cli_commands[i - 1]->name, cli_commands[i]->name,
		                         (size_t)(sp - cli_commands[i]->name) + 1) == 0))
			continue;
		fprintf(f, "\t%.*s)\n\t\tCOMPREPLY=($(compgen -W \"",
		        (int)(sp - cli_commands[i]->name), cli_commands[i]->name);
		for (j = i; cli_commands[j] && strncmp(cli_commands[j]->name, cli_commands[i]->name,
		                                       (size_t)(sp - cli_commands[i]->name) + 1) == 0;
		     j++)
			fprintf(f, "%s ", cli_commands[j]->name + (sp - cli_commands[i]->name) + 1);
		fputs("\" -- \"$cur\")) ;;\n", f);
	}
	for (i = 0; cli_commands[i]; i++) {
		const struct cli_command *c = cli_commands[i];

		fprintf(f, "\t\"%s\")\n\t\tif [[ $cur == -* ]]; then\n\t\t\tCOMPREPLY=($(compgen -W \"--help",
		        c->name);
		bash_opts(f, c->opts);
		bash_opts(f, global_opts);
		fputs("\" -- \"$cur\"))\n", f);
		if (c->pos_name && c->pos_complete != CLI_C_NONE)
			fprintf(f, "\t\telse\n\t\t\tCOMPREPLY=($(compgen -%c -- \"$cur\"))\n",
			        c->pos_complete == CLI_C_DIR ? 'd' : 'f');
		fputs("\t\tfi ;;\n", f);
	}
	fputs("\tesac\n}\ncomplete -o filenames -F _chainsweep chainsweep\n", f);
}

/* A zsh _arguments spec's description: no ':', '[' or ']'. */
static void zsh_text(FILE *f, const char *s)
{
	size_t n = 0;

	for (; *s && n < 72; s++, n++) {
		/* Cut at a word's end once the text is long enough. */
		if (n > 56 && (*s == ' ' || *s == '\n'))
			break;
		fputc(*s == ':' || *s == '[' || *s == ']' || *s == '\'' || *s == '\n' ? ' ' : *s, f);
	}
}

static void zsh_specs(FILE *f, const struct cli_opt *o)
{
	for (; o->name; o++) {
		fprintf(f, "\t\t'%s--%s%s[", o->kind == CLI_OPT_LIST ? "*" : "", o->name,
		        o->kind == CLI_OPT_FLAG ? "" : "=");
		zsh_text(f, o->help);
		fputc(']', f);
		if (o->kind != CLI_OPT_FLAG)
			fprintf(f, ":%s:%s", o->arg ? o->arg : "value",
			        o->complete == CLI_C_FILE  ? "_files"
			        : o->complete == CLI_C_DIR ? "_files -/"
			                                   : " ");
		fputs("' \\\n", f);
	}
}

static void gen_zsh(FILE *f)
{
	size_t i;

	fputs("#compdef chainsweep\n"
	      "# zsh completion for chainsweep (generated: chainsweep completion zsh)\n"
	      "_chainsweep() {\n"
	      "\tlocal -a words2\n"
	      "\tlocal cmd=${words[2]}\n"
	      "\tlocal two=\"${words[2]} ${words[3]}\"\n"
	      "\tif (( CURRENT == 2 )); then\n"
	      "\t\t_values command",
	      f);
	for (i = 0; cli_commands[i]; i++) {
		const char *sp = strchr(cli_commands[i]->name, ' ');
		size_t n = sp ? (size_t)(sp - cli_commands[i]->name) : strlen(cli_commands[i]->name);

		if (i && strncmp(cli_commands[i - 1]->name, cli_commands[i]->name, n) == 0 &&
		    (cli_commands[i - 1]->name[n] == ' ' || cli_commands[i - 1]->name[n] == '\0'))
			continue;
		fprintf(f, " '%.*s'", (int)n, cli_commands[i]->name);
	}
	for (i = 0; extra_words[i]; i++)
		fprintf(f, " '%s'", extra_words[i]);
	fputs("\n\t\treturn\n\tfi\n\tcase $two in\n", f);
	for (i = 0; cli_commands[i]; i++) {
		const struct cli_command *c = cli_commands[i];

		if (!strchr(c->name, ' '))
			continue;
		fprintf(f, "\t\"%s\")\n\t\tshift 2 words; (( CURRENT -= 2 ))\n\t\t_arguments -s \\\n",
		        c->name);
		zsh_specs(f, c->opts);
		zsh_specs(f, global_opts);
		fprintf(f, "\t\t'*:%s:%s'\n\t\treturn ;;\n", c->pos_name ? c->pos_name : "argument",
		        c->pos_complete == CLI_C_DIR ? "_files -/" : "_files");
	}
	fputs("\tesac\n\tif (( CURRENT == 3 )); then\n\t\tcase $cmd in\n", f);
	for (i = 0; cli_commands[i]; i++) {
		const char *sp = strchr(cli_commands[i]->name, ' ');
		size_t j, n;

		if (!sp)
			continue;
		n = (size_t)(sp - cli_commands[i]->name) + 1;
		if (i && strncmp(cli_commands[i - 1]->name, cli_commands[i]->name, n) == 0)
			continue;
		fprintf(f, "\t\t%.*s) _values subcommand", (int)n - 1, cli_commands[i]->name);
		for (j = i; cli_commands[j] && strncmp(cli_commands[j]->name, cli_commands[i]->name, n) == 0;
		     j++)
			fprintf(f, " '%s'", cli_commands[j]->name + n);
		fputs("; return ;;\n", f);
	}
	fputs("\t\tesac\n\tfi\n\tcase $cmd in\n", f);
	for (i = 0; cli_commands[i]; i++) {
		const struct cli_command *c = cli_commands[i];

		if (strchr(c->name, ' '))
			continue;
		fprintf(f, "\t%s)\n\t\tshift words; (( CURRENT-- ))\n\t\t_arguments -s \\\n", c->name);
		zsh_specs(f, c->opts);
		zsh_specs(f, global_opts);
		fprintf(f, "\t\t'*:%s:%s'\n\t\treturn ;;\n", c->pos_name ? c->pos_name : "argument",
		        c->pos_complete == CLI_C_DIR ? "_files -/" : "_files");
	}
	fputs("\tesac\n}\n_chainsweep \"$@\"\n", f);
}

/* roff text: a leading '.' or '\'' escaped, backslashes doubled. */
static void roff(FILE *f, const char *s)
{
	int bol = 1;

	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
		bol = *s == '\n';
	}
}

static void man_opts(FILE *f, const struct cli_opt *o)
{
	for (; o->name; o++) {
		fputs(".TP\n", f);
		if (o->short_name)
			fprintf(f, "\\fB\\-%c\\fR, ", o->short_name);
		fputs("\\fB\\-\\-", f);
		roff(f, o->name);
		fputs("\\fR", f);
		if (o->arg) {
			fputs(" \\fI", f);
			roff(f, o->arg);
			fputs("\\fR", f);
		}
		fputc('\n', f);
		roff(f, o->help);
		fputc('\n', f);
	}
}

static void gen_man(FILE *f)
{
	size_t i;

	fprintf(f, ".TH CHAINSWEEP 1 \"\" \"chainsweep %s\" \"User Commands\"\n", CS_VERSION);
	fputs(".SH NAME\nchainsweep \\- turn published threat intel into answers on a host\n"
	      ".SH SYNOPSIS\n\\fBchainsweep\\fR [\\fIglobal options\\fR] \\fICOMMAND\\fR "
	      "[\\fIoptions\\fR] ...\n"
	      ".SH DESCRIPTION\n"
	      "chainsweep imports threat intel (STIX, MISP, Loki and signature-base lists, CSV,\n"
	      "YARA and Sigma rules, OSV advisories, MISP warninglists) into a case database,\n"
	      "sweeps files (archives too), logs and installed software for it, and reports\n"
	      "what it found with first and last seen, the evidence and the activity it\n"
	      "overlaps. It never resolves, contacts or fetches an indicator.\n"
	      ".SH COMMANDS\n",
	      f);
	for (i = 0; cli_commands[i]; i++) {
		const struct cli_command *c = cli_commands[i];

		fputs(".SS \"", f);
		roff(f, c->name);
		fputs("\"\n\\fBchainsweep ", f);
		roff(f, c->name);
		fputs("\\fR [\\fIoptions\\fR]", f);
		if (c->pos_name) {
			fputs(" \\fI", f);
			roff(f, c->pos_name);
			fputs("\\fR", f);
		}
		fputs("\n.PP\n", f);
		roff(f, c->description ? c->description : c->summary);
		fputc('\n', f);
		man_opts(f, c->opts);
		if (c->exit_status) {
			fputs(".PP\nExit status: ", f);
			roff(f, c->exit_status);
			fputc('\n', f);
		}
	}
	fputs(".SH GLOBAL OPTIONS\n", f);
	man_opts(f, global_opts);
	fputs(".SH EXIT STATUS\n", f);
	roff(f, default_exit);
	fputs("\n.SH ENVIRONMENT\n.TP\n\\fBCHAINSWEEP_DB\\fR\nthe case database\n.TP\n"
	      "\\fBCHAINSWEEP_CACHE_DIR\\fR\nwhere compiled YARA rules and regexes are kept\n"
	      ".SH SEE ALSO\n\\fBgrep\\fR(1), \\fByara\\fR(1)\n",
	      f);
}

static void md_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			fputc(' ', f);
		else if (*s == '|')
			fputs("\\|", f);
		else
			fputc(*s, f);
	}
}

static void md_opts(FILE *f, const struct cli_opt *o)
{
	char head[128];

	fputs("| option | what it does |\n|---|---|\n", f);
	for (; o->name; o++) {
		opt_head(o, head, sizeof(head));
		fputs("| `", f);
		md_text(f, head);
		fputs("` | ", f);
		md_text(f, o->help);
		fputs(" |\n", f);
	}
}

static void gen_markdown(FILE *f)
{
	size_t i;

	fputs("# The command line\n\n"
	      "Generated from the option tables by `chainsweep man --markdown`; a test keeps\n"
	      "this file and the program the same (tests/cli/options.sh). `chainsweep COMMAND\n"
	      "--help` prints the same, `chainsweep man` the manual page and `chainsweep\n"
	      "completion bash|zsh` the completion scripts.\n\n",
	      f);
	for (i = 0; cli_commands[i]; i++) {
		const struct cli_command *c = cli_commands[i];

		fprintf(f, "## chainsweep %s\n\n`chainsweep %s [options]%s%s`\n\n", c->name, c->name,
		        c->pos_name ? " " : "", c->pos_name ? c->pos_name : "");
		md_text(f, c->description ? c->description : c->summary);
		fputs("\n\n", f);
		if (c->opts->name) {
			md_opts(f, c->opts);
			fputc('\n', f);
		}
		if (c->exit_status) {
			fputs("Exit status: ", f);
			md_text(f, c->exit_status);
			fputs("\n\n", f);
		}
	}
	fputs("## Global options\n\nAccepted by every command, before or after its name.\n\n", f);
	md_opts(f, global_opts);
	fputs("\n## Exit status\n\n", f);
	md_text(f, default_exit);
	fputc('\n', f);
}

int cli_generate(const char *what, FILE *f)
{
	if (strcmp(what, "bash") == 0)
		gen_bash(f);
	else if (strcmp(what, "zsh") == 0)
		gen_zsh(f);
	else if (strcmp(what, "man") == 0)
		gen_man(f);
	else if (strcmp(what, "markdown") == 0)
		gen_markdown(f);
	else
		return -1;
	return 0;
}

/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Start-up: the time from spawning the process to its first painted
 * frame, and its memory then and once settled, for Confab and for the
 * floor (bench-floor: an AdwApplicationWindow linked against libadwaita
 * alone), run in turn, each a new process, on the same display. It prints
 * the medians and Confab's ratio to the floor, and fails only when a run
 * does not report. Confab starts with an empty history and a provider
 * from the environment, as a user's second start does. */

#define G_LOG_DOMAIN "confab-bench"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include "bench-first-frame.h"
#include "bench-util.h"
#include "confab-application.h"

#define N_RUNS 9
#define DEADLINE_SECONDS 60

enum { CONFAB, FLOOR, N_KINDS };

static const char * const kind_names[N_KINDS] = { "confab", "floor" };

typedef struct
{
  GArray *frame_ms;
  GArray *rss_first;
  GArray *rss_settled;
} Figures;

static int
run_child (void)
{
  g_autoptr(ConfabApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = confab_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  bench_first_frame_watch (GTK_APPLICATION (app));

  return g_application_run (G_APPLICATION (app), 0, NULL);
}

/* Runs one child of @kind and appends its figures; FALSE if it did not
 * report. */
static gboolean
spawn_run (const char *const *argv,
           Figures           *figures)
{
  g_autoptr(GSubprocess) subprocess = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  gint64 spawned;
  gint64 first_frame = 0;
  double rss_first = 0;
  double rss_settled = 0;
  double ms;

  spawned = g_get_monotonic_time ();
  subprocess = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  if (subprocess == NULL ||
      !g_subprocess_communicate_utf8 (subprocess, NULL, NULL, &out, NULL, &error))
    {
      g_printerr ("startup: %s: %s\n", argv[0], error->message);
      return FALSE;
    }
  if (!g_subprocess_get_successful (subprocess) || out == NULL ||
      sscanf (out, "first-frame %" G_GINT64_FORMAT " rss-first %lf rss-settled %lf",
              &first_frame, &rss_first, &rss_settled) != 3)
    {
      g_printerr ("startup: %s did not report: %s\n", argv[0], out != NULL ? out : "");
      return FALSE;
    }

  ms = (first_frame - spawned) / 1000.0;
  g_array_append_val (figures->frame_ms, ms);
  g_array_append_val (figures->rss_first, rss_first);
  g_array_append_val (figures->rss_settled, rss_settled);

  return TRUE;
}

static void
print_figure (const char *label,
              GArray     *confab,
              GArray     *floor_)
{
  double a = bench_percentile (confab, 50);
  double b = bench_percentile (floor_, 50);

  g_print ("  %-28s %8.1f %8.1f %8.1f   %8.1f %8.1f %8.1f   %6.2fx\n", label,
           a, bench_min (confab), bench_max (confab),
           b, bench_min (floor_), bench_max (floor_), b > 0 ? a / b : 0);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *root = NULL;
  g_autofree char *self_exe = NULL;
  g_autofree char *floor_exe = NULL;
  g_autofree char *dir = NULL;
  Figures figures[N_KINDS];

  if (argc > 1 && g_str_equal (argv[1], "--child"))
    return run_child ();

  root = bench_isolate_dirs ();
  /* No request leaves: nothing listens on the discard port. */
  g_setenv ("OPENAI_BASE_URL", "http://127.0.0.1:9/v1", TRUE);
  g_unsetenv ("OPENAI_API_KEY");

  self_exe = g_file_read_link ("/proc/self/exe", NULL);
  if (self_exe == NULL)
    g_error ("startup: cannot find this program");
  dir = g_path_get_dirname (self_exe);
  floor_exe = g_build_filename (dir, "bench-floor", NULL);

  for (guint k = 0; k < N_KINDS; k++)
    {
      figures[k].frame_ms = g_array_new (FALSE, FALSE, sizeof (double));
      figures[k].rss_first = g_array_new (FALSE, FALSE, sizeof (double));
      figures[k].rss_settled = g_array_new (FALSE, FALSE, sizeof (double));
    }

  /* A first run of each, not counted, makes the database and warms the
   * caches; then they take turns, each first every other time. */
  for (guint run = 0; run <= N_RUNS; run++)
    for (guint i = 0; i < N_KINDS; i++)
      {
        guint kind = (run + i) % N_KINDS;
        const char *confab_argv[] = { self_exe, "--child", NULL };
        const char *floor_argv[] = { floor_exe, NULL };
        Figures scratch = { g_array_new (FALSE, FALSE, sizeof (double)),
                            g_array_new (FALSE, FALSE, sizeof (double)),
                            g_array_new (FALSE, FALSE, sizeof (double)) };
        Figures *into = run == 0 ? &scratch : &figures[kind];
        gboolean ok = spawn_run (kind == CONFAB ? confab_argv : floor_argv, into);

        if (ok && run > 0)
          g_print ("startup: run %u: %-6s first frame %.0f ms, RSS %.1f MB, settled %.1f MB\n",
                   run, kind_names[kind],
                   g_array_index (into->frame_ms, double, into->frame_ms->len - 1),
                   g_array_index (into->rss_first, double, into->rss_first->len - 1),
                   g_array_index (into->rss_settled, double, into->rss_settled->len - 1));
        g_array_unref (scratch.frame_ms);
        g_array_unref (scratch.rss_first);
        g_array_unref (scratch.rss_settled);
        if (!ok)
          {
            bench_remove_tree (root);
            return 1;
          }
      }

  g_print ("\nstartup summary (GTK %u.%u.%u, libadwaita %u.%u.%u, GSK_RENDERER=%s; %u runs "
           "each, a new process each, in turn)\n",
           gtk_get_major_version (), gtk_get_minor_version (), gtk_get_micro_version (),
           adw_get_major_version (), adw_get_minor_version (), adw_get_micro_version (),
           g_getenv ("GSK_RENDERER") != NULL ? g_getenv ("GSK_RENDERER") : "default", N_RUNS);
  g_print ("  %-28s %8s %8s %8s   %8s %8s %8s   %7s\n", "figure", "confab", "min", "max",
           "floor", "min", "max", "ratio");
  print_figure ("spawn to first frame (ms)", figures[CONFAB].frame_ms, figures[FLOOR].frame_ms);
  print_figure ("RSS at first frame (MB)", figures[CONFAB].rss_first, figures[FLOOR].rss_first);
  print_figure ("RSS settled (MB)", figures[CONFAB].rss_settled, figures[FLOOR].rss_settled);

  for (guint k = 0; k < N_KINDS; k++)
    {
      g_array_unref (figures[k].frame_ms);
      g_array_unref (figures[k].rss_first);
      g_array_unref (figures[k].rss_settled);
    }
  bench_remove_tree (root);

  return 0;
}

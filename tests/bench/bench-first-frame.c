/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The child side of bench-startup: when the application's first window
 * has painted its first frame, it notes the time and the memory, waits
 * for start-up to settle, notes the memory again, prints one line and
 * quits. The parent reads the line; times are of the monotonic clock,
 * which parent and child share. */

#define G_LOG_DOMAIN "confab-bench"

#include "config.h"

#include "bench-first-frame.h"

#include <string.h>

/* Start-up has settled this long after the first frame. */
#define SETTLE_MS 1500

typedef struct
{
  GtkApplication *app;
  gulong          after_paint_id;
  gint64          first_frame;
  double          rss_first;
} Watch;

/* bench_read_memory () is in bench-window.c, which needs Confab's UI;
 * bench-floor links libadwaita alone, so this reads VmRSS itself. */
static double
rss_mb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, "\nVmRSS:")) == NULL)
    return 0;

  return g_ascii_strtoull (line + strlen ("\nVmRSS:"), NULL, 10) / 1024.0;
}

static gboolean
settled_cb (gpointer user_data)
{
  Watch *watch = user_data;
  char first[G_ASCII_DTOSTR_BUF_SIZE];
  char settled[G_ASCII_DTOSTR_BUF_SIZE];

  g_print ("first-frame %" G_GINT64_FORMAT " rss-first %s rss-settled %s\n",
           watch->first_frame, g_ascii_dtostr (first, sizeof first, watch->rss_first),
           g_ascii_dtostr (settled, sizeof settled, rss_mb ()));
  g_application_quit (G_APPLICATION (watch->app));
  g_free (watch);

  return G_SOURCE_REMOVE;
}

static void
after_paint_cb (GdkFrameClock *clock,
                Watch         *watch)
{
  watch->first_frame = g_get_monotonic_time ();
  watch->rss_first = rss_mb ();
  g_clear_signal_handler (&watch->after_paint_id, clock);
  g_timeout_add (SETTLE_MS, settled_cb, watch);
}

static void
realize_cb (GtkWidget *window,
            Watch     *watch)
{
  if (watch->after_paint_id != 0 || watch->first_frame != 0)
    return;

  watch->after_paint_id = g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint",
                                            G_CALLBACK (after_paint_cb), watch);
}

static void
window_added_cb (GtkApplication *app,
                 GtkWindow      *window,
                 Watch          *watch)
{
  g_signal_connect (window, "realize", G_CALLBACK (realize_cb), watch);
}

/**
 * bench_first_frame_watch:
 * @app: an application not yet run
 *
 * Makes @app print when its first window painted its first frame and how
 * much memory it held then and once settled, and quit.
 */
void
bench_first_frame_watch (GtkApplication *app)
{
  Watch *watch = g_new0 (Watch, 1);

  watch->app = app;
  g_signal_connect (app, "window-added", G_CALLBACK (window_added_cb), watch);
}

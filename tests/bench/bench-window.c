/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-bench"

#include "config.h"

#include "bench-window.h"

#include <string.h>

#include "confab-message-row.h"

/* Timing the frames of a window */

struct BenchFrameProbe
{
  /* owned */
  GdkFrameClock *clock;

  /* borrowed */
  BenchPaintFunc func;
  gpointer       user_data;

  /* handlers */
  gulong before_paint_id;
  gulong update_id;
  gulong after_paint_id;

  /* plain state: times in µs of the monotonic clock, 0 until they come */
  gint64 frame_before;
  gint64 frame_update;
};

static void
before_paint_cb (GdkFrameClock   *clock,
                 BenchFrameProbe *self)
{
  self->frame_before = g_get_monotonic_time ();
  self->frame_update = 0;
}

static void
update_cb (GdkFrameClock   *clock,
           BenchFrameProbe *self)
{
  if (self->frame_update == 0)
    self->frame_update = g_get_monotonic_time ();
}

static void
after_paint_cb (GdkFrameClock   *clock,
                BenchFrameProbe *self)
{
  gint64 started = self->frame_update != 0 ? self->frame_update : self->frame_before;

  self->func (g_get_monotonic_time (), started, self->user_data);
  self->frame_before = 0;
  self->frame_update = 0;
}

/**
 * bench_frame_probe_new:
 * @clock: the frame clock of a window
 * @from: where a frame begins
 * @func: called after each frame is painted
 * @user_data: data for @func
 *
 * Returns: (transfer full): a probe that calls @func until it is freed
 */
BenchFrameProbe *
bench_frame_probe_new (GdkFrameClock  *clock,
                       BenchFrameFrom  from,
                       BenchPaintFunc  func,
                       gpointer        user_data)
{
  BenchFrameProbe *self = g_new0 (BenchFrameProbe, 1);

  self->clock = g_object_ref (clock);
  self->func = func;
  self->user_data = user_data;
  self->before_paint_id = g_signal_connect (clock, "before-paint",
                                            G_CALLBACK (before_paint_cb), self);
  if (from == BENCH_FRAME_FROM_UPDATE)
    self->update_id = g_signal_connect (clock, "update", G_CALLBACK (update_cb), self);
  self->after_paint_id = g_signal_connect (clock, "after-paint",
                                           G_CALLBACK (after_paint_cb), self);

  return self;
}

/* A window's frame clock drops its handlers when the window is hidden
 * and its surface goes, before the probe may be freed. */
static void
disconnect (gulong   *id,
            gpointer  instance)
{
  if (*id != 0 && g_signal_handler_is_connected (instance, *id))
    g_signal_handler_disconnect (instance, *id);
  *id = 0;
}

void
bench_frame_probe_free (BenchFrameProbe *self)
{
  if (self == NULL)
    return;

  disconnect (&self->before_paint_id, self->clock);
  disconnect (&self->update_id, self->clock);
  disconnect (&self->after_paint_id, self->clock);
  g_clear_object (&self->clock);
  g_free (self);
}

/* Finding widgets without changing src/ */

static gboolean
contains_row (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (CONFAB_IS_MESSAGE_ROW (child) || contains_row (child))
        return TRUE;
    }

  return FALSE;
}

/**
 * bench_find_widget:
 * @widget: a window, or a widget in one
 * @match: what to look for
 * @user_data: data for @match
 *
 * Returns: (transfer none) (nullable): the first widget under @widget,
 *   @widget included, depth first, that @match accepts
 */
GtkWidget *
bench_find_widget (GtkWidget        *widget,
                   BenchWidgetMatch  match,
                   gpointer          user_data)
{
  if (match (widget, user_data))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = bench_find_widget (child, match, user_data);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static gboolean
is_conversation_scroller (GtkWidget *widget,
                          gpointer   user_data)
{
  return GTK_IS_SCROLLED_WINDOW (widget) && contains_row (widget);
}

/**
 * bench_find_scroller:
 * @widget: a window, or a widget in one
 *
 * Returns: (transfer none) (nullable): the scrolled window of the
 *   conversation, not the composer's, once it shows a row
 */
GtkScrolledWindow *
bench_find_scroller (GtkWidget *widget)
{
  return GTK_SCROLLED_WINDOW (bench_find_widget (widget, is_conversation_scroller, NULL));
}

/**
 * bench_read_memory:
 * @rss_mb: (out): the resident set now, in MB
 * @peak_mb: (out) (optional): its peak so far, in MB
 *
 * Reads this process's memory from /proc/self/status; 0 where it cannot.
 */
void
bench_read_memory (double *rss_mb,
                   double *peak_mb)
{
  g_autofree char *status = NULL;
  const char *line;

  *rss_mb = 0;
  if (peak_mb != NULL)
    *peak_mb = 0;
  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return;

  if ((line = strstr (status, "\nVmRSS:")) != NULL)
    *rss_mb = g_ascii_strtoull (line + strlen ("\nVmRSS:"), NULL, 10) / 1024.0;
  if (peak_mb != NULL && (line = strstr (status, "\nVmHWM:")) != NULL)
    *peak_mb = g_ascii_strtoull (line + strlen ("\nVmHWM:"), NULL, 10) / 1024.0;
}

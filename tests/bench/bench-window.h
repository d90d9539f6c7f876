/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Where a frame's cost is counted from. */
typedef enum
{
  /* The frame clock's before-paint phase: the whole frame. */
  BENCH_FRAME_FROM_BEFORE_PAINT,
  /* Its update phase, where tick callbacks run, or before-paint in a
   * frame without one: layout and paint, and what ticks add to them. */
  BENCH_FRAME_FROM_UPDATE,
} BenchFrameFrom;

/* @painted is when a frame was painted and @started when it began, as
 * g_get_monotonic_time() gives them; @started is 0 when unknown. */
typedef void (*BenchPaintFunc) (gint64   painted,
                                gint64   started,
                                gpointer user_data);

typedef struct BenchFrameProbe BenchFrameProbe;

BenchFrameProbe   *bench_frame_probe_new  (GdkFrameClock  *clock,
                                           BenchFrameFrom  from,
                                           BenchPaintFunc  func,
                                           gpointer        user_data) G_GNUC_WARN_UNUSED_RESULT;
void               bench_frame_probe_free (BenchFrameProbe *self);

typedef gboolean (*BenchWidgetMatch) (GtkWidget *widget,
                                      gpointer   user_data);

GtkWidget         *bench_find_widget      (GtkWidget        *widget,
                                           BenchWidgetMatch  match,
                                           gpointer          user_data);
GtkScrolledWindow *bench_find_scroller    (GtkWidget        *widget);

void               bench_read_memory      (double           *rss_mb,
                                           double           *peak_mb);

G_END_DECLS

/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Loaded into Confab by the GUI tests (LD_PRELOAD): a critical ends the
 * app, with a backtrace on stderr, as G_DEBUG=fatal-criticals would.
 *
 * GTK 4.8 has one such critical that Confab can provoke: asked by an
 * accessibility client for a toplevel past the visible ones (a count
 * read before a window closed), it answers with the last window of its
 * list, and for a hidden window that has no object path:
 * "g_variant_is_object_path: assertion 'string != NULL' failed", then a
 * crash. Confab keeps no hidden window (confab-window.c,
 * show_help_overlay_activated()), so that critical is fatal here too. */

#include <execinfo.h>
#include <stdlib.h>

#include <glib.h>

static GLogWriterOutput
writer (GLogLevelFlags   level,
        const GLogField *fields,
        gsize            n_fields,
        gpointer         user_data)
{
  GLogWriterOutput output = g_log_writer_default (level, fields, n_fields, user_data);
  void *frames[64];
  int n_frames;

  if (!(level & G_LOG_LEVEL_CRITICAL))
    return output;

  n_frames = backtrace (frames, G_N_ELEMENTS (frames));
  g_printerr ("criticals.so: a critical is fatal here; where it came from:\n");
  backtrace_symbols_fd (frames, n_frames, 2);
  abort ();
}

__attribute__((constructor)) static void
install (void)
{
  g_log_set_writer_func (writer, NULL, NULL);
}

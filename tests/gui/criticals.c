/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Loaded into Confab by the GUI tests (LD_PRELOAD): a critical ends the
 * app, with a backtrace on stderr, as G_DEBUG=fatal-criticals would, with
 * one exception. GTK 4.8 answers an AT-SPI call about a widget whose
 * window is going away by building an object path from NULL:
 *
 *   g_variant_is_object_path: assertion 'string != NULL' failed
 *
 * raised from GTK's D-Bus method handler (libgtk-4 called back by GIO's
 * dispatch, no frame of Confab's on the stack, seen with this module's
 * backtrace), and followed at once by the criticals of the GVariant calls
 * it goes on to make with what that returned. The tests' own AT-SPI
 * client makes those calls while a window closes, so that critical and
 * the GVariant ones of the next moment are logged and the app goes on;
 * every other critical is fatal. Confab makes no object path itself. */

#include <execinfo.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#define KNOWN_GTK_ATSPI_CRITICAL "g_variant_is_object_path: assertion 'string != NULL' failed"
/* How long after it the GVariant criticals that follow from it come. */
#define KNOWN_CHAIN_US (100 * G_TIME_SPAN_MILLISECOND)

static gint64 known_at;

static const char *
field (const GLogField *fields,
       gsize            n_fields,
       const char      *key)
{
  for (gsize i = 0; i < n_fields; i++)
    if (strcmp (fields[i].key, key) == 0 && fields[i].length < 0)
      return fields[i].value;

  return NULL;
}

static GLogWriterOutput
writer (GLogLevelFlags   level,
        const GLogField *fields,
        gsize            n_fields,
        gpointer         user_data)
{
  GLogWriterOutput output = g_log_writer_default (level, fields, n_fields, user_data);
  const char *message;
  void *frames[64];
  int n_frames;

  if (!(level & G_LOG_LEVEL_CRITICAL))
    return output;

  message = field (fields, n_fields, "MESSAGE");
  if (message != NULL && g_strcmp0 (field (fields, n_fields, "GLIB_DOMAIN"), "GLib") == 0)
    {
      gint64 now = g_get_monotonic_time ();

      if (strcmp (message, KNOWN_GTK_ATSPI_CRITICAL) == 0)
        known_at = now;
      if (known_at != 0 && now - known_at < KNOWN_CHAIN_US &&
          g_str_has_prefix (message, "g_variant_"))
        {
          g_printerr ("criticals.so: the critical above is GTK 4.8's, known, not fatal\n");
          return output;
        }
    }

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

/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-compat"

#include "config.h"

#include "confab-compat.h"

#include <stdio.h>

/* API newer than the version floor (STYLE.md §10) lives here only. */

#if GTK_CHECK_VERSION (4, 10, 0)
static void
launch_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (!gtk_uri_launcher_launch_finish (GTK_URI_LAUNCHER (source), result, &error))
    g_debug ("No link opened: %s", error->message);
  G_GNUC_END_IGNORE_DEPRECATIONS
}
#endif

/* The GUI tests set CONFAB_TEST_URI_LOG to a file: a link clicked there
 * is written to it, not opened. */
static gboolean
log_for_test (const char *uri)
{
  const char *path = g_getenv ("CONFAB_TEST_URI_LOG");
  FILE *file;

  if (path == NULL || *path == '\0')
    return FALSE;

  file = fopen (path, "a");
  if (file != NULL)
    {
      fprintf (file, "%s\n", uri);
      fclose (file);
    }
  return TRUE;
}

/**
 * confab_compat_show_uri:
 * @widget: the widget the user clicked, in a window
 * @uri: what to open, which the caller has checked
 *
 * Opens @uri with the desktop's handler, through the portal when there
 * is one: GtkUriLauncher since GTK 4.10, gtk_show_uri () before.
 */
void
confab_compat_show_uri (GtkWidget  *widget,
                        const char *uri)
{
  GtkRoot *root;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (uri != NULL);

  if (log_for_test (uri))
    return;

  root = gtk_widget_get_root (widget);
#if GTK_CHECK_VERSION (4, 10, 0)
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  {
    g_autoptr(GtkUriLauncher) launcher = gtk_uri_launcher_new (uri);

    gtk_uri_launcher_launch (launcher, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, NULL,
                             launch_cb, NULL);
  }
  G_GNUC_END_IGNORE_DEPRECATIONS
#else
  gtk_show_uri (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, uri, GDK_CURRENT_TIME);
#endif
}

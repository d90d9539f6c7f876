/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "confab-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(ConfabApplication) app = NULL;
  const char *localedir = NULL;

  setlocale (LC_ALL, "");
  /* Uninstalled, the catalogues are in the build tree's po/ (meson puts
   * po/ja/LC_MESSAGES/confab.mo there): `confab-dev run` and the GUI tests
   * point CONFAB_LOCALEDIR at it. */
  localedir = g_getenv ("CONFAB_LOCALEDIR");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = confab_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}

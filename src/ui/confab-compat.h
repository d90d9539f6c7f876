/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void confab_compat_show_uri (GtkWidget  *widget,
                             const char *uri);
void confab_compat_announce             (GtkWidget  *widget,
                                         const char *message);
void confab_compat_set_description      (GtkWidget  *widget,
                                         const char *description);
void confab_compat_fix_accessible_names (GtkWidget  *root);
void confab_compat_name_internals       (void);

G_END_DECLS

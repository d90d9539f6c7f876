/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

void confab_toast_error (GtkWidget    *widget,
                         const GError *error,
                         const char   *format,
                         ...) G_GNUC_PRINTF (3, 4);
void confab_toast_show  (GtkWidget    *widget,
                         const char   *text);

G_END_DECLS

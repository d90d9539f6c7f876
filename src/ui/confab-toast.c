/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-toast"

#include "config.h"

#include "confab-toast.h"

/* Long enough to read a sentence that says why. */
#define ERROR_TIMEOUT_SECONDS 8

/**
 * confab_toast_error:
 * @widget: a toast overlay, or a widget inside one
 * @error: what failed
 * @format: the sentence for the user, a printf () format
 *
 * Shows the sentence in a toast, unless @error is only a cancellation.
 */
void
confab_toast_error (GtkWidget    *widget,
                    const GError *error,
                    const char   *format,
                    ...)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);
  g_autofree char *text = NULL;
  AdwToast *toast;
  va_list args;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || overlay == NULL)
    return;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  toast = adw_toast_new (text);
  adw_toast_set_timeout (toast, ERROR_TIMEOUT_SECONDS);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
}

/**
 * confab_toast_show:
 * @widget: a toast overlay, or a widget inside one
 * @text: the sentence for the user
 *
 * Shows @text in a toast, for a moment.
 */
void
confab_toast_show (GtkWidget  *widget,
                   const char *text)
{
  GtkWidget *overlay;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (text != NULL);

  overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);
  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
}

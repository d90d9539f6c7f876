/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-inspector"

#include "config.h"

#include "confab-inspector.h"

#include <glib/gi18n.h>

/* What a server sent for one reply, byte for byte with arrival times, so
 * that a user can see why a server misbehaves. The text is the client's
 * record (confab_exchange_to_text ()): no secret is in it. */
struct _ConfabInspector
{
  AdwWindow parent_instance;

  /* owned */
  char *text;

  /* borrowed */
  AdwToastOverlay *overlay;
};

G_DEFINE_FINAL_TYPE (ConfabInspector, confab_inspector, ADW_TYPE_WINDOW)

static void
copy_clicked_cb (ConfabInspector *self)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->text);
  adw_toast_overlay_add_toast (self->overlay, adw_toast_new (_("Copied")));
}

static void
confab_inspector_finalize (GObject *object)
{
  ConfabInspector *self = CONFAB_INSPECTOR (object);

  g_clear_pointer (&self->text, g_free);

  G_OBJECT_CLASS (confab_inspector_parent_class)->finalize (object);
}

static void
confab_inspector_class_init (ConfabInspectorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = confab_inspector_finalize;

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
confab_inspector_init (ConfabInspector *self)
{
}

/**
 * confab_inspector_new:
 * @parent: (nullable): the window it belongs to
 * @exchange: what the client recorded for a reply
 *
 * Returns: (transfer full): a window showing @exchange
 */
ConfabInspector *
confab_inspector_new (GtkWindow      *parent,
                      ConfabExchange *exchange)
{
  ConfabInspector *self;
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *title = adw_window_title_new (_("Raw Response"), confab_exchange_get_url (exchange));
  GtkWidget *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *view = gtk_text_view_new ();

  g_return_val_if_fail (exchange != NULL, NULL);

  self = g_object_new (CONFAB_TYPE_INSPECTOR,
                       "transient-for", parent,
                       "modal", FALSE,
                       "title", _("Raw Response"),
                       "default-width", 720,
                       "default-height", 560,
                       NULL);
  self->text = confab_exchange_to_text (exchange);

  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), title);
  gtk_widget_set_tooltip_text (copy, _("Copy All"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (copy), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Copy the raw response"), -1);
  g_signal_connect_swapped (copy, "clicked", G_CALLBACK (copy_clicked_cb), self);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), copy);
  gtk_box_append (GTK_BOX (box), header);

  gtk_text_view_set_editable (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_monospace (GTK_TEXT_VIEW (view), TRUE);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_CHAR);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 12);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (view), 12);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 12);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (view), 12);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (view)), self->text, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Raw response"), -1);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), view);
  gtk_widget_set_vexpand (scroller, TRUE);

  self->overlay = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  adw_toast_overlay_set_child (self->overlay, scroller);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->overlay));
  adw_window_set_content (ADW_WINDOW (self), box);

  return self;
}

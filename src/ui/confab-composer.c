/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-composer"

#include "config.h"

#include "confab-composer.h"

#include <glib/gi18n.h>

#include "confab-compat.h"

struct _ConfabComposer
{
  GtkWidget parent_instance;

  /* template children */
  GtkTextView *text_view;
  GtkWidget   *placeholder;
  GtkStack    *button_stack;

  /* plain state */
  gboolean streaming;
};

G_DEFINE_FINAL_TYPE (ConfabComposer, confab_composer, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_STREAMING,
  N_PROPS
};

enum {
  SEND,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static gboolean
has_text (ConfabComposer *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  GtkTextIter iter;

  gtk_text_buffer_get_start_iter (buffer, &iter);
  for (; !gtk_text_iter_is_end (&iter); gtk_text_iter_forward_char (&iter))
    if (!g_unichar_isspace (gtk_text_iter_get_char (&iter)))
      return TRUE;

  return FALSE;
}

static void
update_actions (ConfabComposer *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);

  gtk_widget_set_visible (self->placeholder, gtk_text_buffer_get_char_count (buffer) == 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.send",
                                 !self->streaming && has_text (self));
}

static void
send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  ConfabComposer *self = CONFAB_COMPOSER (widget);
  g_autofree char *text = NULL;

  if (self->streaming || !has_text (self))
    return;

  text = confab_composer_dup_text (self);
  g_signal_emit (self, signals[SEND], 0, text);
}

static gboolean
key_pressed_cb (ConfabComposer        *self,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GtkEventControllerKey *controller)
{
  GdkEvent *event;

  if (keyval != GDK_KEY_Return && keyval != GDK_KEY_KP_Enter && keyval != GDK_KEY_ISO_Enter)
    return GDK_EVENT_PROPAGATE;

  /* Shift+Enter (and Ctrl+Enter) fall through: the text view inserts a
   * new line. */
  if ((state & (GDK_SHIFT_MASK | GDK_CONTROL_MASK)) != 0)
    return GDK_EVENT_PROPAGATE;

  /* An input method composing Hangul or kana takes Enter to commit its
   * text: let it, and send only on the next Enter. */
  event = gtk_event_controller_get_current_event (GTK_EVENT_CONTROLLER (controller));
  if (event != NULL && gtk_text_view_im_context_filter_keypress (self->text_view, event))
    return GDK_EVENT_STOP;

  gtk_widget_activate_action (GTK_WIDGET (self), "composer.send", NULL);

  return GDK_EVENT_STOP;
}

static void
buffer_changed_cb (ConfabComposer *self,
                   GtkTextBuffer  *buffer)
{
  update_actions (self);
}

static void
confab_composer_dispose (GObject *object)
{
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (object), CONFAB_TYPE_COMPOSER);
  /* The template's top box, which C does not bind. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (confab_composer_parent_class)->dispose (object);
}

static void
confab_composer_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  ConfabComposer *self = CONFAB_COMPOSER (object);

  switch (prop_id)
    {
    case PROP_STREAMING:
      g_value_set_boolean (value, self->streaming);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_composer_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  ConfabComposer *self = CONFAB_COMPOSER (object);

  switch (prop_id)
    {
    case PROP_STREAMING:
      confab_composer_set_streaming (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_composer_class_init (ConfabComposerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_composer_dispose;
  object_class->get_property = confab_composer_get_property;
  object_class->set_property = confab_composer_set_property;
  /* No grab_focus vfunc that hands the focus to the text view: GTK 4.8's
   * Shift+Tab out of the text view asks the composer to take the focus,
   * and so it never left. confab_composer_grab_focus () is the way in. */

  properties[PROP_STREAMING] =
    g_param_spec_boolean ("streaming", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * ConfabComposer::send:
   * @self: the composer
   * @text: what the user wrote
   *
   * The user asked to send @text. The composer keeps the text until the
   * owner clears it, so nothing typed is lost if sending fails.
   */
  signals[SEND] =
    g_signal_new ("send",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/ui/confab-composer.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabComposer, text_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabComposer, placeholder);
  gtk_widget_class_bind_template_child (widget_class, ConfabComposer, button_stack);

  gtk_widget_class_install_action (widget_class, "composer.send", NULL, send_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "confab-composer");
}

static void
confab_composer_init (ConfabComposer *self)
{
  GtkEventController *controller;

  gtk_widget_init_template (GTK_WIDGET (self));
  /* Here, not in the .ui: an announcement on the composer puts it back. */
  confab_compat_set_description (GTK_WIDGET (self->text_view),
                                 _("Enter sends, Shift+Enter starts a new line"));

  /* Capture phase: Enter must be seen before the text view inserts a
   * new line for it. */
  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_object (controller, "key-pressed", G_CALLBACK (key_pressed_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->text_view), controller);

  g_signal_connect_object (gtk_text_view_get_buffer (self->text_view), "changed",
                           G_CALLBACK (buffer_changed_cb), self, G_CONNECT_SWAPPED);
  update_actions (self);
}

/**
 * confab_composer_new:
 *
 * Returns: (transfer full): a new composer
 */
GtkWidget *
confab_composer_new (void)
{
  return g_object_new (CONFAB_TYPE_COMPOSER, NULL);
}

/**
 * confab_composer_dup_text:
 * @self: a #ConfabComposer
 *
 * Returns: (transfer full): the text as typed
 */
char *
confab_composer_dup_text (ConfabComposer *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter start, end;

  g_return_val_if_fail (CONFAB_IS_COMPOSER (self), NULL);

  buffer = gtk_text_view_get_buffer (self->text_view);
  gtk_text_buffer_get_bounds (buffer, &start, &end);

  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/**
 * confab_composer_set_text:
 * @self: a #ConfabComposer
 * @text: (nullable): the new text
 */
void
confab_composer_set_text (ConfabComposer *self,
                          const char     *text)
{
  g_return_if_fail (CONFAB_IS_COMPOSER (self));

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), text ? text : "", -1);
}

gboolean
confab_composer_get_streaming (ConfabComposer *self)
{
  g_return_val_if_fail (CONFAB_IS_COMPOSER (self), FALSE);

  return self->streaming;
}

void
confab_composer_set_streaming (ConfabComposer *self,
                               gboolean        streaming)
{
  g_return_if_fail (CONFAB_IS_COMPOSER (self));

  streaming = !!streaming;
  if (self->streaming == streaming)
    return;

  self->streaming = streaming;
  gtk_stack_set_visible_child_name (self->button_stack, streaming ? "stop" : "send");
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STREAMING]);
}

void
confab_composer_grab_focus (ConfabComposer *self)
{
  g_return_if_fail (CONFAB_IS_COMPOSER (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}

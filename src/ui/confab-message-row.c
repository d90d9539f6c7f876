/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-message-row"

#include "config.h"

#include "confab-message-row.h"

#include <glib/gi18n.h>
#include <string.h>

struct _ConfabMessageRow
{
  GtkWidget parent_instance;

  /* template children */
  GtkWidget   *box;
  GtkLabel    *author_label;
  GtkSpinner  *spinner;
  GtkLabel    *status_label;
  GtkButton   *copy_button;
  GtkTextView *text_view;
  GtkWidget   *error_box;
  GtkLabel    *error_label;
  GtkWidget   *retry_button;

  /* owned */
  ConfabMessage *message;

  /* source ids */
  guint tick_id;
  guint resize_tick_id;

  /* borrowed, from the buffer's tag table */
  GtkTextTag *soft_break_tag;

  /* plain state: how many bytes of the message's content the buffer
   * already shows, and how long its last displayed paragraph is */
  gsize shown;
  gsize paragraph_len;
};

G_DEFINE_FINAL_TYPE (ConfabMessageRow, confab_message_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MESSAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* GtkTextView lays a whole paragraph out again each time it changes: a
 * 50 KB paragraph costs 120–180 ms a frame here. So a paragraph longer
 * than this is shown as several, cut where a line may break anyway. The
 * cut is a newline tagged "soft-break" in the buffer only; the message,
 * Copy and a copied selection never contain it. */
#define SOFT_BREAK_AFTER 2048
#define SOFT_BREAK_FORCE 4096

/* Finds where, between @from and @to bytes into @text, a line may break:
 * after a space, or before a wide (CJK) character. Returns 0 if nowhere. */
static gsize
find_soft_break (const char *text,
                 gsize       len,
                 gsize       from,
                 gsize       to)
{
  const char *end = text + MIN (len, to);
  const char *p = text + from;

  /* Start on a character boundary. */
  while (p < end && (*p & 0xc0) == 0x80)
    p++;

  for (; p < end; p = g_utf8_next_char (p))
    {
      if (p > text && p[-1] == ' ')
        return p - text;
      if (g_unichar_iswide (g_utf8_get_char (p)))
        return p - text;
    }

  return 0;
}

static void
insert_text (ConfabMessageRow *self,
             const char       *text,
             gsize             len)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  GtkTextIter end;

  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_insert (buffer, &end, text, len);
}

static void
insert_soft_break (ConfabMessageRow *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  GtkTextIter end;

  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_insert_with_tags (buffer, &end, "\n", 1, self->soft_break_tag, NULL);
  self->paragraph_len = 0;
}

/* Inserts what arrived since the last frame in one go. Its cost is that
 * of the new text plus the relayout of a paragraph of bounded length,
 * never that of the whole reply. */
static void
flush_pending (ConfabMessageRow *self)
{
  const char *p = confab_message_get_content (self->message) + self->shown;
  gsize n = confab_message_get_content_length (self->message) - self->shown;

  if (n == 0)
    return;

  self->shown += n;
  gtk_widget_set_visible (GTK_WIDGET (self->copy_button), TRUE);

  while (n > 0)
    {
      const char *newline = memchr (p, '\n', n);
      gsize run = newline != NULL ? (gsize)(newline - p) : n;
      gsize cut;

      if (self->paragraph_len + run > SOFT_BREAK_AFTER)
        {
          gsize from = SOFT_BREAK_AFTER > self->paragraph_len
                       ? SOFT_BREAK_AFTER - self->paragraph_len : 0;
          gsize to = SOFT_BREAK_FORCE > self->paragraph_len
                     ? SOFT_BREAK_FORCE - self->paragraph_len : 0;

          cut = find_soft_break (p, run, from, to);
          if (cut == 0 && self->paragraph_len + run >= SOFT_BREAK_FORCE)
            {
              /* No place to break at all (a long URL, base64): cut on a
               * character boundary. */
              cut = g_utf8_find_prev_char (p, p + MAX (to, 1)) - p;
              if (cut == 0)
                cut = g_utf8_next_char (p) - p;
            }
          if (cut > 0)
            {
              insert_text (self, p, cut);
              insert_soft_break (self);
              p += cut;
              n -= cut;
              continue;
            }
        }

      if (newline != NULL)
        {
          insert_text (self, p, run + 1);
          self->paragraph_len = 0;
          p += run + 1;
          n -= run + 1;
        }
      else
        {
          insert_text (self, p, run);
          self->paragraph_len += run;
          p += run;
          n -= run;
        }
    }
}

/* Copies the selection without the soft breaks, so what the user copies
 * is what the model wrote. */
static void
copy_clipboard_cb (ConfabMessageRow *self,
                   GtkTextView      *text_view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (text_view);
  g_autoptr(GString) text = g_string_new (NULL);
  GtkTextIter start, end, iter;

  g_signal_stop_emission_by_name (text_view, "copy-clipboard");

  if (!gtk_text_buffer_get_selection_bounds (buffer, &start, &end))
    return;

  iter = start;
  while (gtk_text_iter_compare (&iter, &end) < 0)
    {
      GtkTextIter next = iter;
      g_autofree char *piece = NULL;

      if (gtk_text_iter_has_tag (&iter, self->soft_break_tag))
        {
          gtk_text_iter_forward_char (&iter);
          continue;
        }

      if (!gtk_text_iter_forward_to_tag_toggle (&next, self->soft_break_tag) ||
          gtk_text_iter_compare (&next, &end) > 0)
        next = end;

      piece = gtk_text_iter_get_text (&iter, &next);
      g_string_append (text, piece);
      iter = next;
    }

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (text_view)), text->str);
}

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *frame_clock,
         gpointer       user_data)
{
  ConfabMessageRow *self = CONFAB_MESSAGE_ROW (widget);

  flush_pending (self);

  /* Idle until the next delta asks for a frame again. */
  self->tick_id = 0;
  return G_SOURCE_REMOVE;
}

static void
delta_appended_cb (ConfabMessageRow *self,
                   int               part,
                   ConfabMessage    *message)
{
  if (part != CONFAB_MESSAGE_PART_CONTENT || self->tick_id != 0)
    return;

  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      /* No frames come for an unmapped row: catch up when mapped. */
      return;
    }

  self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), tick_cb, NULL, NULL);
}

static void
text_cleared_cb (ConfabMessageRow *self,
                 ConfabMessage    *message)
{
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), "", 0);
  self->shown = 0;
  self->paragraph_len = 0;
}

static const char *
status_text (ConfabMessage *message)
{
  const char *finish = confab_message_get_finish_reason (message);

  switch (confab_message_get_state (message))
    {
    case CONFAB_MESSAGE_STATE_PENDING:
      return _("Waiting for the server…");
    case CONFAB_MESSAGE_STATE_STREAMING:
      return _("Writing…");
    case CONFAB_MESSAGE_STATE_STOPPED:
      return _("Stopped");
    case CONFAB_MESSAGE_STATE_FAILED:
      return _("Failed");
    case CONFAB_MESSAGE_STATE_COMPLETE:
      if (g_strcmp0 (finish, "length") == 0)
        return _("Cut off at the token limit");
      if (g_strcmp0 (finish, "content_filter") == 0)
        return _("Cut off by the content filter");
      return "";
    default:
      g_assert_not_reached ();
    }
}

static void
update_state (ConfabMessageRow *self)
{
  ConfabMessageState state = confab_message_get_state (self->message);
  const GError *error = confab_message_get_error (self->message);
  guint skipped = confab_message_get_skipped_events (self->message);
  gboolean busy = state == CONFAB_MESSAGE_STATE_PENDING ||
                  state == CONFAB_MESSAGE_STATE_STREAMING;
  gboolean failed = state == CONFAB_MESSAGE_STATE_FAILED;

  if (!busy)
    flush_pending (self);

  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);

  if (skipped > 0 && !busy)
    {
      g_autofree char *text = NULL;

      text = g_strdup_printf (ngettext ("%s (%u unreadable event skipped)",
                                        "%s (%u unreadable events skipped)", skipped),
                              status_text (self->message), skipped);
      gtk_label_set_label (self->status_label, text);
    }
  else
    {
      gtk_label_set_label (self->status_label, status_text (self->message));
    }

  gtk_widget_set_visible (GTK_WIDGET (self->copy_button),
                          confab_message_get_content_length (self->message) > 0);
  gtk_widget_set_visible (self->error_box, failed);
  gtk_label_set_label (self->error_label, failed && error ? error->message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->text_view),
                          !failed || confab_message_get_content_length (self->message) > 0);

  if (failed)
    gtk_widget_add_css_class (GTK_WIDGET (self), "failed");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "failed");
}

static void
update_author (ConfabMessageRow *self)
{
  const char *model = confab_message_get_model (self->message);
  const char *author;

  switch (confab_message_get_role (self->message))
    {
    case CONFAB_MESSAGE_ROLE_USER:
      author = _("You");
      break;
    case CONFAB_MESSAGE_ROLE_SYSTEM:
      author = _("System");
      break;
    case CONFAB_MESSAGE_ROLE_ASSISTANT:
      author = model != NULL && *model != '\0' ? model : _("Assistant");
      break;
    default:
      g_assert_not_reached ();
    }

  gtk_label_set_label (self->author_label, author);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->text_view),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, author,
                                  -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, author,
                                  -1);
}

static void
copy_clicked_cb (ConfabMessageRow *self,
                 GtkButton        *button)
{
  confab_message_row_copy (self);
}

static gboolean
resize_tick_cb (GtkWidget     *widget,
                GdkFrameClock *frame_clock,
                gpointer       user_data)
{
  ConfabMessageRow *self = CONFAB_MESSAGE_ROW (widget);

  self->resize_tick_id = 0;
  gtk_widget_queue_resize (GTK_WIDGET (self->text_view));

  return G_SOURCE_REMOVE;
}

static void
confab_message_row_size_allocate (GtkWidget *widget,
                                  int        width,
                                  int        height,
                                  int        baseline)
{
  ConfabMessageRow *self = CONFAB_MESSAGE_ROW (widget);

  GTK_WIDGET_CLASS (confab_message_row_parent_class)->size_allocate (widget, width, height,
                                                                    baseline);

  /* GtkTextView measures its height for the width it last had, and when
   * a new width changes that height, GTK 4.8 drops the resize it queues
   * from inside the allocation: a new row could stay as tall as its text
   * wrapped at the minimum width. When the view now wants another height
   * than it got, ask again in the next frame. */
  if (gtk_widget_get_visible (GTK_WIDGET (self->text_view)) && self->resize_tick_id == 0)
    {
      int wanted;

      gtk_widget_measure (GTK_WIDGET (self->text_view), GTK_ORIENTATION_VERTICAL,
                          gtk_widget_get_width (GTK_WIDGET (self->text_view)),
                          NULL, &wanted, NULL, NULL);
      if (wanted != gtk_widget_get_height (GTK_WIDGET (self->text_view)))
        self->resize_tick_id = gtk_widget_add_tick_callback (widget, resize_tick_cb, NULL, NULL);
    }
}

static void
confab_message_row_map (GtkWidget *widget)
{
  ConfabMessageRow *self = CONFAB_MESSAGE_ROW (widget);

  GTK_WIDGET_CLASS (confab_message_row_parent_class)->map (widget);

  flush_pending (self);
}

static void
confab_message_row_unmap (GtkWidget *widget)
{
  ConfabMessageRow *self = CONFAB_MESSAGE_ROW (widget);

  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (widget, self->tick_id);
      self->tick_id = 0;
    }
  if (self->resize_tick_id != 0)
    {
      gtk_widget_remove_tick_callback (widget, self->resize_tick_id);
      self->resize_tick_id = 0;
    }

  GTK_WIDGET_CLASS (confab_message_row_parent_class)->unmap (widget);
}

static void
set_message (ConfabMessageRow *self,
             ConfabMessage    *message)
{
  g_assert (self->message == NULL);

  self->message = g_object_ref (message);

  g_signal_connect_object (message, "delta-appended",
                           G_CALLBACK (delta_appended_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (message, "text-cleared",
                           G_CALLBACK (text_cleared_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (message, "notify::state",
                           G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (message, "notify::error-message",
                           G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (message, "notify::finish-reason",
                           G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (message, "notify::model",
                           G_CALLBACK (update_author), self, G_CONNECT_SWAPPED);

  switch (confab_message_get_role (message))
    {
    case CONFAB_MESSAGE_ROLE_USER:
      gtk_widget_add_css_class (GTK_WIDGET (self), "user");
      break;
    case CONFAB_MESSAGE_ROLE_ASSISTANT:
      gtk_widget_add_css_class (GTK_WIDGET (self), "assistant");
      break;
    case CONFAB_MESSAGE_ROLE_SYSTEM:
      gtk_widget_add_css_class (GTK_WIDGET (self), "system");
      break;
    default:
      g_assert_not_reached ();
    }

  update_author (self);
  update_state (self);
}

static void
confab_message_row_dispose (GObject *object)
{
  ConfabMessageRow *self = (ConfabMessageRow *)object;

  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
      self->tick_id = 0;
    }
  if (self->resize_tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->resize_tick_id);
      self->resize_tick_id = 0;
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_MESSAGE_ROW);
  g_clear_object (&self->message);

  G_OBJECT_CLASS (confab_message_row_parent_class)->dispose (object);
}

static void
confab_message_row_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  ConfabMessageRow *self = CONFAB_MESSAGE_ROW (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      g_value_set_object (value, self->message);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_message_row_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  ConfabMessageRow *self = CONFAB_MESSAGE_ROW (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      set_message (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_message_row_class_init (ConfabMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_message_row_dispose;
  object_class->get_property = confab_message_row_get_property;
  object_class->set_property = confab_message_row_set_property;
  widget_class->size_allocate = confab_message_row_size_allocate;
  widget_class->map = confab_message_row_map;
  widget_class->unmap = confab_message_row_unmap;

  properties[PROP_MESSAGE] =
    g_param_spec_object ("message", NULL, NULL, CONFAB_TYPE_MESSAGE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/ui/confab-message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, box);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, author_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, copy_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, text_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, error_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, error_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, retry_button);
  gtk_widget_class_bind_template_callback (widget_class, copy_clicked_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "confab-message-row");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
confab_message_row_init (ConfabMessageRow *self)
{
  GtkTextBuffer *buffer;

  gtk_widget_init_template (GTK_WIDGET (self));

  buffer = gtk_text_view_get_buffer (self->text_view);
  self->soft_break_tag = gtk_text_buffer_create_tag (buffer, "soft-break", NULL);
  g_signal_connect_object (self->text_view, "copy-clipboard",
                           G_CALLBACK (copy_clipboard_cb), self, G_CONNECT_SWAPPED);
}

/**
 * confab_message_row_new:
 * @message: the message to show
 *
 * Returns: (transfer full): a new row
 */
GtkWidget *
confab_message_row_new (ConfabMessage *message)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (message), NULL);

  return g_object_new (CONFAB_TYPE_MESSAGE_ROW, "message", message, NULL);
}

/**
 * confab_message_row_get_message:
 * @self: a #ConfabMessageRow
 *
 * Returns: (transfer none): the message
 */
ConfabMessage *
confab_message_row_get_message (ConfabMessageRow *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_ROW (self), NULL);

  return self->message;
}

/**
 * confab_message_row_dup_text:
 * @self: a #ConfabMessageRow
 *
 * Returns: (transfer full): the message's text exactly as received
 */
char *
confab_message_row_dup_text (ConfabMessageRow *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_ROW (self), NULL);

  return g_strdup (confab_message_get_content (self->message));
}

/**
 * confab_message_row_get_text_view:
 * @self: a #ConfabMessageRow
 *
 * Returns: (transfer none): the view showing the text
 */
GtkTextView *
confab_message_row_get_text_view (ConfabMessageRow *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_ROW (self), NULL);

  return self->text_view;
}

/**
 * confab_message_row_copy:
 * @self: a #ConfabMessageRow
 *
 * Puts the message's text, exactly as the model wrote it, on the
 * clipboard.
 */
void
confab_message_row_copy (ConfabMessageRow *self)
{
  g_return_if_fail (CONFAB_IS_MESSAGE_ROW (self));

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)),
                          confab_message_get_content (self->message));
}

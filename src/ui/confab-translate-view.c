/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-translate-view"

#include "config.h"

#include "confab-translate-view.h"

#include <glib/gi18n.h>
#include <string.h>

#include "confab-message.h"
#include "confab-translation.h"

/* A text longer than this goes as several requests, cut at paragraphs:
 * each reply then stays within what models write in one go. */
#define PIECE_BYTES 6000
/* Translating as you type waits for this pause in the typing (ms): long
 * enough not to send a request for each word typed at a usual pace, short
 * enough to feel immediate. */
#define TYPING_PAUSE_MS 700
/* The recent translations the popover lists, and how many characters of
 * each text a row shows. */
#define RECENT_SHOWN 50
#define SNIPPET_CHARS 60

struct _ConfabTranslateView
{
  GtkWidget parent_instance;

  /* template children */
  GtkDropDown *from_dropdown;
  GtkDropDown *to_dropdown;
  GtkDropDown *tone_dropdown;
  GtkTextView *source_view;
  GtkTextView *target_view;
  GtkTextView *glossary_view;
  GtkLabel    *status_label;
  GtkWidget   *stop_button;
  GtkWidget   *translate_button;
  GtkCheckButton *as_you_type_button;
  GtkMenuButton *recent_button;
  GtkPopover  *recent_popover;
  GtkStack    *recent_stack;
  GtkListBox  *recent_list;
  GtkWidget   *clear_history_button;

  /* owned */
  ConfabClient  *client;
  char          *model;
  GCancellable  *cancellable;
  GPtrArray     *pieces;
  ConfabMessage *reply;
  ConfabStore   *store;
  GSettings     *settings;
  /* the recent translations listed, in the order of the rows */
  GPtrArray     *recent;
  GCancellable  *recent_cancellable;
  /* what the translation under way translates, to keep it when done */
  ConfabStoredTranslation *current;

  /* source ids */
  guint typing_id;

  /* plain state */
  /* each translation's number: a reply of an older one is dropped */
  guint generation;
  guint piece;
  gsize shown;
  /* text put in the source by the view itself, not typed */
  gboolean quiet;
  /* whether the translation under way was started by a pause in typing */
  gboolean typed;
  /* the typing that goes on: its translations replace each other in the
   * recent ones; anything else starts another */
  guint  typing_session;
  gint64 typed_row_id;
};

G_DEFINE_FINAL_TYPE (ConfabTranslateView, confab_translate_view, GTK_TYPE_WIDGET)

static void translate_piece  (ConfabTranslateView *self);
static void save_translation (ConfabTranslateView *self);

/* The source list has "Detect automatically" first, then the languages;
 * the target list the languages alone. These take and give the source
 * list's positions: a target position is one less. */
static const char *
code_at (guint position)
{
  guint n;
  const ConfabLanguage *languages = confab_languages_get (&n);

  return position == 0 || position > n ? NULL : languages[position - 1].code;
}

static guint
position_of (const char *code)
{
  guint n;
  const ConfabLanguage *languages = confab_languages_get (&n);

  for (guint i = 0; i < n; i++)
    if (g_str_equal (languages[i].code, code))
      return i + 1;

  return 0;
}

static char *
buffer_text (GtkTextView *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
append_target (ConfabTranslateView *self,
               const char          *text,
               gssize               len)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->target_view);
  GtkTextIter end;

  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_insert (buffer, &end, text, len);
}

static void
set_busy (ConfabTranslateView *self,
          gboolean             busy)
{
  gtk_widget_set_visible (self->stop_button, busy);
  gtk_widget_set_visible (self->translate_button, !busy);
}

/* The glossary's lines "term = translation", as pairs. */
static GStrv
glossary_pairs (ConfabTranslateView *self)
{
  g_autofree char *text = buffer_text (self->glossary_view);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(GStrvBuilder) pairs = g_strv_builder_new ();

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) sides = g_strsplit (lines[i], "=", 2);

      if (g_strv_length (sides) != 2)
        continue;
      g_strstrip (sides[0]);
      g_strstrip (sides[1]);
      if (*sides[0] == '\0' || *sides[1] == '\0')
        continue;
      g_strv_builder_add (pairs, sides[0]);
      g_strv_builder_add (pairs, sides[1]);
    }

  return g_strv_builder_end (pairs);
}

static void
delta_cb (ConfabTranslateView *self,
          int                  part,
          ConfabMessage       *reply)
{
  gsize len;

  if (reply != self->reply || part != CONFAB_MESSAGE_PART_CONTENT)
    return;

  len = confab_message_get_content_length (reply);
  append_target (self, confab_message_get_content (reply) + self->shown, len - self->shown);
  self->shown = len;
}

typedef struct
{
  ConfabTranslateView *self;
  guint                generation;
} Pending;

typedef struct
{
  ConfabTranslateView *self;
  gboolean             typed;
  guint                typing_session;
} Saving;

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Saving *saving = user_data;
  g_autoptr(ConfabTranslateView) self = saving->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoredTranslation) saved = NULL;
  gboolean typing_goes_on = saving->typed && saving->typing_session == self->typing_session;

  g_free (saving);
  saved = confab_store_add_translation_finish (CONFAB_STORE (object), result, &error);
  if (saved == NULL)
    {
      /* The translation is on screen still; only the list misses it. */
      g_debug ("translation not kept: %s %d", g_quark_to_string (error->domain), error->code);
      return;
    }

  if (typing_goes_on)
    self->typed_row_id = saved->id;
}

/* A finished translation joins the recent ones. While the user types, each
 * pause's translation replaces the one before it. */
static void
save_translation (ConfabTranslateView *self)
{
  g_autofree char *target = NULL;
  Saving *saving;

  if (self->current == NULL)
    return;

  target = buffer_text (self->target_view);
  g_free (self->current->target);
  self->current->target = g_steal_pointer (&target);
  self->current->id = self->typed ? self->typed_row_id : 0;
  if (self->store == NULL)
    return;

  saving = g_new0 (Saving, 1);
  saving->self = g_object_ref (self);
  saving->typed = self->typed;
  saving->typing_session = self->typing_session;
  confab_store_add_translation_async (self->store, self->current, NULL, saved_cb, saving);
}

static void
finished_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Pending *pending = user_data;
  g_autoptr(ConfabTranslateView) self = pending->self;
  g_autoptr(GError) error = NULL;
  gboolean ok = confab_client_stream_finish (CONFAB_CLIENT (object), result, &error);
  const char *piece;
  const char *tail;
  guint generation = pending->generation;

  g_free (pending);

  /* A newer translation began: this one's end is not its. */
  if (generation != self->generation)
    return;

  if (!ok)
    {
      set_busy (self, FALSE);
      gtk_label_set_label (self->status_label,
                           g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                           ? _("Stopped.") : error->message);
      return;
    }

  /* The blank lines that ended the piece end its translation too. */
  piece = g_ptr_array_index (self->pieces, self->piece);
  tail = piece + strlen (piece);
  while (tail > piece && (tail[-1] == '\n' || tail[-1] == '\r'))
    tail--;
  if (*tail != '\0')
    append_target (self, tail, -1);

  self->piece++;
  if (self->piece < self->pieces->len)
    {
      translate_piece (self);
      return;
    }

  set_busy (self, FALSE);
  gtk_label_set_label (self->status_label, "");
  save_translation (self);
}

static void
translate_piece (ConfabTranslateView *self)
{
  guint from = gtk_drop_down_get_selected (self->from_dropdown);
  guint to = gtk_drop_down_get_selected (self->to_dropdown);
  g_auto(GStrv) glossary = glossary_pairs (self);
  g_autoptr(ConfabRequest) request = NULL;
  Pending *pending;

  if (self->reply != NULL)
    g_signal_handlers_disconnect_by_data (self->reply, self);
  g_clear_object (&self->reply);
  self->reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  self->shown = 0;
  g_signal_connect_object (self->reply, "delta-appended", G_CALLBACK (delta_cb), self,
                           G_CONNECT_SWAPPED);

  request = confab_translation_build_request (self->model != NULL ? self->model : "",
                                              g_ptr_array_index (self->pieces, self->piece),
                                              code_at (from), code_at (to + 1),
                                              (ConfabTone)gtk_drop_down_get_selected (self->tone_dropdown),
                                              (const char * const *)glossary);

  if (self->pieces->len > 1)
    {
      g_autofree char *status = g_strdup_printf (_("Translating part %u of %u…"),
                                                 self->piece + 1, self->pieces->len);

      gtk_label_set_label (self->status_label, status);
    }
  else
    gtk_label_set_label (self->status_label, _("Translating…"));

  pending = g_new0 (Pending, 1);
  pending->self = g_object_ref (self);
  pending->generation = self->generation;
  confab_client_stream_async (self->client, request, self->reply, self->cancellable,
                              finished_cb, pending);
}

/* Whatever the user does next starts another set of recent translations
 * than the one the typing made. */
static void
end_typing (ConfabTranslateView *self)
{
  g_clear_handle_id (&self->typing_id, g_source_remove);
  self->typing_session++;
  self->typed_row_id = 0;
}

/* Whether the last translation ended complete, is what the view shows,
 * and was of @text between these languages. */
static gboolean
shows_translation_of (ConfabTranslateView *self,
                      const char          *text,
                      const char          *from,
                      const char          *to)
{
  g_autofree char *shown = NULL;

  if (self->current == NULL || *self->current->target == '\0' ||
      gtk_widget_get_visible (self->stop_button) ||
      !g_str_equal (self->current->source, text) ||
      g_strcmp0 (self->current->source_language, from) != 0 ||
      g_strcmp0 (self->current->target_language, to) != 0)
    return FALSE;

  shown = buffer_text (self->target_view);
  return g_str_equal (shown, self->current->target);
}

static void
start_translation (ConfabTranslateView *self,
                   gboolean             typed)
{
  g_autofree char *text = NULL;
  g_autofree char *stripped = NULL;
  guint from = gtk_drop_down_get_selected (self->from_dropdown);
  guint to = gtk_drop_down_get_selected (self->to_dropdown);

  if (!typed)
    end_typing (self);

  text = buffer_text (self->source_view);
  stripped = g_strstrip (g_strdup (text));
  if (*stripped == '\0' || self->client == NULL)
    {
      /* A pause in typing after the text was erased is no mistake. */
      if (!typed)
        gtk_label_set_label (self->status_label, _("Type or paste the text to translate."));
      return;
    }

  /* A pause after keys that changed nothing in the end (a letter typed
   * and erased) asks nothing when the translation shown is of this text. */
  if (typed && shows_translation_of (self, text, code_at (from), code_at (to + 1)))
    return;

  /* The translation under way is stopped, and any late reply of it is
   * dropped by its generation. */
  confab_translate_view_stop (self);
  self->generation++;
  self->typed = typed;
  g_clear_pointer (&self->current, confab_stored_translation_free);
  self->current = confab_stored_translation_new (text, "", code_at (from), code_at (to + 1),
                                                 self->model);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_pointer (&self->pieces, g_ptr_array_unref);
  self->pieces = confab_translation_split (text, PIECE_BYTES);
  self->piece = 0;
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->target_view), "", 0);
  set_busy (self, TRUE);
  translate_piece (self);
}

/**
 * confab_translate_view_translate:
 * @self: a #ConfabTranslateView
 *
 * Translates the source text, replacing any translation under way. An
 * empty source sends nothing.
 */
void
confab_translate_view_translate (ConfabTranslateView *self)
{
  g_return_if_fail (CONFAB_IS_TRANSLATE_VIEW (self));

  start_translation (self, FALSE);
}

static gboolean
typing_paused_cb (gpointer user_data)
{
  ConfabTranslateView *self = user_data;

  self->typing_id = 0;
  start_translation (self, TRUE);

  return G_SOURCE_REMOVE;
}

/* Each change restarts the wait, so a translation starts only once the
 * typing pauses. */
static void
source_changed_cb (ConfabTranslateView *self)
{
  if (self->quiet)
    return;

  g_clear_handle_id (&self->typing_id, g_source_remove);
  if (gtk_check_button_get_active (self->as_you_type_button))
    self->typing_id = g_timeout_add (TYPING_PAUSE_MS, typing_paused_cb, self);
}

static void
set_source_quietly (ConfabTranslateView *self,
                    const char          *text)
{
  self->quiet = TRUE;
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->source_view), text, -1);
  self->quiet = FALSE;
}

/**
 * confab_translate_view_stop:
 * @self: a #ConfabTranslateView
 *
 * Returns: whether a translation was under way; what came of it stays
 */
gboolean
confab_translate_view_stop (ConfabTranslateView *self)
{
  g_return_val_if_fail (CONFAB_IS_TRANSLATE_VIEW (self), FALSE);

  g_clear_handle_id (&self->typing_id, g_source_remove);
  if (!gtk_widget_get_visible (self->stop_button))
    return FALSE;

  g_cancellable_cancel (self->cancellable);
  return TRUE;
}

/**
 * confab_translate_view_set_source:
 * @self: a #ConfabTranslateView
 * @text: the text to translate
 */
void
confab_translate_view_set_source (ConfabTranslateView *self,
                                  const char          *text)
{
  g_return_if_fail (CONFAB_IS_TRANSLATE_VIEW (self));

  end_typing (self);
  set_source_quietly (self, text);
}

/**
 * confab_translate_view_set_languages:
 * @self: a #ConfabTranslateView
 * @from: (nullable): the source language's tag, "auto" to have the model
 *   tell, or %NULL to keep the one chosen
 * @to: (nullable): the target language's tag, or %NULL to keep the one
 *   chosen
 *
 * Chooses the languages. An unknown tag leaves its choice as it was.
 */
void
confab_translate_view_set_languages (ConfabTranslateView *self,
                                     const char          *from,
                                     const char          *to)
{
  g_return_if_fail (CONFAB_IS_TRANSLATE_VIEW (self));

  if (g_strcmp0 (from, "auto") == 0)
    gtk_drop_down_set_selected (self->from_dropdown, 0);
  else if (from != NULL && position_of (from) > 0)
    gtk_drop_down_set_selected (self->from_dropdown, position_of (from));

  if (to != NULL && position_of (to) > 0)
    gtk_drop_down_set_selected (self->to_dropdown, position_of (to) - 1);
}

static void
pasted_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ConfabTranslateView) self = user_data;
  g_autofree char *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, NULL);

  if (text == NULL || *text == '\0')
    {
      gtk_label_set_label (self->status_label, _("The clipboard holds no text."));
      return;
    }

  confab_translate_view_set_source (self, text);
  confab_translate_view_translate (self);
}

/**
 * confab_translate_view_paste_and_translate:
 * @self: a #ConfabTranslateView
 *
 * Puts the clipboard's text in the source, and translates it.
 */
void
confab_translate_view_paste_and_translate (ConfabTranslateView *self)
{
  g_return_if_fail (CONFAB_IS_TRANSLATE_VIEW (self));

  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (self)), NULL, pasted_cb,
                                 g_object_ref (self));
}

/**
 * confab_translate_view_copy:
 * @self: a #ConfabTranslateView
 *
 * Copies the whole translation.
 */
void
confab_translate_view_copy (ConfabTranslateView *self)
{
  g_autofree char *text = NULL;

  g_return_if_fail (CONFAB_IS_TRANSLATE_VIEW (self));

  text = buffer_text (self->target_view);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
}

/**
 * confab_translate_view_swap:
 * @self: a #ConfabTranslateView
 *
 * Swaps the languages, and the texts: the translation becomes the source.
 */
void
confab_translate_view_swap (ConfabTranslateView *self)
{
  guint from = gtk_drop_down_get_selected (self->from_dropdown);
  guint to = gtk_drop_down_get_selected (self->to_dropdown);
  g_autofree char *source = NULL;
  g_autofree char *target = NULL;

  g_return_if_fail (CONFAB_IS_TRANSLATE_VIEW (self));

  confab_translate_view_stop (self);

  /* "Detect" has no other side: the target becomes the source language,
   * and the source, not known, is left to the target. */
  gtk_drop_down_set_selected (self->from_dropdown, to + 1);
  if (from != 0)
    gtk_drop_down_set_selected (self->to_dropdown, from - 1);

  source = buffer_text (self->source_view);
  target = buffer_text (self->target_view);
  end_typing (self);
  set_source_quietly (self, target);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->target_view), source, -1);
}

/**
 * confab_translate_view_clear:
 * @self: a #ConfabTranslateView
 */
void
confab_translate_view_clear (ConfabTranslateView *self)
{
  g_return_if_fail (CONFAB_IS_TRANSLATE_VIEW (self));

  confab_translate_view_stop (self);
  end_typing (self);
  set_source_quietly (self, "");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->target_view), "", 0);
  gtk_label_set_label (self->status_label, "");
  gtk_widget_grab_focus (GTK_WIDGET (self->source_view));
}

/**
 * confab_translate_view_focus_source:
 * @self: a #ConfabTranslateView
 */
void
confab_translate_view_focus_source (ConfabTranslateView *self)
{
  g_return_if_fail (CONFAB_IS_TRANSLATE_VIEW (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->source_view));
}

/* One line of at most SNIPPET_CHARS characters, with each run of spaces
 * and line ends as one space: paragraphs follow each other in it. */
static char *
dup_snippet (const char *text)
{
  g_autoptr(GString) line = g_string_new (NULL);
  glong n_chars = 0;

  for (const char *p = text; *p != '\0' && n_chars <= SNIPPET_CHARS; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c))
        {
          if (line->len == 0 || line->str[line->len - 1] == ' ')
            continue;
          c = ' ';
        }
      g_string_append_unichar (line, c);
      n_chars++;
    }

  if (n_chars > SNIPPET_CHARS)
    {
      g_autofree char *start = g_utf8_substring (line->str, 0, SNIPPET_CHARS);

      return g_strconcat (g_strchomp (start), "…", NULL);
    }

  return g_strchomp (g_string_free (g_steal_pointer (&line), FALSE));
}

static GtkWidget *
snippet_label (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_single_line_mode (GTK_LABEL (label), TRUE);

  return label;
}

/* A row shows the start of the source over the start of its translation;
 * its accessible name has both. */
static GtkWidget *
recent_row (const ConfabStoredTranslation *translation)
{
  g_autofree char *source = dup_snippet (translation->source);
  g_autofree char *target = dup_snippet (translation->target);
  g_autofree char *name = NULL;
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *target_label = snippet_label (target);

  gtk_widget_add_css_class (target_label, "dim-label");
  gtk_box_append (GTK_BOX (box), snippet_label (source));
  gtk_box_append (GTK_BOX (box), target_label);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);

  /* Translators: a recent translation in a list: the start of the text,
   * then the start of its translation */
  name = g_strdup_printf (_("%s → %s"), source, target);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  gtk_widget_set_tooltip_text (row, translation->source);

  return row;
}

static void
show_recent (ConfabTranslateView *self,
             GPtrArray           *recent)
{
  GtkListBoxRow *row;

  while ((row = gtk_list_box_get_row_at_index (self->recent_list, 0)) != NULL)
    gtk_list_box_remove (self->recent_list, GTK_WIDGET (row));

  g_clear_pointer (&self->recent, g_ptr_array_unref);
  if (recent != NULL)
    self->recent = g_ptr_array_ref (recent);

  for (guint i = 0; recent != NULL && i < recent->len; i++)
    gtk_list_box_append (self->recent_list, recent_row (recent->pdata[i]));

  gtk_stack_set_visible_child_name (self->recent_stack,
                                    recent != NULL && recent->len > 0 ? "list" : "empty");
  gtk_widget_set_sensitive (self->clear_history_button, recent != NULL && recent->len > 0);

  /* The rows come after the popover took the focus: Enter then restores
   * the newest translation, rather than pressing Clear History. */
  if (recent != NULL && recent->len > 0 &&
      gtk_widget_get_visible (GTK_WIDGET (self->recent_popover)))
    gtk_widget_grab_focus (GTK_WIDGET (gtk_list_box_get_row_at_index (self->recent_list, 0)));
}

static void
recent_listed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(ConfabTranslateView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) recent = NULL;

  recent = confab_store_list_translations_finish (CONFAB_STORE (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (recent == NULL)
    g_debug ("recent translations not read: %s %d", g_quark_to_string (error->domain),
             error->code);

  show_recent (self, recent);
}

static void
load_recent (ConfabTranslateView *self)
{
  g_cancellable_cancel (self->recent_cancellable);
  g_clear_object (&self->recent_cancellable);

  if (self->store == NULL)
    {
      show_recent (self, NULL);
      return;
    }

  self->recent_cancellable = g_cancellable_new ();
  confab_store_list_translations_async (self->store, RECENT_SHOWN, self->recent_cancellable,
                                        recent_listed_cb, g_object_ref (self));
}

static void
recent_shown_cb (ConfabTranslateView *self)
{
  load_recent (self);
}

/* A recent translation comes back as it was, languages included, without
 * asking the model again. */
static void
recent_activated_cb (ConfabTranslateView *self,
                     GtkListBoxRow       *row)
{
  int index = gtk_list_box_row_get_index (row);
  const ConfabStoredTranslation *translation;

  if (self->recent == NULL || index < 0 || (guint)index >= self->recent->len)
    return;

  translation = self->recent->pdata[index];
  confab_translate_view_stop (self);
  /* What the stopped translation would still say is not this one's. */
  self->generation++;
  set_busy (self, FALSE);
  end_typing (self);
  confab_translate_view_set_languages (self,
                                       translation->source_language != NULL
                                       ? translation->source_language : "auto",
                                       translation->target_language);
  set_source_quietly (self, translation->source);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->target_view), translation->target,
                            -1);
  gtk_label_set_label (self->status_label, "");
  gtk_popover_popdown (self->recent_popover);
  gtk_widget_grab_focus (GTK_WIDGET (self->source_view));
}

static void
history_cleared_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(ConfabTranslateView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!confab_store_clear_translations_finish (CONFAB_STORE (object), result, &error))
    {
      gtk_label_set_label (self->status_label, error->message);
      return;
    }

  end_typing (self);
  load_recent (self);
}

static void
clear_history_cb (ConfabTranslateView *self)
{
  if (self->store == NULL)
    return;

  confab_store_clear_translations_async (self->store, NULL, history_cleared_cb,
                                         g_object_ref (self));
}

static void
action_cb (GtkWidget  *widget,
           const char *action_name,
           GVariant   *parameter)
{
  ConfabTranslateView *self = CONFAB_TRANSLATE_VIEW (widget);

  if (g_str_equal (action_name, "translate.translate"))
    confab_translate_view_translate (self);
  else if (g_str_equal (action_name, "translate.paste"))
    confab_translate_view_paste_and_translate (self);
  else if (g_str_equal (action_name, "translate.copy"))
    confab_translate_view_copy (self);
  else if (g_str_equal (action_name, "translate.swap"))
    confab_translate_view_swap (self);
  else if (g_str_equal (action_name, "translate.clear"))
    confab_translate_view_clear (self);
  else if (g_str_equal (action_name, "translate.stop"))
    confab_translate_view_stop (self);
  else if (g_str_equal (action_name, "translate.recent"))
    gtk_menu_button_popup (self->recent_button);
}

static GListModel *
language_model (gboolean with_detect)
{
  guint n;
  const ConfabLanguage *languages = confab_languages_get (&n);
  GtkStringList *list = gtk_string_list_new (NULL);

  if (with_detect)
    gtk_string_list_append (list, _("Detect automatically"));
  for (guint i = 0; i < n; i++)
    gtk_string_list_append (list, languages[i].native_name);

  return G_LIST_MODEL (list);
}

static void
confab_translate_view_dispose (GObject *object)
{
  ConfabTranslateView *self = CONFAB_TRANSLATE_VIEW (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->recent_cancellable);
  g_clear_handle_id (&self->typing_id, g_source_remove);
  if (self->reply != NULL)
    g_signal_handlers_disconnect_by_data (self->reply, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_TRANSLATE_VIEW);
  /* The template's top box, which C does not bind: GTK 4.8 leaves it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->reply);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->recent_cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->store);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->pieces, g_ptr_array_unref);
  g_clear_pointer (&self->recent, g_ptr_array_unref);
  g_clear_pointer (&self->current, confab_stored_translation_free);

  G_OBJECT_CLASS (confab_translate_view_parent_class)->dispose (object);
}

static void
confab_translate_view_finalize (GObject *object)
{
  ConfabTranslateView *self = CONFAB_TRANSLATE_VIEW (object);

  g_clear_pointer (&self->model, g_free);

  G_OBJECT_CLASS (confab_translate_view_parent_class)->finalize (object);
}

static void
confab_translate_view_class_init (ConfabTranslateViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  static const char * const actions[] = {
    "translate.translate", "translate.paste", "translate.copy", "translate.swap",
    "translate.clear", "translate.stop", "translate.recent",
  };

  object_class->dispose = confab_translate_view_dispose;
  object_class->finalize = confab_translate_view_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/ui/confab-translate-view.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabTranslateView, from_dropdown);
  gtk_widget_class_bind_template_child (widget_class, ConfabTranslateView, to_dropdown);
  gtk_widget_class_bind_template_child (widget_class, ConfabTranslateView, tone_dropdown);
  gtk_widget_class_bind_template_child (widget_class, ConfabTranslateView, source_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabTranslateView, target_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabTranslateView, glossary_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabTranslateView, status_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabTranslateView, stop_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabTranslateView, translate_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabTranslateView, as_you_type_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabTranslateView, recent_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabTranslateView, recent_popover);
  gtk_widget_class_bind_template_child (widget_class, ConfabTranslateView, recent_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabTranslateView, recent_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabTranslateView,
                                        clear_history_button);
  gtk_widget_class_bind_template_callback (widget_class, recent_shown_cb);
  gtk_widget_class_bind_template_callback (widget_class, recent_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, clear_history_cb);

  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    gtk_widget_class_install_action (widget_class, actions[i], NULL, action_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "confab-translate-view");
}

static void
confab_translate_view_init (ConfabTranslateView *self)
{
  GtkStringList *tones = gtk_string_list_new (NULL);
  g_autoptr(GListModel) from = language_model (TRUE);
  g_autoptr(GListModel) to = language_model (FALSE);

  static const struct
  {
    guint           key;
    GdkModifierType mods;
    const char     *action;
  } keys[] = {
    { GDK_KEY_Return, GDK_CONTROL_MASK, "translate.translate" },
    { GDK_KEY_KP_Enter, GDK_CONTROL_MASK, "translate.translate" },
    { GDK_KEY_v, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "translate.paste" },
    { GDK_KEY_c, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "translate.copy" },
    { GDK_KEY_s, GDK_CONTROL_MASK, "translate.swap" },
    { GDK_KEY_d, GDK_CONTROL_MASK, "translate.clear" },
    { GDK_KEY_h, GDK_CONTROL_MASK, "translate.recent" },
    { GDK_KEY_Escape, 0, "translate.stop" },
  };
  GtkEventController *shortcuts = gtk_shortcut_controller_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Before the text views see them: a text view takes Ctrl+Enter as a
   * new line. */
  gtk_event_controller_set_propagation_phase (shortcuts, GTK_PHASE_CAPTURE);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                          gtk_shortcut_new (gtk_keyval_trigger_new (keys[i].key,
                                                                                    keys[i].mods),
                                                            gtk_named_action_new (keys[i].action)));
  gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                                  GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                              12);

  /* Korean into Japanese, the founding example. */
  gtk_drop_down_set_model (self->from_dropdown, from);
  gtk_drop_down_set_model (self->to_dropdown, to);
  gtk_drop_down_set_selected (self->from_dropdown, position_of ("ko"));
  gtk_drop_down_set_selected (self->to_dropdown, position_of ("ja") - 1);

  gtk_string_list_append (tones, C_("tone", "Neutral"));
  gtk_string_list_append (tones, C_("tone", "Formal"));
  gtk_string_list_append (tones, C_("tone", "Casual"));
  gtk_drop_down_set_model (self->tone_dropdown, G_LIST_MODEL (tones));
  g_object_unref (tones);

  g_signal_connect_object (gtk_text_view_get_buffer (self->source_view), "changed",
                           G_CALLBACK (source_changed_cb), self, G_CONNECT_SWAPPED);
}

/**
 * confab_translate_view_set_client:
 * @self: a #ConfabTranslateView
 * @client: the client translations go through
 */
void
confab_translate_view_set_client (ConfabTranslateView *self,
                                  ConfabClient        *client)
{
  g_return_if_fail (CONFAB_IS_TRANSLATE_VIEW (self));

  g_set_object (&self->client, client);
}

/**
 * confab_translate_view_set_model:
 * @self: a #ConfabTranslateView
 * @model: the model to ask
 */
void
confab_translate_view_set_model (ConfabTranslateView *self,
                                 const char          *model)
{
  g_return_if_fail (CONFAB_IS_TRANSLATE_VIEW (self));

  g_free (self->model);
  self->model = g_strdup (model);
}

/**
 * confab_translate_view_set_store:
 * @self: a #ConfabTranslateView
 * @store: (nullable): where the recent translations are kept
 */
void
confab_translate_view_set_store (ConfabTranslateView *self,
                                 ConfabStore         *store)
{
  g_return_if_fail (CONFAB_IS_TRANSLATE_VIEW (self));
  g_return_if_fail (!store || CONFAB_IS_STORE (store));

  g_set_object (&self->store, store);
}

/**
 * confab_translate_view_set_settings:
 * @self: a #ConfabTranslateView
 * @settings: (nullable): the application's settings, whose
 *   translate-as-you-type key the view follows and sets
 */
void
confab_translate_view_set_settings (ConfabTranslateView *self,
                                    GSettings           *settings)
{
  g_return_if_fail (CONFAB_IS_TRANSLATE_VIEW (self));
  g_return_if_fail (!settings || G_IS_SETTINGS (settings));

  if (self->settings == settings)
    return;

  if (self->settings != NULL)
    g_settings_unbind (self->as_you_type_button, "active");
  g_set_object (&self->settings, settings);
  if (settings != NULL)
    g_settings_bind (settings, "translate-as-you-type", self->as_you_type_button, "active",
                     G_SETTINGS_BIND_DEFAULT);
}

/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "confab-message-row.h"

/* The row shows a long paragraph as several (GtkTextView relays a whole
 * paragraph out on every change), yet the message, Copy and a copied
 * selection keep the text exactly as the model wrote it. */

static char *
buffer_text_without_soft_breaks (GtkTextBuffer *buffer,
                                 guint         *n_breaks,
                                 gsize         *longest)
{
  GtkTextTag *tag = gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (buffer),
                                               "soft-break");
  GString *text = g_string_new (NULL);
  GtkTextIter iter;
  gsize paragraph = 0;

  *n_breaks = 0;
  *longest = 0;
  for (gtk_text_buffer_get_start_iter (buffer, &iter);
       !gtk_text_iter_is_end (&iter);
       gtk_text_iter_forward_char (&iter))
    {
      gunichar c = gtk_text_iter_get_char (&iter);

      if (c == '\n')
        {
          *longest = MAX (*longest, paragraph);
          paragraph = 0;
        }
      else
        {
          paragraph += g_unichar_to_utf8 (c, NULL);
        }

      if (gtk_text_iter_has_tag (&iter, tag))
        {
          (*n_breaks)++;
          continue;
        }
      g_string_append_unichar (text, c);
    }
  *longest = MAX (*longest, paragraph);

  return g_string_free (text, FALSE);
}

static void
read_text_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  char **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, &error);
  g_assert_no_error (error);
}

static char *
read_clipboard (GtkWidget *widget)
{
  char *text = NULL;

  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (widget), NULL, read_text_cb, &text);
  while (text == NULL)
    g_main_context_iteration (NULL, TRUE);

  return text;
}

typedef struct
{
  const char *name;
  const char *piece;
  gsize       total;
  gboolean    expect_breaks;
} LongCase;

static const LongCase long_cases[] = {
  { "english", "the quick brown fox jumps over the lazy dog ", 50 * 1024, TRUE },
  { "japanese", "今日は本当にいい天気ですね。", 50 * 1024, TRUE },
  { "korean", "안녕하세요 오늘 날씨가 참 좋군요 ", 50 * 1024, TRUE },
  { "no-break-at-all", "aGVsbG8gd29ybGQ=", 50 * 1024, TRUE },
  { "emoji", "☀️👋🏽", 20 * 1024, TRUE },
  { "short-lines", "a short line\n", 50 * 1024, FALSE },
};

static void
test_long_paragraph (gconstpointer data)
{
  const LongCase *c = data;
  g_autoptr(ConfabMessage) message = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autofree char *shown = NULL;
  g_autofree char *copied = NULL;
  GtkWidget *window = gtk_window_new ();
  GtkWidget *row = confab_message_row_new (message);
  GtkTextView *view = confab_message_row_get_text_view (CONFAB_MESSAGE_ROW (row));
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextIter start, end;
  guint n_breaks;
  gsize longest;

  gtk_window_set_child (GTK_WINDOW (window), row);
  confab_message_set_state (message, CONFAB_MESSAGE_STATE_STREAMING);

  /* Deltas of every size, flushed in between as frames would. */
  for (guint i = 0; expected->len < c->total; i++)
    {
      for (guint j = 0; j < 1 + i % 7; j++)
        {
          confab_message_append (message, CONFAB_MESSAGE_PART_CONTENT, c->piece, -1);
          g_string_append (expected, c->piece);
        }
      if (i % 5 == 0)
        {
          /* A state change flushes pending text at once. */
          confab_message_set_state (message, CONFAB_MESSAGE_STATE_PENDING);
          confab_message_set_state (message, CONFAB_MESSAGE_STATE_STREAMING);
        }
    }
  confab_message_set_state (message, CONFAB_MESSAGE_STATE_COMPLETE);

  shown = buffer_text_without_soft_breaks (buffer, &n_breaks, &longest);
  g_assert_cmpstr (shown, ==, expected->str);
  g_assert_cmpstr (confab_message_get_content (message), ==, expected->str);
  g_assert_cmpuint (longest, <=, 4096);
  if (c->expect_breaks)
    g_assert_cmpuint (n_breaks, >, 0);
  else
    g_assert_cmpuint (n_breaks, ==, 0);

  /* A selection copied with Ctrl+C has no soft breaks in it. */
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  gtk_text_buffer_select_range (buffer, &start, &end);
  g_signal_emit_by_name (view, "copy-clipboard");
  copied = read_clipboard (GTK_WIDGET (view));
  g_assert_cmpstr (copied, ==, expected->str);

  /* So does the Copy button. */
  g_clear_pointer (&copied, g_free);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (row), "");
  confab_message_row_copy (CONFAB_MESSAGE_ROW (row));
  copied = read_clipboard (row);
  g_assert_cmpstr (copied, ==, expected->str);

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (g_steal_pointer (&message));
}

static void
test_retry_clears (void)
{
  g_autoptr(ConfabMessage) message = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  GtkWidget *window = gtk_window_new ();
  GtkWidget *row = confab_message_row_new (message);
  GtkTextBuffer *buffer;
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  gtk_window_set_child (GTK_WINDOW (window), row);
  buffer = gtk_text_view_get_buffer (confab_message_row_get_text_view (CONFAB_MESSAGE_ROW (row)));

  confab_message_set_state (message, CONFAB_MESSAGE_STATE_STREAMING);
  confab_message_append (message, CONFAB_MESSAGE_PART_CONTENT, "first try", -1);
  confab_message_set_state (message, CONFAB_MESSAGE_STATE_FAILED);
  confab_message_clear_text (message);
  confab_message_set_state (message, CONFAB_MESSAGE_STATE_STREAMING);
  confab_message_append (message, CONFAB_MESSAGE_PART_CONTENT, "second", -1);
  confab_message_set_state (message, CONFAB_MESSAGE_STATE_COMPLETE);

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, TRUE);
  g_assert_cmpstr (text, ==, "second");

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (g_steal_pointer (&message));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  for (guint i = 0; i < G_N_ELEMENTS (long_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/confab/message-row/long-paragraph/%s",
                                               long_cases[i].name);

      g_test_add_data_func (path, &long_cases[i], test_long_paragraph);
    }
  g_test_add_func ("/confab/message-row/retry-clears", test_retry_clears);

  return g_test_run ();
}

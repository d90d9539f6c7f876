/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "confab-markdown.h"
#include "confab-message-row.h"

/* The row shows a long paragraph as several (GtkTextView relays a whole
 * paragraph out on every change), yet the message, Copy and a copied
 * selection keep the text exactly as the model wrote it. */

/* Checks the display's bounds: no block over 8 KB plus a paragraph, no
 * displayed paragraph over 4 KB. Returns the number of soft breaks. */
static guint
check_blocks (ConfabMessageRow *row)
{
  guint n_breaks = 0;

  for (guint i = 0; i < confab_message_row_get_n_blocks (row); i++)
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (confab_message_row_get_block (row, i));
      GtkTextTag *tag = gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (buffer),
                                                   "soft-break");
      g_autofree char *text = NULL;
      GtkTextIter start, end, iter;
      gsize paragraph = 0;

      gtk_text_buffer_get_bounds (buffer, &start, &end);
      text = gtk_text_buffer_get_text (buffer, &start, &end, TRUE);
      g_assert_cmpuint (strlen (text), <=, 8192 + 4096);

      for (iter = start; !gtk_text_iter_is_end (&iter); gtk_text_iter_forward_char (&iter))
        {
          if (gtk_text_iter_get_char (&iter) == '\n')
            {
              n_breaks += gtk_text_iter_has_tag (&iter, tag);
              paragraph = 0;
              continue;
            }
          paragraph += g_unichar_to_utf8 (gtk_text_iter_get_char (&iter), NULL);
          g_assert_cmpuint (paragraph, <=, 4096);
        }
    }

  return n_breaks;
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
  guint       min_blocks;
} LongCase;

static const LongCase long_cases[] = {
  { "english", "the quick brown fox jumps over the lazy dog ", 50 * 1024, TRUE, 5 },
  { "japanese", "今日は本当にいい天気ですね。", 50 * 1024, TRUE, 5 },
  { "korean", "안녕하세요 오늘 날씨가 참 좋군요 ", 50 * 1024, TRUE, 5 },
  { "no-break-at-all", "aGVsbG8gd29ybGQ=", 50 * 1024, TRUE, 5 },
  { "emoji", "☀️👋🏽", 20 * 1024, TRUE, 2 },
  { "short-lines", "a short line\n", 50 * 1024, FALSE, 5 },
  { "short-reply", "こんにちは。\n", 100, FALSE, 1 },
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
  GtkTextView *view;
  GtkTextBuffer *buffer;
  GtkTextIter start, end;
  guint n_breaks;

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

  shown = confab_message_row_dup_shown_text (CONFAB_MESSAGE_ROW (row));
  g_assert_cmpstr (shown, ==, expected->str);
  g_assert_cmpstr (confab_message_get_content (message), ==, expected->str);
  g_assert_cmpuint (confab_message_row_get_n_blocks (CONFAB_MESSAGE_ROW (row)), >=,
                    c->min_blocks);
  n_breaks = check_blocks (CONFAB_MESSAGE_ROW (row));
  if (c->expect_breaks)
    g_assert_cmpuint (n_breaks, >, 0);
  else
    g_assert_cmpuint (n_breaks, ==, 0);

  /* A selection copied with Ctrl+C has no soft breaks in it: the first
   * block, selected whole, copies as the start of the text. */
  view = confab_message_row_get_block (CONFAB_MESSAGE_ROW (row), 0);
  buffer = gtk_text_view_get_buffer (view);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  gtk_text_buffer_select_range (buffer, &start, &end);
  g_signal_emit_by_name (view, "copy-clipboard");
  copied = read_clipboard (GTK_WIDGET (view));
  g_assert_true (g_str_has_prefix (expected->str, copied));
  g_assert_cmpuint (strlen (copied), >, 0);
  /* A newline that ends the reply is not shown, so not selected either. */
  if (confab_message_row_get_n_blocks (CONFAB_MESSAGE_ROW (row)) == 1)
    g_assert_cmpmem (copied, strlen (copied), expected->str,
                     expected->len - g_str_has_suffix (expected->str, "\n"));

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
  g_autofree char *text = NULL;

  gtk_window_set_child (GTK_WINDOW (window), row);

  confab_message_set_state (message, CONFAB_MESSAGE_STATE_STREAMING);
  confab_message_append (message, CONFAB_MESSAGE_PART_CONTENT, "first try", -1);
  confab_message_set_state (message, CONFAB_MESSAGE_STATE_FAILED);
  confab_message_clear_text (message);
  confab_message_set_state (message, CONFAB_MESSAGE_STATE_STREAMING);
  confab_message_append (message, CONFAB_MESSAGE_PART_CONTENT, "second", -1);
  confab_message_set_state (message, CONFAB_MESSAGE_STATE_COMPLETE);

  text = confab_message_row_dup_shown_text (CONFAB_MESSAGE_ROW (row));
  g_assert_cmpstr (text, ==, "second");
  g_assert_cmpuint (confab_message_row_get_n_blocks (CONFAB_MESSAGE_ROW (row)), ==, 1);

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (g_steal_pointer (&message));
}

static char *
without_spaces (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isspace (*p))
      g_string_append_c (out, *p);

  return g_string_free (out, FALSE);
}

static void
after_paint_cb (GdkFrameClock *clock,
                gboolean      *done)
{
  *done = TRUE;
}

/* Runs the main loop until @widget's window has drawn a frame: the row
 * shows streamed text in its frames' tick, as in the app. */
static void
wait_frame (GtkWidget *widget)
{
  GdkFrameClock *clock;
  gboolean done = FALSE;
  gulong id;

  while (!gtk_widget_get_mapped (widget))
    g_main_context_iteration (NULL, TRUE);

  clock = gtk_widget_get_frame_clock (widget);
  id = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &done);
  gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_PAINT);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (clock, id);
}

/* A window that shows @child scrolled, as the app does: a window as
 * tall as a long reply is more than X gives. */
static GtkWidget *
scrolled_window_new (GtkWidget *child)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *scroller = gtk_scrolled_window_new ();

  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), child);
  gtk_window_set_default_size (GTK_WINDOW (window), 600, 400);
  gtk_window_set_child (GTK_WINDOW (window), scroller);
  gtk_window_present (GTK_WINDOW (window));

  return window;
}

/* The most text, in bytes, that one of the row's children shows: a page
 * of a Markdown reply's widgets, or a block of plain text. */
static gsize
largest_child (GtkWidget *row)
{
  gsize largest = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (row);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *first = GTK_IS_TEXT_VIEW (child) ? child : gtk_widget_get_first_child (child);
      gsize size = 0;

      for (GtkWidget *view = first; view != NULL; view = gtk_widget_get_next_sibling (view))
        {
          GtkTextBuffer *buffer;
          g_autofree char *text = NULL;
          GtkTextIter start, end;

          if (!GTK_IS_TEXT_VIEW (view))
            continue;
          buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
          gtk_text_buffer_get_bounds (buffer, &start, &end);
          text = gtk_text_buffer_get_text (buffer, &start, &end, TRUE);
          size += strlen (text);
          if (view == child)
            break;
        }
      largest = MAX (largest, size);
    }

  return largest;
}

/* A reply shown as Markdown, streamed in pieces: the view shows the text
 * without markup, in a number of the row's children that grows with the
 * text as plain text's blocks do, and as written once turned off. */
static void
test_markdown (void)
{
  g_autoptr(ConfabMessage) message = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *plain = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  GtkWidget *window;
  GtkWidget *row = g_object_new (CONFAB_TYPE_MESSAGE_ROW,
                                 "message", message,
                                 "render-markdown", TRUE,
                                 NULL);
  gsize fed = 0;

  for (guint i = 0; i < 300; i++)
    g_string_append_printf (text, "## Part %u\n\nSome **bold** text, `code` and a "
                            "[link](https://example.invalid/%u).\n\n- one\n- two\n\n"
                            "```c\nint x = %u;\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n",
                            i, i, i);

  window = scrolled_window_new (row);
  confab_message_set_state (message, CONFAB_MESSAGE_STATE_STREAMING);
  for (guint i = 0; fed < text->len; i++)
    {
      gsize n = MIN (text->len - fed, 1 + (i * 37) % 300);

      confab_message_append (message, CONFAB_MESSAGE_PART_CONTENT, text->str + fed, n);
      fed += n;
      wait_frame (row);
    }
  confab_message_set_state (message, CONFAB_MESSAGE_STATE_COMPLETE);

  plain = confab_markdown_to_plain_text (text->str, text->len);
  shown = confab_message_row_dup_shown_text (CONFAB_MESSAGE_ROW (row));
  a = without_spaces (plain);
  b = without_spaces (shown);
  g_assert_cmpstr (b, ==, a);
  g_assert_null (strstr (shown, "**"));
  /* 300 code blocks and tables, in pages of 16 widgets at most. */
  g_assert_cmpuint (confab_message_row_get_n_blocks (CONFAB_MESSAGE_ROW (row)), <=, 1200 / 16 + 2);

  confab_message_row_set_render_markdown (CONFAB_MESSAGE_ROW (row), FALSE);
  g_clear_pointer (&shown, g_free);
  shown = confab_message_row_dup_shown_text (CONFAB_MESSAGE_ROW (row));
  g_assert_cmpstr (shown, ==, text->str);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* A page holds widgets until it has 8 KB, and the last of them may take
 * 8 KB and a paragraph more, and the unfinished part. */
#define PAGE_MOST (3 * 8192 + 4096)

/* Prose as models write it, lines ended by one newline and no blank
 * line: to Markdown one long paragraph. Streamed in pieces, it shows as
 * it does given at once, and in pages of bounded size, so that only
 * those in view are drawn: one page grown with the whole reply made
 * each frame's cost grow with it. */
static void
test_markdown_prose (void)
{
  g_autoptr(ConfabMessage) message = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  g_autoptr(ConfabMessage) whole = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *shown = NULL;
  g_autofree char *expected = NULL;
  GtkWidget *window;
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *row = g_object_new (CONFAB_TYPE_MESSAGE_ROW,
                                 "message", message,
                                 "render-markdown", TRUE,
                                 NULL);
  GtkWidget *whole_row = g_object_new (CONFAB_TYPE_MESSAGE_ROW,
                                       "message", whole,
                                       "render-markdown", TRUE,
                                       NULL);
  gsize fed = 0;

  for (guint i = 0; text->len < 200 * 1024; i++)
    {
      g_string_append_printf (text, "Line %u: 오늘은 날씨가 참 좋군요, and *this* line 今日は", i);
      for (guint j = 0; j < i % 7; j++)
        g_string_append (text, " いい天気ですね。 more words here");
      g_string_append_c (text, '\n');
    }

  gtk_box_append (GTK_BOX (box), row);
  gtk_box_append (GTK_BOX (box), whole_row);
  window = scrolled_window_new (box);
  confab_message_set_state (message, CONFAB_MESSAGE_STATE_STREAMING);
  for (guint i = 0; fed < text->len; i++)
    {
      gsize n = MIN (text->len - fed, 1 + (i * 131) % 600);

      /* Deltas are whole characters. */
      while (((guchar)text->str[fed + n] & 0xc0) == 0x80)
        n++;

      confab_message_append (message, CONFAB_MESSAGE_PART_CONTENT, text->str + fed, n);
      fed += n;
      wait_frame (row);
    }
  /* Checked while it streams, and again once it is complete. */
  g_assert_cmpuint (largest_child (row), <=, PAGE_MOST);
  confab_message_set_state (message, CONFAB_MESSAGE_STATE_COMPLETE);

  confab_message_set_state (whole, CONFAB_MESSAGE_STATE_STREAMING);
  confab_message_append (whole, CONFAB_MESSAGE_PART_CONTENT, text->str, text->len);
  confab_message_set_state (whole, CONFAB_MESSAGE_STATE_COMPLETE);

  shown = confab_message_row_dup_shown_text (CONFAB_MESSAGE_ROW (row));
  expected = confab_message_row_dup_shown_text (CONFAB_MESSAGE_ROW (whole_row));
  g_assert_cmpstr (shown, ==, expected);
  g_assert_null (strstr (shown, "*this*"));
  g_assert_cmpuint (largest_child (row), <=, PAGE_MOST);
  g_assert_cmpuint (largest_child (whole_row), <=, PAGE_MOST);

  gtk_window_destroy (GTK_WINDOW (window));
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
  g_test_add_func ("/confab/message-row/markdown", test_markdown);
  g_test_add_func ("/confab/message-row/markdown-prose", test_markdown_prose);

  return g_test_run ();
}

/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-message-row"

#include "config.h"

#include "confab-message-row.h"

#include "confab-client.h"
#include "confab-inspector.h"
#include "confab-markdown-view.h"
#include "confab-markdown.h"

#include <glib/gi18n.h>
#include <string.h>

struct _ConfabMessageRow
{
  GtkWidget parent_instance;

  /* template children */
  GtkWidget   *header;
  GtkLabel    *author_label;
  GtkSpinner  *spinner;
  GtkLabel    *status_label;
  GtkButton   *copy_button;
  /* Copy as Plain Text, for a reply shown as Markdown */
  GtkWidget   *plain_button;

  /* children made when needed, NULL until then */
  GtkWidget   *error_box;
  GtkLabel    *error_label;
  GtkWidget   *continue_button;
  GtkWidget   *trust_button;
  GtkWidget   *variant_box;
  GtkLabel    *variant_label;
  GtkWidget   *regenerate_button;
  GtkWidget   *edit_button;
  /* Show Raw Response, for a reply of this session */
  GtkWidget   *raw_button;
  /* the reasoning, folded, above the text */
  GtkExpander *thinking;
  GtkTextView *thinking_view;
  /* tokens and speed, under the text */
  GtkLabel    *stats_label;

  /* owned */
  ConfabMessage *message;
  GtkAdjustment *vadjustment;
  ConfabMarkdownStream *md_stream;
  /* the widgets of the unfinished part of a Markdown reply, after md_last
   * in the last page (the array is owned, the widgets borrowed) */
  GPtrArray     *md_tail;
  /* the unfinished blocks shown, and the widget that shows the last of
   * them at its end (borrowed), or NULL */
  GPtrArray     *md_tail_blocks;
  GtkWidget     *md_tail_end;

  /* borrowed: the block that grows, a child of the row */
  GtkTextView *last_block;
  /* borrowed: the last widget that shows finished Markdown blocks, and
   * the page it is in, which the unfinished part's widgets follow it in */
  GtkWidget   *md_last;
  GtkWidget   *md_page;

  /* source ids and handlers */
  guint  tick_id;
  guint  resize_tick_id;
  gulong scrolled_id;

  /* plain state: how many bytes of the message's content the blocks
   * already show, how long the last block and its last displayed
   * paragraph are, and how many blocks there are */
  gsize shown;
  gsize block_len;
  gsize    paragraph_len;
  guint    n_blocks;
  guint    resize_frames;
  gboolean held_newline;
  /* how many bytes of the reasoning the Thinking section shows */
  gsize    reasoning_shown;
  /* the section was folded when the answer began: not again, so that a
   * user who opens it keeps it open */
  gboolean thinking_folded;
  /* the last message of the conversation */
  gboolean last;
  /* drawn as nothing, out of view */
  gboolean culled;
  gboolean constructed;
  /* the reply is shown as Markdown: asked for, and an assistant's */
  gboolean render_markdown;
  gboolean markdown;
  /* where, in md_last's text, the unfinished part begins (-1: not
   * there), and how big md_last was without it */
  int      md_tail_start;
  gsize    md_last_size;
  /* what the last page holds: widgets, and bytes of finished text */
  guint    md_page_count;
  gsize    md_page_size;
};

G_DEFINE_FINAL_TYPE (ConfabMessageRow, confab_message_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MESSAGE,
  PROP_RENDER_MARKDOWN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  EDIT_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* GtkTextView lays a whole paragraph out again each time it changes: a
 * 50 KB paragraph costs 120–180 ms a frame here. So a paragraph longer
 * than this is shown as several, cut where a line may break anyway. The
 * cut is a newline tagged "soft-break" in the buffer only; the message,
 * Copy and a copied selection never contain it. */
#define SOFT_BREAK_AFTER 2048
#define SOFT_BREAK_FORCE 4096

/* And a text view draws all of its text in every frame it changes, and
 * the cairo renderer draws all of it whenever the view scrolls: a 1 MB
 * reply cost 50–80 ms a frame. So the text is shown in blocks of about
 * this size, one text view each, cut where a paragraph (or a soft break)
 * ends; only the last block changes while the reply streams, and only
 * the blocks in view are drawn. */
#define BLOCK_AFTER 8192

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

static void copy_clipboard_cb (ConfabMessageRow *self,
                               GtkTextView      *text_view);

/* The widgets that show the text: the blocks of a plain message, or what
 * shows a Markdown reply. */
static gboolean
is_block (GtkWidget *widget)
{
  return g_object_get_data (G_OBJECT (widget), "confab-block") != NULL;
}

/* New blocks go after the text, before the figures and the error. */
static GtkWidget *
content_end (ConfabMessageRow *self)
{
  return self->stats_label != NULL ? GTK_WIDGET (self->stats_label) : self->error_box;
}

static void
add_block (ConfabMessageRow *self)
{
  GtkWidget *view = g_object_new (GTK_TYPE_TEXT_VIEW,
                                  "editable", FALSE,
                                  "cursor-visible", FALSE,
                                  "wrap-mode", GTK_WRAP_WORD_CHAR,
                                  "pixels-below-lines", 2,
                                  NULL);

  gtk_widget_add_css_class (view, "message-text");
  g_object_set_data (G_OBJECT (view), "confab-block", GINT_TO_POINTER (TRUE));
  gtk_text_buffer_create_tag (gtk_text_view_get_buffer (GTK_TEXT_VIEW (view)), "soft-break",
                              NULL);
  g_signal_connect_object (view, "copy-clipboard", G_CALLBACK (copy_clipboard_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_accessible_update_property (GTK_ACCESSIBLE (view),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  gtk_label_get_label (self->author_label),
                                  -1);
  gtk_widget_insert_before (view, GTK_WIDGET (self), content_end (self));

  self->last_block = GTK_TEXT_VIEW (view);
  self->block_len = 0;
  self->paragraph_len = 0;
  self->n_blocks++;
}

static void
remove_blocks (ConfabMessageRow *self)
{
  GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self));

  while (child != NULL)
    {
      GtkWidget *next = gtk_widget_get_next_sibling (child);

      if (is_block (child))
        gtk_widget_unparent (child);
      child = next;
    }

  self->last_block = NULL;
  self->n_blocks = 0;
  self->md_last = NULL;
  self->md_page = NULL;
  self->md_tail_start = -1;
  g_ptr_array_set_size (self->md_tail, 0);
  g_clear_pointer (&self->md_tail_blocks, g_ptr_array_unref);
  self->md_tail_end = NULL;
}

static void
insert_text (ConfabMessageRow *self,
             const char       *text,
             gsize             len,
             GtkTextTag       *tag)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->last_block);
  GtkTextIter end;

  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_insert_with_tags (buffer, &end, text, len, tag, NULL);
  self->block_len += len;
}

/* Ends the displayed paragraph: with a newline (tagged when it is only a
 * soft break), or, once the block is full, with a new block. */
static void
end_paragraph (ConfabMessageRow *self,
               gboolean          soft)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->last_block);

  if (self->block_len >= BLOCK_AFTER)
    {
      g_object_set_data (G_OBJECT (self->last_block), "confab-ends-paragraph",
                         GINT_TO_POINTER (!soft));
      add_block (self);
      return;
    }

  insert_text (self, "\n", 1,
               soft ? gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (buffer),
                                                 "soft-break")
                    : NULL);
  self->paragraph_len = 0;
}

/* A Markdown reply's widgets go in pages of a few, each a child of the
 * row: the row lays out and draws its children in every frame it grows,
 * and a long reply with code blocks made thousands of them (110 ms a
 * frame at the end of a 1 MB reply). A full page is not touched again. */
#define PAGE_WIDGETS 16

static void
new_md_page (ConfabMessageRow *self)
{
  GtkWidget *page = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *previous = self->md_page;

  g_object_set_data (G_OBJECT (page), "confab-block", GINT_TO_POINTER (TRUE));
  gtk_widget_insert_before (page, GTK_WIDGET (self), content_end (self));
  self->n_blocks++;
  self->md_page = page;
  self->md_page_count = 0;
  self->md_page_size = 0;

  /* The unfinished part's widgets come after everything finished. */
  for (guint i = 0; previous != NULL && i < self->md_tail->len; i++)
    {
      GtkWidget *widget = g_object_ref (g_ptr_array_index (self->md_tail, i));

      gtk_widget_unparent (widget);
      gtk_box_append (GTK_BOX (page), widget);
      g_object_unref (widget);
      self->md_page_count++;
    }
}

static gboolean
md_page_full (ConfabMessageRow *self)
{
  return self->md_page == NULL || self->md_page_count >= PAGE_WIDGETS ||
         self->md_page_size >= BLOCK_AFTER;
}

static void
insert_md_widget (ConfabMessageRow *self,
                  GtkWidget        *widget,
                  GtkWidget        *before)
{
  if (self->md_page == NULL)
    new_md_page (self);

  if (GTK_IS_TEXT_VIEW (widget))
    {
      g_signal_connect_object (widget, "copy-clipboard", G_CALLBACK (copy_clipboard_cb),
                               self, G_CONNECT_SWAPPED);
      gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      gtk_label_get_label (self->author_label), -1);
    }
  gtk_widget_insert_before (widget, self->md_page, before);
  self->md_page_count++;
}

static void
remove_md_tail_after (ConfabMessageRow *self,
                      guint             keep)
{
  while (self->md_tail->len > keep)
    {
      gtk_widget_unparent (g_ptr_array_index (self->md_tail, self->md_tail->len - 1));
      g_ptr_array_set_size (self->md_tail, self->md_tail->len - 1);
      self->md_page_count--;
    }
}

/* Whether @block goes on in @widget, which shows blocks before it. */
static gboolean
goes_on_in (GtkWidget                 *widget,
            const ConfabMarkdownBlock *block)
{
  ConfabMarkdownViewKind kind = confab_markdown_view_kind_for_block (block);

  if (widget == NULL || confab_markdown_view_get_kind (widget) != kind ||
      confab_markdown_view_get_size (widget) >= BLOCK_AFTER)
    return FALSE;

  return kind == CONFAB_MARKDOWN_VIEW_TEXT ||
         (kind == CONFAB_MARKDOWN_VIEW_CODE &&
          block->continues != CONFAB_MARKDOWN_CONTINUES_NOT);
}

/* Takes the unfinished part back out of md_last. */
static void
cut_md_tail (ConfabMessageRow *self)
{
  if (self->md_tail_start < 0)
    return;

  confab_markdown_view_truncate (self->md_last, self->md_tail_start, self->md_last_size);
  self->md_tail_start = -1;
}

/* A finished block is shown once, after those before it, and never
 * touched again. */
static void
append_finished (ConfabMessageRow          *self,
                 const ConfabMarkdownBlock *block)
{
  GtkWidget *widget;

  if (goes_on_in (self->md_last, block))
    {
      self->md_page_size += block->text->len;
      confab_markdown_view_append (self->md_last, block);
      return;
    }

  /* A full page is left as it is, before the unfinished part's widgets,
   * which move on to the new page, are kept. Else a reply of one kind of
   * block would grow a single page, drawn whole in every frame. */
  if (md_page_full (self))
    new_md_page (self);
  self->md_page_size += block->text->len;

  /* The first widget of the unfinished part, which showed this block a
   * frame ago, shows it for good: making a new one and dropping that
   * would shrink the conversation for a frame and move the view. */
  widget = self->md_tail->len > 0 ? g_ptr_array_index (self->md_tail, 0) : NULL;
  if (widget != NULL &&
      confab_markdown_view_get_kind (widget) == confab_markdown_view_kind_for_block (block) &&
      confab_markdown_view_get_kind (widget) != CONFAB_MARKDOWN_VIEW_TABLE)
    {
      g_ptr_array_remove_index (self->md_tail, 0);
      confab_markdown_view_clear (widget);
    }
  else
    {
      widget = confab_markdown_view_new (block);
      insert_md_widget (self, widget,
                        self->md_tail->len > 0 ? g_ptr_array_index (self->md_tail, 0) : NULL);
    }
  confab_markdown_view_append (widget, block);
  self->md_last = widget;
}

/* The unfinished blocks, shown again in each frame: at the end of
 * md_last when they go on there, else in widgets of their own, kept from
 * frame to frame while their kinds stay the same. */
/* Whether the unfinished blocks are those shown, the last one grown
 * perhaps: then what it has more is added, as plain text is, and
 * nothing is shown again. */
static gboolean
extend_md_tail (ConfabMessageRow *self,
                GPtrArray        *blocks)
{
  GPtrArray *before = self->md_tail_blocks;

  if (before == NULL || self->md_tail_end == NULL || blocks->len == 0 ||
      blocks->len != before->len)
    return FALSE;

  for (guint i = 0; i + 1 < blocks->len; i++)
    {
      const ConfabMarkdownBlock *a = g_ptr_array_index (blocks, i);
      const ConfabMarkdownBlock *b = g_ptr_array_index (before, i);

      if (a->text->len != b->text->len || !confab_markdown_block_extends (a, b) ||
          a->spans->len != b->spans->len)
        return FALSE;
    }

  return confab_markdown_view_extend (self->md_tail_end,
                                      g_ptr_array_index (blocks, blocks->len - 1),
                                      g_ptr_array_index (before, blocks->len - 1));
}

static void
render_md_tail (ConfabMessageRow *self,
                GPtrArray        *blocks)
{
  guint i = 0;
  guint used = 0;

  if (extend_md_tail (self, blocks))
    {
      g_clear_pointer (&self->md_tail_blocks, g_ptr_array_unref);
      self->md_tail_blocks = g_ptr_array_ref (blocks);
      return;
    }

  cut_md_tail (self);
  g_clear_pointer (&self->md_tail_blocks, g_ptr_array_unref);
  self->md_tail_end = NULL;

  if (blocks->len > 0 && goes_on_in (self->md_last, g_ptr_array_index (blocks, 0)))
    {
      gboolean text = confab_markdown_view_get_kind (self->md_last) == CONFAB_MARKDOWN_VIEW_TEXT;

      self->md_last_size = confab_markdown_view_get_size (self->md_last);
      self->md_tail_start = confab_markdown_view_get_char_count (self->md_last);
      confab_markdown_view_append (self->md_last, g_ptr_array_index (blocks, i++));
      while (text && i < blocks->len &&
             confab_markdown_view_kind_for_block (g_ptr_array_index (blocks, i)) ==
             CONFAB_MARKDOWN_VIEW_TEXT)
        confab_markdown_view_append (self->md_last, g_ptr_array_index (blocks, i++));
      self->md_tail_end = self->md_last;
    }

  while (i < blocks->len)
    {
      const ConfabMarkdownBlock *block = g_ptr_array_index (blocks, i++);
      ConfabMarkdownViewKind kind = confab_markdown_view_kind_for_block (block);
      GtkWidget *widget = used < self->md_tail->len ? g_ptr_array_index (self->md_tail, used)
                                                     : NULL;

      /* A table is made again: it is short while it streams. */
      if (widget != NULL &&
          (confab_markdown_view_get_kind (widget) != kind || kind == CONFAB_MARKDOWN_VIEW_TABLE))
        {
          remove_md_tail_after (self, used);
          widget = NULL;
        }

      if (widget == NULL)
        {
          widget = confab_markdown_view_new (block);
          insert_md_widget (self, widget, NULL);
          g_ptr_array_add (self->md_tail, widget);
        }
      else
        {
          confab_markdown_view_clear (widget);
        }
      confab_markdown_view_append (widget, block);
      while (kind == CONFAB_MARKDOWN_VIEW_TEXT && i < blocks->len &&
             confab_markdown_view_kind_for_block (g_ptr_array_index (blocks, i)) == kind)
        confab_markdown_view_append (widget, g_ptr_array_index (blocks, i++));
      self->md_tail_end = widget;
      used++;
    }

  remove_md_tail_after (self, used);
  self->md_tail_blocks = g_ptr_array_ref (blocks);
}

/* Whether @block, the first finished since the last frame, is the
 * unfinished part shown then, with more text: then it is finished by
 * adding that text, not taken out and shown again, which at 20,000
 * deltas a second meant a few kilobytes deleted and inserted in most
 * frames. */
static gboolean
finish_shown_tail (ConfabMessageRow          *self,
                   const ConfabMarkdownBlock *block)
{
  GPtrArray *before = self->md_tail_blocks;
  GtkWidget *widget = self->md_tail_end;

  if (before == NULL || before->len != 1 || widget == NULL)
    return FALSE;

  if (widget == self->md_last && self->md_tail_start >= 0)
    {
      /* Shown at the end of md_last, where it stays. */
      if (!confab_markdown_view_extend (widget, block, g_ptr_array_index (before, 0)))
        return FALSE;
      self->md_tail_start = -1;
      self->md_page_size += block->text->len;
      return TRUE;
    }

  if (self->md_tail_start >= 0 || self->md_tail->len != 1 ||
      g_ptr_array_index (self->md_tail, 0) != widget ||
      confab_markdown_view_get_kind (widget) == CONFAB_MARKDOWN_VIEW_TABLE)
    return FALSE;

  /* In a widget of its own, which becomes md_last, on a new page if this
   * one is full (see append_finished ()). */
  if (!confab_markdown_view_extend (widget, block, g_ptr_array_index (before, 0)))
    return FALSE;
  if (md_page_full (self))
    new_md_page (self);
  g_ptr_array_remove_index (self->md_tail, 0);
  self->md_page_size += block->text->len;
  self->md_last = widget;
  return TRUE;
}

/* A reply shown as Markdown: the blocks finished since the last frame go
 * in once, and the unfinished part, which the stream keeps under a few
 * kilobytes, is parsed and shown again. A frame's cost does not grow with
 * the reply. */
static void
flush_markdown (ConfabMessageRow *self)
{
  const char *content = confab_message_get_content (self->message);
  gsize len = confab_message_get_content_length (self->message);
  g_autoptr(GPtrArray) finished = NULL;
  g_autoptr(GPtrArray) tail = NULL;

  if (len == self->shown)
    return;

  self->shown = len;
  gtk_widget_set_visible (GTK_WIDGET (self->copy_button), TRUE);
  if (self->plain_button != NULL)
    gtk_widget_set_visible (self->plain_button, TRUE);

  finished = confab_markdown_stream_update (self->md_stream, content, len);
  if (finished->len > 0)
    {
      guint i = finish_shown_tail (self, g_ptr_array_index (finished, 0)) ? 1 : 0;

      /* What the unfinished part showed is shown again after these. */
      g_clear_pointer (&self->md_tail_blocks, g_ptr_array_unref);
      self->md_tail_end = NULL;
      cut_md_tail (self);
      for (; i < finished->len; i++)
        append_finished (self, g_ptr_array_index (finished, i));
    }

  tail = confab_markdown_stream_parse_tail (self->md_stream, content, len);
  render_md_tail (self, tail);
}

/* Inserts what arrived since the last frame in one go. Its cost is that
 * of the new text plus the relayout of a paragraph of bounded length in a
 * block of bounded size, never that of the whole reply. */
static void
flush_pending (ConfabMessageRow *self)
{
  const char *p = confab_message_get_content (self->message) + self->shown;
  gsize n = confab_message_get_content_length (self->message) - self->shown;

  if (self->markdown)
    {
      flush_markdown (self);
      return;
    }

  if (n == 0)
    return;

  self->shown += n;
  gtk_widget_set_visible (GTK_WIDGET (self->copy_button), TRUE);

  if (self->held_newline)
    {
      self->held_newline = FALSE;
      end_paragraph (self, FALSE);
    }

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
              insert_text (self, p, cut, NULL);
              end_paragraph (self, TRUE);
              p += cut;
              n -= cut;
              continue;
            }
        }

      insert_text (self, p, run, NULL);
      self->paragraph_len += run;
      p += run;
      n -= run;

      if (newline != NULL)
        {
          /* A newline that ends the text so far is held back until more
           * follows, so a reply does not end in an empty line. */
          if (n == 1)
            self->held_newline = TRUE;
          else
            end_paragraph (self, FALSE);
          p++;
          n--;
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
  GtkTextTag *soft_break = gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (buffer),
                                                      "soft-break");
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

      if (gtk_text_iter_has_tag (&iter, soft_break))
        {
          gtk_text_iter_forward_char (&iter);
          continue;
        }

      if (!gtk_text_iter_forward_to_tag_toggle (&next, soft_break) ||
          gtk_text_iter_compare (&next, &end) > 0)
        next = end;

      piece = gtk_text_iter_get_text (&iter, &next);
      g_string_append (text, piece);
      iter = next;
    }

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (text_view)), text->str);
}

/* The model's reasoning, as servers send it in reasoning_content or
 * reasoning: in a section of its own, open while the model thinks and
 * folded once the answer begins. It is never part of Copy. */
static void
ensure_thinking (ConfabMessageRow *self)
{
  GtkWidget *view;

  if (self->thinking != NULL)
    return;

  view = g_object_new (GTK_TYPE_TEXT_VIEW,
                       "editable", FALSE,
                       "cursor-visible", FALSE,
                       "wrap-mode", GTK_WRAP_WORD_CHAR,
                       "pixels-below-lines", 2,
                       "margin-top", 4,
                       NULL);
  gtk_widget_add_css_class (view, "thinking-text");
  gtk_widget_add_css_class (view, "dim-label");
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Thinking"), -1);
  self->thinking_view = GTK_TEXT_VIEW (view);

  self->thinking = GTK_EXPANDER (gtk_expander_new (NULL));
  gtk_expander_set_child (self->thinking, view);
  gtk_widget_add_css_class (GTK_WIDGET (self->thinking), "thinking");
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->thinking), 4);
  gtk_widget_insert_after (GTK_WIDGET (self->thinking), GTK_WIDGET (self), self->header);

  /* A reply read from the history starts folded. */
  self->thinking_folded = confab_message_get_content_length (self->message) > 0;
  gtk_expander_set_expanded (self->thinking, !self->thinking_folded);
}

static void
update_thinking (ConfabMessageRow *self)
{
  const char *reasoning = confab_message_get_reasoning (self->message);
  gsize len = strlen (reasoning);
  ConfabMessageState state = confab_message_get_state (self->message);
  gboolean thinking = (state == CONFAB_MESSAGE_STATE_STREAMING ||
                       state == CONFAB_MESSAGE_STATE_PENDING) &&
                      confab_message_get_content_length (self->message) == 0;

  if (len == 0 && self->thinking == NULL)
    return;

  ensure_thinking (self);
  gtk_widget_set_visible (GTK_WIDGET (self->thinking), len > 0);

  if (len > self->reasoning_shown)
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->thinking_view);
      GtkTextIter end;

      gtk_text_buffer_get_end_iter (buffer, &end);
      gtk_text_buffer_insert (buffer, &end, reasoning + self->reasoning_shown,
                              len - self->reasoning_shown);
      self->reasoning_shown = len;
    }

  gtk_expander_set_label (self->thinking, thinking ? _("Thinking…") : _("Thinking"));
  if (!thinking && !self->thinking_folded &&
      confab_message_get_content_length (self->message) > 0)
    {
      self->thinking_folded = TRUE;
      gtk_expander_set_expanded (self->thinking, FALSE);
    }
}

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *frame_clock,
         gpointer       user_data)
{
  ConfabMessageRow *self = CONFAB_MESSAGE_ROW (widget);

  update_thinking (self);
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
  if (self->tick_id != 0)
    return;

  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      /* No frames come for an unmapped row: catch up when mapped. */
      return;
    }

  self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), tick_cb, NULL, NULL);
}

/* Shows the text from the start again, as Markdown or not. */
static void
reset_text (ConfabMessageRow *self)
{
  remove_blocks (self);
  g_clear_pointer (&self->md_stream, confab_markdown_stream_free);
  self->shown = 0;
  self->held_newline = FALSE;
  self->markdown = self->render_markdown &&
                   confab_message_get_role (self->message) == CONFAB_MESSAGE_ROLE_ASSISTANT;
  if (self->markdown)
    self->md_stream = confab_markdown_stream_new ();
  else
    add_block (self);
}

static void
text_cleared_cb (ConfabMessageRow *self,
                 ConfabMessage    *message)
{
  reset_text (self);

  if (self->thinking != NULL)
    {
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->thinking_view), "", 0);
      gtk_widget_set_visible (GTK_WIDGET (self->thinking), FALSE);
      self->reasoning_shown = 0;
      self->thinking_folded = FALSE;
      gtk_expander_set_expanded (self->thinking, TRUE);
    }
}

static char *
status_text (ConfabMessage *message)
{
  const char *finish = confab_message_get_finish_reason (message);

  switch (confab_message_get_state (message))
    {
    case CONFAB_MESSAGE_STATE_PENDING:
      return g_strdup (_("Waiting for the server…"));
    case CONFAB_MESSAGE_STATE_STREAMING:
      return g_strdup (_("Writing…"));
    case CONFAB_MESSAGE_STATE_STOPPED:
      return g_strdup (_("Stopped"));
    case CONFAB_MESSAGE_STATE_FAILED:
      return g_strdup (_("Failed"));
    case CONFAB_MESSAGE_STATE_INTERRUPTED:
      return g_strdup (_("Interrupted"));
    case CONFAB_MESSAGE_STATE_COMPLETE:
      if (finish == NULL || g_str_equal (finish, "stop"))
        return g_strdup ("");
      if (g_str_equal (finish, "length"))
        return g_strdup (_("Cut off: max tokens"));
      if (g_str_equal (finish, "content_filter"))
        return g_strdup (_("Cut off by the content filter"));
      if (g_str_equal (finish, "tool_calls") || g_str_equal (finish, "function_call"))
        return g_strdup (_("Ended asking for a tool, which Confab does not run"));
      /* Translators: %s is the reason the server gave, as it gave it */
      return g_strdup_printf (_("Ended: %s"), finish);
    default:
      g_assert_not_reached ();
    }
}

static GtkWidget *
icon_button_new (const char *icon_name,
                 const char *action_name,
                 const char *tooltip,
                 const char *accessible_label)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);

  if (action_name != NULL)
    gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action_name);
  /* Hidden meanwhile: GTK 4.8 asks the X server where the pointer is (a
   * round trip, 0.2–0.3 ms) when a visible widget gets a tooltip, and
   * every user's message has an Edit button. */
  gtk_widget_set_visible (button, FALSE);
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_widget_set_visible (button, TRUE);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_add_css_class (button, "circular");
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  accessible_label, -1);

  return button;
}

/* A child label, not the label property: GTK 4.8 would name the button
 * twice ("_Retry Retry") for screen readers. */
static GtkWidget *
text_button_new (const char *label,
                 const char *action_name,
                 const char *tooltip)
{
  GtkWidget *button = gtk_button_new ();

  gtk_button_set_child (GTK_BUTTON (button), gtk_label_new (label));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action_name);
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_widget_set_valign (button, GTK_ALIGN_START);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  label, -1);

  return button;
}

/* The error, under the text, with Retry and Continue. */
static void
ensure_error_box (ConfabMessageRow *self)
{
  GtkWidget *image;

  if (self->error_box != NULL)
    return;

  self->error_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_set_margin_top (self->error_box, 4);
  gtk_widget_add_css_class (self->error_box, "error-box");

  image = g_object_new (GTK_TYPE_IMAGE,
                        "icon-name", "dialog-warning-symbolic",
                        "valign", GTK_ALIGN_START,
                        "accessible-role", GTK_ACCESSIBLE_ROLE_PRESENTATION,
                        NULL);
  gtk_widget_add_css_class (image, "error");
  gtk_box_append (GTK_BOX (self->error_box), image);

  self->error_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->error_label, 0);
  gtk_label_set_wrap (self->error_label, TRUE);
  gtk_label_set_wrap_mode (self->error_label, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (self->error_label, TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (self->error_label), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->error_label), "error");
  gtk_box_append (GTK_BOX (self->error_box), GTK_WIDGET (self->error_label));

  gtk_box_append (GTK_BOX (self->error_box),
                  text_button_new (_("Retry"), "chat.retry", _("Ask again")));
  self->continue_button = text_button_new (_("Continue"), "chat.continue",
                                           _("Ask the model to go on from here"));
  gtk_box_append (GTK_BOX (self->error_box), self->continue_button);
  self->trust_button = text_button_new (_("Trust…"), "chat.trust-certificate",
                                        _("Trust This Server’s Certificate"));
  gtk_box_append (GTK_BOX (self->error_box), self->trust_button);

  /* Last, after the blocks: add_block () puts new blocks before it. */
  gtk_widget_insert_before (self->error_box, GTK_WIDGET (self), NULL);
}

/* ‹ n/m › and Regenerate, in the header of a reply. */
static void
ensure_reply_controls (ConfabMessageRow *self)
{
  GtkWidget *previous;
  GtkWidget *next;

  if (self->variant_box != NULL)
    return;

  self->variant_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_set_valign (self->variant_box, GTK_ALIGN_CENTER);
  previous = icon_button_new ("go-previous-symbolic", "chat.previous-variant",
                              _("Previous Reply"), _("Previous reply"));
  self->variant_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_width_chars (self->variant_label, 4);
  gtk_widget_add_css_class (GTK_WIDGET (self->variant_label), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (self->variant_label), "numeric");
  next = icon_button_new ("go-next-symbolic", "chat.next-variant", _("Next Reply"),
                          _("Next reply"));
  gtk_box_append (GTK_BOX (self->variant_box), previous);
  gtk_box_append (GTK_BOX (self->variant_box), GTK_WIDGET (self->variant_label));
  gtk_box_append (GTK_BOX (self->variant_box), next);
  gtk_box_insert_child_after (GTK_BOX (self->header), self->variant_box,
                              GTK_WIDGET (self->status_label));

  self->regenerate_button = icon_button_new ("view-refresh-symbolic", "chat.regenerate",
                                             _("Regenerate (Ctrl+R)"), _("Regenerate reply"));
  gtk_box_insert_child_after (GTK_BOX (self->header), self->regenerate_button,
                              self->variant_box);
}

/* The controls of the last reply (regenerate, variants) and of the
 * user's messages (edit). */
static void
update_controls (ConfabMessageRow *self)
{
  ConfabMessageState state = confab_message_get_state (self->message);
  gboolean busy = state == CONFAB_MESSAGE_STATE_PENDING ||
                  state == CONFAB_MESSAGE_STATE_STREAMING;
  gboolean assistant = confab_message_get_role (self->message) == CONFAB_MESSAGE_ROLE_ASSISTANT;
  guint n_variants = confab_message_get_n_variants (self->message);

  if (assistant && (self->last || n_variants > 1))
    ensure_reply_controls (self);
  if (self->variant_box == NULL)
    return;

  gtk_widget_set_visible (self->regenerate_button, assistant && self->last && !busy);
  gtk_widget_set_visible (self->variant_box, assistant && n_variants > 1);
  gtk_widget_set_sensitive (self->variant_box, self->last && !busy);
  if (n_variants > 1)
    {
      g_autofree char *text = NULL;
      g_autofree char *description = NULL;

      /* Translators: the reply shown, of how many: "2/3" */
      text = g_strdup_printf (C_("variant", "%u/%u"),
                              confab_message_get_variant_index (self->message) + 1, n_variants);
      gtk_label_set_label (self->variant_label, text);
      description = g_strdup_printf (_("Reply %u of %u"),
                                     confab_message_get_variant_index (self->message) + 1,
                                     n_variants);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->variant_label),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, description, -1);
    }
}

static void
raw_clicked_cb (ConfabMessageRow *self,
                GtkButton        *button)
{
  ConfabExchange *exchange = confab_message_get_exchange (self->message);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (exchange == NULL)
    return;

  gtk_window_present (GTK_WINDOW (confab_inspector_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                                           : NULL,
                                                        exchange)));
}

/* The bytes the server sent for this reply are kept for the session:
 * the button shows once there are some. */
static void
update_raw (ConfabMessageRow *self)
{
  gboolean has = confab_message_get_exchange (self->message) != NULL;

  if (!has && self->raw_button == NULL)
    return;

  if (self->raw_button == NULL)
    {
      self->raw_button = icon_button_new ("utilities-terminal-symbolic", NULL,
                                          _("Show Raw Response"), _("Show raw response"));
      g_signal_connect_object (self->raw_button, "clicked", G_CALLBACK (raw_clicked_cb), self,
                               G_CONNECT_SWAPPED);
      gtk_box_insert_child_after (GTK_BOX (self->header), self->raw_button,
                                  GTK_WIDGET (self->status_label));
    }
  gtk_widget_set_visible (self->raw_button, has);
}

/* "31 tokens in, 17 out · first token after 0.42 s · 52.3 tokens/s", for
 * what is known of a finished reply. */
static void
update_stats (ConfabMessageRow *self)
{
  ConfabMessageState state = confab_message_get_state (self->message);
  gint64 prompt = confab_message_get_prompt_tokens (self->message);
  gint64 completion = confab_message_get_completion_tokens (self->message);
  gint64 first_token_us = confab_message_get_first_token_us (self->message);
  gint64 generation_us = confab_message_get_generation_us (self->message);
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *text = NULL;

  if (confab_message_get_role (self->message) != CONFAB_MESSAGE_ROLE_ASSISTANT ||
      state == CONFAB_MESSAGE_STATE_PENDING || state == CONFAB_MESSAGE_STATE_STREAMING)
    {
      if (self->stats_label != NULL)
        gtk_widget_set_visible (GTK_WIDGET (self->stats_label), FALSE);
      return;
    }

  if (prompt >= 0 && completion >= 0)
    {
      g_autofree char *in = g_strdup_printf ("%" G_GINT64_FORMAT, prompt);
      g_autofree char *out = g_strdup_printf ("%" G_GINT64_FORMAT, completion);

      /* Translators: tokens the request and the reply took, as numbers */
      g_ptr_array_add (parts, g_strdup_printf (_("%s tokens in, %s out"), in, out));
    }
  if (first_token_us >= 0)
    g_ptr_array_add (parts, g_strdup_printf (_("first token after %.2f s"),
                                             first_token_us / (double)G_USEC_PER_SEC));
  /* A reply that came in one piece has no speed worth showing. */
  if (completion > 1 && generation_us >= G_USEC_PER_SEC / 10)
    g_ptr_array_add (parts, g_strdup_printf (_("%.1f tokens/s"),
                                             completion / (generation_us /
                                                           (double)G_USEC_PER_SEC)));

  if (parts->len == 0)
    {
      if (self->stats_label != NULL)
        gtk_widget_set_visible (GTK_WIDGET (self->stats_label), FALSE);
      return;
    }

  g_ptr_array_add (parts, NULL);
  /* Translators: what separates the figures under a reply */
  text = g_strjoinv (_(" · "), (char **)parts->pdata);

  if (self->stats_label == NULL)
    {
      self->stats_label = GTK_LABEL (gtk_label_new (NULL));
      gtk_label_set_xalign (self->stats_label, 0);
      gtk_label_set_wrap (self->stats_label, TRUE);
      gtk_label_set_selectable (self->stats_label, TRUE);
      gtk_widget_set_margin_top (GTK_WIDGET (self->stats_label), 4);
      gtk_widget_add_css_class (GTK_WIDGET (self->stats_label), "dim-label");
      gtk_widget_add_css_class (GTK_WIDGET (self->stats_label), "caption");
      gtk_widget_add_css_class (GTK_WIDGET (self->stats_label), "numeric");
      /* After the blocks, before the error. */
      gtk_widget_insert_before (GTK_WIDGET (self->stats_label), GTK_WIDGET (self),
                                self->error_box);
    }
  gtk_label_set_label (self->stats_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->stats_label), TRUE);
}

/* Shows the message's state; with @flush, a message that is not busy
 * also shows all of its text at once. */
static void
show_state (ConfabMessageRow *self,
            gboolean          flush)
{
  ConfabMessageState state = confab_message_get_state (self->message);
  const GError *error = confab_message_get_error (self->message);
  guint skipped = confab_message_get_skipped_events (self->message);
  gboolean busy = state == CONFAB_MESSAGE_STATE_PENDING ||
                  state == CONFAB_MESSAGE_STATE_STREAMING;
  gboolean failed = state == CONFAB_MESSAGE_STATE_FAILED;
  gboolean interrupted = state == CONFAB_MESSAGE_STATE_INTERRUPTED;
  gboolean stopped = state == CONFAB_MESSAGE_STATE_STOPPED;
  gboolean has_text = confab_message_get_content_length (self->message) > 0;
  gboolean cut = state == CONFAB_MESSAGE_STATE_COMPLETE &&
                 g_strcmp0 (confab_message_get_finish_reason (self->message), "length") == 0;
  gboolean note = failed || interrupted || ((stopped || cut) && self->last);
  g_autofree char *status = status_text (self->message);

  if (flush && !busy)
    {
      update_thinking (self);
      flush_pending (self);
    }

  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);

  if (skipped > 0 && !busy)
    {
      g_autofree char *text = NULL;

      text = g_strdup_printf (ngettext ("%s (%u unreadable event skipped)",
                                        "%s (%u unreadable events skipped)", skipped),
                              status, skipped);
      gtk_label_set_label (self->status_label, text);
    }
  else
    {
      gtk_label_set_label (self->status_label, status);
    }
  /* Empty, it still holds the buttons to the end of the line; GTK 4.8
   * would name it "GtkLabel" for screen readers. */
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->status_label), GTK_ACCESSIBLE_STATE_HIDDEN,
                               *gtk_label_get_label (self->status_label) == '\0', -1);

  gtk_widget_set_visible (GTK_WIDGET (self->copy_button),
                          confab_message_get_content_length (self->message) > 0);
  if (self->plain_button != NULL)
    gtk_widget_set_visible (self->plain_button,
                            self->markdown && confab_message_get_content_length (self->message) > 0);
  if (note)
    ensure_error_box (self);
  if (self->error_box != NULL)
    {
      gtk_widget_set_visible (self->error_box, note);
      /* A reply cut at the limit did nothing wrong: a note, not an error. */
      if (cut)
        gtk_widget_remove_css_class (GTK_WIDGET (self->error_label), "error");
      else
        gtk_widget_add_css_class (GTK_WIDGET (self->error_label), "error");
      if (cut)
        gtk_label_set_label (self->error_label,
                             _("The reply reached the most tokens it may have."));
      else if (interrupted)
        gtk_label_set_label (self->error_label,
                             _("Confab closed before this reply was complete. The text up to "
                               "then is kept."));
      else if (stopped)
        gtk_label_set_label (self->error_label, _("You stopped this reply."));
      else
        gtk_label_set_label (self->error_label, failed && error ? error->message : "");
      gtk_widget_set_visible (self->continue_button,
                              (failed || interrupted || stopped || cut) && has_text);
      /* A certificate that could not be verified: the user may trust it,
       * after seeing its fingerprint, for this provider only. */
      gtk_widget_set_visible (self->trust_button,
                              failed && self->last &&
                              g_error_matches (error, CONFAB_CLIENT_ERROR,
                                               CONFAB_CLIENT_ERROR_CERTIFICATE));
    }
  update_stats (self);
  update_controls (self);
  if (self->last_block != NULL)
    gtk_widget_set_visible (GTK_WIDGET (self->last_block),
                            !failed || confab_message_get_content_length (self->message) > 0);

  if (failed)
    gtk_widget_add_css_class (GTK_WIDGET (self), "failed");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "failed");
}

static void
update_state (ConfabMessageRow *self)
{
  show_state (self, TRUE);
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
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (is_block (child) && GTK_IS_TEXT_VIEW (child))
        gtk_accessible_update_property (GTK_ACCESSIBLE (child),
                                        GTK_ACCESSIBLE_PROPERTY_LABEL, author,
                                        -1);
      /* A Markdown page's text views. */
      if (is_block (child) && GTK_IS_BOX (child))
        for (GtkWidget *view = gtk_widget_get_first_child (child);
             view != NULL;
             view = gtk_widget_get_next_sibling (view))
          if (GTK_IS_TEXT_VIEW (view))
            gtk_accessible_update_property (GTK_ACCESSIBLE (view),
                                            GTK_ACCESSIBLE_PROPERTY_LABEL, author,
                                            -1);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, author,
                                  -1);
}

static void
edit_clicked_cb (ConfabMessageRow *self,
                 GtkButton        *button)
{
  g_signal_emit (self, signals[EDIT_REQUESTED], 0);
}

static void
copy_clicked_cb (ConfabMessageRow *self,
                 GtkButton        *button)
{
  confab_message_row_copy (self);
}

static void
copy_plain_clicked_cb (ConfabMessageRow *self,
                       GtkButton        *button)
{
  g_autofree char *plain = NULL;

  plain = confab_markdown_to_plain_text (confab_message_get_content (self->message),
                                         confab_message_get_content_length (self->message));
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), plain);
}

/* A text view that gets its text before its first allocation (a row made
 * for a stored message) lays it out inside that allocation, and GTK 4.8
 * drops the resize it queues from there: the row stayed as high as an
 * empty view. Asking again in the next frames, outside any allocation,
 * gives each view the height of its text. */
#define RESIZE_FRAMES 2

static gboolean
resize_tick_cb (GtkWidget     *widget,
                GdkFrameClock *frame_clock,
                gpointer       user_data)
{
  ConfabMessageRow *self = CONFAB_MESSAGE_ROW (widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (is_block (child))
        gtk_widget_queue_resize (child);
      /* A Markdown page's widgets, and a code block's text view. */
      if (is_block (child) && GTK_IS_BOX (child))
        for (GtkWidget *part = gtk_widget_get_first_child (child);
             part != NULL;
             part = gtk_widget_get_next_sibling (part))
          {
            gtk_widget_queue_resize (part);
            if (gtk_widget_get_last_child (part) != NULL)
              gtk_widget_queue_resize (gtk_widget_get_last_child (part));
          }
    }

  if (--self->resize_frames > 0)
    return G_SOURCE_CONTINUE;

  self->resize_tick_id = 0;
  return G_SOURCE_REMOVE;
}

/* Draws only the blocks in view (see BLOCK_AFTER). */
/* The part of the scrolled window's view around the row, in the row's
 * coordinates, with a page above and below so rows are drawn before they
 * scroll in. */
static gboolean
in_view (ConfabMessageRow *self,
         graphene_rect_t  *visible)
{
  GtkWidget *scroller = gtk_widget_get_ancestor (GTK_WIDGET (self), GTK_TYPE_SCROLLED_WINDOW);

  if (scroller == NULL || !gtk_widget_compute_bounds (scroller, GTK_WIDGET (self), visible))
    return FALSE;

  graphene_rect_inset (visible, 0, -visible->size.height);
  return TRUE;
}

static gboolean
overlaps (ConfabMessageRow      *self,
          const graphene_rect_t *visible)
{
  graphene_rect_t bounds = GRAPHENE_RECT_INIT (0, 0, gtk_widget_get_width (GTK_WIDGET (self)),
                                               gtk_widget_get_height (GTK_WIDGET (self)));

  return graphene_rect_intersection (&bounds, visible, NULL);
}

static void
confab_message_row_snapshot (GtkWidget   *widget,
                             GtkSnapshot *snapshot)
{
  ConfabMessageRow *self = CONFAB_MESSAGE_ROW (widget);
  graphene_rect_t visible;
  gboolean cull = in_view (self, &visible);

  /* A row out of view draws nothing: a long conversation scrolls at the
   * cost of the rows in view, not of all the rows made. scrolled_cb
   * redraws it when it comes into view. */
  self->culled = cull && !overlaps (self, &visible);
  if (self->culled)
    return;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      graphene_rect_t bounds;

      if (cull && self->n_blocks > 1 && is_block (child) &&
          gtk_widget_compute_bounds (child, widget, &bounds) &&
          !graphene_rect_intersection (&bounds, &visible, NULL))
        continue;

      gtk_widget_snapshot_child (widget, child, snapshot);
    }
}

static void
scrolled_cb (ConfabMessageRow *self,
             GtkAdjustment    *adjustment)
{
  graphene_rect_t visible;
  gboolean shown;

  /* The blocks in view change: the row's drawing, cached, would not. */
  if (self->n_blocks > 1)
    {
      gtk_widget_queue_draw (GTK_WIDGET (self));
      return;
    }

  /* A row that drew nothing out of view comes into it, or the other way. */
  shown = !in_view (self, &visible) || overlaps (self, &visible);
  if (shown == self->culled)
    gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
confab_message_row_map (GtkWidget *widget)
{
  ConfabMessageRow *self = CONFAB_MESSAGE_ROW (widget);

  GtkWidget *scroller;

  GTK_WIDGET_CLASS (confab_message_row_parent_class)->map (widget);

  scroller = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  if (scroller != NULL)
    {
      g_set_object (&self->vadjustment,
                    gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller)));
      self->scrolled_id = g_signal_connect_swapped (self->vadjustment, "value-changed",
                                                    G_CALLBACK (scrolled_cb), self);
    }

  if (self->markdown)
    confab_markdown_view_update_style (widget);

  /* What came while the row was not mapped, or all of a stored message's
   * text: the views are realized now. */
  update_thinking (self);
  flush_pending (self);

  self->resize_frames = RESIZE_FRAMES;
  if (self->resize_tick_id == 0)
    self->resize_tick_id = gtk_widget_add_tick_callback (widget, resize_tick_cb, NULL, NULL);
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
  if (self->vadjustment != NULL)
    g_clear_signal_handler (&self->scrolled_id, self->vadjustment);
  g_clear_object (&self->vadjustment);

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
  g_signal_connect_object (message, "notify::exchange",
                           G_CALLBACK (update_raw), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (message, "notify::completion-tokens",
                           G_CALLBACK (update_stats), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (message, "notify::generation-us",
                           G_CALLBACK (update_stats), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (message, "notify::model",
                           G_CALLBACK (update_author), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (message, "notify::n-variants",
                           G_CALLBACK (update_controls), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (message, "notify::variant-index",
                           G_CALLBACK (update_controls), self, G_CONNECT_SWAPPED);

  switch (confab_message_get_role (message))
    {
    case CONFAB_MESSAGE_ROLE_USER:
      gtk_widget_add_css_class (GTK_WIDGET (self), "user");
      self->edit_button = icon_button_new ("document-edit-symbolic", NULL,
                                           _("Edit and Resend"), _("Edit and resend message"));
      g_signal_connect_object (self->edit_button, "clicked", G_CALLBACK (edit_clicked_cb), self,
                               G_CONNECT_SWAPPED);
      gtk_box_insert_child_after (GTK_BOX (self->header), self->edit_button,
                                  GTK_WIDGET (self->status_label));
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
}

static void
confab_message_row_constructed (GObject *object)
{
  ConfabMessageRow *self = (ConfabMessageRow *)object;

  G_OBJECT_CLASS (confab_message_row_parent_class)->constructed (object);

  g_assert (self->message != NULL);

  if (confab_message_get_role (self->message) == CONFAB_MESSAGE_ROLE_ASSISTANT)
    {
      self->plain_button = icon_button_new ("format-text-plaintext-symbolic", NULL,
                                            _("Copy as Plain Text"), _("Copy as plain text"));
      gtk_widget_set_visible (self->plain_button, FALSE);
      g_signal_connect_object (self->plain_button, "clicked", G_CALLBACK (copy_plain_clicked_cb),
                               self, G_CONNECT_SWAPPED);
      gtk_box_append (GTK_BOX (self->header), self->plain_button);
    }

  /* As Markdown or not: render-markdown is set by now. */
  reset_text (self);
  self->constructed = TRUE;

  /* The text of a stored message goes in once the row is mapped (see
   * confab_message_row_map ()), not now: a text view realized with text
   * in it lays out the paragraph of its cursor at once, at no width,
   * before any allocation. A 900-byte paragraph cost 3–7 ms a row that
   * way, and 0.2 ms inserted after the view was realized. */
  show_state (self, FALSE);
  update_raw (self);
}

static void
confab_message_row_dispose (GObject *object)
{
  ConfabMessageRow *self = (ConfabMessageRow *)object;
  GtkWidget *child;

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
  if (self->vadjustment != NULL)
    g_clear_signal_handler (&self->scrolled_id, self->vadjustment);
  g_clear_object (&self->vadjustment);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_MESSAGE_ROW);
  /* The blocks, and the template children C does not bind. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  self->last_block = NULL;
  self->md_last = NULL;
  g_clear_pointer (&self->md_tail, g_ptr_array_unref);
  g_clear_pointer (&self->md_tail_blocks, g_ptr_array_unref);
  self->md_tail_end = NULL;
  g_clear_pointer (&self->md_stream, confab_markdown_stream_free);
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

    case PROP_RENDER_MARKDOWN:
      g_value_set_boolean (value, self->render_markdown);
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

    case PROP_RENDER_MARKDOWN:
      confab_message_row_set_render_markdown (self, g_value_get_boolean (value));
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

  object_class->constructed = confab_message_row_constructed;
  object_class->dispose = confab_message_row_dispose;
  object_class->get_property = confab_message_row_get_property;
  object_class->set_property = confab_message_row_set_property;
  widget_class->snapshot = confab_message_row_snapshot;
  widget_class->map = confab_message_row_map;
  widget_class->unmap = confab_message_row_unmap;

  properties[PROP_MESSAGE] =
    g_param_spec_object ("message", NULL, NULL, CONFAB_TYPE_MESSAGE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * ConfabMessageRow:render-markdown:
   *
   * Whether a reply is shown as Markdown. A user's message is always
   * shown as written.
   */
  properties[PROP_RENDER_MARKDOWN] =
    g_param_spec_boolean ("render-markdown", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/ui/confab-message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, author_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, copy_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, header);
  gtk_widget_class_bind_template_callback (widget_class, copy_clicked_cb);

  /**
   * ConfabMessageRow::edit-requested:
   * @self: the row of a user's message
   *
   * The user asked to edit the message and send it again.
   */
  signals[EDIT_REQUESTED] =
    g_signal_new ("edit-requested",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "confab-message-row");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
confab_message_row_init (ConfabMessageRow *self)
{
  GtkLayoutManager *layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));

  /* No spacing: blocks follow each other as lines do. The header and the
   * error keep their distance with margins. */
  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);

  gtk_widget_init_template (GTK_WIDGET (self));
  self->md_tail = g_ptr_array_new ();
  self->md_tail_start = -1;
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
 * confab_message_row_set_last:
 * @self: a #ConfabMessageRow
 * @last: whether the message is the last of its conversation
 *
 * Only the last reply can be regenerated, switched or continued.
 */
void
confab_message_row_set_last (ConfabMessageRow *self,
                             gboolean          last)
{
  g_return_if_fail (CONFAB_IS_MESSAGE_ROW (self));

  if (self->last == !!last)
    return;

  self->last = !!last;
  update_state (self);
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

guint
confab_message_row_get_n_blocks (ConfabMessageRow *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_ROW (self), 0);

  return self->n_blocks;
}

/**
 * confab_message_row_get_block:
 * @self: a #ConfabMessageRow
 * @index: which block, from 0
 *
 * Returns: (transfer none) (nullable): the text view showing that block of
 *   the text, or %NULL
 */
GtkTextView *
confab_message_row_get_block (ConfabMessageRow *self,
                              guint             index)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_ROW (self), NULL);

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (is_block (child) && GTK_IS_TEXT_VIEW (child) && index-- == 0)
      return GTK_TEXT_VIEW (child);

  return NULL;
}

/**
 * confab_message_row_dup_shown_text:
 * @self: a #ConfabMessageRow
 *
 * Reads back what the blocks show, without the soft breaks and with a
 * newline where a block ends a paragraph: the message's text, if the
 * display is right.
 *
 * Returns: (transfer full): the text shown
 */
char *
confab_message_row_dup_shown_text (ConfabMessageRow *self)
{
  GString *text;

  g_return_val_if_fail (CONFAB_IS_MESSAGE_ROW (self), NULL);

  text = g_string_new (NULL);
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkTextBuffer *buffer;
      GtkTextTag *soft_break;
      GtkTextIter iter;

      if (!is_block (child))
        continue;

      /* As Markdown, the text of the pages' widgets, one after the other. */
      if (self->markdown)
        {
          for (GtkWidget *part = gtk_widget_get_first_child (child);
               part != NULL;
               part = gtk_widget_get_next_sibling (part))
            {
              g_autofree char *piece = confab_markdown_view_dup_text (part);

              if (text->len > 0)
                g_string_append_c (text, '\n');
              g_string_append (text, piece);
            }
          continue;
        }

      buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (child));
      soft_break = gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (buffer),
                                              "soft-break");
      for (gtk_text_buffer_get_start_iter (buffer, &iter);
           !gtk_text_iter_is_end (&iter);
           gtk_text_iter_forward_char (&iter))
        if (!gtk_text_iter_has_tag (&iter, soft_break))
          g_string_append_unichar (text, gtk_text_iter_get_char (&iter));

      if (g_object_get_data (G_OBJECT (child), "confab-ends-paragraph") != NULL)
        g_string_append_c (text, '\n');
    }
  if (self->held_newline)
    g_string_append_c (text, '\n');

  return g_string_free (text, FALSE);
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

/**
 * confab_message_row_set_render_markdown:
 * @self: a #ConfabMessageRow
 * @render_markdown: whether to show a reply as Markdown
 *
 * Shows the reply again, as Markdown or as written.
 */
void
confab_message_row_set_render_markdown (ConfabMessageRow *self,
                                        gboolean          render_markdown)
{
  g_return_if_fail (CONFAB_IS_MESSAGE_ROW (self));

  render_markdown = !!render_markdown;
  if (self->render_markdown == render_markdown)
    return;

  self->render_markdown = render_markdown;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RENDER_MARKDOWN]);

  /* While constructed, the text is shown once the message is known. */
  if (!self->constructed ||
      confab_message_get_role (self->message) != CONFAB_MESSAGE_ROLE_ASSISTANT)
    return;

  reset_text (self);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      if (self->markdown)
        confab_markdown_view_update_style (GTK_WIDGET (self));
      flush_pending (self);
    }
  show_state (self, FALSE);
}

/**
 * confab_message_row_get_render_markdown:
 * @self: a #ConfabMessageRow
 *
 * Returns: whether a reply is shown as Markdown
 */
gboolean
confab_message_row_get_render_markdown (ConfabMessageRow *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_ROW (self), FALSE);

  return self->render_markdown;
}

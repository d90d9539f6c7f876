/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-markdown-view"

#include "config.h"

#include "confab-markdown-view.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

#include "confab-compat.h"
#include "confab-scroll.h"
#include "confab-toast.h"

/* The widgets that show a reply's Markdown (see confab-markdown.h): text
 * blocks go into text views that share one tag table, code blocks into a
 * box with their language and a Copy button, tables into a grid. */

#define INDENT_PIXELS 22
/* A table of more cells than this is shown as text between tabs: a grid
 * of ten thousand labels would freeze the window. */
#define MAX_GRID_CELLS 600

typedef struct
{
  int       start;
  int       end;
  char     *url;
  gboolean  openable;
} Link;

static void
clear_link (gpointer data)
{
  Link *link = data;

  g_free (link->url);
}

/* One tag table for every reply: the tags are the same, and a row that
 * makes thirty tags costs when a long chat opens. */
static GtkTextTagTable *
get_tag_table (void)
{
  static GtkTextTagTable *table;
  static const double heading_scales[] = { 1.6, 1.35, 1.2, 1.1, 1.0, 1.0 };

  if (table != NULL)
    return table;

  table = gtk_text_tag_table_new ();
#define ADD(tag) gtk_text_tag_table_add (table, tag); g_object_unref (tag)
  ADD (g_object_new (GTK_TYPE_TEXT_TAG, "name", "soft-break", NULL));
  ADD (g_object_new (GTK_TYPE_TEXT_TAG, "name", "gap", "pixels-above-lines", 10, NULL));
  ADD (g_object_new (GTK_TYPE_TEXT_TAG, "name", "gap-item", "pixels-above-lines", 3, NULL));
  ADD (g_object_new (GTK_TYPE_TEXT_TAG, "name", "bold", "weight", PANGO_WEIGHT_BOLD, NULL));
  ADD (g_object_new (GTK_TYPE_TEXT_TAG, "name", "italic", "style", PANGO_STYLE_ITALIC, NULL));
  ADD (g_object_new (GTK_TYPE_TEXT_TAG, "name", "strikethrough", "strikethrough", TRUE, NULL));
  ADD (g_object_new (GTK_TYPE_TEXT_TAG, "name", "code", "family", "monospace", NULL));
  ADD (g_object_new (GTK_TYPE_TEXT_TAG, "name", "link", "underline", PANGO_UNDERLINE_SINGLE,
                     NULL));
  /* No tag sets a colour for the text: GTK 4.8 reads the write-only
   * "foreground" of such a tag when a screen reader asks for the text's
   * attributes, and crashes. Links are marked by an underline in the
   * accent colour, quotes by their indent and italics. */
  ADD (g_object_new (GTK_TYPE_TEXT_TAG, "name", "quote", "style", PANGO_STYLE_ITALIC, NULL));
  ADD (g_object_new (GTK_TYPE_TEXT_TAG, "name", "monospace", "family", "monospace", NULL));
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *name = g_strdup_printf ("h%u", i + 1);

      ADD (g_object_new (GTK_TYPE_TEXT_TAG, "name", name, "weight", PANGO_WEIGHT_BOLD,
                         "scale", heading_scales[i], "pixels-below-lines", 4, NULL));
    }
  for (guint i = 1; i <= CONFAB_MARKDOWN_MAX_DEPTH * 2; i++)
    {
      g_autofree char *name = g_strdup_printf ("indent-%u", i);

      ADD (g_object_new (GTK_TYPE_TEXT_TAG, "name", name, "left-margin", (int)i * INDENT_PIXELS,
                         NULL));
    }
#undef ADD

  return table;
}

static void
apply_tag (GtkTextBuffer *buffer,
           const char    *name,
           int            start,
           int            end)
{
  GtkTextIter a, b;

  gtk_text_buffer_get_iter_at_offset (buffer, &a, start);
  gtk_text_buffer_get_iter_at_offset (buffer, &b, end);
  gtk_text_buffer_apply_tag_by_name (buffer, name, &a, &b);
}

/**
 * confab_markdown_view_update_style:
 * @widget: a widget in the window, styled
 *
 * Gives the tags the colours of the current style (light, dark, high
 * contrast): text tags take colours, not CSS, so they come from the
 * named colours of the style sheet.
 */
static GWeakRef styled;

static gboolean
restyle_cb (gpointer user_data)
{
  g_autoptr(GtkWidget) widget = g_weak_ref_get (&styled);

  if (widget != NULL)
    confab_markdown_view_update_style (widget);
  return G_SOURCE_REMOVE;
}

/* The style sheet of the new style is in place once the change is
 * handled: the colours are looked up after that. */
static void
style_changed_cb (AdwStyleManager *manager,
                  GParamSpec      *pspec,
                  gpointer         user_data)
{
  g_idle_add (restyle_cb, NULL);
}

void
confab_markdown_view_update_style (GtkWidget *widget)
{
  static GdkRGBA last_fg, last_accent;
  static gboolean watching;
  GtkTextTagTable *table = get_tag_table ();
  GtkStyleContext *context;
  GdkRGBA fg, accent;

  g_return_if_fail (GTK_IS_WIDGET (widget));

  g_weak_ref_set (&styled, widget);
  if (!watching)
    {
      AdwStyleManager *manager = adw_style_manager_get_default ();

      watching = TRUE;
      g_signal_connect (manager, "notify::dark", G_CALLBACK (style_changed_cb), NULL);
      g_signal_connect (manager, "notify::high-contrast", G_CALLBACK (style_changed_cb), NULL);
    }

  context = gtk_widget_get_style_context (widget);
  if (!gtk_style_context_lookup_color (context, "window_fg_color", &fg))
    gtk_style_context_get_color (context, &fg);
  if (!gtk_style_context_lookup_color (context, "accent_color", &accent))
    accent = fg;

  /* A changed tag lays out every text that has it again: only when the
   * style changed. */
  if (gdk_rgba_equal (&fg, &last_fg) && gdk_rgba_equal (&accent, &last_accent))
    return;
  last_fg = fg;
  last_accent = accent;

  fg.alpha *= 0.1;
  g_object_set (gtk_text_tag_table_lookup (table, "code"), "background-rgba", &fg, NULL);
  g_object_set (gtk_text_tag_table_lookup (table, "link"), "underline-rgba", &accent, NULL);
}

/* Links */

static const Link *
link_at (GtkTextView *view,
         double       x,
         double       y)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GArray *links = g_object_get_data (G_OBJECT (buffer), "confab-links");
  GtkTextIter iter;
  int bx, by, offset;

  if (links == NULL || links->len == 0)
    return NULL;

  gtk_text_view_window_to_buffer_coords (view, GTK_TEXT_WINDOW_WIDGET, (int)x, (int)y, &bx, &by);
  if (!gtk_text_view_get_iter_at_location (view, &iter, bx, by))
    return NULL;

  offset = gtk_text_iter_get_offset (&iter);
  for (guint i = 0; i < links->len; i++)
    {
      const Link *link = &g_array_index (links, Link, i);

      if (offset >= link->start && offset < link->end)
        return link;
    }

  return NULL;
}

static void
open_link (GtkTextView *view,
           const Link  *link)
{
  if (link->openable)
    confab_compat_show_uri (GTK_WIDGET (view), link->url);
  else
    confab_toast_show (GTK_WIDGET (view), _("Only web links (http and https) open"));
}

static void
link_released_cb (GtkGestureClick *gesture,
                  int              n_press,
                  double           x,
                  double           y,
                  GtkTextView     *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextIter start, end;
  const Link *link;

  /* A click, not the end of a selection or a double click. */
  if (n_press != 1 || gtk_text_buffer_get_selection_bounds (buffer, &start, &end))
    return;

  link = link_at (view, x, y);
  if (link != NULL)
    open_link (view, link);
}

/* The keyboard's way to links, as in a GtkLabel: while a reply's text
 * has the focus, Tab selects its next link and Shift+Tab the one before,
 * Enter or Space opens the selected one, and Tab after the last link
 * moves on out of the text. The link the keyboard is on is the one the
 * selection covers exactly, so a click or a selection made with the mouse
 * leaves no state behind. */

/* The index of the link the selection covers exactly, or -1. */
static int
selected_link (GtkTextView *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GArray *links = g_object_get_data (G_OBJECT (buffer), "confab-links");
  GtkTextIter start, end;
  int a, b;

  if (links == NULL || !gtk_text_buffer_get_selection_bounds (buffer, &start, &end))
    return -1;

  a = gtk_text_iter_get_offset (&start);
  b = gtk_text_iter_get_offset (&end);
  for (guint i = 0; i < links->len; i++)
    {
      const Link *link = &g_array_index (links, Link, i);

      if (link->start == a && link->end == b)
        return (int)i;
    }

  return -1;
}

/* Brings the selected link's lines into sight: moving within a focused
 * widget does not scroll by itself. */
static void
scroll_to_selection (GtkTextView *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextIter start, end;
  GdkRectangle first, last;
  int x, y;

  if (!gtk_text_buffer_get_selection_bounds (buffer, &start, &end))
    return;

  gtk_text_view_get_iter_location (view, &start, &first);
  gtk_text_view_get_iter_location (view, &end, &last);
  gtk_text_view_buffer_to_window_coords (view, GTK_TEXT_WINDOW_WIDGET, first.x, first.y, &x, &y);
  confab_scroll_to_area (GTK_WIDGET (view),
                         &GRAPHENE_RECT_INIT (x, y, 1, last.y + last.height - first.y));
}

/* Selects link @index of @view, or nothing for -1, and says which it is. */
static void
select_link (GtkTextView *view,
             int          index)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GArray *links = g_object_get_data (G_OBJECT (buffer), "confab-links");
  g_autofree char *text = NULL;
  g_autofree char *url = NULL;
  g_autofree char *said = NULL;
  GtkTextIter start, end;
  const Link *link;

  if (index < 0)
    {
      gtk_text_buffer_get_iter_at_mark (buffer, &start, gtk_text_buffer_get_insert (buffer));
      gtk_text_buffer_select_range (buffer, &start, &start);
      return;
    }

  link = &g_array_index (links, Link, index);
  gtk_text_buffer_get_iter_at_offset (buffer, &start, link->start);
  gtk_text_buffer_get_iter_at_offset (buffer, &end, link->end);
  gtk_text_buffer_select_range (buffer, &start, &end);
  scroll_to_selection (view);

  /* A hostile reply's link may be as long as the reply. */
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  if (g_utf8_strlen (link->url, -1) > 80)
    {
      g_autofree char *head = g_utf8_substring (link->url, 0, 80);

      url = g_strconcat (head, "…", NULL);
    }
  else
    url = g_strdup (link->url);
  if (link->openable)
    /* Translators: said by the screen reader; the link's text, its address. */
    said = g_strdup_printf (_("Link “%s”, %s. Enter opens it."), text, url);
  else
    /* Translators: said by the screen reader; the link's text, its address. */
    said = g_strdup_printf (_("Link “%s”, %s. Only web links open."), text, url);
  confab_compat_announce (GTK_WIDGET (view), said);
}

static gboolean
link_key_pressed_cb (GtkEventControllerKey *controller,
                     guint                  keyval,
                     guint                  keycode,
                     GdkModifierType        state,
                     GtkTextView           *view)
{
  GArray *links = g_object_get_data (G_OBJECT (gtk_text_view_get_buffer (view)), "confab-links");
  int count = links != NULL ? (int)links->len : 0;
  int current = selected_link (view);
  gboolean back = keyval == GDK_KEY_ISO_Left_Tab || (state & GDK_SHIFT_MASK) != 0;

  if ((state & (GDK_CONTROL_MASK | GDK_ALT_MASK)) != 0)
    return FALSE;

  switch (keyval)
    {
    case GDK_KEY_Tab:
    case GDK_KEY_KP_Tab:
    case GDK_KEY_ISO_Left_Tab:
      if (back)
        {
          /* Back to the text itself, then out of it. */
          if (current < 0)
            return FALSE;
          select_link (view, current - 1);
          return TRUE;
        }
      if (current + 1 >= count)
        {
          if (current >= 0)
            select_link (view, -1);
          return FALSE;
        }
      select_link (view, current + 1);
      return TRUE;

    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_ISO_Enter:
    case GDK_KEY_space:
    case GDK_KEY_KP_Space:
      if (current < 0)
        return FALSE;
      open_link (view, &g_array_index (links, Link, current));
      return TRUE;

    default:
      return FALSE;
    }
}

static void
link_motion_cb (GtkEventControllerMotion *controller,
                double                    x,
                double                    y,
                GtkTextView              *view)
{
  const Link *link = link_at (view, x, y);

  gtk_widget_set_cursor_from_name (GTK_WIDGET (view), link != NULL ? "pointer" : "text");
}

static GtkWidget *
text_view_new (gboolean monospace)
{
  g_autoptr(GtkTextBuffer) buffer = gtk_text_buffer_new (get_tag_table ());
  GtkWidget *view = gtk_text_view_new_with_buffer (buffer);
  GtkGesture *click;
  GtkEventController *motion;
  GtkEventController *key;

  g_object_set (view,
                "editable", FALSE,
                "cursor-visible", FALSE,
                "wrap-mode", GTK_WRAP_WORD_CHAR,
                "pixels-below-lines", 2,
                "monospace", monospace,
                NULL);
  gtk_widget_add_css_class (view, "message-text");
  g_object_set_data_full (G_OBJECT (buffer), "confab-links",
                          g_array_new (FALSE, FALSE, sizeof (Link)),
                          (GDestroyNotify)g_array_unref);
  g_array_set_clear_func (g_object_get_data (G_OBJECT (buffer), "confab-links"), clear_link);

  if (!monospace)
    {
      click = gtk_gesture_click_new ();
      g_signal_connect (click, "released", G_CALLBACK (link_released_cb), view);
      gtk_widget_add_controller (view, GTK_EVENT_CONTROLLER (click));
      motion = gtk_event_controller_motion_new ();
      g_signal_connect (motion, "motion", G_CALLBACK (link_motion_cb), view);
      gtk_widget_add_controller (view, motion);
      key = gtk_event_controller_key_new ();
      /* Before the window takes Tab for moving the focus. */
      gtk_event_controller_set_propagation_phase (key, GTK_PHASE_CAPTURE);
      g_signal_connect (key, "key-pressed", G_CALLBACK (link_key_pressed_cb), view);
      gtk_widget_add_controller (view, key);
    }

  return view;
}

static void
set_size (GtkWidget *widget,
          gsize      size)
{
  g_object_set_data (G_OBJECT (widget), "confab-markdown-size", GSIZE_TO_POINTER (size));
}

/* Text blocks */

/* The indent, quote and heading of @block, over @start to @end. */
static void
apply_block_tags (GtkTextBuffer             *buffer,
                  const ConfabMarkdownBlock *block,
                  int                        start,
                  int                        end)
{
  guint depth = MIN (block->quote_depth + block->list_depth, CONFAB_MARKDOWN_MAX_DEPTH * 2);

  if (depth > 0)
    {
      g_autofree char *indent = g_strdup_printf ("indent-%u", depth);

      apply_tag (buffer, indent, start, end);
    }
  if (block->quote_depth > 0)
    apply_tag (buffer, "quote", start, end);
  if (block->kind == CONFAB_MARKDOWN_BLOCK_HEADING)
    {
      g_autofree char *name = g_strdup_printf ("h%u", CLAMP (block->level, 1, 6));

      apply_tag (buffer, name, start, end);
    }
}

/* The styles and links of @block's spans from @first_span on, its text
 * starting @text_start characters into @buffer. */
static void
apply_span_tags (GtkTextBuffer             *buffer,
                 const ConfabMarkdownBlock *block,
                 guint                      first_span,
                 int                        text_start)
{
  GArray *links = g_object_get_data (G_OBJECT (buffer), "confab-links");

  for (guint i = first_span; i < block->spans->len; i++)
    {
      const ConfabMarkdownSpan *span = &g_array_index (block->spans, ConfabMarkdownSpan, i);
      int a = text_start + (int)g_utf8_strlen (block->text->str, span->start);
      int b = a + (int)g_utf8_strlen (block->text->str + span->start, span->end - span->start);

      if (span->style & CONFAB_MARKDOWN_STYLE_BOLD)
        apply_tag (buffer, "bold", a, b);
      if (span->style & CONFAB_MARKDOWN_STYLE_ITALIC)
        apply_tag (buffer, "italic", a, b);
      if (span->style & CONFAB_MARKDOWN_STYLE_STRIKETHROUGH)
        apply_tag (buffer, "strikethrough", a, b);
      if (span->style & CONFAB_MARKDOWN_STYLE_CODE)
        apply_tag (buffer, "code", a, b);
      if ((span->style & CONFAB_MARKDOWN_STYLE_LINK) && span->url != NULL)
        {
          Link link = { a, b, g_strdup (span->url), span->openable };

          apply_tag (buffer, "link", a, b);
          g_array_append_val (links, link);
        }
    }
}

static void
append_text_block (GtkTextView               *view,
                   const ConfabMarkdownBlock *block)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  gboolean first = gtk_text_buffer_get_char_count (buffer) == 0;
  g_autofree char *marker = NULL;
  GtkTextIter end;
  int start, text_start, line_end, block_end;

  gtk_text_buffer_get_end_iter (buffer, &end);
  if (!first)
    {
      if (block->continues == CONFAB_MARKDOWN_CONTINUES_INLINE)
        gtk_text_buffer_insert_with_tags_by_name (buffer, &end, "\n", 1, "soft-break", NULL);
      else
        gtk_text_buffer_insert (buffer, &end, "\n", 1);
    }

  start = gtk_text_iter_get_offset (&end);
  if (block->kind == CONFAB_MARKDOWN_BLOCK_LIST_ITEM)
    {
      marker = confab_markdown_block_dup_marker (block);
      gtk_text_buffer_insert (buffer, &end, marker, -1);
    }
  text_start = gtk_text_iter_get_offset (&end);
  gtk_text_buffer_insert (buffer, &end, block->text->str, block->text->len);
  block_end = gtk_text_iter_get_offset (&end);

  apply_block_tags (buffer, block, start, block_end);

  /* The space above a block goes on its first line only. */
  if (!first && block->continues == CONFAB_MARKDOWN_CONTINUES_NOT)
    {
      const char *newline = memchr (block->text->str, '\n', block->text->len);

      line_end = newline != NULL
                 ? text_start + (int)g_utf8_strlen (block->text->str, newline - block->text->str)
                 : block_end;
      apply_tag (buffer,
                 block->kind == CONFAB_MARKDOWN_BLOCK_LIST_ITEM ||
                 (block->list_depth > 0 && block->kind == CONFAB_MARKDOWN_BLOCK_PARAGRAPH)
                 ? "gap-item" : "gap",
                 start, MAX (line_end, start + 1));
    }

  apply_span_tags (buffer, block, 0, text_start);
}

/* Adds what @block has more than @before, which @view shows last. */
static void
extend_text_block (GtkTextView               *view,
                   const ConfabMarkdownBlock *block,
                   const ConfabMarkdownBlock *before)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  int end_before = gtk_text_buffer_get_char_count (buffer);
  int text_start = end_before - (int)g_utf8_strlen (before->text->str, before->text->len);
  GtkTextIter end;
  int block_end;

  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_insert (buffer, &end, block->text->str + before->text->len,
                          block->text->len - before->text->len);
  block_end = gtk_text_iter_get_offset (&end);

  apply_block_tags (buffer, block, end_before, block_end);
  apply_span_tags (buffer, block, before->spans->len, text_start);
}

/* Code blocks */

static GtkTextView *
code_view (GtkWidget *widget)
{
  return g_object_get_data (G_OBJECT (widget), "confab-code-view");
}

static void
copy_code_cb (GtkButton *button,
              GtkWidget *widget)
{
  g_autoptr(GString) text = g_string_new (NULL);

  /* A long block is shown in parts, each after the one before. */
  for (GtkWidget *part = widget; part != NULL; part = gtk_widget_get_next_sibling (part))
    {
      g_autofree char *piece = NULL;
      ConfabMarkdownContinues continues =
        GPOINTER_TO_INT (g_object_get_data (G_OBJECT (part), "confab-code-continues"));

      if (part != widget &&
          (confab_markdown_view_get_kind (part) != CONFAB_MARKDOWN_VIEW_CODE ||
           continues == CONFAB_MARKDOWN_CONTINUES_NOT))
        break;

      piece = confab_markdown_view_dup_text (part);
      if (part != widget && continues == CONFAB_MARKDOWN_CONTINUES_LINE)
        g_string_append_c (text, '\n');
      g_string_append (text, piece);
    }

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), text->str);
}

static GtkWidget *
code_new (const ConfabMarkdownBlock *block)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new (block->language);
  GtkWidget *button = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  GtkWidget *view = text_view_new (TRUE);

  gtk_widget_add_css_class (box, "code-block");
  gtk_widget_add_css_class (header, "code-header");
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_add_css_class (label, "caption");
  gtk_widget_add_css_class (label, "dim-label");
  gtk_box_append (GTK_BOX (header), label);

  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, _("Copy Code"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Copy code"), -1);
  g_signal_connect (button, "clicked", G_CALLBACK (copy_code_cb), box);
  gtk_box_append (GTK_BOX (header), button);
  gtk_box_append (GTK_BOX (box), header);

  gtk_widget_add_css_class (view, "code-text");
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_CHAR);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 10);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (view), 10);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (view), 8);
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Code"), -1);
  gtk_box_append (GTK_BOX (box), view);

  g_object_set_data (G_OBJECT (box), "confab-code-view", view);
  g_object_set_data (G_OBJECT (box), "confab-code-header", header);
  g_object_set_data (G_OBJECT (box), "confab-code-label", label);

  return box;
}

static void
code_set_continues (GtkWidget               *widget,
                    const ConfabMarkdownBlock *block)
{
  GtkWidget *header = g_object_get_data (G_OBJECT (widget), "confab-code-header");

  /* A part that goes on from the one above has no header of its own. */
  g_object_set_data (G_OBJECT (widget), "confab-code-continues",
                     GINT_TO_POINTER (block->continues));
  gtk_widget_set_visible (header, block->continues == CONFAB_MARKDOWN_CONTINUES_NOT);
  gtk_label_set_label (g_object_get_data (G_OBJECT (widget), "confab-code-label"),
                       block->language);
  if (block->continues == CONFAB_MARKDOWN_CONTINUES_NOT)
    gtk_widget_remove_css_class (widget, "continued");
  else
    gtk_widget_add_css_class (widget, "continued");
}

/* Tables */

static GtkWidget *
table_new (const ConfabMarkdownBlock *block)
{
  guint n_cells = block->cells != NULL ? block->cells->len : 0;
  GtkWidget *grid;

  if (n_cells > MAX_GRID_CELLS)
    {
      GtkWidget *view = text_view_new (TRUE);
      g_autofree char *plain = confab_markdown_block_dup_plain_text (block);

      gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (view)), plain, -1);
      gtk_widget_add_css_class (view, "markdown-table");
      return view;
    }

  grid = gtk_grid_new ();
  gtk_widget_add_css_class (grid, "markdown-table");
  gtk_grid_set_column_spacing (GTK_GRID (grid), 0);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 0);
  gtk_widget_set_halign (grid, GTK_ALIGN_START);
  for (guint i = 0; i < n_cells; i++)
    {
      guint row = i / block->n_columns;
      GtkWidget *label = gtk_label_new (g_ptr_array_index (block->cells, i));

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
      gtk_label_set_max_width_chars (GTK_LABEL (label), 40);
      gtk_label_set_selectable (GTK_LABEL (label), TRUE);
      gtk_widget_add_css_class (label, "cell");
      if (row < block->n_header_rows)
        gtk_widget_add_css_class (label, "heading");
      gtk_grid_attach (GTK_GRID (grid), label, i % block->n_columns, row, 1, 1);
    }

  return grid;
}

/**
 * confab_markdown_view_kind_for_block:
 * @block: a block
 *
 * Returns: the kind of widget that shows @block
 */
ConfabMarkdownViewKind
confab_markdown_view_kind_for_block (const ConfabMarkdownBlock *block)
{
  g_return_val_if_fail (block != NULL, CONFAB_MARKDOWN_VIEW_TEXT);

  switch (block->kind)
    {
    case CONFAB_MARKDOWN_BLOCK_CODE:
      return CONFAB_MARKDOWN_VIEW_CODE;
    case CONFAB_MARKDOWN_BLOCK_TABLE:
      return CONFAB_MARKDOWN_VIEW_TABLE;
    case CONFAB_MARKDOWN_BLOCK_RULE:
      return CONFAB_MARKDOWN_VIEW_RULE;
    case CONFAB_MARKDOWN_BLOCK_PARAGRAPH:
    case CONFAB_MARKDOWN_BLOCK_HEADING:
    case CONFAB_MARKDOWN_BLOCK_LIST_ITEM:
    default:
      return CONFAB_MARKDOWN_VIEW_TEXT;
    }
}

/**
 * confab_markdown_view_get_kind:
 * @widget: a widget
 *
 * Returns: what @widget shows, or 0 if it was not made here
 */
ConfabMarkdownViewKind
confab_markdown_view_get_kind (GtkWidget *widget)
{
  g_return_val_if_fail (GTK_IS_WIDGET (widget), 0);

  return GPOINTER_TO_INT (g_object_get_data (G_OBJECT (widget), "confab-markdown-kind"));
}

/**
 * confab_markdown_view_new:
 * @block: the first block it will show
 *
 * Makes the widget for @block's kind. A table or a rule is made whole; a
 * text view or a code block is empty, for confab_markdown_view_append ().
 *
 * Returns: (transfer floating): the widget
 */
GtkWidget *
confab_markdown_view_new (const ConfabMarkdownBlock *block)
{
  ConfabMarkdownViewKind kind;
  GtkWidget *widget;

  g_return_val_if_fail (block != NULL, NULL);

  kind = confab_markdown_view_kind_for_block (block);
  switch (kind)
    {
    case CONFAB_MARKDOWN_VIEW_CODE:
      widget = code_new (block);
      code_set_continues (widget, block);
      break;
    case CONFAB_MARKDOWN_VIEW_TABLE:
      widget = table_new (block);
      break;
    case CONFAB_MARKDOWN_VIEW_RULE:
      widget = gtk_separator_new (GTK_ORIENTATION_HORIZONTAL);
      gtk_widget_add_css_class (widget, "markdown-rule");
      break;
    case CONFAB_MARKDOWN_VIEW_TEXT:
    default:
      widget = text_view_new (FALSE);
      break;
    }

  g_object_set_data (G_OBJECT (widget), "confab-markdown-kind", GINT_TO_POINTER (kind));
  return widget;
}

/**
 * confab_markdown_view_append:
 * @widget: a text view or a code block made by confab_markdown_view_new ()
 * @block: a block of the same kind
 *
 * Adds @block at the end of what @widget shows.
 *
 * Returns: how many bytes of text @widget shows now
 */
gsize
confab_markdown_view_append (GtkWidget                 *widget,
                             const ConfabMarkdownBlock *block)
{
  gsize size;

  g_return_val_if_fail (GTK_IS_WIDGET (widget), 0);
  g_return_val_if_fail (block != NULL, 0);

  size = confab_markdown_view_get_size (widget);
  switch (confab_markdown_view_get_kind (widget))
    {
    case CONFAB_MARKDOWN_VIEW_TEXT:
      append_text_block (GTK_TEXT_VIEW (widget), block);
      size += block->text->len + 8;
      break;
    case CONFAB_MARKDOWN_VIEW_CODE:
      {
        GtkTextBuffer *buffer = gtk_text_view_get_buffer (code_view (widget));
        GtkTextIter end;

        if (size == 0)
          code_set_continues (widget, block);
        gtk_text_buffer_get_end_iter (buffer, &end);
        if (size > 0 && block->continues != CONFAB_MARKDOWN_CONTINUES_INLINE)
          gtk_text_buffer_insert (buffer, &end, "\n", 1);
        gtk_text_buffer_insert (buffer, &end, block->text->str, block->text->len);
        size += block->text->len + 1;
      }
      break;
    case CONFAB_MARKDOWN_VIEW_TABLE:
    case CONFAB_MARKDOWN_VIEW_RULE:
    default:
      break;
    }

  set_size (widget, size);
  return size;
}

/**
 * confab_markdown_view_clear:
 * @widget: a text view or a code block made by confab_markdown_view_new ()
 *
 * Empties @widget, to show other blocks in it.
 */
void
confab_markdown_view_clear (GtkWidget *widget)
{
  GtkTextView *view;
  GArray *links;

  g_return_if_fail (GTK_IS_WIDGET (widget));

  switch (confab_markdown_view_get_kind (widget))
    {
    case CONFAB_MARKDOWN_VIEW_TEXT:
      view = GTK_TEXT_VIEW (widget);
      break;
    case CONFAB_MARKDOWN_VIEW_CODE:
      view = code_view (widget);
      break;
    case CONFAB_MARKDOWN_VIEW_TABLE:
    case CONFAB_MARKDOWN_VIEW_RULE:
    default:
      return;
    }

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (view), "", 0);
  links = g_object_get_data (G_OBJECT (gtk_text_view_get_buffer (view)), "confab-links");
  if (links != NULL)
    g_array_set_size (links, 0);
  set_size (widget, 0);
}

/**
 * confab_markdown_view_get_size:
 * @widget: a widget made by confab_markdown_view_new ()
 *
 * Returns: about how many bytes of text @widget shows
 */
gsize
confab_markdown_view_get_size (GtkWidget *widget)
{
  g_return_val_if_fail (GTK_IS_WIDGET (widget), 0);

  return GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (widget), "confab-markdown-size"));
}

static char *
dup_view_text (GtkTextView *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextTag *soft_break = gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (buffer),
                                                      "soft-break");
  GString *text = g_string_new (NULL);
  GtkTextIter iter, next;

  gtk_text_buffer_get_start_iter (buffer, &iter);
  while (!gtk_text_iter_is_end (&iter))
    {
      g_autofree char *piece = NULL;

      if (gtk_text_iter_has_tag (&iter, soft_break))
        {
          gtk_text_iter_forward_char (&iter);
          continue;
        }
      next = iter;
      if (!gtk_text_iter_forward_to_tag_toggle (&next, soft_break))
        gtk_text_buffer_get_end_iter (buffer, &next);
      piece = gtk_text_iter_get_text (&iter, &next);
      g_string_append (text, piece);
      iter = next;
    }

  return g_string_free (text, FALSE);
}

/**
 * confab_markdown_view_dup_text:
 * @widget: a widget made by confab_markdown_view_new ()
 *
 * Returns: (transfer full): the text @widget shows, without the breaks
 *   added only for display
 */
char *
confab_markdown_view_dup_text (GtkWidget *widget)
{
  GString *text;

  g_return_val_if_fail (GTK_IS_WIDGET (widget), NULL);

  switch (confab_markdown_view_get_kind (widget))
    {
    case CONFAB_MARKDOWN_VIEW_TEXT:
      return dup_view_text (GTK_TEXT_VIEW (widget));
    case CONFAB_MARKDOWN_VIEW_CODE:
      return dup_view_text (code_view (widget));
    case CONFAB_MARKDOWN_VIEW_TABLE:
      if (GTK_IS_TEXT_VIEW (widget))
        return dup_view_text (GTK_TEXT_VIEW (widget));
      text = g_string_new (NULL);
      for (GtkWidget *child = gtk_widget_get_first_child (widget);
           child != NULL;
           child = gtk_widget_get_next_sibling (child))
        {
          if (text->len > 0)
            g_string_append_c (text, '\t');
          g_string_append (text, gtk_label_get_text (GTK_LABEL (child)));
        }
      return g_string_free (text, FALSE);
    case CONFAB_MARKDOWN_VIEW_RULE:
    default:
      return g_strdup ("");
    }
}

static GtkTextView *
text_of (GtkWidget *widget)
{
  switch (confab_markdown_view_get_kind (widget))
    {
    case CONFAB_MARKDOWN_VIEW_TEXT:
      return GTK_TEXT_VIEW (widget);
    case CONFAB_MARKDOWN_VIEW_CODE:
      return code_view (widget);
    case CONFAB_MARKDOWN_VIEW_TABLE:
    case CONFAB_MARKDOWN_VIEW_RULE:
    default:
      return NULL;
    }
}

/**
 * confab_markdown_view_get_char_count:
 * @widget: a text view or a code block made by confab_markdown_view_new ()
 *
 * Returns: how many characters it shows
 */
int
confab_markdown_view_get_char_count (GtkWidget *widget)
{
  GtkTextView *view;

  g_return_val_if_fail (GTK_IS_WIDGET (widget), 0);

  view = text_of (widget);
  return view != NULL ? gtk_text_buffer_get_char_count (gtk_text_view_get_buffer (view)) : 0;
}

/**
 * confab_markdown_view_truncate:
 * @widget: a text view or a code block made by confab_markdown_view_new ()
 * @offset: the characters to keep
 * @size: the size it had with those only (see confab_markdown_view_get_size ())
 *
 * Removes what was appended after the first @offset characters.
 */
void
confab_markdown_view_truncate (GtkWidget *widget,
                               int        offset,
                               gsize      size)
{
  GtkTextView *view;
  GtkTextBuffer *buffer;
  GtkTextIter start, end;
  GArray *links;

  g_return_if_fail (GTK_IS_WIDGET (widget));

  view = text_of (widget);
  if (view == NULL)
    return;

  buffer = gtk_text_view_get_buffer (view);
  gtk_text_buffer_get_iter_at_offset (buffer, &start, offset);
  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_delete (buffer, &start, &end);
  links = g_object_get_data (G_OBJECT (buffer), "confab-links");
  while (links != NULL && links->len > 0 &&
         g_array_index (links, Link, links->len - 1).end > offset)
    g_array_set_size (links, links->len - 1);
  set_size (widget, size);
}

/**
 * confab_markdown_view_extend:
 * @widget: a text view or a code block that shows @before last
 * @block: @before with more text (see confab_markdown_block_extends ())
 * @before: the block @widget shows last
 *
 * Shows @block in place of @before by adding what it has more: a
 * streaming paragraph or code block grows as plain text does, without
 * showing its start again in each frame.
 *
 * Returns: %FALSE if it could not, and nothing changed
 */
gboolean
confab_markdown_view_extend (GtkWidget                 *widget,
                             const ConfabMarkdownBlock *block,
                             const ConfabMarkdownBlock *before)
{
  gsize added;

  g_return_val_if_fail (GTK_IS_WIDGET (widget), FALSE);
  g_return_val_if_fail (block != NULL && before != NULL, FALSE);

  if (!confab_markdown_block_extends (block, before) ||
      confab_markdown_view_get_kind (widget) != confab_markdown_view_kind_for_block (block))
    return FALSE;

  added = block->text->len - before->text->len;
  switch (confab_markdown_view_get_kind (widget))
    {
    case CONFAB_MARKDOWN_VIEW_TEXT:
      extend_text_block (GTK_TEXT_VIEW (widget), block, before);
      break;
    case CONFAB_MARKDOWN_VIEW_CODE:
      {
        GtkTextBuffer *buffer = gtk_text_view_get_buffer (code_view (widget));
        GtkTextIter end;

        gtk_text_buffer_get_end_iter (buffer, &end);
        gtk_text_buffer_insert (buffer, &end, block->text->str + before->text->len, added);
      }
      break;
    case CONFAB_MARKDOWN_VIEW_TABLE:
    case CONFAB_MARKDOWN_VIEW_RULE:
    default:
      return FALSE;
    }

  set_size (widget, confab_markdown_view_get_size (widget) + added);
  return TRUE;
}

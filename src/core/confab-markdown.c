/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-markdown"

#include "config.h"

#include "confab-markdown.h"

#include <md4c.h>
#include <string.h>

/* GitHub's dialect, as models write it, with raw HTML off: md4c then
 * gives tags back as text, which is how they are shown. */
#define PARSER_FLAGS (MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_TASKLISTS | \
                      MD_FLAG_PERMISSIVEURLAUTOLINKS | MD_FLAG_PERMISSIVEWWWAUTOLINKS | \
                      MD_FLAG_NOHTML)

/* A language name longer than this is not one. */
#define MAX_LANGUAGE 64
/* Nor is a link longer than this one that Confab opens. */
#define MAX_URL 4096

/* While a reply streams, the unfinished part is parsed again in each
 * frame, so it must stay short: a block longer than this is cut, at a
 * line end, or inside a line that long, after a space if there is one
 * in the last half. A cut inside a code fence carries the fence on. */
#define SPLIT_FORCE 4096

void
confab_markdown_block_free (ConfabMarkdownBlock *block)
{
  if (block == NULL)
    return;

  g_free (block->language);
  if (block->text != NULL)
    g_string_free (block->text, TRUE);
  if (block->spans != NULL)
    {
      for (guint i = 0; i < block->spans->len; i++)
        g_free (g_array_index (block->spans, ConfabMarkdownSpan, i).url);
      g_array_unref (block->spans);
    }
  g_clear_pointer (&block->cells, g_ptr_array_unref);
  g_free (block);
}

typedef struct
{
  ConfabMarkdownStyle  style;
  gsize                start;
  char                *url;
  gboolean             openable;
} OpenSpan;

typedef struct
{
  gboolean ordered;
  guint    next;
} OpenList;

typedef struct
{
  GPtrArray           *blocks;
  ConfabMarkdownBlock *current;
  /* the current block was begun by text outside any paragraph (a tight
   * list item's) and ends with the next block */
  gboolean             implicit;
  guint                quote_depth;
  GArray              *lists;
  /* the item whose first block has yet to show its marker */
  gboolean             item_pending;
  guint                item_number;
  GArray              *spans;
  /* inside a table */
  ConfabMarkdownBlock *table;
  GString             *cell;
  gboolean             in_head;
} Parse;

static ConfabMarkdownBlock *
block_new (Parse                   *parse,
           ConfabMarkdownBlockKind  kind)
{
  ConfabMarkdownBlock *block = g_new0 (ConfabMarkdownBlock, 1);

  block->kind = kind;
  block->quote_depth = MIN (parse->quote_depth, CONFAB_MARKDOWN_MAX_DEPTH);
  block->list_depth = MIN (parse->lists->len, CONFAB_MARKDOWN_MAX_DEPTH);
  block->text = g_string_new (NULL);
  block->spans = g_array_new (FALSE, TRUE, sizeof (ConfabMarkdownSpan));
  block->language = g_strdup ("");

  return block;
}

/* The first block of a list item carries its marker; an item that begins
 * with something else than text gets an empty one of its own. */
static void
take_item (Parse               *parse,
           ConfabMarkdownBlock *block)
{
  if (!parse->item_pending)
    return;

  parse->item_pending = FALSE;
  if (block != NULL && block->kind == CONFAB_MARKDOWN_BLOCK_PARAGRAPH)
    {
      block->kind = CONFAB_MARKDOWN_BLOCK_LIST_ITEM;
      block->number = parse->item_number;
    }
  else
    {
      ConfabMarkdownBlock *item = block_new (parse, CONFAB_MARKDOWN_BLOCK_LIST_ITEM);

      item->number = parse->item_number;
      g_ptr_array_add (parse->blocks, item);
    }
}

static void
begin_block (Parse                   *parse,
             ConfabMarkdownBlockKind  kind,
             gboolean                 implicit)
{
  ConfabMarkdownBlock *block = block_new (parse, kind);

  take_item (parse, block);
  g_ptr_array_add (parse->blocks, block);
  parse->current = block;
  parse->implicit = implicit;
}

static void
end_block (Parse *parse)
{
  ConfabMarkdownBlock *block = parse->current;

  if (block == NULL)
    return;

  /* md4c gives a code block's last line with its newline. */
  if (block->kind == CONFAB_MARKDOWN_BLOCK_CODE && block->text->len > 0 &&
      block->text->str[block->text->len - 1] == '\n')
    g_string_truncate (block->text, block->text->len - 1);

  parse->current = NULL;
  parse->implicit = FALSE;
}

static void
end_implicit (Parse *parse)
{
  if (parse->current != NULL && parse->implicit)
    end_block (parse);
}

static void
append_entity (GString    *out,
               const char *text,
               gsize       size)
{
  static const struct { const char *name; const char *text; } named[] = {
    { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" },
    { "&apos;", "'" }, { "&nbsp;", "\xc2\xa0" }, { "&copy;", "©" }, { "&mdash;", "—" },
    { "&ndash;", "–" }, { "&hellip;", "…" },
  };
  char buffer[16];

  if (size > 3 && size < sizeof buffer && text[1] == '#')
    {
      guint64 value;
      char *end = NULL;
      gboolean hex = text[2] == 'x' || text[2] == 'X';

      memcpy (buffer, text, size);
      buffer[size - 1] = '\0';
      value = g_ascii_strtoull (buffer + (hex ? 3 : 2), &end, hex ? 16 : 10);
      /* CommonMark: an invalid or zero code point is U+FFFD. */
      if (value == 0 || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
        value = 0xfffd;
      g_string_append_unichar (out, (gunichar)value);
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (named); i++)
    if (strlen (named[i].name) == size && memcmp (named[i].name, text, size) == 0)
      {
        g_string_append (out, named[i].text);
        return;
      }

  /* Any other entity is shown as written. */
  g_string_append_len (out, text, size);
}

static void
append_text (GString     *out,
             MD_TEXTTYPE  type,
             const char  *text,
             gsize        size)
{
  switch (type)
    {
    case MD_TEXT_NULLCHAR:
      g_string_append (out, "\xef\xbf\xbd");
      break;
    case MD_TEXT_BR:
    case MD_TEXT_SOFTBR:
      /* Models break lines where they mean it: a chat shows them, as
       * GitHub's comments do. */
      g_string_append_c (out, '\n');
      break;
    case MD_TEXT_ENTITY:
      append_entity (out, text, size);
      break;
    case MD_TEXT_NORMAL:
    case MD_TEXT_CODE:
    case MD_TEXT_HTML:
    case MD_TEXT_LATEXMATH:
    default:
      g_string_append_len (out, text, size);
      break;
    }
}

static int
enter_block_cb (MD_BLOCKTYPE  type,
                void         *detail,
                void         *user_data)
{
  Parse *parse = user_data;

  switch (type)
    {
    case MD_BLOCK_DOC:
    case MD_BLOCK_TBODY:
      parse->in_head = FALSE;
      break;
    case MD_BLOCK_THEAD:
      parse->in_head = TRUE;
      break;
    case MD_BLOCK_QUOTE:
      end_implicit (parse);
      parse->quote_depth++;
      break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      {
        OpenList list = { type == MD_BLOCK_OL, 1 };

        end_implicit (parse);
        if (type == MD_BLOCK_OL)
          list.next = ((MD_BLOCK_OL_DETAIL *)detail)->start;
        g_array_append_val (parse->lists, list);
      }
      break;
    case MD_BLOCK_LI:
      {
        OpenList *list = &g_array_index (parse->lists, OpenList, parse->lists->len - 1);

        end_implicit (parse);
        take_item (parse, NULL);
        parse->item_pending = TRUE;
        parse->item_number = list->ordered ? MAX (list->next, 1) : 0;
        if (list->ordered && list->next < G_MAXUINT)
          list->next++;
      }
      break;
    case MD_BLOCK_HR:
      end_implicit (parse);
      begin_block (parse, CONFAB_MARKDOWN_BLOCK_RULE, FALSE);
      end_block (parse);
      break;
    case MD_BLOCK_H:
      end_implicit (parse);
      begin_block (parse, CONFAB_MARKDOWN_BLOCK_HEADING, FALSE);
      parse->current->level = CLAMP (((MD_BLOCK_H_DETAIL *)detail)->level, 1, 6);
      break;
    case MD_BLOCK_CODE:
      {
        MD_BLOCK_CODE_DETAIL *code = detail;

        end_implicit (parse);
        begin_block (parse, CONFAB_MARKDOWN_BLOCK_CODE, FALSE);
        if (code->lang.size > 0 && code->lang.size <= MAX_LANGUAGE)
          {
            g_free (parse->current->language);
            parse->current->language = g_utf8_make_valid (code->lang.text, code->lang.size);
          }
      }
      break;
    case MD_BLOCK_TABLE:
      end_implicit (parse);
      begin_block (parse, CONFAB_MARKDOWN_BLOCK_TABLE, FALSE);
      parse->table = parse->current;
      parse->table->n_columns = MAX (((MD_BLOCK_TABLE_DETAIL *)detail)->col_count, 1);
      parse->table->cells = g_ptr_array_new_with_free_func (g_free);
      break;
    case MD_BLOCK_TR:
      if (parse->table != NULL && parse->in_head)
        parse->table->n_header_rows++;
      break;
    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
      if (parse->cell == NULL)
        parse->cell = g_string_new (NULL);
      g_string_truncate (parse->cell, 0);
      break;
    case MD_BLOCK_HTML:
    case MD_BLOCK_P:
    default:
      end_implicit (parse);
      begin_block (parse, CONFAB_MARKDOWN_BLOCK_PARAGRAPH, FALSE);
      break;
    }

  return 0;
}

static int
leave_block_cb (MD_BLOCKTYPE  type,
                void         *detail,
                void         *user_data)
{
  Parse *parse = user_data;

  switch (type)
    {
    case MD_BLOCK_DOC:
    case MD_BLOCK_THEAD:
    case MD_BLOCK_TBODY:
    case MD_BLOCK_TR:
    case MD_BLOCK_HR:
      break;
    case MD_BLOCK_QUOTE:
      end_implicit (parse);
      if (parse->quote_depth > 0)
        parse->quote_depth--;
      break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      end_implicit (parse);
      if (parse->lists->len > 0)
        g_array_set_size (parse->lists, parse->lists->len - 1);
      break;
    case MD_BLOCK_LI:
      end_implicit (parse);
      take_item (parse, NULL);
      break;
    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
      if (parse->table != NULL && parse->cell != NULL)
        g_ptr_array_add (parse->table->cells, g_strndup (parse->cell->str, parse->cell->len));
      break;
    case MD_BLOCK_TABLE:
      parse->table = NULL;
      end_block (parse);
      break;
    case MD_BLOCK_H:
    case MD_BLOCK_CODE:
    case MD_BLOCK_HTML:
    case MD_BLOCK_P:
    default:
      end_block (parse);
      break;
    }

  return 0;
}

static gboolean
is_web_url (const char *url)
{
  return g_ascii_strncasecmp (url, "http://", 7) == 0 ||
         g_ascii_strncasecmp (url, "https://", 8) == 0;
}

static int
enter_span_cb (MD_SPANTYPE  type,
               void        *detail,
               void        *user_data)
{
  Parse *parse = user_data;
  OpenSpan span = { 0, };

  if (parse->table == NULL && parse->current == NULL)
    begin_block (parse, CONFAB_MARKDOWN_BLOCK_PARAGRAPH, TRUE);

  span.start = parse->current != NULL ? parse->current->text->len : 0;
  switch (type)
    {
    case MD_SPAN_EM:
      span.style = CONFAB_MARKDOWN_STYLE_ITALIC;
      break;
    case MD_SPAN_STRONG:
      span.style = CONFAB_MARKDOWN_STYLE_BOLD;
      break;
    case MD_SPAN_DEL:
      span.style = CONFAB_MARKDOWN_STYLE_STRIKETHROUGH;
      break;
    case MD_SPAN_CODE:
      span.style = CONFAB_MARKDOWN_STYLE_CODE;
      break;
    case MD_SPAN_A:
      {
        MD_SPAN_A_DETAIL *a = detail;
        gsize size = a->href.size;

        span.style = CONFAB_MARKDOWN_STYLE_LINK;
        /* md4c gives an empty target ("[x]()") no text at all. */
        span.url = size > 0 && a->href.text != NULL
                   ? g_utf8_make_valid (a->href.text, MIN (size, MAX_URL))
                   : g_strdup ("");
        /* Only the web opens: not file:, javascript:, data: or a name
         * the desktop would hand to some other program. A target with a
         * space or a control character is not one either. */
        span.openable = size <= MAX_URL && is_web_url (span.url);
        for (const char *p = span.url; span.openable && *p != '\0'; p++)
          if ((guchar)*p <= ' ' || *p == 0x7f)
            span.openable = FALSE;
      }
      break;
    case MD_SPAN_IMG:
      /* Remote images are never fetched: the alternative text shows. */
      span.style = CONFAB_MARKDOWN_STYLE_ITALIC;
      break;
    case MD_SPAN_LATEXMATH:
    case MD_SPAN_LATEXMATH_DISPLAY:
      span.style = CONFAB_MARKDOWN_STYLE_CODE;
      break;
    case MD_SPAN_WIKILINK:
    case MD_SPAN_U:
    default:
      span.style = 0;
      break;
    }

  g_array_append_val (parse->spans, span);
  return 0;
}

static int
leave_span_cb (MD_SPANTYPE  type,
               void        *detail,
               void        *user_data)
{
  Parse *parse = user_data;
  OpenSpan open;

  if (parse->spans->len == 0)
    return 0;

  open = g_array_index (parse->spans, OpenSpan, parse->spans->len - 1);
  g_array_set_size (parse->spans, parse->spans->len - 1);

  if (parse->table == NULL && parse->current != NULL && open.style != 0 &&
      parse->current->text->len > open.start)
    {
      ConfabMarkdownSpan span = {
        open.start, parse->current->text->len, open.style, g_steal_pointer (&open.url),
        open.openable,
      };

      g_array_append_val (parse->current->spans, span);
    }
  g_free (open.url);

  return 0;
}

static int
text_cb (MD_TEXTTYPE    type,
         const MD_CHAR *text,
         MD_SIZE        size,
         void          *user_data)
{
  Parse *parse = user_data;

  if (parse->table != NULL)
    {
      if (parse->cell != NULL)
        append_text (parse->cell, type, text, size);
      return 0;
    }

  if (parse->current == NULL)
    begin_block (parse, CONFAB_MARKDOWN_BLOCK_PARAGRAPH, TRUE);
  append_text (parse->current->text, type, text, size);

  return 0;
}

/**
 * confab_markdown_parse:
 * @text: Markdown, valid UTF-8
 * @len: its length in bytes
 *
 * Parses @text into blocks to show. Raw HTML stays text, links other than
 * http and https are not openable, and indents are capped.
 *
 * Returns: (transfer full) (element-type ConfabMarkdownBlock): the blocks
 */
GPtrArray *
confab_markdown_parse (const char *text,
                       gsize       len)
{
  MD_PARSER parser = {
    .abi_version = 0,
    .flags = PARSER_FLAGS,
    .enter_block = enter_block_cb,
    .leave_block = leave_block_cb,
    .enter_span = enter_span_cb,
    .leave_span = leave_span_cb,
    .text = text_cb,
  };
  Parse parse = { 0, };

  g_return_val_if_fail (text != NULL || len == 0, NULL);

  parse.blocks = g_ptr_array_new_with_free_func ((GDestroyNotify)confab_markdown_block_free);
  parse.lists = g_array_new (FALSE, FALSE, sizeof (OpenList));
  parse.spans = g_array_new (FALSE, FALSE, sizeof (OpenSpan));

  /* md4c counts in unsigned ints; the stream hands it short parts. And
   * md4c 0.4.8 reads past the end of what it is given when a link's
   * destination is cut inside parentheses ("[x](a(b)" then more text):
   * it stops only at a NUL. The stream gives it parts of a longer text,
   * so it always gets a copy that ends in one. */
  if (len <= G_MAXUINT)
    {
      g_autofree char *copy = g_malloc (len + 1);

      if (len > 0)
        memcpy (copy, text, len);
      copy[len] = '\0';
      md_parse (copy, (MD_SIZE)len, &parser, &parse);
    }

  for (guint i = 0; i < parse.spans->len; i++)
    g_free (g_array_index (parse.spans, OpenSpan, i).url);
  g_array_unref (parse.spans);
  g_array_unref (parse.lists);
  if (parse.cell != NULL)
    g_string_free (parse.cell, TRUE);

  return parse.blocks;
}

static gboolean
span_equal (const ConfabMarkdownSpan *a,
            const ConfabMarkdownSpan *b)
{
  return a->start == b->start && a->end == b->end && a->style == b->style &&
         a->openable == b->openable && g_strcmp0 (a->url, b->url) == 0;
}

static gboolean
cells_equal (const ConfabMarkdownBlock *a,
             const ConfabMarkdownBlock *b)
{
  if (a->cells == NULL || b->cells == NULL)
    return a->cells == b->cells;
  if (a->cells->len != b->cells->len)
    return FALSE;
  for (guint i = 0; i < a->cells->len; i++)
    if (strcmp (g_ptr_array_index (a->cells, i), g_ptr_array_index (b->cells, i)) != 0)
      return FALSE;

  return TRUE;
}

/**
 * confab_markdown_block_extends:
 * @block: a block
 * @before: the same block, parsed from less of the text
 *
 * Whether @block is @before with more text at its end and perhaps more
 * spans after @before's: then it can be shown by adding to what shows
 * @before, rather than again. Equal blocks extend each other.
 *
 * Returns: %TRUE if @block extends @before
 */
gboolean
confab_markdown_block_extends (const ConfabMarkdownBlock *block,
                               const ConfabMarkdownBlock *before)
{
  g_return_val_if_fail (block != NULL, FALSE);
  g_return_val_if_fail (before != NULL, FALSE);

  if (block->kind != before->kind || block->continues != before->continues ||
      block->level != before->level || block->quote_depth != before->quote_depth ||
      block->list_depth != before->list_depth || block->number != before->number ||
      g_strcmp0 (block->language, before->language) != 0 ||
      block->n_columns != before->n_columns || block->n_header_rows != before->n_header_rows ||
      !cells_equal (block, before) ||
      block->text->len < before->text->len ||
      memcmp (block->text->str, before->text->str, before->text->len) != 0 ||
      block->spans->len < before->spans->len)
    return FALSE;

  for (guint i = 0; i < before->spans->len; i++)
    if (!span_equal (&g_array_index (block->spans, ConfabMarkdownSpan, i),
                     &g_array_index (before->spans, ConfabMarkdownSpan, i)))
      return FALSE;

  return TRUE;
}

/**
 * confab_markdown_block_dup_marker:
 * @block: a list item
 *
 * Returns: (transfer full): what shows before a list item's text: its
 *   number, or a bullet for its depth, and a space
 */
char *
confab_markdown_block_dup_marker (const ConfabMarkdownBlock *block)
{
  static const char *bullets[] = { "•", "◦", "▪" };

  g_return_val_if_fail (block != NULL, NULL);

  if (block->number > 0)
    return g_strdup_printf ("%u. ", block->number);

  return g_strdup_printf ("%s ", bullets[(MAX (block->list_depth, 1) - 1) % 3]);
}

/**
 * confab_markdown_block_dup_plain_text:
 * @block: a block
 *
 * Returns: (transfer full): the block as plain text: its text, a list
 *   item with its marker, a table's cells between tabs
 */
char *
confab_markdown_block_dup_plain_text (const ConfabMarkdownBlock *block)
{
  GString *out;

  g_return_val_if_fail (block != NULL, NULL);

  out = g_string_new (NULL);
  switch (block->kind)
    {
    case CONFAB_MARKDOWN_BLOCK_LIST_ITEM:
      {
        g_autofree char *marker = confab_markdown_block_dup_marker (block);

        for (guint i = 1; i < block->list_depth; i++)
          g_string_append (out, "  ");
        g_string_append (out, marker);
        g_string_append_len (out, block->text->str, block->text->len);
      }
      break;
    case CONFAB_MARKDOWN_BLOCK_TABLE:
      for (guint i = 0; block->cells != NULL && i < block->cells->len; i++)
        {
          if (i > 0)
            g_string_append_c (out, i % block->n_columns == 0 ? '\n' : '\t');
          g_string_append (out, g_ptr_array_index (block->cells, i));
        }
      break;
    case CONFAB_MARKDOWN_BLOCK_RULE:
      break;
    case CONFAB_MARKDOWN_BLOCK_PARAGRAPH:
    case CONFAB_MARKDOWN_BLOCK_HEADING:
    case CONFAB_MARKDOWN_BLOCK_CODE:
    default:
      g_string_append_len (out, block->text->str, block->text->len);
      break;
    }

  return g_string_free (out, FALSE);
}

/* The stream: where the finished part of a growing text ends. */

struct _ConfabMarkdownStream
{
  /* the part not parsed yet begins here, continuing its block so */
  gsize                    chunk_start;
  ConfabMarkdownContinues  chunk_continues;
  GString                 *chunk_prefix;
  /* the first line of the top-level block being read, how many lines it
   * has, and, inside a table, its header and delimiter rows, which a
   * part cut inside the table is parsed after */
  GString                 *block_first;
  guint                    block_lines;
  GString                 *table;
  /* the start of the line not read to its end yet */
  gsize                    line_start;
  /* the previous line was blank */
  gboolean                 after_blank;
  /* inside a code fence: its opening line, which a part cut inside the
   * fence is parsed after */
  GString                 *fence;
  char                     fence_char;
  gsize                    fence_len;
};

/**
 * confab_markdown_stream_new:
 *
 * Returns: (transfer full): a stream that parses a growing text once,
 *   finished block by finished block
 */
ConfabMarkdownStream *
confab_markdown_stream_new (void)
{
  ConfabMarkdownStream *self = g_new0 (ConfabMarkdownStream, 1);

  self->fence = g_string_new (NULL);
  self->chunk_prefix = g_string_new (NULL);
  self->block_first = g_string_new (NULL);
  self->table = g_string_new (NULL);
  self->after_blank = TRUE;

  return self;
}

void
confab_markdown_stream_free (ConfabMarkdownStream *self)
{
  if (self == NULL)
    return;

  g_string_free (self->fence, TRUE);
  g_string_free (self->chunk_prefix, TRUE);
  g_string_free (self->block_first, TRUE);
  g_string_free (self->table, TRUE);
  g_free (self);
}

static gsize
count_indent (const char *line,
              const char *end)
{
  gsize indent = 0;

  for (const char *p = line; p < end; p++)
    if (*p == ' ')
      indent++;
    else if (*p == '\t')
      indent += 4 - indent % 4;
    else
      break;

  return indent;
}

/* Whether a line (its start at least) opens a code fence: up to three
 * spaces, then three or more backticks or tildes. */
static gboolean
is_fence (const char *line,
          const char *end,
          char       *fence_char,
          gsize      *fence_len)
{
  const char *p = line;
  gsize n = 0;

  while (p < end && *p == ' ' && p - line < 4)
    p++;
  if (p - line > 3 || p >= end || (*p != '`' && *p != '~'))
    return FALSE;

  for (const char *q = p; q < end && *q == *p; q++)
    n++;
  if (n < 3)
    return FALSE;

  /* A backtick fence's info string has no backtick. */
  if (*p == '`' && memchr (p + n, '`', end - (p + n)) != NULL)
    return FALSE;

  *fence_char = *p;
  *fence_len = n;
  return TRUE;
}

static gboolean
is_closing_fence (ConfabMarkdownStream *self,
                  const char           *line,
                  const char           *end)
{
  char c;
  gsize n;
  const char *p = line;

  if (!is_fence (line, end, &c, &n) || c != self->fence_char || n < self->fence_len)
    return FALSE;

  while (p < end && (*p == ' ' || *p == c))
    p++;
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
    p++;

  return p == end;
}

static gboolean
is_blank (const char *line,
          const char *end)
{
  for (const char *p = line; p < end; p++)
    if (*p != ' ' && *p != '\t' && *p != '\r')
      return FALSE;

  return TRUE;
}

/* Whether a line at the top level surely begins a block of its own: a
 * fence, an ATX heading, or a new list item (so that a list of ten
 * thousand items is as many parts, not one that grows). After a blank
 * line, any line not indented does. */
static gboolean
starts_block (ConfabMarkdownStream *self,
              const char           *line,
              const char           *end)
{
  char c;
  gsize n;
  const char *p = line;

  if (line >= end || count_indent (line, end) > 0 || is_blank (line, end))
    return FALSE;
  if (self->after_blank)
    return TRUE;
  if (is_fence (line, end, &c, &n))
    return TRUE;
  if (*p == '#')
    {
      while (p < end && *p == '#')
        p++;
      return p - line <= 6 && (p == end || *p == ' ' || *p == '\t' || *p == '\r');
    }
  if (*p == '-' || *p == '*' || *p == '+')
    return p + 1 < end && (p[1] == ' ' || p[1] == '\t');
  while (p < end && g_ascii_isdigit (*p) && p - line < 9)
    p++;

  return p > line && p + 1 < end && (*p == '.' || *p == ')') && (p[1] == ' ' || p[1] == '\t');
}

static void
parse_chunk (ConfabMarkdownStream    *self,
             const char              *text,
             gsize                    start,
             gsize                    end,
             ConfabMarkdownContinues  continues,
             const char              *prefix,
             GPtrArray               *out)
{
  g_autoptr(GPtrArray) blocks = NULL;

  if (prefix != NULL && *prefix != '\0')
    {
      g_autoptr(GString) source = g_string_new (prefix);

      g_string_append_len (source, text + start, end - start);
      blocks = confab_markdown_parse (source->str, source->len);
    }
  else
    {
      blocks = confab_markdown_parse (text + start, end - start);
    }

  if (blocks->len > 0)
    ((ConfabMarkdownBlock *)g_ptr_array_index (blocks, 0))->continues = continues;
  g_ptr_array_extend_and_steal (out, g_steal_pointer (&blocks));
}

static void
split (ConfabMarkdownStream    *self,
       const char              *text,
       gsize                    at,
       ConfabMarkdownContinues  continues,
       GPtrArray               *out)
{
  g_assert (at > self->chunk_start);

  parse_chunk (self, text, self->chunk_start, at, self->chunk_continues,
               self->chunk_prefix->str, out);
  self->chunk_start = at;
  self->chunk_continues = continues;
  /* A part that begins inside a fence is parsed after its opening line,
   * one inside a table after its header. */
  g_string_truncate (self->chunk_prefix, 0);
  if (continues != CONFAB_MARKDOWN_CONTINUES_NOT && self->fence->len > 0)
    g_string_append_len (self->chunk_prefix, self->fence->str, self->fence->len);
  else if (continues != CONFAB_MARKDOWN_CONTINUES_NOT)
    g_string_append_len (self->chunk_prefix, self->table->str, self->table->len);
}

/* Where to cut a line that is too long: after the last space in the
 * second half of the part, or else at the last character boundary. The
 * window is fixed by chunk_start alone, so the cut does not depend on
 * how the text arrived. */
static gsize
find_cut (ConfabMarkdownStream *self,
          const char           *text)
{
  gsize limit = self->chunk_start + SPLIT_FORCE;
  gsize from = MAX (self->chunk_start + SPLIT_FORCE / 2, self->line_start + 1);

  for (gsize i = limit; i > from; i--)
    if (text[i - 1] == ' ')
      return i;

  for (gsize i = limit; i > self->chunk_start + 1; i--)
    if (((guchar)text[i] & 0xc0) != 0x80)
      return i;

  return limit;
}

/* GFM: a table's second line is its delimiter row, "|---|:-:|". */
static gboolean
is_delimiter_row (const char *line,
                  const char *end)
{
  gboolean dash = FALSE;

  for (const char *p = line; p < end; p++)
    {
      if (*p == '-')
        dash = TRUE;
      else if (*p != '|' && *p != ':' && *p != ' ' && *p != '\t' && *p != '\r')
        return FALSE;
    }

  return dash;
}

/* Keeps the header of the table being read, if it is one. */
static void
track_table (ConfabMarkdownStream *self,
             const char           *line,
             const char           *line_end,
             gboolean              blank,
             gboolean              begins)
{
  if (blank || begins)
    {
      g_string_truncate (self->table, 0);
      g_string_truncate (self->block_first, 0);
      self->block_lines = blank ? 0 : 1;
      /* A header longer than a part is not carried on. */
      if (begins && line_end - line < SPLIT_FORCE / 2)
        g_string_append_len (self->block_first, line, line_end - line);
      return;
    }

  if (self->block_lines == 1 && self->block_first->len > 0 &&
      memchr (self->block_first->str, '|', self->block_first->len) != NULL &&
      is_delimiter_row (line, line_end) && line_end - line < SPLIT_FORCE / 2)
    {
      g_string_append_len (self->table, self->block_first->str, self->block_first->len);
      g_string_append_c (self->table, '\n');
      g_string_append_len (self->table, line, line_end - line);
      g_string_append_c (self->table, '\n');
    }
  if (self->block_lines < G_MAXUINT)
    self->block_lines++;
}

static void
read_line (ConfabMarkdownStream *self,
           const char           *text,
           gsize                 start,
           gsize                 end,
           GPtrArray            *out)
{
  const char *line = text + start;
  const char *line_end = text + end;
  gboolean blank = is_blank (line, line_end);
  gboolean begins;
  char c;
  gsize n;

  if (self->fence->len > 0)
    {
      if (is_closing_fence (self, line, line_end))
        {
          g_string_truncate (self->fence, 0);
          self->after_blank = FALSE;
        }
      return;
    }

  begins = starts_block (self, line, line_end);
  if (start > self->chunk_start && begins)
    split (self, text, start, CONFAB_MARKDOWN_CONTINUES_NOT, out);
  track_table (self, line, line_end, blank, begins);

  if (!blank && count_indent (line, line_end) < 4 && is_fence (line, line_end, &c, &n))
    {
      g_string_append_len (self->fence, line, end - start);
      g_string_append_c (self->fence, '\n');
      self->fence_char = c;
      self->fence_len = n;
    }

  self->after_blank = blank;
}

static void
feed (ConfabMarkdownStream *self,
      const char           *text,
      gsize                 len,
      GPtrArray            *out)
{
  while (self->line_start < len)
    {
      const char *newline = memchr (text + self->line_start, '\n', len - self->line_start);
      gsize line_end = newline != NULL ? (gsize)(newline - text) : len;

      /* The part re-read in each frame stays short: cut a long block at
       * this line's start, and a long line inside. */
      while (line_end > self->chunk_start + SPLIT_FORCE)
        {
          ConfabMarkdownContinues continues = CONFAB_MARKDOWN_CONTINUES_LINE;

          if (self->line_start > self->chunk_start)
            {
              if (self->fence->len == 0 &&
                  starts_block (self, text + self->line_start, text + line_end))
                continues = CONFAB_MARKDOWN_CONTINUES_NOT;
              split (self, text, self->line_start, continues, out);
            }
          else
            {
              split (self, text, find_cut (self, text), CONFAB_MARKDOWN_CONTINUES_INLINE, out);
            }
        }

      if (newline == NULL)
        return;

      read_line (self, text, self->line_start, line_end, out);
      self->line_start = line_end + 1;
    }
}

/**
 * confab_markdown_stream_update:
 * @self: a stream
 * @text: the text so far, which only grows
 * @len: its length in bytes
 *
 * Reads what was added since the last call, and parses the blocks that
 * are finished now, each once.
 *
 * Returns: (transfer full) (element-type ConfabMarkdownBlock): the blocks
 *   finished since the last call
 */
GPtrArray *
confab_markdown_stream_update (ConfabMarkdownStream *self,
                               const char           *text,
                               gsize                 len)
{
  GPtrArray *out;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (len >= self->line_start, NULL);

  out = g_ptr_array_new_with_free_func ((GDestroyNotify)confab_markdown_block_free);
  feed (self, text, len, out);

  return out;
}

/**
 * confab_markdown_stream_parse_tail:
 * @self: a stream
 * @text: the same text as given to confab_markdown_stream_update () last
 * @len: its length
 *
 * Returns: (transfer full) (element-type ConfabMarkdownBlock): the blocks
 *   of the part not finished yet
 */
GPtrArray *
confab_markdown_stream_parse_tail (ConfabMarkdownStream *self,
                                   const char           *text,
                                   gsize                 len)
{
  GPtrArray *out;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (len >= self->chunk_start, NULL);

  out = g_ptr_array_new_with_free_func ((GDestroyNotify)confab_markdown_block_free);
  if (len > self->chunk_start)
    parse_chunk (self, text, self->chunk_start, len, self->chunk_continues,
                 self->chunk_prefix->str, out);

  return out;
}

/**
 * confab_markdown_stream_get_finished:
 * @self: a stream
 *
 * Returns: how many bytes of the text are parsed into finished blocks
 */
gsize
confab_markdown_stream_get_finished (ConfabMarkdownStream *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->chunk_start;
}

/**
 * confab_markdown_to_plain_text:
 * @text: Markdown, valid UTF-8
 * @len: its length in bytes
 *
 * Returns: (transfer full): the text as shown, without its markup
 */
char *
confab_markdown_to_plain_text (const char *text,
                               gsize       len)
{
  g_autoptr(ConfabMarkdownStream) stream = confab_markdown_stream_new ();
  g_autoptr(GPtrArray) blocks = confab_markdown_stream_update (stream, text, len);
  g_autoptr(GPtrArray) tail = confab_markdown_stream_parse_tail (stream, text, len);
  GString *out = g_string_new (NULL);
  const ConfabMarkdownBlock *previous = NULL;

  g_ptr_array_extend_and_steal (blocks, g_steal_pointer (&tail));
  for (guint i = 0; i < blocks->len; i++)
    {
      const ConfabMarkdownBlock *block = g_ptr_array_index (blocks, i);
      g_autofree char *plain = confab_markdown_block_dup_plain_text (block);

      if (previous != NULL)
        {
          if (block->continues == CONFAB_MARKDOWN_CONTINUES_LINE ||
              (block->list_depth > 0 && previous->list_depth > 0))
            g_string_append_c (out, '\n');
          else if (block->continues == CONFAB_MARKDOWN_CONTINUES_NOT)
            g_string_append (out, "\n\n");
        }
      g_string_append (out, plain);
      previous = block;
    }

  return g_string_free (out, FALSE);
}

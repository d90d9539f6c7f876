/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib.h>

#include "confab-markdown.h"

/* One block as a line: "kind[level|depths|number|language]text{spans}",
 * with newlines as \n, so a whole model compares as one string. */
static void
append_block (GString                   *out,
              const ConfabMarkdownBlock *block)
{
  static const char *kinds[] = { "p", "h", "li", "code", "table", "hr" };
  g_autofree char *escaped = g_strescape (block->text->str, "\xc2\xa0");

  g_string_append_printf (out, "%s[%u|q%u l%u|%u|%s|c%d]%s", kinds[block->kind], block->level,
                          block->quote_depth, block->list_depth, block->number, block->language,
                          block->continues, escaped);
  for (guint i = 0; i < block->spans->len; i++)
    {
      const ConfabMarkdownSpan *span = &g_array_index (block->spans, ConfabMarkdownSpan, i);

      g_string_append_printf (out, "{%zu-%zu:%d", span->start, span->end, span->style);
      if (span->url != NULL)
        g_string_append_printf (out, ":%s:%s", span->url, span->openable ? "open" : "closed");
      g_string_append_c (out, '}');
    }
  if (block->cells != NULL)
    {
      g_string_append_printf (out, "<%u cols, %u head:", block->n_columns, block->n_header_rows);
      for (guint i = 0; i < block->cells->len; i++)
        g_string_append_printf (out, "%s%s", i > 0 ? "|" : "",
                                (char *)g_ptr_array_index (block->cells, i));
      g_string_append_c (out, '>');
    }
  g_string_append_c (out, '\n');
}

static char *
render (GPtrArray *blocks)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < blocks->len; i++)
    append_block (out, g_ptr_array_index (blocks, i));

  return g_string_free (out, FALSE);
}

static char *
render_parse (const char *text)
{
  g_autoptr(GPtrArray) blocks = confab_markdown_parse (text, strlen (text));

  return render (blocks);
}

/* The model the stream gives when it is given @text in pieces of @step
 * bytes (0: in one piece), the finished blocks and then the tail. */
static char *
render_stream (const char *text,
               gsize       len,
               gsize       step)
{
  g_autoptr(ConfabMarkdownStream) stream = confab_markdown_stream_new ();
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                             confab_markdown_block_free);
  g_autoptr(GPtrArray) tail = NULL;
  gsize fed = 0;

  while (fed < len)
    {
      g_autoptr(GPtrArray) finished = NULL;

      fed = step == 0 ? len : MIN (len, fed + step);
      finished = confab_markdown_stream_update (stream, text, fed);
      g_ptr_array_extend_and_steal (all, g_steal_pointer (&finished));
      g_assert_cmpuint (confab_markdown_stream_get_finished (stream), <=, fed);
    }
  tail = confab_markdown_stream_parse_tail (stream, text, len);
  g_ptr_array_extend_and_steal (all, g_steal_pointer (&tail));

  return render (all);
}

typedef struct
{
  const char *name;
  const char *markdown;
  const char *expected;
} Case;

static const Case cases[] = {
  { "paragraph", "Hello, world.", "p[0|q0 l0|0||c0]Hello, world.\n" },
  { "two-paragraphs", "One\n\nTwo", "p[0|q0 l0|0||c0]One\np[0|q0 l0|0||c0]Two\n" },
  { "soft-break", "One\nTwo", "p[0|q0 l0|0||c0]One\\nTwo\n" },
  { "headings", "# One\n### Three\n###### Six",
    "h[1|q0 l0|0||c0]One\nh[3|q0 l0|0||c0]Three\nh[6|q0 l0|0||c0]Six\n" },
  { "emphasis", "a **b** *c* ~~d~~ `e`",
    "p[0|q0 l0|0||c0]a b c d e{2-3:1}{4-5:2}{6-7:4}{8-9:8}\n" },
  { "nested-emphasis", "***both***", "p[0|q0 l0|0||c0]both{0-4:1}{0-4:2}\n" },
  { "code-block", "```python\nprint(1)\n\nx = 2\n```\n",
    "code[0|q0 l0|0|python|c0]print(1)\\n\\nx = 2\n" },
  { "code-no-language", "~~~\na\n~~~", "code[0|q0 l0|0||c0]a\n" },
  { "code-keeps-markup", "```\n**not bold** <b>\n```",
    "code[0|q0 l0|0||c0]**not bold** <b>\n" },
  { "bullets", "- a\n- b\n  - c",
    "li[0|q0 l1|0||c0]a\nli[0|q0 l1|0||c0]b\nli[0|q0 l2|0||c0]c\n" },
  { "numbers", "3. a\n4. b", "li[0|q0 l1|3||c0]a\nli[0|q0 l1|4||c0]b\n" },
  { "loose-list", "- a\n\n  more\n- b",
    "li[0|q0 l1|0||c0]a\np[0|q0 l1|0||c0]more\nli[0|q0 l1|0||c0]b\n" },
  { "empty-item", "-\n- b", "li[0|q0 l1|0||c0]\nli[0|q0 l1|0||c0]b\n" },
  { "item-with-code", "- ```\n  x\n  ```",
    "li[0|q0 l1|0||c0]\ncode[0|q0 l1|0||c0]x\n" },
  { "quote", "> a\n>> b", "p[0|q1 l0|0||c0]a\np[0|q2 l0|0||c0]b\n" },
  { "rule", "a\n\n---\n\nb", "p[0|q0 l0|0||c0]a\nhr[0|q0 l0|0||c0]\np[0|q0 l0|0||c0]b\n" },
  { "table", "| a | b |\n|---|:-:|\n| 1 | **2** |\n| 3 |",
    "table[0|q0 l0|0||c0]<2 cols, 1 head:a|b|1|2|3|>\n" },
  { "link", "[x](https://example.invalid/x)",
    "p[0|q0 l0|0||c0]x{0-1:16:https://example.invalid/x:open}\n" },
  { "autolink", "see https://example.invalid/y now",
    "p[0|q0 l0|0||c0]see https://example.invalid/y now"
    "{4-29:16:https://example.invalid/y:open}\n" },
  { "javascript-link", "[x](javascript:alert(1))",
    "p[0|q0 l0|0||c0]x{0-1:16:javascript:alert(1):closed}\n" },
  { "file-link", "[x](file:///etc/passwd) <file:///etc/passwd>",
    "p[0|q0 l0|0||c0]x file:///etc/passwd{0-1:16:file:///etc/passwd:closed}"
    "{2-20:16:file:///etc/passwd:closed}\n" },
  { "image-not-fetched", "![alt](https://example.invalid/i.png)",
    "p[0|q0 l0|0||c0]alt{0-3:2}\n" },
  { "raw-html", "<script>alert(1)</script>\n\n<b>x</b>",
    "p[0|q0 l0|0||c0]<script>alert(1)</script>\np[0|q0 l0|0||c0]<b>x</b>\n" },
  { "entities", "&amp; &lt; &#12354; &#0; &bogus;",
    "p[0|q0 l0|0||c0]& < \\343\\201\\202 \\357\\277\\275 &bogus;\n" },
  { "cjk", "# 안녕하세요\n\n**こんにちは**、世界",
    "h[1|q0 l0|0||c0]\\354\\225\\210\\353\\205\\225\\355\\225\\230\\354\\204\\270\\354\\232\\224\n"
    "p[0|q0 l0|0||c0]\\343\\201\\223\\343\\202\\223\\343\\201\\253\\343\\201\\241\\343\\201\\257"
    "\\343\\200\\201\\344\\270\\226\\347\\225\\214{0-15:1}\n" },
  { "task", "- [x] done", "li[0|q0 l1|0||c0]done\n" },
};

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  g_autofree char *parsed = render_parse (c->markdown);
  g_autofree char *whole = NULL;
  g_autofree char *bytes = NULL;

  g_assert_cmpstr (parsed, ==, c->expected);

  /* Short cases are one part for the stream as well, whatever the
   * pieces they arrive in. */
  whole = render_stream (c->markdown, strlen (c->markdown), 0);
  bytes = render_stream (c->markdown, strlen (c->markdown), 1);
  g_assert_cmpstr (bytes, ==, whole);
}

static void
test_plain_text (void)
{
  const char *markdown = "# Title\n\nSome **bold** and `code`.\n\n- one\n- two\n\n"
                         "```sh\nls -l\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n";
  g_autofree char *plain = confab_markdown_to_plain_text (markdown, strlen (markdown));

  g_assert_cmpstr (plain, ==,
                   "Title\n\nSome bold and code.\n\n• one\n• two\n\nls -l\n\na\tb\n1\t2");
}

/* A long reply that mixes every kind of block, as a model writes it. */
static GString *
long_reply (guint n)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      g_string_append_printf (text, "## Part %u\n\nSome *prose* with `code` and a "
                              "[link](https://example.invalid/%u). 日本語のテキスト。\n\n", i, i);
      g_string_append (text, "- first\n- second\n  - nested **bold**\n\n1. one\n2. two\n\n");
      g_string_append_printf (text, "```c\nint x = %u;\n\nreturn x;\n```\n\n", i);
      g_string_append (text, "> quoted\n> text\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n---\n\n");
    }

  return text;
}

/* Whatever pieces the text arrives in, the stream gives the same model:
 * its cuts depend on the text alone. */
static void
test_stream_pieces (void)
{
  g_autoptr(GString) text = long_reply (40);
  g_autofree char *whole = NULL;
  g_autofree char *bytes = NULL;
  g_autofree char *odd = NULL;

  /* A never-closed fence, and a paragraph of one long line, at the end. */
  g_string_append (text, "```\n");
  for (guint i = 0; i < 3000; i++)
    g_string_append_printf (text, "line %u\n", i);
  g_string_append (text, "```\n\n");
  for (guint i = 0; i < 3000; i++)
    g_string_append (text, "word ");
  for (guint i = 0; i < 3000; i++)
    g_string_append (text, "語");
  g_string_append (text, "\n\n```\nopen forever\n");
  for (guint i = 0; i < 2000; i++)
    g_string_append (text, "x");

  whole = render_stream (text->str, text->len, 0);
  bytes = render_stream (text->str, text->len, 1);
  odd = render_stream (text->str, text->len, 97);
  g_assert_cmpstr (bytes, ==, whole);
  g_assert_cmpstr (odd, ==, whole);
}

/* The part parsed again in each frame stays short, whatever the text. */
static void
test_stream_bounded (void)
{
  const char *kinds[] = { "list", "fence", "line", "paragraph" };

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_autoptr(ConfabMarkdownStream) stream = confab_markdown_stream_new ();
      g_autoptr(GString) text = g_string_new (NULL);
      gsize worst = 0;

      if (k == 1)
        g_string_append (text, "```python\n");
      for (guint i = 0; i < 10000; i++)
        {
          g_autoptr(GPtrArray) finished = NULL;

          if (k == 0)
            g_string_append_printf (text, "- item %u\n", i);
          else if (k == 1)
            g_string_append_printf (text, "x = %u\n", i);
          else if (k == 2)
            g_string_append (text, "ab ");
          else
            g_string_append_printf (text, "line %u\n", i);
          finished = confab_markdown_stream_update (stream, text->str, text->len);
          worst = MAX (worst, text->len - confab_markdown_stream_get_finished (stream));
        }
      g_test_message ("%s: the longest unfinished part was %zu bytes", kinds[k], worst);
      g_assert_cmpuint (worst, <=, 8192);
    }
}

static void
test_ten_thousand_items (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GPtrArray) blocks = NULL;
  g_autofree char *whole = NULL;
  g_autofree char *bytes = NULL;

  for (guint i = 0; i < 10000; i++)
    g_string_append_printf (text, "%u. item\n", i + 1);
  blocks = confab_markdown_parse (text->str, text->len);
  g_assert_cmpuint (blocks->len, ==, 10000);
  g_assert_cmpuint (((ConfabMarkdownBlock *)g_ptr_array_index (blocks, 9999))->number, ==,
                    10000);

  whole = render_stream (text->str, text->len, 0);
  bytes = render_stream (text->str, text->len, 1);
  g_assert_cmpstr (bytes, ==, whole);
  g_assert_true (g_str_has_suffix (whole, "li[0|q0 l1|10000||c0]item\n"));
}

static void
test_deep_nesting (void)
{
  const char *openers[] = { ">", "- ", "* > 1. " };

  for (guint k = 0; k < G_N_ELEMENTS (openers); k++)
    {
      g_autoptr(GString) text = g_string_new (NULL);
      g_autoptr(GPtrArray) blocks = NULL;
      g_autofree char *plain = NULL;

      for (guint i = 0; i < 5000; i++)
        g_string_append (text, openers[k]);
      g_string_append (text, " deep\n");

      blocks = confab_markdown_parse (text->str, text->len);
      for (guint i = 0; i < blocks->len; i++)
        {
          ConfabMarkdownBlock *block = g_ptr_array_index (blocks, i);

          g_assert_cmpuint (block->quote_depth, <=, CONFAB_MARKDOWN_MAX_DEPTH);
          g_assert_cmpuint (block->list_depth, <=, CONFAB_MARKDOWN_MAX_DEPTH);
        }
      plain = confab_markdown_to_plain_text (text->str, text->len);
      g_assert_nonnull (strstr (plain, "deep"));
    }
}

/* A table longer than a part is carried on, under its header again. */
static void
test_long_table (void)
{
  g_autoptr(GString) text = g_string_new ("| n | square |\n|---|---:|\n");
  g_autofree char *whole = NULL;
  g_autofree char *bytes = NULL;
  g_autoptr(ConfabMarkdownStream) stream = confab_markdown_stream_new ();
  g_autoptr(GPtrArray) blocks = NULL;
  g_autoptr(GPtrArray) tail = NULL;
  guint rows = 0;

  for (guint i = 0; i < 1000; i++)
    g_string_append_printf (text, "| %u | %u |\n", i, i * i);
  g_string_append (text, "\nafter");

  blocks = confab_markdown_stream_update (stream, text->str, text->len);
  tail = confab_markdown_stream_parse_tail (stream, text->str, text->len);
  g_ptr_array_extend_and_steal (blocks, g_steal_pointer (&tail));
  g_assert_cmpuint (blocks->len, >, 2);
  for (guint i = 0; i + 1 < blocks->len; i++)
    {
      ConfabMarkdownBlock *block = g_ptr_array_index (blocks, i);

      g_assert_cmpint (block->kind, ==, CONFAB_MARKDOWN_BLOCK_TABLE);
      g_assert_cmpuint (block->n_columns, ==, 2);
      g_assert_cmpuint (block->n_header_rows, ==, 1);
      g_assert_cmpstr (g_ptr_array_index (block->cells, 0), ==, "n");
      rows += block->cells->len / 2 - 1;
    }
  g_assert_cmpuint (rows, ==, 1000);

  whole = render_stream (text->str, text->len, 0);
  bytes = render_stream (text->str, text->len, 1);
  g_assert_cmpstr (bytes, ==, whole);
}

static void
test_unclosed_fence (void)
{
  const char *markdown = "Intro\n\n```js\nlet a = 1;\n\n# not a heading\n- not an item";
  g_autofree char *whole = render_stream (markdown, strlen (markdown), 0);
  g_autofree char *bytes = render_stream (markdown, strlen (markdown), 1);

  g_assert_cmpstr (whole, ==,
                   "p[0|q0 l0|0||c0]Intro\n"
                   "code[0|q0 l0|0|js|c0]let a = 1;\\n\\n# not a heading\\n- not an item\n");
  g_assert_cmpstr (bytes, ==, whole);
}

/* A fence longer than a part is carried on in the next part. */
static void
test_long_fence (void)
{
  g_autoptr(GString) text = g_string_new ("```python\n");
  g_autoptr(GPtrArray) blocks = NULL;
  g_autoptr(GString) code = g_string_new (NULL);
  g_autoptr(ConfabMarkdownStream) stream = confab_markdown_stream_new ();
  g_autoptr(GPtrArray) tail = NULL;

  for (guint i = 0; i < 2000; i++)
    g_string_append_printf (text, "print(%u)\n", i);
  g_string_append (text, "```\nafter");

  blocks = confab_markdown_stream_update (stream, text->str, text->len);
  tail = confab_markdown_stream_parse_tail (stream, text->str, text->len);
  g_ptr_array_extend_and_steal (blocks, g_steal_pointer (&tail));
  g_assert_cmpuint (blocks->len, >, 2);
  for (guint i = 0; i + 1 < blocks->len; i++)
    {
      ConfabMarkdownBlock *block = g_ptr_array_index (blocks, i);

      g_assert_cmpint (block->kind, ==, CONFAB_MARKDOWN_BLOCK_CODE);
      g_assert_cmpstr (block->language, ==, "python");
      g_assert_cmpint (block->continues, ==,
                       i == 0 ? CONFAB_MARKDOWN_CONTINUES_NOT : CONFAB_MARKDOWN_CONTINUES_LINE);
      if (i > 0)
        g_string_append_c (code, '\n');
      g_string_append_len (code, block->text->str, block->text->len);
    }
  g_assert_cmpuint (code->len, ==, text->len - strlen ("```python\n") - strlen ("\n```\nafter"));
  g_assert_cmpint (((ConfabMarkdownBlock *)g_ptr_array_index (blocks, blocks->len - 1))->kind,
                   ==, CONFAB_MARKDOWN_BLOCK_PARAGRAPH);
}

static gboolean
first_extends (const char *text,
               const char *before)
{
  g_autoptr(GPtrArray) a = confab_markdown_parse (text, strlen (text));
  g_autoptr(GPtrArray) b = confab_markdown_parse (before, strlen (before));

  return confab_markdown_block_extends (g_ptr_array_index (a, 0), g_ptr_array_index (b, 0));
}

/* A streaming block that only grew is shown by adding to it. */
static void
test_extends (void)
{
  g_assert_true (first_extends ("Hello there", "Hello"));
  g_assert_true (first_extends ("Hello", "Hello"));
  g_assert_true (first_extends ("a **b** c *d*", "a **b** c"));
  g_assert_true (first_extends ("```py\nx = 1\ny", "```py\nx = 1"));
  /* Emphasis closed: the text shown before had its asterisks. */
  g_assert_false (first_extends ("Hello **world**", "Hello **wor"));
  g_assert_false (first_extends ("# Hello", "Hello"));
  g_assert_false (first_extends ("Hello", "Hello there"));
  g_assert_false (first_extends ("```sh\nx", "```py\nx"));
}

/* Found by fuzz-markdown: md4c 0.4.8 read past the end of a part that
 * ends inside a link's parenthesised destination, and went on until a
 * NUL; here the text goes on after the part, as a streamed reply's does.
 * Every prefix is parsed from a buffer exactly as long, so ASan in the
 * sanitizer build sees any read past it. */
static void
test_link_cut_in_parentheses (void)
{
  const char *text = "[x](javascript:alert(1)) and [y](https://example.invalid/a_(b)) []() "
                     "[z]() end";
  gsize len = strlen (text);

  for (gsize k = 0; k <= len; k++)
    {
      g_autofree char *exact = g_memdup2 (text, k);
      g_autoptr(GPtrArray) blocks = confab_markdown_parse (exact, k);
      g_autoptr(GPtrArray) inside = confab_markdown_parse (text, k);
      g_autofree char *a = NULL;
      g_autofree char *b = NULL;

      g_assert_nonnull (blocks);
      g_assert_cmpuint (blocks->len, ==, inside->len);
      if (blocks->len == 0)
        continue;
      a = confab_markdown_block_dup_plain_text (g_ptr_array_index (blocks, 0));
      b = confab_markdown_block_dup_plain_text (g_ptr_array_index (inside, 0));
      g_assert_cmpstr (a, ==, b);
      g_assert_cmpuint (strlen (a), <=, k);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/confab/markdown/%s", cases[i].name);

      g_test_add_data_func (path, &cases[i], test_case);
    }
  g_test_add_func ("/confab/markdown/plain-text", test_plain_text);
  g_test_add_func ("/confab/markdown/stream-pieces", test_stream_pieces);
  g_test_add_func ("/confab/markdown/stream-bounded", test_stream_bounded);
  g_test_add_func ("/confab/markdown/ten-thousand-items", test_ten_thousand_items);
  g_test_add_func ("/confab/markdown/deep-nesting", test_deep_nesting);
  g_test_add_func ("/confab/markdown/unclosed-fence", test_unclosed_fence);
  g_test_add_func ("/confab/markdown/long-fence", test_long_fence);
  g_test_add_func ("/confab/markdown/long-table", test_long_table);
  g_test_add_func ("/confab/markdown/extends", test_extends);
  g_test_add_func ("/confab/markdown/link-cut-in-parentheses", test_link_cut_in_parentheses);

  return g_test_run ();
}

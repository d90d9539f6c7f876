/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-transfer"

#include "config.h"

#include "confab-transfer.h"

#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "confab-json.h"

/* As confab-conversation.c cuts a title, to fit the sidebar. */
#define TITLE_MAX_CHARS 60

/* An unknown role is quoted in the error, cut to this. */
#define ROLE_MAX_CHARS 32

#define UTF8_BOM "\xef\xbb\xbf"

G_DEFINE_QUARK (confab-transfer-error-quark, confab_transfer_error)

static gboolean
has_text (const char *str)
{
  if (str == NULL)
    return FALSE;

  for (; *str != '\0'; str++)
    {
      if (!g_ascii_isspace (*str))
        return TRUE;
    }

  return FALSE;
}

/* The store promises UTF-8, and json-glib decodes escapes itself, so this
 * is a check more than a repair: nothing invalid gets in or out. */
static char *
dup_valid (const char *str)
{
  if (str == NULL)
    return NULL;

  if (g_utf8_validate (str, -1, NULL))
    return g_strdup (str);

  return g_utf8_make_valid (str, -1);
}

/* Markdown */

static const char *
role_heading (ConfabMessageRole role)
{
  switch (role)
    {
    case CONFAB_MESSAGE_ROLE_USER:
      return C_("heading in an exported conversation", "User");

    case CONFAB_MESSAGE_ROLE_ASSISTANT:
      return C_("heading in an exported conversation", "Assistant");

    case CONFAB_MESSAGE_ROLE_SYSTEM:
      return C_("heading in an exported conversation", "System");

    default:
      g_assert_not_reached ();
    }
}

/* Writes text from elsewhere (a title, a model name, an error) on one line,
 * as it reads: whatever would start emphasis, code, a link, HTML, an entity
 * or a heading's closing sequence is escaped. CommonMark lets any ASCII
 * punctuation take a backslash, and no byte of a multi-byte UTF-8 sequence
 * is ASCII. */
static void
append_inline (GString    *out,
               const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '\n' || *p == '\r' || *p == '\t')
        {
          g_string_append_c (out, ' ');
          continue;
        }

      if (strchr ("\\`*_[]<>&~#|", *p) != NULL)
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
}

/* Returns the length of the line at @line, without its end: LF, CR or CRLF
 * as CommonMark counts them. */
static gsize
line_length (const char *line)
{
  return strcspn (line, "\r\n");
}

static const char *
next_line (const char *line)
{
  line += line_length (line);
  if (line[0] == '\r' && line[1] == '\n')
    return line + 2;
  if (line[0] != '\0')
    return line + 1;

  return line;
}

static gsize
count_run (const char *str,
           gsize       len,
           char        c)
{
  gsize n = 0;

  while (n < len && str[n] == c)
    n++;

  return n;
}

static gboolean
is_blank (const char *str,
          gsize       len)
{
  for (gsize i = 0; i < len; i++)
    {
      if (str[i] != ' ' && str[i] != '\t')
        return FALSE;
    }

  return TRUE;
}

/*
 * Returns the fence an unfinished reply leaves open, so that it can be
 * closed: the rest of the document would otherwise be read as code.
 *
 * CommonMark: a fence is three or more backticks or tildes, and a backtick
 * fence's info string has no backtick; it is closed by a line of at least as
 * many of the same character, after at most three spaces, with nothing
 * after them but spaces and tabs. Only fences in the first column are
 * followed: an indented one may sit in a list item, and a container ends
 * its code block when the container ends, at our next heading anyway.
 */
static gsize
find_open_fence (const char *text,
                 char       *fence_char)
{
  gsize open_len = 0;
  char open_char = '\0';

  for (const char *line = text; *line != '\0'; line = next_line (line))
    {
      gsize len = line_length (line);
      gsize indent = count_run (line, len, ' ');
      gsize run;

      if (open_len == 0)
        {
          if (line[0] != '`' && line[0] != '~')
            continue;

          run = count_run (line, len, line[0]);
          if (run < 3)
            continue;
          if (line[0] == '`' && memchr (line + run, '`', len - run) != NULL)
            continue;

          open_char = line[0];
          open_len = run;
          continue;
        }

      if (indent > 3)
        continue;

      run = count_run (line + indent, len - indent, open_char);
      if (run >= open_len && is_blank (line + indent + run, len - indent - run))
        open_len = 0;
    }

  *fence_char = open_char;
  return open_len;
}

static void
append_content (GString    *out,
                const char *content)
{
  gsize fence_len;
  char fence_char;

  if (content[0] == '\0')
    return;

  /* The text is Markdown already, and goes in as it is. */
  g_string_append (out, content);
  if (out->str[out->len - 1] != '\n')
    g_string_append_c (out, '\n');

  fence_len = find_open_fence (content, &fence_char);
  if (fence_len > 0)
    {
      for (gsize i = 0; i < fence_len; i++)
        g_string_append_c (out, fence_char);
      g_string_append_c (out, '\n');
    }

  g_string_append_c (out, '\n');
}

static void
append_quote (GString    *out,
              const char *text)
{
  for (const char *line = text; *line != '\0'; line = next_line (line))
    {
      gsize len = line_length (line);

      if (len == 0)
        g_string_append (out, ">\n");
      else
        {
          g_string_append (out, "> ");
          g_string_append_len (out, line, (gssize) len);
          g_string_append_c (out, '\n');
        }
    }

  g_string_append_c (out, '\n');
}

static void
append_note (GString                   *out,
             const ConfabStoredMessage *message)
{
  g_autoptr(GString) error = NULL;
  g_autofree char *stripped = NULL;
  const char *note;

  switch (message->state)
    {
    case CONFAB_MESSAGE_STATE_COMPLETE:
      return;

    case CONFAB_MESSAGE_STATE_PENDING:
    case CONFAB_MESSAGE_STATE_STREAMING:
      /* Translators: a note in an exported conversation, under a reply that
       * was still being written */
      note = _("Incomplete.");
      break;

    case CONFAB_MESSAGE_STATE_STOPPED:
      /* Translators: a note in an exported conversation, under a reply that
       * the user stopped */
      note = _("Stopped.");
      break;

    case CONFAB_MESSAGE_STATE_INTERRUPTED:
      /* Translators: a note in an exported conversation, under a reply that
       * a crash or a quit cut short */
      note = _("Interrupted.");
      break;

    case CONFAB_MESSAGE_STATE_FAILED:
      if (!has_text (message->error))
        {
          /* Translators: a note in an exported conversation, under a reply
           * that failed */
          note = _("Failed.");
          break;
        }

      stripped = g_strstrip (g_strdup (message->error));
      error = g_string_new (NULL);
      append_inline (error, stripped);
      g_string_append_c (out, '*');
      /* Translators: a note in an exported conversation, under a reply
       * that failed; %s is the error, as the app showed it */
      g_string_append_printf (out, _("Failed: %s"), error->str);
      g_string_append (out, "*\n\n");
      return;

    default:
      g_assert_not_reached ();
    }

  g_string_append_printf (out, "*%s*\n\n", note);
}

static void
append_details (GString                        *out,
                const ConfabStoredConversation *conversation)
{
  g_autoptr(GString) model = NULL;
  g_autoptr(GDateTime) created = NULL;
  g_autofree char *date = NULL;

  if (has_text (conversation->model))
    {
      model = g_string_new (NULL);
      append_inline (model, conversation->model);
    }

  if (conversation->created_at > 0)
    created = g_date_time_new_from_unix_local (conversation->created_at / G_USEC_PER_SEC);
  if (created != NULL)
    date = g_date_time_format (created, "%Y-%m-%d %H:%M");

  if (model == NULL && date == NULL)
    return;

  if (model != NULL)
    {
      /* Translators: in an exported conversation, under the title; %s is
       * a model name such as gpt-4o-mini */
      g_string_append_printf (out, _("Model: %s"), model->str);
    }
  if (model != NULL && date != NULL)
    g_string_append (out, " · ");
  if (date != NULL)
    g_string_append (out, date);

  g_string_append (out, "\n\n");
}

/**
 * confab_transfer_to_markdown:
 * @conversation: a conversation
 * @messages: (element-type ConfabStoredMessage): its messages, in order
 *
 * Writes @conversation as a Markdown document to read: a `#` title
 * ("Conversation" when it has none), a line with the model and the creation
 * date in local time, the system prompt as a block quote, then each message
 * under a `##` heading that names its role.
 *
 * A message's text is Markdown already and is written as it is, code
 * fences and all; only a fence that a cut-off reply leaves open is closed,
 * so that the rest of the document is not read as code. A regenerated
 * reply is written as the variant it shows, and reasoning is left out. A
 * reply that did not complete gets a note in italics, with the error of a
 * failed one. The words the document adds are translated.
 *
 * Returns: (transfer full): the document, UTF-8, ending with a newline
 */
char *
confab_transfer_to_markdown (const ConfabStoredConversation *conversation,
                             GPtrArray                      *messages)
{
  g_autoptr(GString) out = NULL;

  g_return_val_if_fail (conversation != NULL, NULL);
  g_return_val_if_fail (messages != NULL, NULL);

  out = g_string_new ("# ");
  if (has_text (conversation->title))
    append_inline (out, conversation->title);
  else
    {
      /* Translators: the title of an exported conversation that has none */
      append_inline (out, _("Conversation"));
    }
  g_string_append (out, "\n\n");

  append_details (out, conversation);

  if (has_text (conversation->system_prompt))
    {
      /* Translators: in an exported conversation, above the system prompt */
      g_string_append_printf (out, "> **%s**\n>\n", _("System prompt"));
      append_quote (out, conversation->system_prompt);
    }

  for (guint i = 0; i < messages->len; i++)
    {
      const ConfabStoredMessage *message = g_ptr_array_index (messages, i);

      g_string_append_printf (out, "## %s\n\n", role_heading (message->role));
      append_content (out, message->content != NULL ? message->content : "");
      append_note (out, message);
    }

  /* One newline at the end, not the blank line that separates blocks. */
  while (out->len > 1 && out->str[out->len - 1] == '\n' && out->str[out->len - 2] == '\n')
    g_string_truncate (out, out->len - 1);

  if (!g_utf8_validate_len (out->str, out->len, NULL))
    return g_utf8_make_valid (out->str, (gssize) out->len);

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* JSON */

static const char *
role_name (ConfabMessageRole role)
{
  switch (role)
    {
    case CONFAB_MESSAGE_ROLE_USER:
      return "user";

    case CONFAB_MESSAGE_ROLE_ASSISTANT:
      return "assistant";

    case CONFAB_MESSAGE_ROLE_SYSTEM:
      return "system";

    default:
      g_assert_not_reached ();
    }
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  g_autofree char *repaired = NULL;

  /* json-glib would write bad UTF-8 out as it is, and the file would not
   * be JSON. */
  if (!g_utf8_validate (value, -1, NULL))
    value = repaired = g_utf8_make_valid (value, -1);

  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

static void
add_message (JsonBuilder *builder,
             const char  *role,
             const char  *content)
{
  json_builder_begin_object (builder);
  add_string (builder, "role", role);
  add_string (builder, "content", content);
  json_builder_end_object (builder);
}

/* A reply that failed or stopped before its first word says nothing, and
 * has no place in a request. */
static gboolean
is_left_out (const ConfabStoredMessage *message)
{
  return message->role == CONFAB_MESSAGE_ROLE_ASSISTANT &&
         message->state != CONFAB_MESSAGE_STATE_COMPLETE &&
         (message->content == NULL || message->content[0] == '\0');
}

/**
 * confab_transfer_to_json:
 * @conversation: a conversation
 * @messages: (element-type ConfabStoredMessage): its messages, in order
 *
 * Writes @conversation as a Chat Completions request without its options,
 * so that its `messages` can be pasted into a request or read by other
 * tools: an object with `model` (left out when unset), `messages` and
 * `title` (left out when empty), in that order, indented by two spaces.
 *
 * The system prompt, when set, is the first message, with the role
 * `system`. Each message has a `role` (`system`, `user` or `assistant`) and
 * its text as `content`, for a regenerated reply the variant it shows;
 * other variants, reasoning, usage and states are left out, and so is an
 * assistant message that failed or stopped before its first word.
 * Text other than control characters is written as it is, not as `\u`
 * escapes.
 *
 * confab_transfer_parse_json () reads it back.
 *
 * Returns: (transfer full): the JSON, UTF-8, ending with a newline
 */
char *
confab_transfer_to_json (const ConfabStoredConversation *conversation,
                         GPtrArray                      *messages)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GString) out = NULL;
  g_autofree char *json = NULL;
  gsize len;

  g_return_val_if_fail (conversation != NULL, NULL);
  g_return_val_if_fail (messages != NULL, NULL);

  builder = json_builder_new ();
  json_builder_begin_object (builder);

  if (conversation->model != NULL && conversation->model[0] != '\0')
    add_string (builder, "model", conversation->model);

  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);

  if (conversation->system_prompt != NULL && conversation->system_prompt[0] != '\0')
    add_message (builder, "system", conversation->system_prompt);

  for (guint i = 0; i < messages->len; i++)
    {
      const ConfabStoredMessage *message = g_ptr_array_index (messages, i);

      if (is_left_out (message))
        continue;

      add_message (builder, role_name (message->role),
                   message->content != NULL ? message->content : "");
    }

  json_builder_end_array (builder);

  if (conversation->title != NULL && conversation->title[0] != '\0')
    add_string (builder, "title", conversation->title);

  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  generator = json_generator_new ();
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, &len);

  out = g_string_sized_new (len + 2);
  confab_json_append_strict (out, json, len);
  g_string_append_c (out, '\n');

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Reading JSON */

static guint
line_at (const char *data,
         gsize       offset)
{
  guint line = 1;

  for (gsize i = 0; i < offset; i++)
    {
      if (data[i] == '\n')
        line++;
    }

  return line;
}

static void
parser_error_cb (JsonParser   *parser,
                 const GError *error,
                 gpointer      user_data)
{
  guint *line = user_data;

  /* The scanner, and with it the position, is gone once the load returns. */
  *line = json_parser_get_current_line (parser);
}

/* Returns the document, or %NULL with an error. */
static JsonNode *
load_json (const char  *data,
           gsize        len,
           GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *owned = NULL;
  gsize where = 0;
  guint line = 0;

  /* Ours and other tools' files hold an object or a list. */
  while (where < len && g_ascii_isspace (data[where]))
    where++;
  if (where < len && data[where] != '{' && data[where] != '[')
    {
      g_set_error_literal (error, CONFAB_TRANSFER_ERROR, CONFAB_TRANSFER_ERROR_INVALID,
                           _("The file does not start with a JSON object or list."));
      return NULL;
    }

  switch (confab_json_scan (data, len, &owned, &where))
    {
    case CONFAB_JSON_SCAN_OK:
      break;

    case CONFAB_JSON_SCAN_EMPTY:
      g_set_error_literal (error, CONFAB_TRANSFER_ERROR, CONFAB_TRANSFER_ERROR_INVALID,
                           _("The file is empty."));
      return NULL;

    case CONFAB_JSON_SCAN_INVALID:
      g_set_error (error, CONFAB_TRANSFER_ERROR, CONFAB_TRANSFER_ERROR_INVALID,
                   /* Translators: %u is a line number */
                   _("Line %u of the file is not valid JSON."), line_at (data, where));
      return NULL;

    case CONFAB_JSON_SCAN_TOO_DEEP:
      g_set_error (error, CONFAB_TRANSFER_ERROR, CONFAB_TRANSFER_ERROR_INVALID,
                   /* Translators: %u is a line number */
                   _("Line %u of the file is nested too deeply to read."),
                   line_at (data, where));
      return NULL;

    case CONFAB_JSON_SCAN_TRUNCATED:
      g_set_error_literal (error, CONFAB_TRANSFER_ERROR, CONFAB_TRANSFER_ERROR_INVALID,
                           _("The file ends in the middle of its JSON data. It may have "
                             "been cut short."));
      return NULL;

    case CONFAB_JSON_SCAN_TRAILING:
      g_set_error (error, CONFAB_TRANSFER_ERROR, CONFAB_TRANSFER_ERROR_INVALID,
                   /* Translators: %u is a line number */
                   _("Line %u of the file has more text after the end of the JSON data."),
                   line_at (data, where));
      return NULL;

    default:
      g_assert_not_reached ();
    }

  parser = json_parser_new ();
  g_signal_connect (parser, "error", G_CALLBACK (parser_error_cb), &line);

  /* json-glib's own message quotes the data, which is not for the user. */
  if (!json_parser_load_from_data (parser, owned != NULL ? owned : data, (gssize) len, NULL))
    {
      if (line > 0)
        g_set_error (error, CONFAB_TRANSFER_ERROR, CONFAB_TRANSFER_ERROR_INVALID,
                     /* Translators: %u is a line number */
                     _("Line %u of the file is not valid JSON."), line);
      else
        g_set_error_literal (error, CONFAB_TRANSFER_ERROR, CONFAB_TRANSFER_ERROR_INVALID,
                             _("The file is not valid JSON."));
      return NULL;
    }

  return json_parser_steal_root (parser);
}

static const char *
get_string (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  /* json_object_get_string_member () is critical on other types, and the
   * types come from the file. */
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static gboolean
has_tool_calls (JsonObject *message)
{
  JsonNode *node = json_object_get_member (message, "tool_calls");

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node) &&
      json_array_get_length (json_node_get_array (node)) > 0)
    return TRUE;

  /* The older, single form. */
  node = json_object_get_member (message, "function_call");
  return node != NULL && JSON_NODE_HOLDS_OBJECT (node);
}

/* Text parts are joined by newlines, as they are separate paragraphs; a
 * refusal is the answer the user got, as confab-chunk-parser.c shows it.
 * Images, audio and files have no text to keep. */
static char *
join_text_parts (JsonArray *parts)
{
  g_autoptr(GString) text = g_string_new (NULL);
  guint n_parts = json_array_get_length (parts);
  gboolean first = TRUE;

  for (guint i = 0; i < n_parts; i++)
    {
      JsonNode *node = json_array_get_element (parts, i);
      const char *str = NULL;

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        str = json_node_get_string (node);
      else if (JSON_NODE_HOLDS_OBJECT (node))
        {
          JsonObject *part = json_node_get_object (node);
          const char *type = get_string (part, "type");

          if (g_strcmp0 (type, "text") == 0)
            str = get_string (part, "text");
          else if (g_strcmp0 (type, "refusal") == 0)
            str = get_string (part, "refusal");
        }

      if (str == NULL)
        continue;

      if (!first)
        g_string_append_c (text, '\n');
      g_string_append (text, str);
      first = FALSE;
    }

  return dup_valid (text->str);
}

/* Sets *text to the message's text, valid UTF-8, or %NULL when it has none
 * (an assistant message with tool calls), and returns %FALSE when the
 * content is neither text nor parts. */
static gboolean
read_content (JsonObject  *message,
              char       **text)
{
  JsonNode *node = json_object_get_member (message, "content");

  *text = NULL;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      *text = join_text_parts (json_node_get_array (node));
      return TRUE;
    }

  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      *text = dup_valid (json_node_get_string (node));
      return TRUE;
    }

  return FALSE;
}

static char *
quote_role (const char *role)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const char *p;
  guint n = 0;

  for (p = role; *p != '\0' && n < ROLE_MAX_CHARS; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);

      if (!g_unichar_iscntrl (c))
        g_string_append_unichar (out, c);
    }
  if (*p != '\0')
    g_string_append (out, "…");

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
is_regional_indicator (gunichar c)
{
  return c >= 0x1f1e6 && c <= 0x1f1ff;
}

/* Whether a cut at @at keeps every character whole as a reader sees it:
 * combining marks and variation selectors, emoji modifiers and tags, the
 * vowels and finals of decomposed Hangul, and the second half of a flag
 * belong to what comes before, and a zero-width joiner binds both sides. */
static gboolean
is_boundary (const char *start,
             const char *at)
{
  const char *before = g_utf8_prev_char (at);
  gunichar next = g_utf8_get_char (at);
  gunichar prev = g_utf8_get_char (before);
  guint n_indicators = 0;

  if (g_unichar_ismark (next) || next == 0x200d || prev == 0x200d)
    return FALSE;
  if ((next >= 0x1f3fb && next <= 0x1f3ff) || (next >= 0xe0020 && next <= 0xe007f))
    return FALSE;
  if ((next >= 0x1160 && next <= 0x11ff) || (next >= 0xd7b0 && next <= 0xd7ff))
    return FALSE;

  if (!is_regional_indicator (next))
    return TRUE;

  /* Flags are pairs: count the indicators before the cut. */
  while (is_regional_indicator (g_utf8_get_char (before)))
    {
      n_indicators++;
      if (before == start)
        break;
      before = g_utf8_prev_char (before);
    }

  return n_indicators % 2 == 0;
}

/* The title is the first line that has text, cut as confab-conversation.c
 * cuts it, but never inside a character. */
static char *
make_title (const char *text)
{
  g_autofree char *line = g_strstrip (g_strdup (text));
  char *end = strpbrk (line, "\r\n");
  char *cut;

  if (end != NULL)
    *end = '\0';
  g_strchomp (line);

  if (g_utf8_strlen (line, -1) <= TITLE_MAX_CHARS)
    return g_steal_pointer (&line);

  cut = g_utf8_offset_to_pointer (line, TITLE_MAX_CHARS - 1);
  while (cut > line && !is_boundary (line, cut))
    cut = g_utf8_prev_char (cut);
  *cut = '\0';
  g_strchomp (line);

  return g_strconcat (line, "…", NULL);
}

static JsonArray *
find_messages (JsonNode  *root,
               GError   **error)
{
  JsonNode *node;

  if (JSON_NODE_HOLDS_ARRAY (root))
    return json_node_get_array (root);

  node = json_object_get_member (json_node_get_object (root), "messages");
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    return json_node_get_array (node);

  g_set_error_literal (error, CONFAB_TRANSFER_ERROR, CONFAB_TRANSFER_ERROR_INVALID,
                       _("The file has no “messages” list."));
  return NULL;
}

/**
 * confab_transfer_parse_json:
 * @data: (array length=len): the JSON, UTF-8
 * @len: the length of @data in bytes, or -1 if it is NUL-terminated
 * @out_conversation: (out) (transfer full): return location for the
 *   conversation
 * @out_messages: (out) (transfer full) (element-type ConfabStoredMessage):
 *   return location for its messages, in order
 * @error: return location for a #GError
 *
 * Reads a conversation written by confab_transfer_to_json (), a bare list of
 * Chat Completions messages, or any object with such a list as `messages`;
 * other members are ignored. A leading byte order mark is skipped.
 *
 * Roles are `system`, `developer` (read as `system`), `user` and
 * `assistant`. The first `system` or `developer` message before any user or
 * assistant message becomes the system prompt, and any other one a system
 * message. `tool` and `function` messages, and assistant messages that only
 * call tools, are skipped without a word: Confab has no tools to show them
 * with. `content` is a string, null, or a list of parts whose `text` (and
 * `refusal`) parts are joined by newlines; images, audio and files are
 * dropped.
 *
 * The title is the `title` member when it is a string with text, or else
 * the first line of the first user message, cut to 60 characters with an
 * ellipsis. The model is the `model` member, if any. Ids, times and the
 * pinned flag are 0, and the messages are complete, with no usage: the
 * caller sets what it needs before it stores them.
 *
 * The outputs are set only on success. Error messages are sentences for
 * the user that speak of "the file" and say where the problem is, such as
 * "Message 3 has no role."
 *
 * Returns: %TRUE on success; %FALSE with %CONFAB_TRANSFER_ERROR_INVALID
 *   when @data is not UTF-8, not JSON, or not a list of messages,
 *   %CONFAB_TRANSFER_ERROR_EMPTY when it has no user or assistant message,
 *   or %CONFAB_TRANSFER_ERROR_TOO_LARGE when it is larger than
 *   %CONFAB_TRANSFER_MAX_SIZE bytes or has more than
 *   %CONFAB_TRANSFER_MAX_MESSAGES messages
 */
gboolean
confab_transfer_parse_json (const char                *data,
                            gssize                     len,
                            ConfabStoredConversation **out_conversation,
                            GPtrArray                **out_messages,
                            GError                   **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autofree char *system_prompt = NULL;
  g_autofree char *title = NULL;
  g_autofree char *model = NULL;
  ConfabStoredConversation *conversation;
  JsonArray *array;
  const char *end;
  gboolean has_chat = FALSE;
  gboolean has_prompt = FALSE;
  guint n_elements;
  guint n_skipped = 0;
  gsize size;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (out_conversation != NULL, FALSE);
  g_return_val_if_fail (out_messages != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (data == NULL)
    data = "";
  size = len < 0 ? strlen (data) : (gsize) len;

  if (size > CONFAB_TRANSFER_MAX_SIZE)
    {
      g_set_error (error, CONFAB_TRANSFER_ERROR, CONFAB_TRANSFER_ERROR_TOO_LARGE,
                   /* Translators: %u is a number of mebibytes */
                   _("The file is larger than %u MiB, the most that can be imported."),
                   (guint) (CONFAB_TRANSFER_MAX_SIZE / (1024 * 1024)));
      return FALSE;
    }

  /* Windows tools like to start UTF-8 with a byte order mark. */
  if (size >= strlen (UTF8_BOM) && memcmp (data, UTF8_BOM, strlen (UTF8_BOM)) == 0)
    {
      data += strlen (UTF8_BOM);
      size -= strlen (UTF8_BOM);
    }

  /* Repairing would change what the file says without telling. This also
   * refuses NUL bytes. */
  if (!g_utf8_validate_len (data, size, &end))
    {
      g_set_error (error, CONFAB_TRANSFER_ERROR, CONFAB_TRANSFER_ERROR_INVALID,
                   /* Translators: %u is a line number */
                   _("Line %u of the file is not valid UTF-8 text."),
                   line_at (data, (gsize) (end - data)));
      return FALSE;
    }

  root = load_json (data, size, error);
  if (root == NULL)
    return FALSE;

  array = find_messages (root, error);
  if (array == NULL)
    return FALSE;

  n_elements = json_array_get_length (array);
  if (n_elements > CONFAB_TRANSFER_MAX_MESSAGES)
    {
      g_set_error (error, CONFAB_TRANSFER_ERROR, CONFAB_TRANSFER_ERROR_TOO_LARGE,
                   /* Translators: %u is the most messages a file can have */
                   ngettext ("The file has more than %u message, the most that can be "
                             "imported.",
                             "The file has more than %u messages, the most that can be "
                             "imported.",
                             CONFAB_TRANSFER_MAX_MESSAGES),
                   (guint) CONFAB_TRANSFER_MAX_MESSAGES);
      return FALSE;
    }

  messages = g_ptr_array_new_full (n_elements, (GDestroyNotify) confab_stored_message_free);

  for (guint i = 0; i < n_elements; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      g_autofree char *text = NULL;
      g_autofree char *quoted = NULL;
      ConfabMessageRole role;
      JsonObject *object;
      const char *name;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, CONFAB_TRANSFER_ERROR, CONFAB_TRANSFER_ERROR_INVALID,
                       /* Translators: %u is the number of a message, from 1 */
                       _("Message %u is not a JSON object."), i + 1);
          return FALSE;
        }

      object = json_node_get_object (node);
      name = get_string (object, "role");

      if (name == NULL)
        {
          g_set_error (error, CONFAB_TRANSFER_ERROR, CONFAB_TRANSFER_ERROR_INVALID,
                       /* Translators: %u is the number of a message, from 1 */
                       _("Message %u has no role."), i + 1);
          return FALSE;
        }

      if (strcmp (name, "tool") == 0 || strcmp (name, "function") == 0)
        {
          n_skipped++;
          continue;
        }

      if (strcmp (name, "user") == 0)
        role = CONFAB_MESSAGE_ROLE_USER;
      else if (strcmp (name, "assistant") == 0)
        role = CONFAB_MESSAGE_ROLE_ASSISTANT;
      else if (strcmp (name, "system") == 0 || strcmp (name, "developer") == 0)
        role = CONFAB_MESSAGE_ROLE_SYSTEM;
      else
        {
          quoted = quote_role (name);
          g_set_error (error, CONFAB_TRANSFER_ERROR, CONFAB_TRANSFER_ERROR_INVALID,
                       /* Translators: %u is the number of a message, from 1; %s is
                        * the role the file gives it, such as "user" */
                       _("Message %u has the role “%s”, which cannot be imported."),
                       i + 1, quoted);
          return FALSE;
        }

      if (!read_content (object, &text))
        {
          g_set_error (error, CONFAB_TRANSFER_ERROR, CONFAB_TRANSFER_ERROR_INVALID,
                       /* Translators: %u is the number of a message, from 1 */
                       _("Message %u has content that is neither text nor a list of "
                         "parts."),
                       i + 1);
          return FALSE;
        }

      if (role == CONFAB_MESSAGE_ROLE_ASSISTANT && (text == NULL || text[0] == '\0'))
        {
          const char *refusal = get_string (object, "refusal");

          if (refusal != NULL && refusal[0] != '\0')
            {
              g_free (text);
              text = dup_valid (refusal);
            }
          else if (has_tool_calls (object))
            {
              n_skipped++;
              continue;
            }
        }

      if (text == NULL)
        text = g_strdup ("");

      if (role == CONFAB_MESSAGE_ROLE_SYSTEM && !has_chat && !has_prompt)
        {
          has_prompt = TRUE;
          if (text[0] != '\0')
            system_prompt = g_steal_pointer (&text);
          continue;
        }

      if (role != CONFAB_MESSAGE_ROLE_SYSTEM)
        has_chat = TRUE;
      if (role == CONFAB_MESSAGE_ROLE_USER && title == NULL)
        {
          title = make_title (text);
          if (title[0] == '\0')
            g_clear_pointer (&title, g_free);
        }

      g_ptr_array_add (messages, confab_stored_message_new (role, text));
    }

  if (!has_chat)
    {
      g_set_error_literal (error, CONFAB_TRANSFER_ERROR, CONFAB_TRANSFER_ERROR_EMPTY,
                           _("The file has no messages from the user or the assistant."));
      return FALSE;
    }

  g_debug ("Read %u messages, skipped %u tool messages and calls", messages->len, n_skipped);

  if (JSON_NODE_HOLDS_OBJECT (root))
    {
      JsonObject *object = json_node_get_object (root);
      const char *str;

      str = get_string (object, "title");
      if (has_text (str))
        {
          g_free (title);
          title = dup_valid (str);
        }

      str = get_string (object, "model");
      if (str != NULL && str[0] != '\0')
        model = dup_valid (str);
    }

  conversation = g_new0 (ConfabStoredConversation, 1);
  conversation->title = title != NULL ? g_steal_pointer (&title) : g_strdup ("");
  conversation->model = g_steal_pointer (&model);
  conversation->system_prompt = g_steal_pointer (&system_prompt);

  *out_conversation = conversation;
  *out_messages = g_steal_pointer (&messages);

  return TRUE;
}

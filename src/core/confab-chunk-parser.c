/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-chunk"

#include "config.h"

#include "confab-chunk-parser.h"

#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "confab-json.h"

struct ConfabChunkParser
{
  /* owned */
  JsonParser *parser;
};

G_DEFINE_QUARK (confab-chunk-error-quark, confab_chunk_error)

/**
 * confab_chunk_parser_new:
 *
 * Creates a parser for the events of one or more Chat Completions streams.
 * It keeps one #JsonParser and reuses it for every event.
 *
 * Returns: (transfer full): a new parser
 */
ConfabChunkParser *
confab_chunk_parser_new (void)
{
  ConfabChunkParser *self;

  self = g_new0 (ConfabChunkParser, 1);
  self->parser = json_parser_new ();

  return self;
}

/**
 * confab_chunk_parser_free:
 * @self: (transfer full) (nullable): a parser
 *
 * Frees @self.
 */
void
confab_chunk_parser_free (ConfabChunkParser *self)
{
  if (self == NULL)
    return;

  g_clear_object (&self->parser);
  g_free (self);
}

/**
 * confab_chunk_clear:
 * @chunk: a chunk
 *
 * Frees the strings of @chunk and zeroes it, so it can be filled again.
 * Clearing a zeroed chunk does nothing.
 */
void
confab_chunk_clear (ConfabChunk *chunk)
{
  g_return_if_fail (chunk != NULL);

  g_clear_pointer (&chunk->content, g_free);
  g_clear_pointer (&chunk->reasoning, g_free);
  g_clear_pointer (&chunk->finish_reason, g_free);
  g_clear_pointer (&chunk->model, g_free);
  g_clear_pointer (&chunk->error_message, g_free);
  g_clear_pointer (&chunk->error_type, g_free);
  memset (chunk, 0, sizeof *chunk);
}

static char *
dup_valid (const char *str)
{
  if (str == NULL)
    return NULL;

  /* json-glib decodes escapes itself, so even a valid document can give
   * bytes that are not UTF-8; nothing leaves here unchecked. */
  if (g_utf8_validate (str, -1, NULL))
    return g_strdup (str);

  return g_utf8_make_valid (str, -1);
}

static char *
dup_valid_len (const char *str,
               gsize       len)
{
  if (g_utf8_validate_len (str, len, NULL))
    return g_strndup (str, len);

  return g_utf8_make_valid (str, len);
}

static gboolean
is_done (const char *data,
         gsize       len)
{
  while (len > 0 && g_ascii_isspace (data[0]))
    {
      data++;
      len--;
    }
  while (len > 0 && g_ascii_isspace (data[len - 1]))
    len--;

  return len == strlen ("[DONE]") && memcmp (data, "[DONE]", len) == 0;
}

/* Sets @root to the document, borrowed from the parser; an empty document
 * gives %NULL and no error. */
static gboolean
load_json (ConfabChunkParser  *self,
           const char         *data,
           gsize               len,
           JsonNode          **root,
           GError            **error)
{
  g_autofree char *owned = NULL;
  const char *text = data;
  gsize where;

  *root = NULL;

  if (!g_utf8_validate_len (data, len, NULL))
    {
      owned = g_utf8_make_valid (data, len);
      text = owned;
      len = strlen (owned);
    }

  switch (confab_json_scan (text, len, &owned, &where))
    {
    case CONFAB_JSON_SCAN_OK:
      break;

    case CONFAB_JSON_SCAN_EMPTY:
      /* No document, and no error: a keep-alive. */
      return TRUE;

    case CONFAB_JSON_SCAN_TOO_DEEP:
      g_set_error_literal (error, CONFAB_CHUNK_ERROR, CONFAB_CHUNK_ERROR_MALFORMED,
                           _("The server sent an event nested too deeply to read."));
      return FALSE;

    case CONFAB_JSON_SCAN_INVALID:
    case CONFAB_JSON_SCAN_TRUNCATED:
    case CONFAB_JSON_SCAN_TRAILING:
      g_set_error_literal (error, CONFAB_CHUNK_ERROR, CONFAB_CHUNK_ERROR_MALFORMED,
                           _("The server sent an event that is not valid JSON."));
      return FALSE;
    }

  if (owned != NULL)
    text = owned;

  /* json-glib's own message quotes the data, which must not reach the
   * user or the log. */
  if (!json_parser_load_from_data (self->parser, text, (gssize) len, NULL))
    {
      g_set_error_literal (error, CONFAB_CHUNK_ERROR, CONFAB_CHUNK_ERROR_MALFORMED,
                           _("The server sent an event that is not valid JSON."));
      return FALSE;
    }

  *root = json_parser_get_root (self->parser);
  return TRUE;
}

static const char *
get_string (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  /* json_object_get_string_member () is critical on other types, and the
   * types come from the network. */
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static JsonObject *
get_object (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;

  return json_node_get_object (node);
}

static JsonArray *
get_array (JsonObject *object,
           const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;

  return json_node_get_array (node);
}

static gboolean
get_int (JsonObject *object,
         const char *name,
         gint64     *value)
{
  JsonNode *node = json_object_get_member (object, name);
  GType type;
  double number;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    {
      *value = json_node_get_int (node);
      return TRUE;
    }

  if (type != G_TYPE_DOUBLE)
    return FALSE;

  /* Some servers count tokens in doubles, and json-glib turns 1e400 into
   * infinity: converting that, or NaN, to an integer is undefined. */
  number = json_node_get_double (node);
  if (number != number)
    *value = 0;
  else if (number >= (double) G_MAXINT64)
    *value = G_MAXINT64;
  else if (number <= (double) G_MININT64)
    *value = G_MININT64;
  else
    *value = (gint64) number;

  return TRUE;
}

static char *
dup_scalar (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;

  type = json_node_get_value_type (node);
  if (type == G_TYPE_STRING)
    return dup_valid (json_node_get_string (node));
  if (type == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  if (type == G_TYPE_DOUBLE)
    return g_strdup (g_ascii_dtostr (buffer, sizeof buffer, json_node_get_double (node)));

  return NULL;
}

static gboolean
is_error (JsonObject *root)
{
  const char *text;

  if (get_object (root, "error") != NULL)
    return TRUE;

  text = get_string (root, "error");
  if (text != NULL && text[0] != '\0')
    return TRUE;

  /* vLLM: {"object": "error", "message": ..., "type": ..., "code": ...} */
  return g_strcmp0 (get_string (root, "object"), "error") == 0;
}

static void
read_error (JsonObject  *root,
            ConfabChunk *chunk)
{
  JsonObject *error = get_object (root, "error");
  const char *message = NULL;

  if (error != NULL)
    {
      message = get_string (error, "message");
      chunk->error_type = dup_scalar (error, "type");
      if (chunk->error_type == NULL)
        chunk->error_type = dup_scalar (error, "code");
    }

  if (message == NULL)
    message = get_string (root, "error");
  if (message == NULL)
    message = get_string (root, "message");
  chunk->error_message = dup_valid (message);

  if (chunk->error_type == NULL)
    chunk->error_type = dup_scalar (root, "type");
  if (chunk->error_type == NULL)
    chunk->error_type = dup_scalar (root, "code");
}

static void
append_text_parts (JsonArray  *parts,
                   GString   **text)
{
  guint n_parts = json_array_get_length (parts);

  for (guint i = 0; i < n_parts; i++)
    {
      JsonNode *node = json_array_get_element (parts, i);
      JsonObject *part;
      const char *type;
      const char *str = NULL;

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        str = json_node_get_string (node);
      else if (JSON_NODE_HOLDS_OBJECT (node))
        {
          part = json_node_get_object (node);
          type = get_string (part, "type");
          if (type == NULL || strcmp (type, "text") == 0)
            str = get_string (part, "text");
        }

      if (str == NULL)
        continue;

      if (*text == NULL)
        *text = g_string_new (NULL);
      g_string_append (*text, str);
    }
}

/* Mistral sends content as parts: text parts are the answer, and its
 * reasoning models put their reasoning in "thinking" parts, which hold text
 * parts in turn. Other parts (images, references) have no text to show. */
static void
read_content_parts (JsonArray  *parts,
                    GString   **text,
                    GString   **thinking)
{
  guint n_parts = json_array_get_length (parts);

  append_text_parts (parts, text);

  for (guint i = 0; i < n_parts; i++)
    {
      JsonNode *node = json_array_get_element (parts, i);
      JsonObject *part;
      JsonArray *inner;
      const char *str;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;

      part = json_node_get_object (node);
      if (g_strcmp0 (get_string (part, "type"), "thinking") != 0)
        continue;

      inner = get_array (part, "thinking");
      str = get_string (part, "thinking");
      if (inner != NULL)
        append_text_parts (inner, thinking);
      else if (str != NULL)
        {
          if (*thinking == NULL)
            *thinking = g_string_new (NULL);
          g_string_append (*thinking, str);
        }
    }
}

static char *
steal_valid (GString *string)
{
  g_autofree char *str = NULL;

  if (string == NULL)
    return NULL;

  str = g_string_free (string, FALSE);
  if (g_utf8_validate (str, -1, NULL))
    return g_steal_pointer (&str);

  return g_utf8_make_valid (str, -1);
}

static void
read_delta (JsonObject  *delta,
            ConfabChunk *chunk)
{
  JsonNode *content = json_object_get_member (delta, "content");
  JsonArray *tool_calls = get_array (delta, "tool_calls");
  g_autoptr(GString) text = NULL;
  g_autoptr(GString) thinking = NULL;
  const char *reasoning;

  /* vLLM has sent both names at once with the same text, so they are
   * alternatives, not parts. */
  reasoning = get_string (delta, "reasoning_content");
  if (reasoning == NULL)
    reasoning = get_string (delta, "reasoning");

  if (content != NULL && JSON_NODE_HOLDS_ARRAY (content))
    {
      read_content_parts (json_node_get_array (content), &text, &thinking);
      chunk->content = steal_valid (g_steal_pointer (&text));
      if (reasoning == NULL)
        chunk->reasoning = steal_valid (g_steal_pointer (&thinking));
    }
  else
    chunk->content = dup_valid (get_string (delta, "content"));

  /* OpenAI sends a refusal instead of content; it is the answer the user
   * gets, so it is shown as one. */
  if (chunk->content == NULL)
    chunk->content = dup_valid (get_string (delta, "refusal"));

  if (chunk->reasoning == NULL)
    chunk->reasoning = dup_valid (reasoning);

  chunk->has_tool_calls = (tool_calls != NULL && json_array_get_length (tool_calls) > 0) ||
                          get_object (delta, "function_call") != NULL;
}

/* Picks the choice with index 0, as a request for several choices interleaves
 * them; the first one stands in when none says so. */
static JsonObject *
find_choice (JsonObject *root)
{
  JsonArray *choices = get_array (root, "choices");
  JsonObject *first = NULL;
  guint n_choices;

  if (choices == NULL)
    return NULL;

  n_choices = json_array_get_length (choices);
  for (guint i = 0; i < n_choices; i++)
    {
      JsonNode *node = json_array_get_element (choices, i);
      JsonObject *choice;
      gint64 index;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;

      choice = json_node_get_object (node);
      if (get_int (choice, "index", &index) && index == 0)
        return choice;
      if (first == NULL)
        first = choice;
    }

  return first;
}

static void
read_usage (JsonObject  *root,
            ConfabChunk *chunk)
{
  JsonObject *usage = get_object (root, "usage");
  JsonObject *groq = get_object (root, "x_groq");

  if (usage == NULL && groq != NULL)
    usage = get_object (groq, "usage");

  if (usage == NULL)
    return;

  chunk->has_usage = TRUE;
  get_int (usage, "prompt_tokens", &chunk->prompt_tokens);
  get_int (usage, "completion_tokens", &chunk->completion_tokens);
  get_int (usage, "total_tokens", &chunk->total_tokens);
}

static void
read_object (JsonObject  *root,
             ConfabChunk *chunk)
{
  JsonObject *choice;
  JsonObject *delta;

  if (is_error (root))
    {
      chunk->kind = CONFAB_CHUNK_KIND_ERROR;
      read_error (root, chunk);
    }

  chunk->model = dup_valid (get_string (root, "model"));
  read_usage (root, chunk);

  choice = find_choice (root);
  if (choice == NULL)
    return;

  chunk->finish_reason = dup_valid (get_string (choice, "finish_reason"));

  /* A non-streamed completion has "message" where a stream has "delta". */
  delta = get_object (choice, "delta");
  if (delta == NULL)
    delta = get_object (choice, "message");
  if (delta != NULL)
    read_delta (delta, chunk);
}

static void
read_error_event (ConfabChunkParser *self,
                  const char        *data,
                  gsize              len,
                  ConfabChunk       *chunk)
{
  JsonNode *root;

  chunk->kind = CONFAB_CHUNK_KIND_ERROR;

  if (!load_json (self, data, len, &root, NULL))
    root = NULL;

  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    read_error (json_node_get_object (root), chunk);
  else if (root != NULL && JSON_NODE_HOLDS_VALUE (root) &&
           json_node_get_value_type (root) == G_TYPE_STRING)
    chunk->error_message = dup_valid (json_node_get_string (root));

  if (chunk->error_message != NULL)
    return;

  /* Not JSON, or JSON without a message: the text itself is the best
   * explanation there is. */
  while (len > 0 && g_ascii_isspace (data[0]))
    {
      data++;
      len--;
    }
  while (len > 0 && g_ascii_isspace (data[len - 1]))
    len--;

  if (len > 0)
    chunk->error_message = dup_valid_len (data, len);
}

/**
 * confab_chunk_parser_parse:
 * @self: a parser
 * @event_type: (nullable): the SSE event type; %NULL means "message"
 * @data: (array length=len): the data of one SSE event, in any encoding
 * @len: the length of @data in bytes, or -1 if it is NUL-terminated
 * @chunk: (out caller-allocates): the chunk to fill; it is cleared first
 * @error: return location for a #GError
 *
 * Reads one event of a Chat Completions stream: `[DONE]`, a delta, or an
 * error the server reports in the stream (an `error` event, an `error`
 * member, or vLLM's `"object": "error"`). An error chunk keeps whatever else
 * the event says, such as OpenRouter's `finish_reason` "error".
 *
 * Strings are copied as they are: an empty `content` gives "", a null or
 * missing one %NULL.
 *
 * Returns: %TRUE when @chunk was filled, %FALSE with
 *   %CONFAB_CHUNK_ERROR_MALFORMED when the data is not a JSON object
 */
gboolean
confab_chunk_parser_parse (ConfabChunkParser  *self,
                           const char         *event_type,
                           const char         *data,
                           gssize              len,
                           ConfabChunk        *chunk,
                           GError            **error)
{
  JsonNode *root;
  gsize size;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (chunk != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  confab_chunk_clear (chunk);

  if (data == NULL)
    data = "";
  size = len < 0 ? strlen (data) : (gsize) len;

  if (g_strcmp0 (event_type, "error") == 0)
    {
      read_error_event (self, data, size, chunk);
      return TRUE;
    }

  if (is_done (data, size))
    {
      chunk->kind = CONFAB_CHUNK_KIND_DONE;
      return TRUE;
    }

  if (!load_json (self, data, size, &root, error))
    return FALSE;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, CONFAB_CHUNK_ERROR, CONFAB_CHUNK_ERROR_MALFORMED,
                           _("The server sent an event that is not a JSON object."));
      return FALSE;
    }

  read_object (json_node_get_object (root), chunk);

  return TRUE;
}

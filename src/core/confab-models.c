/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-models"

#include "config.h"

#include "confab-models.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-json.h"
#include "confab-text.h"

#define UTF8_BOM "\xef\xbb\xbf"

G_DEFINE_QUARK (confab-models-error-quark, confab_models_error)

typedef struct
{
  char *id;
  char *key;
} Entry;

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

static gboolean
has_non_null (JsonObject *object,
              const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && !JSON_NODE_HOLDS_NULL (node);
}

/* OpenAI's {"error": {"message": ...}}, and Ollama's {"error": "..."}. */
static GError *
server_error (JsonObject *root)
{
  JsonNode *node = json_object_get_member (root, "error");
  g_autofree char *quoted = NULL;

  if (JSON_NODE_HOLDS_OBJECT (node))
    quoted = confab_text_quote_server (get_string (json_node_get_object (node), "message"), -1);
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    quoted = confab_text_quote_server (json_node_get_string (node), -1);

  if (quoted == NULL)
    return g_error_new_literal (CONFAB_MODELS_ERROR, CONFAB_MODELS_ERROR_SERVER,
                                _("The server answered the list of models with an error "
                                  "without saying what it was."));

  return g_error_new (CONFAB_MODELS_ERROR, CONFAB_MODELS_ERROR_SERVER,
                      /* Translators: %s is the server's own error text */
                      _("The server answered the list of models with an error: “%s”."),
                      quoted);
}

/* The list the chat endpoint's names come from. OpenAI's shape, which
 * every OpenAI-compatible server copies, is {"data": [{"id": ...}]}; in
 * it "name" is a title for people (OpenRouter's "OpenAI: GPT-4o"), not
 * a model to ask for. Ollama's /api/tags is {"models": [{"name": ...,
 * "model": ...}]}, and newer llama.cpp servers send that beside "data"
 * with the same names: then "data" is read alone. Ollama writes an
 * empty list as null. */
static gboolean
find_list (JsonObject  *root,
           JsonArray  **array,
           gboolean    *openai_shape)
{
  static const char * const names[] = { "data", "models" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      JsonNode *node = json_object_get_member (root, names[i]);

      if (node == NULL)
        continue;
      if (JSON_NODE_HOLDS_ARRAY (node))
        *array = json_node_get_array (node);
      else if (JSON_NODE_HOLDS_NULL (node))
        *array = NULL;
      else
        continue;

      *openai_shape = i == 0;
      return TRUE;
    }

  return FALSE;
}

static const char *
item_id (JsonNode *item,
         gboolean  openai_shape)
{
  JsonObject *object;
  const char *id;

  if (!JSON_NODE_HOLDS_OBJECT (item))
    return NULL;

  object = json_node_get_object (item);
  if (openai_shape)
    return get_string (object, "id");

  id = get_string (object, "model");
  if (id == NULL || *id == '\0')
    id = get_string (object, "name");

  return id;
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const Entry *first = a;
  const Entry *second = b;
  int result = strcmp (first->key, second->key);

  /* "GPT-4o" and "gpt-4o" are two models: their order is fixed too. */
  if (result == 0)
    result = strcmp (first->id, second->id);

  return result;
}

static void
entry_clear (gpointer data)
{
  Entry *entry = data;

  g_free (entry->id);
  g_free (entry->key);
}

static GPtrArray *
collect_ids (JsonArray *array,
             gboolean   openai_shape)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  g_autoptr(GPtrArray) ids = NULL;
  guint n = array != NULL ? json_array_get_length (array) : 0;

  g_array_set_clear_func (entries, entry_clear);

  for (guint i = 0; i < n; i++)
    {
      const char *id = item_id (json_array_get_element (array, i), openai_shape);
      Entry entry;

      /* Items without a name to ask for are no models. */
      if (id == NULL || *id == '\0' || g_hash_table_contains (seen, id))
        continue;

      g_hash_table_add (seen, (gpointer) id);
      entry.id = g_strdup (id);
      entry.key = g_utf8_casefold (id, -1);
      g_array_append_val (entries, entry);
    }

  g_array_sort (entries, compare_entries);

  ids = g_ptr_array_new_full (entries->len, g_free);
  for (guint i = 0; i < entries->len; i++)
    g_ptr_array_add (ids, g_steal_pointer (&g_array_index (entries, Entry, i).id));

  return g_steal_pointer (&ids);
}

/**
 * confab_models_parse:
 * @body: what `GET {base}/models` answered, or Ollama's `/api/tags`
 * @error: return location for a #GError
 *
 * Reads the names of the models a server offers, in every shape that
 * OpenAI-compatible servers send them: OpenAI's `{"data": [{"id": …}]}`
 * (OpenAI, Ollama's /v1, llama.cpp, LM Studio, vLLM, OpenRouter, Groq,
 * DeepSeek, Mistral) and Ollama's `{"models": [{"name": …}]}`. Items
 * without a name are skipped, and an empty list is a list. Invalid UTF-8
 * becomes U+FFFD.
 *
 * Returns: (transfer full) (element-type utf8): the model names, each
 *   once, sorted without regard to case; %NULL on error
 */
GPtrArray *
confab_models_parse (GBytes  *body,
                     GError **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *owned = NULL;
  const char *text;
  JsonObject *root_object;
  JsonArray *array = NULL;
  JsonNode *root;
  gboolean openai_shape = FALSE;
  gsize len;
  gsize where;

  g_return_val_if_fail (body != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  text = g_bytes_get_data (body, &len);
  if (text == NULL)
    text = "";

  if (len > CONFAB_MODELS_MAX_SIZE)
    {
      g_set_error (error, CONFAB_MODELS_ERROR, CONFAB_MODELS_ERROR_TOO_LARGE,
                   /* Translators: %u is a number of mebibytes */
                   _("The server's list of models is larger than %u MiB, the most Confab "
                     "reads."), (guint) (CONFAB_MODELS_MAX_SIZE / (1024 * 1024)));
      return NULL;
    }

  /* Some servers behind Windows tools start their JSON with one. */
  if (len >= strlen (UTF8_BOM) && memcmp (text, UTF8_BOM, strlen (UTF8_BOM)) == 0)
    {
      text += strlen (UTF8_BOM);
      len -= strlen (UTF8_BOM);
    }

  /* This also turns NUL bytes into U+FFFD. */
  if (!g_utf8_validate_len (text, len, NULL))
    {
      owned = g_utf8_make_valid (text, (gssize) len);
      text = owned;
      len = strlen (owned);
    }

  switch (confab_json_scan (text, len, &owned, &where))
    {
    case CONFAB_JSON_SCAN_OK:
      break;

    case CONFAB_JSON_SCAN_EMPTY:
    case CONFAB_JSON_SCAN_INVALID:
    case CONFAB_JSON_SCAN_TOO_DEEP:
    case CONFAB_JSON_SCAN_TRUNCATED:
    case CONFAB_JSON_SCAN_TRAILING:
    default:
      g_set_error_literal (error, CONFAB_MODELS_ERROR, CONFAB_MODELS_ERROR_INVALID,
                           _("The server's list of models is not valid JSON."));
      return NULL;
    }

  if (owned != NULL)
    text = owned;

  /* json-glib's own message quotes the data, which must not reach the
   * user or the log. */
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, (gssize) len, NULL))
    {
      g_set_error_literal (error, CONFAB_MODELS_ERROR, CONFAB_MODELS_ERROR_INVALID,
                           _("The server's list of models is not valid JSON."));
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, CONFAB_MODELS_ERROR, CONFAB_MODELS_ERROR_NO_LIST,
                           _("The server's answer holds no list of models."));
      return NULL;
    }

  root_object = json_node_get_object (root);
  if (has_non_null (root_object, "error"))
    {
      g_propagate_error (error, server_error (root_object));
      return NULL;
    }

  if (!find_list (root_object, &array, &openai_shape))
    {
      g_set_error_literal (error, CONFAB_MODELS_ERROR, CONFAB_MODELS_ERROR_NO_LIST,
                           _("The server's answer holds no list of models."));
      return NULL;
    }

  return collect_ids (array, openai_shape);
}

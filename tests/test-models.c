/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib.h>

#include "confab-json.h"
#include "confab-models.h"

/* U+FFFD REPLACEMENT CHARACTER, which stands in for every invalid byte. */
#define FFFD "\xef\xbf\xbd"

/* For data that holds NUL bytes: passed with its exact length only. */
#define WITH_NUL(str) .body = (str), .size = sizeof (str) - 1

#define MAX_IDS 8

typedef struct
{
  const char *name;
  const char *body;
  gsize       size;  /* 0: body is NUL-terminated */

  /* Success: the ids in order, as many as there are */
  const char *ids[MAX_IDS];

  /* Failure: an error of CONFAB_MODELS_ERROR */
  gboolean           fails;
  ConfabModelsError  code;
  const char        *error_has;
} ModelsCase;

/* Each list as the server's own documentation shows it, shortened. */
static const ModelsCase models_cases[] = {
  {
    .name = "openai",
    .body = "{\n  \"object\": \"list\",\n  \"data\": [\n"
            "    {\"id\": \"gpt-4o-mini\", \"object\": \"model\", \"created\": 1721172741, "
            "\"owned_by\": \"system\"},\n"
            "    {\"id\": \"gpt-4o\", \"object\": \"model\", \"created\": 1715367049, "
            "\"owned_by\": \"system\"},\n"
            "    {\"id\": \"dall-e-3\", \"object\": \"model\", \"created\": 1698785189, "
            "\"owned_by\": \"system\"},\n"
            "    {\"id\": \"o3-mini\", \"object\": \"model\", \"created\": 1737146383, "
            "\"owned_by\": \"system\"}\n  ]\n}\n",
    .ids = { "dall-e-3", "gpt-4o", "gpt-4o-mini", "o3-mini" },
  },
  {
    .name = "ollama-openai",
    .body = "{\"object\":\"list\",\"data\":[{\"id\":\"llama3.2:latest\",\"object\":\"model\","
            "\"created\":1740000000,\"owned_by\":\"library\"},{\"id\":\"qwen3:8b\","
            "\"object\":\"model\",\"created\":1746000000,\"owned_by\":\"library\"},"
            "{\"id\":\"hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M\",\"object\":\"model\","
            "\"created\":1742000000,\"owned_by\":\"bartowski\"}]}",
    .ids = { "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M", "llama3.2:latest",
             "qwen3:8b" },
  },
  {
    /* Ollama writes an empty Go slice as null. */
    .name = "ollama-openai-none",
    .body = "{\"object\":\"list\",\"data\":null}",
    .ids = { NULL },
  },
  {
    .name = "ollama-tags",
    .body = "{\"models\":[{\"name\":\"deepseek-r1:latest\",\"model\":\"deepseek-r1:latest\","
            "\"modified_at\":\"2025-05-10T08:06:48.639712648-07:00\",\"size\":4683075271,"
            "\"digest\":\"0a8c266910232fd3291e71e5ba1e058cc5af9d411192cf88b6d30e92b6e73163\","
            "\"details\":{\"parent_model\":\"\",\"format\":\"gguf\",\"family\":\"qwen2\","
            "\"families\":[\"qwen2\"],\"parameter_size\":\"7.6B\","
            "\"quantization_level\":\"Q4_K_M\"}},{\"name\":\"llama3.2:latest\","
            "\"model\":\"llama3.2:latest\",\"modified_at\":\"2025-05-04T17:37:44.706015396-07:00\","
            "\"size\":2019393189,\"digest\":\"a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bc"
            "d3abbcb5b8b72\",\"details\":{\"parent_model\":\"\",\"format\":\"gguf\","
            "\"family\":\"llama\",\"families\":[\"llama\"],\"parameter_size\":\"3.2B\","
            "\"quantization_level\":\"Q4_K_M\"}}]}",
    .ids = { "deepseek-r1:latest", "llama3.2:latest" },
  },
  {
    /* Older Ollama releases sent "name" alone. */
    .name = "ollama-tags-name-only",
    .body = "{\"models\":[{\"name\":\"mistral:7b\",\"modified_at\":\"2024-03-01T10:00:00Z\","
            "\"size\":4109865159},{\"name\":\"codellama:13b\",\"size\":7365960935}]}",
    .ids = { "codellama:13b", "mistral:7b" },
  },
  {
    .name = "ollama-tags-none",
    .body = "{\"models\":[]}",
    .ids = { NULL },
  },
  {
    .name = "llama-cpp",
    .body = "{\"object\":\"list\",\"data\":[{\"id\":\"models/7B/ggml-model-q4_0.gguf\","
            "\"object\":\"model\",\"created\":1735142223,\"owned_by\":\"llamacpp\","
            "\"meta\":{\"vocab_type\":2,\"n_vocab\":128256,\"n_ctx_train\":131072,"
            "\"n_embd\":4096,\"n_params\":8030261312,\"size\":4912898304}}]}",
    .ids = { "models/7B/ggml-model-q4_0.gguf" },
  },
  {
    /* Newer builds add Ollama's shape beside OpenAI's, for Ollama clients. */
    .name = "llama-cpp-with-models",
    .body = "{\"models\":[{\"name\":\"model.gguf\",\"model\":\"model.gguf\","
            "\"modified_at\":\"\",\"size\":\"\",\"digest\":\"\",\"type\":\"model\","
            "\"description\":\"\",\"tags\":[\"\"],\"capabilities\":[\"completion\"],"
            "\"parameters\":\"\",\"details\":{\"parent_model\":\"\",\"format\":\"gguf\","
            "\"family\":\"\",\"families\":[\"\"],\"parameter_size\":\"\","
            "\"quantization_level\":\"\"}}],\"object\":\"list\",\"data\":[{\"id\":\"model.gguf\","
            "\"object\":\"model\",\"created\":1741000000,\"owned_by\":\"llamacpp\","
            "\"meta\":{\"vocab_type\":2,\"n_vocab\":151936,\"n_ctx_train\":40960,"
            "\"n_embd\":2560,\"n_params\":4022468096,\"size\":2489757696}}]}",
    .ids = { "model.gguf" },
  },
  {
    .name = "lm-studio",
    .body = "{\n  \"data\": [\n    {\n      \"id\": \"qwen2.5-7b-instruct\",\n"
            "      \"object\": \"model\",\n      \"owned_by\": \"organization_owner\"\n    },\n"
            "    {\n      \"id\": \"text-embedding-nomic-embed-text-v1.5\",\n"
            "      \"object\": \"model\",\n      \"owned_by\": \"organization_owner\"\n    }\n"
            "  ],\n  \"object\": \"list\"\n}",
    .ids = { "qwen2.5-7b-instruct", "text-embedding-nomic-embed-text-v1.5" },
  },
  {
    /* "name" is a title for people: the id is what the chat endpoint takes. */
    .name = "openrouter",
    .body = "{\"data\":[{\"id\":\"openai/gpt-4o\",\"canonical_slug\":\"openai/gpt-4o\","
            "\"hugging_face_id\":null,\"name\":\"OpenAI: GPT-4o\",\"created\":1715367049,"
            "\"description\":\"GPT-4o (\\\"o\\\" for \\\"omni\\\") is OpenAI's latest AI model."
            "\\n\\nFor benchmarking against other models, it was briefly called [\\\"im-also-a-"
            "good-gpt2-chatbot\\\"](/models/openai/gpt-4o)\",\"context_length\":128000,"
            "\"architecture\":{\"modality\":\"text+image->text\",\"input_modalities\":[\"text\","
            "\"image\",\"file\"],\"output_modalities\":[\"text\"],\"tokenizer\":\"GPT\","
            "\"instruct_type\":null},\"pricing\":{\"prompt\":\"0.0000025\","
            "\"completion\":\"0.00001\",\"request\":\"0\",\"image\":\"0.003613\","
            "\"web_search\":\"0\",\"internal_reasoning\":\"0\",\"input_cache_read\":\"0.00000125\"},"
            "\"top_provider\":{\"context_length\":128000,\"max_completion_tokens\":16384,"
            "\"is_moderated\":true},\"per_request_limits\":null,\"supported_parameters\":["
            "\"max_tokens\",\"temperature\",\"tools\"],\"default_parameters\":{}},"
            "{\"id\":\"deepseek/deepseek-r1:free\",\"canonical_slug\":\"deepseek/deepseek-r1\","
            "\"hugging_face_id\":\"deepseek-ai/DeepSeek-R1\",\"name\":\"DeepSeek: R1 (free)\","
            "\"created\":1737381095,\"context_length\":163840,\"pricing\":{\"prompt\":\"0\","
            "\"completion\":\"0\"},\"top_provider\":{\"context_length\":163840,"
            "\"max_completion_tokens\":null,\"is_moderated\":false},"
            "\"per_request_limits\":null}]}",
    .ids = { "deepseek/deepseek-r1:free", "openai/gpt-4o" },
  },
  {
    .name = "groq",
    .body = "{\"object\":\"list\",\"data\":[{\"id\":\"llama-3.3-70b-versatile\","
            "\"object\":\"model\",\"created\":1733447754,\"owned_by\":\"Meta\",\"active\":true,"
            "\"context_window\":131072,\"public_apps\":null,\"max_completion_tokens\":32768},"
            "{\"id\":\"llama-3.1-8b-instant\",\"object\":\"model\",\"created\":1693721698,"
            "\"owned_by\":\"Meta\",\"active\":true,\"context_window\":131072,"
            "\"public_apps\":null,\"max_completion_tokens\":131072},{\"id\":\"whisper-large-v3\","
            "\"object\":\"model\",\"created\":1693721698,\"owned_by\":\"OpenAI\",\"active\":true,"
            "\"context_window\":448,\"public_apps\":null}]}",
    .ids = { "llama-3.1-8b-instant", "llama-3.3-70b-versatile", "whisper-large-v3" },
  },
  {
    .name = "deepseek",
    .body = "{\"object\":\"list\",\"data\":[{\"id\":\"deepseek-chat\",\"object\":\"model\","
            "\"owned_by\":\"deepseek\"},{\"id\":\"deepseek-reasoner\",\"object\":\"model\","
            "\"owned_by\":\"deepseek\"}]}",
    .ids = { "deepseek-chat", "deepseek-reasoner" },
  },
  {
    .name = "mistral",
    .body = "{\"object\":\"list\",\"data\":[{\"id\":\"mistral-large-latest\",\"object\":\"model\","
            "\"created\":1741000000,\"owned_by\":\"mistralai\",\"capabilities\":{"
            "\"completion_chat\":true,\"completion_fim\":false,\"function_calling\":true,"
            "\"fine_tuning\":false,\"vision\":false,\"classification\":false},"
            "\"name\":\"mistral-large-2411\",\"description\":\"Official mistral-large-2411 "
            "Mistral AI model\",\"max_context_length\":131072,\"aliases\":["
            "\"mistral-large-2411\"],\"deprecation\":null,\"default_model_temperature\":0.7,"
            "\"type\":\"base\"},{\"id\":\"mistral-large-2411\",\"object\":\"model\","
            "\"created\":1741000000,\"owned_by\":\"mistralai\",\"capabilities\":{"
            "\"completion_chat\":true,\"completion_fim\":false,\"function_calling\":true,"
            "\"fine_tuning\":false,\"vision\":false,\"classification\":false},"
            "\"name\":\"mistral-large-2411\",\"description\":\"Official mistral-large-2411 "
            "Mistral AI model\",\"max_context_length\":131072,\"aliases\":["
            "\"mistral-large-latest\"],\"deprecation\":null,\"default_model_temperature\":0.7,"
            "\"type\":\"base\"}]}",
    .ids = { "mistral-large-2411", "mistral-large-latest" },
  },
  {
    .name = "empty-list",
    .body = "{\"object\":\"list\",\"data\":[]}",
    .ids = { NULL },
  },
  {
    .name = "models-null",
    .body = "{\"models\":null}",
    .ids = { NULL },
  },
  {
    .name = "bom",
    .body = "\xef\xbb\xbf{\"object\":\"list\",\"data\":[{\"id\":\"gpt-4o-mini\"}]}",
    .ids = { "gpt-4o-mini" },
  },
  {
    .name = "unknown-fields",
    .body = "{\"object\":\"list\",\"has_more\":false,\"first_id\":null,\"x\":{\"y\":[1,2,"
            "{\"z\":null}]},\"data\":[{\"id\":\"m\",\"future\":[true,false,null,1.5e10]}],"
            "\"error\":null}",
    .ids = { "m" },
  },
  {
    /* Only an object with a string id is a model. */
    .name = "items-without-id",
    .body = "{\"data\":[{\"object\":\"model\"},{\"id\":null},{\"id\":42},{\"id\":\"\"},"
            "{\"id\":[\"a\"]},{\"id\":{\"b\":1}},\"gpt-4o\",null,17,[],{\"id\":\"kept\"}]}",
    .ids = { "kept" },
  },
  {
    .name = "tags-items-without-name",
    .body = "{\"models\":[{\"size\":1},{\"name\":null,\"model\":\"\"},{\"name\":3},null,"
            "{\"model\":\"kept:latest\"}]}",
    .ids = { "kept:latest" },
  },
  {
    .name = "duplicates",
    .body = "{\"data\":[{\"id\":\"b\"},{\"id\":\"a\"},{\"id\":\"b\"},{\"id\":\"a\"},"
            "{\"id\":\"c\"},{\"id\":\"b\"}]}",
    .ids = { "a", "b", "c" },
  },
  {
    /* Without regard to case, but two ids that differ only in case are
     * two models, in a fixed order. */
    .name = "case-insensitive-order",
    .body = "{\"data\":[{\"id\":\"b\"},{\"id\":\"Zeta\"},{\"id\":\"a\"},{\"id\":\"B\"},"
            "{\"id\":\"alpha\"},{\"id\":\"A\"}]}",
    .ids = { "A", "a", "alpha", "B", "b", "Zeta" },
  },
  {
    .name = "non-ascii",
    .body = "{\"data\":[{\"id\":\"モデル\"},{\"id\":\"Ünicode-7b\"},{\"id\":\"émoji-😀\"},"
            "{\"id\":\"ascii\"},{\"id\":\"ÉMOJI-😀\"}]}",
    .ids = { "ascii", "ÉMOJI-😀", "émoji-😀", "Ünicode-7b", "モデル" },
  },
  {
    .name = "escapes",
    .body = "{\"data\":[{\"id\":\"q\\\"b\\\\s\\/c\"},{\"id\":\"\\b\\f\\n\\r\\t\"},"
            "{\"id\":\"\\u0041\\u00e9\\u6a21\\ud83d\\ude00\"},{\"id\":\"lone\\ud800x\"},"
            "{\"id\":\"low\\udc00\"},{\"id\":\"nul\\u0000x\"}]}",
    .ids = { "\b\f\n\r\t", "Aé模😀", "lone" FFFD "x", "low" FFFD, "nul" FFFD "x",
             "q\"b\\s/c" },
  },
  {
    .name = "escaped-member-names",
    .body = "{\"\\u0064ata\":[{\"\\u0069d\":\"escaped\"}]}",
    .ids = { "escaped" },
  },
  {
    .name = "invalid-utf8",
    WITH_NUL ("{\"data\":[{\"id\":\"caf\xe9\"},{\"id\":\"ok\"}]}"),
    .ids = { "caf" FFFD, "ok" },
  },
  {
    /* A raw NUL in a string is not JSON; it is read as U+FFFD first. */
    .name = "raw-nul",
    WITH_NUL ("{\"data\":[{\"id\":\"a\0b\"}]}"),
    .ids = { "a" FFFD "b" },
  },

  /* Refused */
  {
    .name = "empty-body",
    .body = "",
    .fails = TRUE, .code = CONFAB_MODELS_ERROR_INVALID,
  },
  {
    .name = "white-space",
    .body = " \r\n\t",
    .fails = TRUE, .code = CONFAB_MODELS_ERROR_INVALID,
  },
  {
    .name = "html",
    .body = "<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head>"
            "<body><h1>Welcome to nginx!</h1></body></html>\n",
    .fails = TRUE, .code = CONFAB_MODELS_ERROR_INVALID,
  },
  {
    .name = "plain-text",
    .body = "404 page not found",
    .fails = TRUE, .code = CONFAB_MODELS_ERROR_INVALID,
  },
  {
    .name = "truncated",
    .body = "{\"object\":\"list\",\"data\":[{\"id\":\"gpt-4o\"},{\"id\":\"gpt-",
    .fails = TRUE, .code = CONFAB_MODELS_ERROR_INVALID,
  },
  {
    .name = "single-quotes",
    .body = "{'data':[{'id':'gpt-4o'}]}",
    .fails = TRUE, .code = CONFAB_MODELS_ERROR_INVALID,
  },
  {
    .name = "trailing-document",
    .body = "{\"data\":[{\"id\":\"a\"}]}{\"data\":[{\"id\":\"b\"}]}",
    .fails = TRUE, .code = CONFAB_MODELS_ERROR_INVALID,
  },
  {
    .name = "unknown-escape",
    .body = "{\"data\":[{\"id\":\"a\\qb\"}]}",
    .fails = TRUE, .code = CONFAB_MODELS_ERROR_INVALID,
  },
  {
    .name = "openai-error",
    .body = "{\n    \"error\": {\n        \"message\": \"Incorrect API key provided: sk-abc. "
            "You can find your API key at https://platform.openai.com/account/api-keys.\",\n"
            "        \"type\": \"invalid_request_error\",\n        \"param\": null,\n"
            "        \"code\": \"invalid_api_key\"\n    }\n}\n",
    .fails = TRUE, .code = CONFAB_MODELS_ERROR_SERVER,
    .error_has = "“Incorrect API key provided: sk-abc. You can find your API key at "
                 "https://platform.openai.com/account/api-keys.”",
  },
  {
    .name = "ollama-error",
    .body = "{\"error\":\"something went wrong\\nwith the registry\"}",
    .fails = TRUE, .code = CONFAB_MODELS_ERROR_SERVER,
    .error_has = "“something went wrong with the registry”",
  },
  {
    .name = "error-without-message",
    .body = "{\"error\":{\"code\":500}}",
    .fails = TRUE, .code = CONFAB_MODELS_ERROR_SERVER,
    .error_has = "without saying what it was",
  },
  {
    .name = "no-list",
    .body = "{\"object\":\"list\"}",
    .fails = TRUE, .code = CONFAB_MODELS_ERROR_NO_LIST,
  },
  {
    .name = "data-not-a-list",
    .body = "{\"object\":\"list\",\"data\":{\"id\":\"gpt-4o\"}}",
    .fails = TRUE, .code = CONFAB_MODELS_ERROR_NO_LIST,
  },
  {
    .name = "top-level-list",
    .body = "[{\"id\":\"gpt-4o\"}]",
    .fails = TRUE, .code = CONFAB_MODELS_ERROR_NO_LIST,
  },
  {
    .name = "top-level-string",
    .body = "\"gpt-4o\"",
    .fails = TRUE, .code = CONFAB_MODELS_ERROR_NO_LIST,
  },
  {
    .name = "top-level-null",
    .body = "null",
    .fails = TRUE, .code = CONFAB_MODELS_ERROR_NO_LIST,
  },
};

/* An error is a sentence for the user: valid UTF-8, short, one line. */
static void
assert_readable (const GError *error)
{
  g_assert_nonnull (error->message);
  g_assert_cmpuint (strlen (error->message), >, 10);
  g_assert_cmpuint (strlen (error->message), <, 1024);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_null (strchr (error->message, '\n'));
}

static GPtrArray *
parse (const char  *data,
       gsize        size,
       GError     **error)
{
  g_autoptr(GBytes) body = NULL;
  char *copy;

  /* A copy of exactly @size bytes, so that ASan sees any read past the
   * end: a body from the network has no NUL after it. */
  copy = g_malloc (MAX (size, 1));
  memcpy (copy, data, size);
  body = g_bytes_new_take (copy, size);

  return confab_models_parse (body, error);
}

static void
test_models_case (gconstpointer user_data)
{
  const ModelsCase *test = user_data;
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;
  gsize size = test->size != 0 ? test->size : strlen (test->body);
  guint n_expected = 0;

  while (n_expected < MAX_IDS && test->ids[n_expected] != NULL)
    n_expected++;

  ids = parse (test->body, size, &error);

  if (test->fails)
    {
      g_assert_error (error, CONFAB_MODELS_ERROR, (int) test->code);
      g_assert_null (ids);
      assert_readable (error);
      if (test->error_has != NULL && strstr (error->message, test->error_has) == NULL)
        g_error ("“%s” does not contain “%s”", error->message, test->error_has);
      return;
    }

  g_assert_no_error (error);
  g_assert_nonnull (ids);
  for (guint i = 0; i < ids->len; i++)
    g_test_message ("%u: %s", i, (const char *) g_ptr_array_index (ids, i));
  g_assert_cmpuint (ids->len, ==, n_expected);
  for (guint i = 0; i < n_expected; i++)
    {
      g_assert_true (g_utf8_validate (g_ptr_array_index (ids, i), -1, NULL));
      g_assert_cmpstr (g_ptr_array_index (ids, i), ==, test->ids[i]);
    }
}

/* The server's text goes into the sentence repaired and shortened. */
static void
test_models_long_error (void)
{
  g_autoptr(GString) body = g_string_new ("{\"error\":{\"message\":\"");
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 10000; i++)
    g_string_append (body, "very long ");
  g_string_append (body, "\"}}");

  ids = parse (body->str, body->len, &error);
  g_assert_error (error, CONFAB_MODELS_ERROR, CONFAB_MODELS_ERROR_SERVER);
  g_assert_null (ids);
  assert_readable (error);
  g_assert_nonnull (strstr (error->message, "very long …"));
}

/* Up to the bound is read; one byte more is refused before any parsing. */
static void
test_models_size_bound (void)
{
  static const char head[] = "{\"data\":[{\"id\":\"gpt-4o\"}]";
  g_autofree char *data = g_malloc (CONFAB_MODELS_MAX_SIZE + 1);
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;

  memcpy (data, head, strlen (head));
  memset (data + strlen (head), ' ', CONFAB_MODELS_MAX_SIZE - strlen (head));
  data[CONFAB_MODELS_MAX_SIZE - 1] = '}';

  ids = parse (data, CONFAB_MODELS_MAX_SIZE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (ids, 0), ==, "gpt-4o");
  g_clear_pointer (&ids, g_ptr_array_unref);

  data[CONFAB_MODELS_MAX_SIZE - 1] = ' ';
  data[CONFAB_MODELS_MAX_SIZE] = '}';
  ids = parse (data, CONFAB_MODELS_MAX_SIZE + 1, &error);
  g_assert_error (error, CONFAB_MODELS_ERROR, CONFAB_MODELS_ERROR_TOO_LARGE);
  g_assert_null (ids);
  assert_readable (error);
  g_assert_nonnull (strstr (error->message, "4 MiB"));
}

/* Deeper than json-glib's stack allows is refused, not a crash. */
static void
test_models_deep_nesting (void)
{
  g_autoptr(GString) body = g_string_new ("{\"data\":[{\"id\":\"a\",\"x\":");
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 100000; i++)
    g_string_append_c (body, '[');
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (body, ']');
  g_string_append (body, "}]}");

  ids = parse (body->str, body->len, &error);
  g_assert_error (error, CONFAB_MODELS_ERROR, CONFAB_MODELS_ERROR_INVALID);
  g_assert_null (ids);
}

/* As deep as the scan allows still reads. */
static void
test_models_nesting_limit (void)
{
  g_autoptr(GString) body = g_string_new ("{\"data\":[{\"id\":\"a\",\"x\":");
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;
  guint levels = CONFAB_JSON_MAX_DEPTH - 3;

  for (guint i = 0; i < levels; i++)
    g_string_append_c (body, '[');
  for (guint i = 0; i < levels; i++)
    g_string_append_c (body, ']');
  g_string_append (body, "}]}");

  ids = parse (body->str, body->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 1);
}

/* OpenRouter lists a few hundred models: every one is kept, in order. */
static void
test_models_many (void)
{
  g_autoptr(GString) body = g_string_new ("{\"data\":[");
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 1000; i > 0; i--)
    g_string_append_printf (body, "%s{\"id\":\"vendor/model-%04u\",\"name\":\"Model %u\","
                            "\"pricing\":{\"prompt\":\"0\",\"completion\":\"0\"}}",
                            i == 1000 ? "" : ",", i, i);
  g_string_append (body, "]}");

  ids = parse (body->str, body->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 1000);
  for (guint i = 0; i < ids->len; i++)
    {
      g_autofree char *expected = g_strdup_printf ("vendor/model-%04u", i + 1);

      g_assert_cmpstr (g_ptr_array_index (ids, i), ==, expected);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (models_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/confab/models/%s", models_cases[i].name);

      g_test_add_data_func (path, &models_cases[i], test_models_case);
    }

  g_test_add_func ("/confab/models/long-error", test_models_long_error);
  g_test_add_func ("/confab/models/size-bound", test_models_size_bound);
  g_test_add_func ("/confab/models/deep-nesting", test_models_deep_nesting);
  g_test_add_func ("/confab/models/nesting-limit", test_models_nesting_limit);
  g_test_add_func ("/confab/models/many", test_models_many);

  return g_test_run ();
}

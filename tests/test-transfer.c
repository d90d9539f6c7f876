/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "confab-transfer.h"

#define FFFD "\xef\xbf\xbd"

typedef struct
{
  ConfabMessageRole  role;
  const char        *content;
} TestMessage;

typedef struct
{
  const char          *name;
  const char          *data;
  gssize               len;
  ConfabTransferError  code;
  const char          *message;
} ErrorCase;

typedef struct
{
  const char *name;
  const char *content;
  const char *expected;
} FenceCase;

typedef struct
{
  const char *name;
  const char *first_line;
  const char *expected;
} TitleCase;

/* 2026-03-10 14:30:00 UTC, in microseconds. */
#define CREATED_AT G_GINT64_CONSTANT (1773153000000000)

static ConfabStoredConversation *
new_conversation (const char *title,
                  const char *model,
                  const char *system_prompt)
{
  ConfabStoredConversation *conversation = g_new0 (ConfabStoredConversation, 1);

  conversation->id = 7;
  conversation->title = g_strdup (title);
  conversation->model = g_strdup (model);
  conversation->system_prompt = g_strdup (system_prompt);
  conversation->created_at = CREATED_AT;
  conversation->updated_at = CREATED_AT;

  return conversation;
}

static GPtrArray *
new_messages (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) confab_stored_message_free);
}

static ConfabStoredMessage *
add_message (GPtrArray         *messages,
             ConfabMessageRole  role,
             const char        *content)
{
  ConfabStoredMessage *message = confab_stored_message_new (role, content);

  g_ptr_array_add (messages, message);
  return message;
}

static void
assert_messages (GPtrArray         *messages,
                 const TestMessage *expected,
                 guint              n_expected)
{
  g_assert_nonnull (messages);
  g_assert_cmpuint (messages->len, ==, n_expected);

  for (guint i = 0; i < n_expected; i++)
    {
      const ConfabStoredMessage *message = g_ptr_array_index (messages, i);

      g_assert_cmpint (message->role, ==, expected[i].role);
      g_assert_cmpstr (message->content, ==, expected[i].content);
      g_assert_cmpstr (message->reasoning, ==, "");
      g_assert_cmpint (message->state, ==, CONFAB_MESSAGE_STATE_COMPLETE);
      g_assert_null (message->error);
      g_assert_cmpint (message->prompt_tokens, ==, -1);
      g_assert_cmpint (message->completion_tokens, ==, -1);
      g_assert_cmpint (message->id, ==, 0);
    }
}

/* Strict JSON has no raw control character in a string, and pretty output
 * has none outside one but its line ends. */
static void
assert_strict_json (const char *json)
{
  g_assert_true (g_utf8_validate (json, -1, NULL));

  for (const char *p = json; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20)
        g_assert_cmpint (*p, ==, '\n');
      g_assert_cmpint ((guchar) *p, !=, 0x7f);
    }

  g_assert_true (g_str_has_suffix (json, "}\n"));
}

static void
parse_ok (const char                *data,
          gssize                     len,
          ConfabStoredConversation **conversation,
          GPtrArray                **messages)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (confab_transfer_parse_json (data, len, conversation, messages, &error));
  g_assert_no_error (error);
  g_assert_nonnull (*conversation);
  g_assert_nonnull (*messages);
  g_assert_nonnull ((*conversation)->title);
  g_assert_cmpint ((*conversation)->id, ==, 0);
  g_assert_cmpint ((*conversation)->created_at, ==, 0);
  g_assert_false ((*conversation)->pinned);
}

/* Fails, and leaves the outputs as they were. */
static void
parse_fails (const char           *data,
             gssize                len,
             ConfabTransferError   code,
             const char           *message)
{
  g_autoptr(GError) error = NULL;
  ConfabStoredConversation *conversation = (gpointer) &error;
  GPtrArray *messages = (gpointer) &error;

  g_assert_false (confab_transfer_parse_json (data, len, &conversation, &messages, &error));
  g_assert_error (error, CONFAB_TRANSFER_ERROR, (int) code);
  if (message != NULL)
    g_assert_cmpstr (error->message, ==, message);
  g_assert_true (conversation == (gpointer) &error);
  g_assert_true (messages == (gpointer) &error);
}

/* Markdown */

static void
test_markdown_document (void)
{
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(GPtrArray) messages = new_messages ();
  g_autofree char *markdown = NULL;
  ConfabStoredMessage *message;

  conversation = new_conversation ("Korean lesson", "gpt-4o-mini",
                                   "Be brief.\nAnswer in Korean.\n\n  Indented.");
  add_message (messages, CONFAB_MESSAGE_ROLE_USER, "How do I say *hello*?");
  message = add_message (messages, CONFAB_MESSAGE_ROLE_ASSISTANT,
                         "```text\n안녕하세요\n```\n\nSay it like this.\n");
  g_free (message->reasoning);
  message->reasoning = g_strdup ("The user wants a greeting.");
  add_message (messages, CONFAB_MESSAGE_ROLE_SYSTEM, "Now answer in Japanese.");
  add_message (messages, CONFAB_MESSAGE_ROLE_USER, "");
  add_message (messages, CONFAB_MESSAGE_ROLE_ASSISTANT, "こんにちは");

  markdown = confab_transfer_to_markdown (conversation, messages);
  g_assert_cmpstr (markdown, ==,
                   "# Korean lesson\n"
                   "\n"
                   "Model: gpt-4o-mini · 2026-03-10 14:30\n"
                   "\n"
                   "> **System prompt**\n"
                   ">\n"
                   "> Be brief.\n"
                   "> Answer in Korean.\n"
                   ">\n"
                   ">   Indented.\n"
                   "\n"
                   "## User\n"
                   "\n"
                   "How do I say *hello*?\n"
                   "\n"
                   "## Assistant\n"
                   "\n"
                   "```text\n"
                   "안녕하세요\n"
                   "```\n"
                   "\n"
                   "Say it like this.\n"
                   "\n"
                   "## System\n"
                   "\n"
                   "Now answer in Japanese.\n"
                   "\n"
                   "## User\n"
                   "\n"
                   "## Assistant\n"
                   "\n"
                   "こんにちは\n");
}

static void
test_markdown_untitled (void)
{
  g_autoptr(ConfabStoredConversation) conversation = new_conversation ("", NULL, NULL);
  g_autoptr(GPtrArray) messages = new_messages ();
  g_autofree char *markdown = NULL;

  conversation->created_at = 0;
  markdown = confab_transfer_to_markdown (conversation, messages);
  g_assert_cmpstr (markdown, ==, "# Conversation\n");
  g_clear_pointer (&markdown, g_free);

  /* Blank is empty, and the date stands alone. */
  g_free (conversation->title);
  conversation->title = g_strdup (" \n\t");
  g_free (conversation->system_prompt);
  conversation->system_prompt = g_strdup ("\n");
  conversation->created_at = CREATED_AT;
  add_message (messages, CONFAB_MESSAGE_ROLE_USER, "Hi");
  markdown = confab_transfer_to_markdown (conversation, messages);
  g_assert_cmpstr (markdown, ==,
                   "# Conversation\n\n2026-03-10 14:30\n\n## User\n\nHi\n");
  g_clear_pointer (&markdown, g_free);

  /* The model stands alone too. */
  conversation->created_at = 0;
  conversation->model = g_strdup ("llama3.2");
  markdown = confab_transfer_to_markdown (conversation, messages);
  g_assert_cmpstr (markdown, ==,
                   "# Conversation\n\nModel: llama3.2\n\n## User\n\nHi\n");
}

static void
test_markdown_escapes (void)
{
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(GPtrArray) messages = new_messages ();
  g_autofree char *markdown = NULL;

  /* Text from elsewhere reads as written, on one line. */
  conversation = new_conversation ("C# & <b>tips</b> for `x_y`\n[link](url) ~~no~~ #",
                                   "org/model_v*2", NULL);
  conversation->created_at = 0;
  markdown = confab_transfer_to_markdown (conversation, messages);
  g_assert_cmpstr (markdown, ==,
                   "# C\\# \\& \\<b\\>tips\\</b\\> for \\`x\\_y\\` "
                   "\\[link\\](url) \\~\\~no\\~\\~ \\#\n"
                   "\n"
                   "Model: org/model\\_v\\*2\n");
}

static void
test_markdown_states (void)
{
  g_autoptr(ConfabStoredConversation) conversation = new_conversation ("States", NULL, NULL);
  g_autoptr(GPtrArray) messages = new_messages ();
  g_autofree char *markdown = NULL;
  ConfabStoredMessage *message;

  conversation->created_at = 0;

  message = add_message (messages, CONFAB_MESSAGE_ROLE_ASSISTANT, "");
  message->state = CONFAB_MESSAGE_STATE_FAILED;
  message->error = g_strdup ("  The server said: “rate *limit*”.\nTry again_later.  ");

  message = add_message (messages, CONFAB_MESSAGE_ROLE_ASSISTANT, "Partial");
  message->state = CONFAB_MESSAGE_STATE_FAILED;

  message = add_message (messages, CONFAB_MESSAGE_ROLE_ASSISTANT, "```python\nprint (1)");
  message->state = CONFAB_MESSAGE_STATE_INTERRUPTED;

  message = add_message (messages, CONFAB_MESSAGE_ROLE_ASSISTANT, "Stop");
  message->state = CONFAB_MESSAGE_STATE_STOPPED;

  message = add_message (messages, CONFAB_MESSAGE_ROLE_ASSISTANT, "Stream");
  message->state = CONFAB_MESSAGE_STATE_STREAMING;

  message = add_message (messages, CONFAB_MESSAGE_ROLE_ASSISTANT, "");
  message->state = CONFAB_MESSAGE_STATE_PENDING;

  markdown = confab_transfer_to_markdown (conversation, messages);
  g_assert_cmpstr (markdown, ==,
                   "# States\n"
                   "\n"
                   "## Assistant\n"
                   "\n"
                   "*Failed: The server said: “rate \\*limit\\*”. Try again\\_later.*\n"
                   "\n"
                   "## Assistant\n"
                   "\n"
                   "Partial\n"
                   "\n"
                   "*Failed.*\n"
                   "\n"
                   "## Assistant\n"
                   "\n"
                   "```python\n"
                   "print (1)\n"
                   "```\n"
                   "\n"
                   "*Interrupted.*\n"
                   "\n"
                   "## Assistant\n"
                   "\n"
                   "Stop\n"
                   "\n"
                   "*Stopped.*\n"
                   "\n"
                   "## Assistant\n"
                   "\n"
                   "Stream\n"
                   "\n"
                   "*Incomplete.*\n"
                   "\n"
                   "## Assistant\n"
                   "\n"
                   "*Incomplete.*\n");
}

static const FenceCase fence_cases[] = {
  { "closed", "```c\nint x;\n```\n", "```c\nint x;\n```\n" },
  { "closed-no-newline", "```\nx\n```", "```\nx\n```\n" },
  { "open", "```c\nint x;", "```c\nint x;\n```\n" },
  { "open-tilde", "~~~\ncode\n", "~~~\ncode\n~~~\n" },
  { "open-long", "`````\n```\ninner\n```\n", "`````\n```\ninner\n```\n`````\n" },
  { "nested-closed", "````md\n```py\nx\n```\n````\ntext", "````md\n```py\nx\n```\n````\ntext\n" },
  { "tilde-inside-backticks", "```\n~~~\n", "```\n~~~\n```\n" },
  { "closing-longer", "```\nx\n`````\nafter", "```\nx\n`````\nafter\n" },
  { "closing-with-spaces", "```\nx\n```   \n", "```\nx\n```   \n" },
  { "closing-indented", "```\nx\n   ```\n", "```\nx\n   ```\n" },
  { "closing-too-indented", "```\nx\n    ```\n", "```\nx\n    ```\n```\n" },
  { "closing-with-text", "```\nx\n``` no\n", "```\nx\n``` no\n```\n" },
  { "backtick-in-info", "```a`b\ntext\n", "```a`b\ntext\n" },
  { "tilde-info-with-backtick", "~~~a`b\ntext\n", "~~~a`b\ntext\n~~~\n" },
  { "two-backticks", "``\ntext\n", "``\ntext\n" },
  { "indented-opening", "- item\n\n  ```\n  code\n", "- item\n\n  ```\n  code\n" },
  { "inline-code", "Use ```x``` inline.", "Use ```x``` inline.\n" },
  { "crlf", "```\r\ncode\r\n```\r\n", "```\r\ncode\r\n```\r\n" },
  { "crlf-open", "```\r\ncode\r\n", "```\r\ncode\r\n```\n" },
  { "cr", "```\rcode\r```\r", "```\rcode\r```\r\n" },
  { "headings-inside", "# Not ours\n\n## Assistant\n", "# Not ours\n\n## Assistant\n" },
};

static void
test_markdown_fence (gconstpointer data)
{
  const FenceCase *test = data;
  g_autoptr(ConfabStoredConversation) conversation = new_conversation ("F", NULL, NULL);
  g_autoptr(GPtrArray) messages = new_messages ();
  g_autofree char *markdown = NULL;
  g_autofree char *expected = NULL;

  conversation->created_at = 0;
  add_message (messages, CONFAB_MESSAGE_ROLE_ASSISTANT, test->content);
  add_message (messages, CONFAB_MESSAGE_ROLE_USER, "Next");

  markdown = confab_transfer_to_markdown (conversation, messages);
  expected = g_strconcat ("# F\n\n## Assistant\n\n", test->expected, "\n## User\n\nNext\n", NULL);
  g_assert_cmpstr (markdown, ==, expected);
}

/* JSON */

static void
test_json_document (void)
{
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(GPtrArray) messages = new_messages ();
  g_autofree char *json = NULL;
  ConfabStoredMessage *message;

  conversation = new_conversation ("Korean lesson", "gpt-4o-mini", "Be brief.");
  add_message (messages, CONFAB_MESSAGE_ROLE_USER, "How do I say \"hello\"?");
  message = add_message (messages, CONFAB_MESSAGE_ROLE_ASSISTANT, "안녕하세요\n");
  g_free (message->reasoning);
  message->reasoning = g_strdup ("The user wants a greeting.");
  message->prompt_tokens = 12;
  message->completion_tokens = 3;
  message->model = g_strdup ("gpt-4o-mini-2024-07-18");

  /* Left out: a reply that failed before its first word. */
  message = add_message (messages, CONFAB_MESSAGE_ROLE_ASSISTANT, "");
  message->state = CONFAB_MESSAGE_STATE_FAILED;
  message->error = g_strdup ("The server is down.");
  message = add_message (messages, CONFAB_MESSAGE_ROLE_ASSISTANT, "");
  message->state = CONFAB_MESSAGE_STATE_INTERRUPTED;

  /* Kept: a reply that got somewhere, and an empty complete one. */
  message = add_message (messages, CONFAB_MESSAGE_ROLE_ASSISTANT, "こんに");
  message->state = CONFAB_MESSAGE_STATE_FAILED;
  add_message (messages, CONFAB_MESSAGE_ROLE_SYSTEM, "Be formal.");
  add_message (messages, CONFAB_MESSAGE_ROLE_USER, "");
  add_message (messages, CONFAB_MESSAGE_ROLE_ASSISTANT, "");

  json = confab_transfer_to_json (conversation, messages);
  assert_strict_json (json);
  g_assert_cmpstr (json, ==,
                   "{\n"
                   "  \"model\" : \"gpt-4o-mini\",\n"
                   "  \"messages\" : [\n"
                   "    {\n"
                   "      \"role\" : \"system\",\n"
                   "      \"content\" : \"Be brief.\"\n"
                   "    },\n"
                   "    {\n"
                   "      \"role\" : \"user\",\n"
                   "      \"content\" : \"How do I say \\\"hello\\\"?\"\n"
                   "    },\n"
                   "    {\n"
                   "      \"role\" : \"assistant\",\n"
                   "      \"content\" : \"안녕하세요\\n\"\n"
                   "    },\n"
                   "    {\n"
                   "      \"role\" : \"assistant\",\n"
                   "      \"content\" : \"こんに\"\n"
                   "    },\n"
                   "    {\n"
                   "      \"role\" : \"system\",\n"
                   "      \"content\" : \"Be formal.\"\n"
                   "    },\n"
                   "    {\n"
                   "      \"role\" : \"user\",\n"
                   "      \"content\" : \"\"\n"
                   "    },\n"
                   "    {\n"
                   "      \"role\" : \"assistant\",\n"
                   "      \"content\" : \"\"\n"
                   "    }\n"
                   "  ],\n"
                   "  \"title\" : \"Korean lesson\"\n"
                   "}\n");
}

static void
test_json_minimal (void)
{
  g_autoptr(ConfabStoredConversation) conversation = new_conversation ("", NULL, "");
  g_autoptr(GPtrArray) messages = new_messages ();
  g_autofree char *json = NULL;

  json = confab_transfer_to_json (conversation, messages);
  assert_strict_json (json);
  g_assert_cmpstr (json, ==, "{\n  \"messages\" : []\n}\n");
}

static void
test_json_escapes (void)
{
  g_autoptr(ConfabStoredConversation) conversation = new_conversation ("t", "m", NULL);
  g_autoptr(GPtrArray) messages = new_messages ();
  g_autofree char *json = NULL;

  add_message (messages, CONFAB_MESSAGE_ROLE_USER,
               "한국어 日本語 😀 \x01\x07\x08\t\n\x0b\x0c\r\x1b\x1f\x7f \"\\/ \xe2\x80\xa8");

  json = confab_transfer_to_json (conversation, messages);
  assert_strict_json (json);
  g_assert_nonnull (strstr (json, "\"content\" : \"한국어 日本語 😀 \\u0001\\u0007\\b\\t\\n\\u000b\\f"
                                  "\\r\\u001b\\u001f\\u007f \\\"\\\\/ \xe2\x80\xa8\"\n"));
}

static void
test_json_invalid_utf8 (void)
{
  g_autoptr(ConfabStoredConversation) conversation = new_conversation ("t\xff", "m", NULL);
  g_autoptr(GPtrArray) messages = new_messages ();
  g_autofree char *json = NULL;

  /* The store promises UTF-8; if it ever breaks that, the file stays JSON. */
  add_message (messages, CONFAB_MESSAGE_ROLE_USER, "caf\xc3 ok");

  json = confab_transfer_to_json (conversation, messages);
  assert_strict_json (json);
  g_assert_nonnull (strstr (json, "\"caf" FFFD " ok\""));
  g_assert_nonnull (strstr (json, "\"t" FFFD "\""));
}

/* Round trips */

static const char *round_trip_cases[][2] = {
  { "empty", "" },
  { "ascii", "Hello, world." },
  { "quotes", "He said \"hi\" and 'bye'." },
  { "backslashes", "C:\\Users\\me\\ \\\\server\\share \\n is not a newline \\u0041 \\ud800" },
  { "slashes", "</script><!-- // http://example.com/a/b -->" },
  { "newlines", "line 1\nline 2\r\nline 3\rline 4\n\n" },
  { "tabs", "\tindented\t\ttext\t" },
  { "bell", "ding\x07" "dong" },
  { "control-characters",
    "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"
    "\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f" },
  { "unit-separator", "a\x1f" "b\x1f\x1f" "c\x1f" },
  { "korean", "안녕하세요, 만나서 반갑습니다. 일본어로 번역해 주세요." },
  { "japanese", "こんにちは、世界。カタカナと漢字とｶﾀｶﾅ。" },
  { "emoji", "😀 👍🏽 👨‍👩‍👧‍👦 🇰🇷🇯🇵 ❤️" },
  { "line-separators", "a\xe2\x80\xa8" "b\xe2\x80\xa9" "c" },
  { "special-code-points",
    "\xef\xbb\xbf bom, " FFFD " replacement, \xf4\x8f\xbf\xbf max, e\xcc\x81 combining" },
  { "right-to-left", "مرحبا بالعالم שלום" },
  { "json-inside", "{\"role\":\"system\",\"content\":\"ignore\"}]}" },
  { "markdown", "# Title\n\n```json\n{\"a\": [1, 2]}\n```\n\n> quote\n" },
};

static void
assert_round_trip (const char *text)
{
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(ConfabStoredConversation) parsed = NULL;
  g_autoptr(GPtrArray) messages = new_messages ();
  g_autoptr(GPtrArray) parsed_messages = NULL;
  g_autofree char *title = g_strconcat ("T ", text, NULL);
  g_autofree char *json = NULL;
  const TestMessage expected[] = {
    { CONFAB_MESSAGE_ROLE_USER, text },
    { CONFAB_MESSAGE_ROLE_ASSISTANT, text },
    { CONFAB_MESSAGE_ROLE_SYSTEM, text },
    { CONFAB_MESSAGE_ROLE_USER, "plain" },
    { CONFAB_MESSAGE_ROLE_ASSISTANT, text },
  };

  conversation = new_conversation (title, text, text);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    add_message (messages, expected[i].role, expected[i].content);

  json = confab_transfer_to_json (conversation, messages);
  assert_strict_json (json);
  parse_ok (json, -1, &parsed, &parsed_messages);

  g_assert_cmpstr (parsed->title, ==, title);
  g_assert_cmpstr (parsed->model, ==, text[0] != '\0' ? text : NULL);
  g_assert_cmpstr (parsed->system_prompt, ==, text[0] != '\0' ? text : NULL);
  assert_messages (parsed_messages, expected, G_N_ELEMENTS (expected));
}

static void
test_round_trip (gconstpointer data)
{
  assert_round_trip (data);
}

/* json-glib 1.6 allocates for every \u escape it writes, which the
 * sanitizer build makes slow: the long text has few of them, in two
 * messages only. */
static void
test_round_trip_long (void)
{
  static const char piece[] = "한국어 \"日本語\" \\ 😀\n\t";
  g_autoptr(ConfabStoredConversation) conversation = new_conversation ("Long", "m", NULL);
  g_autoptr(ConfabStoredConversation) parsed = NULL;
  g_autoptr(GPtrArray) messages = new_messages ();
  g_autoptr(GPtrArray) parsed_messages = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *json = NULL;
  TestMessage expected[] = {
    { CONFAB_MESSAGE_ROLE_USER, NULL },
    { CONFAB_MESSAGE_ROLE_ASSISTANT, "Long indeed." },
    { CONFAB_MESSAGE_ROLE_USER, "Again?" },
    { CONFAB_MESSAGE_ROLE_ASSISTANT, NULL },
  };

  while (text->len < 2 * 1024 * 1024)
    g_string_append (text, piece);
  g_string_append (text, "\x07\x1f");
  expected[0].content = text->str;
  expected[3].content = text->str;

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    add_message (messages, expected[i].role, expected[i].content);

  json = confab_transfer_to_json (conversation, messages);
  assert_strict_json (json);
  parse_ok (json, -1, &parsed, &parsed_messages);
  g_assert_cmpstr (parsed->title, ==, "Long");
  assert_messages (parsed_messages, expected, G_N_ELEMENTS (expected));
}

static void
test_round_trip_untitled (void)
{
  g_autoptr(ConfabStoredConversation) conversation = new_conversation ("", NULL, NULL);
  g_autoptr(ConfabStoredConversation) parsed = NULL;
  g_autoptr(GPtrArray) messages = new_messages ();
  g_autoptr(GPtrArray) parsed_messages = NULL;
  g_autofree char *json = NULL;
  const TestMessage expected[] = {
    { CONFAB_MESSAGE_ROLE_USER, "\n  Why is the sky blue?  \nTell me." },
    { CONFAB_MESSAGE_ROLE_ASSISTANT, "Rayleigh scattering." },
  };

  /* An untitled conversation comes back titled after its first line. */
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    add_message (messages, expected[i].role, expected[i].content);

  json = confab_transfer_to_json (conversation, messages);
  parse_ok (json, -1, &parsed, &parsed_messages);
  g_assert_cmpstr (parsed->title, ==, "Why is the sky blue?");
  g_assert_null (parsed->model);
  g_assert_null (parsed->system_prompt);
  assert_messages (parsed_messages, expected, G_N_ELEMENTS (expected));
}

/* Reading other shapes */

static void
test_parse_bare_array (void)
{
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  static const char data[] =
    "[{\"role\":\"system\",\"content\":\"You are helpful.\"},"
    "{\"role\":\"user\",\"content\":\"Hi\"},"
    "{\"role\":\"assistant\",\"content\":\"Hello!\"}]";
  const TestMessage expected[] = {
    { CONFAB_MESSAGE_ROLE_USER, "Hi" },
    { CONFAB_MESSAGE_ROLE_ASSISTANT, "Hello!" },
  };

  parse_ok (data, -1, &conversation, &messages);
  g_assert_cmpstr (conversation->title, ==, "Hi");
  g_assert_null (conversation->model);
  g_assert_cmpstr (conversation->system_prompt, ==, "You are helpful.");
  assert_messages (messages, expected, G_N_ELEMENTS (expected));
}

static void
test_parse_other_tool (void)
{
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  static const char data[] =
    "\xef\xbb\xbf{\r\n"
    "  \"id\": \"chatcmpl-123\", \"temperature\": 0.2, \"stream\": true, \"n\": null,\r\n"
    "  \"title\": 42,\r\n"
    "  \"metadata\": {\"tags\": [1, 2.5e3, -0.1, {\"deep\": [true, false, null]}]},\r\n"
    "  \"model\": \"gpt-4o\",\r\n"
    "  \"messages\": [\r\n"
    "    {\"role\": \"user\", \"name\": \"ann\", \"content\": \"Summarize: \\u00e9\\ud83d\\ude00"
    "\\/\"},\r\n"
    "    {\"role\": \"assistant\", \"content\": \"Done.\", \"reasoning_content\": \"hmm\","
    " \"refusal\": null, \"annotations\": []}\r\n"
    "  ]\r\n"
    "}\r\n";
  const TestMessage expected[] = {
    { CONFAB_MESSAGE_ROLE_USER, "Summarize: é😀/" },
    { CONFAB_MESSAGE_ROLE_ASSISTANT, "Done." },
  };

  parse_ok (data, -1, &conversation, &messages);
  g_assert_cmpstr (conversation->title, ==, "Summarize: é😀/");
  g_assert_cmpstr (conversation->model, ==, "gpt-4o");
  g_assert_null (conversation->system_prompt);
  assert_messages (messages, expected, G_N_ELEMENTS (expected));
}

static void
test_parse_content_parts (void)
{
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  static const char data[] =
    "{\"messages\":["
    "{\"role\":\"system\",\"content\":[{\"type\":\"text\",\"text\":\"Be\"},"
    "{\"type\":\"text\",\"text\":\"brief.\"}]},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is this?\"},"
    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\","
    "\"detail\":\"low\"}},{\"type\":\"text\",\"text\":\"And this?\"},"
    "{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"AAAA\",\"format\":\"wav\"}},"
    "{\"type\":\"file\",\"file\":{\"file_id\":\"f\"}},{\"type\":\"text\",\"text\":5},"
    "{\"type\":\"text\"},{\"text\":\"no type\"},7,null,\"bare\"]},"
    "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"A cat.\"}]},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]},"
    "{\"role\":\"assistant\",\"content\":[{\"type\":\"refusal\",\"refusal\":\"I can't.\"}]},"
    "{\"role\":\"user\",\"content\":[]},"
    "{\"role\":\"assistant\",\"content\":null,\"refusal\":\"No.\"}"
    "]}";
  const TestMessage expected[] = {
    { CONFAB_MESSAGE_ROLE_USER, "What is this?\nAnd this?\nbare" },
    { CONFAB_MESSAGE_ROLE_ASSISTANT, "A cat." },
    { CONFAB_MESSAGE_ROLE_USER, "" },
    { CONFAB_MESSAGE_ROLE_ASSISTANT, "I can't." },
    { CONFAB_MESSAGE_ROLE_USER, "" },
    { CONFAB_MESSAGE_ROLE_ASSISTANT, "No." },
  };

  parse_ok (data, -1, &conversation, &messages);
  g_assert_cmpstr (conversation->system_prompt, ==, "Be\nbrief.");
  g_assert_cmpstr (conversation->title, ==, "What is this?");
  assert_messages (messages, expected, G_N_ELEMENTS (expected));
}

static void
test_parse_tools (void)
{
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  static const char data[] =
    "{\"model\":\"gpt-4o\",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"add\"}}],"
    "\"messages\":["
    "{\"role\":\"user\",\"content\":\"What is 40 + 2?\"},"
    "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\","
    "\"type\":\"function\",\"function\":{\"name\":\"add\",\"arguments\":\"{\\\"a\\\":40}\"}}]},"
    "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"42\"},"
    "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"id\":\"call_2\"}]},"
    "{\"role\":\"tool\",\"tool_call_id\":\"call_2\",\"content\":[{\"type\":\"text\","
    "\"text\":\"42\"}]},"
    "{\"role\":\"assistant\",\"function_call\":{\"name\":\"add\",\"arguments\":\"{}\"}},"
    "{\"role\":\"function\",\"name\":\"add\",\"content\":\"42\"},"
    "{\"role\":\"tool\",\"content\":5},"
    "{\"role\":\"assistant\",\"content\":\"Let me check.\",\"tool_calls\":[{\"id\":\"c\"}]},"
    "{\"role\":\"assistant\",\"content\":\"It is 42.\"}"
    "]}";
  const TestMessage expected[] = {
    { CONFAB_MESSAGE_ROLE_USER, "What is 40 + 2?" },
    { CONFAB_MESSAGE_ROLE_ASSISTANT, "Let me check." },
    { CONFAB_MESSAGE_ROLE_ASSISTANT, "It is 42." },
  };

  /* Tool results and calls are skipped, even a malformed tool message, and
   * the text said alongside a call is kept. */
  parse_ok (data, -1, &conversation, &messages);
  assert_messages (messages, expected, G_N_ELEMENTS (expected));
}

static void
test_parse_system_roles (void)
{
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  static const char developer[] =
    "[{\"role\":\"developer\",\"content\":\"Be terse.\"},"
    "{\"role\":\"system\",\"content\":\"Second.\"},"
    "{\"role\":\"user\",\"content\":\"Hi\"},"
    "{\"role\":\"developer\",\"content\":\"Now formal.\"},"
    "{\"role\":\"assistant\",\"content\":\"Good day.\"}]";
  static const char later[] =
    "[{\"role\":\"tool\",\"content\":\"x\"},"
    "{\"role\":\"assistant\",\"content\":\"Hello.\"},"
    "{\"role\":\"system\",\"content\":\"Be brief.\"},"
    "{\"role\":\"user\",\"content\":\"Hi\"}]";
  static const char empty_prompt[] =
    "[{\"role\":\"system\",\"content\":\"\"},"
    "{\"role\":\"system\",\"content\":null},"
    "{\"role\":\"user\",\"content\":\"Hi\"}]";
  const TestMessage expected_developer[] = {
    { CONFAB_MESSAGE_ROLE_SYSTEM, "Second." },
    { CONFAB_MESSAGE_ROLE_USER, "Hi" },
    { CONFAB_MESSAGE_ROLE_SYSTEM, "Now formal." },
    { CONFAB_MESSAGE_ROLE_ASSISTANT, "Good day." },
  };
  const TestMessage expected_later[] = {
    { CONFAB_MESSAGE_ROLE_ASSISTANT, "Hello." },
    { CONFAB_MESSAGE_ROLE_SYSTEM, "Be brief." },
    { CONFAB_MESSAGE_ROLE_USER, "Hi" },
  };
  const TestMessage expected_empty_prompt[] = {
    { CONFAB_MESSAGE_ROLE_SYSTEM, "" },
    { CONFAB_MESSAGE_ROLE_USER, "Hi" },
  };

  /* Only the first is the prompt: the second is kept where it is. */
  parse_ok (developer, -1, &conversation, &messages);
  g_assert_cmpstr (conversation->system_prompt, ==, "Be terse.");
  assert_messages (messages, expected_developer, G_N_ELEMENTS (expected_developer));
  g_clear_pointer (&conversation, confab_stored_conversation_free);
  g_clear_pointer (&messages, g_ptr_array_unref);

  /* After the chat has begun, a system message is a message. */
  parse_ok (later, -1, &conversation, &messages);
  g_assert_null (conversation->system_prompt);
  g_assert_cmpstr (conversation->title, ==, "Hi");
  assert_messages (messages, expected_later, G_N_ELEMENTS (expected_later));
  g_clear_pointer (&conversation, confab_stored_conversation_free);
  g_clear_pointer (&messages, g_ptr_array_unref);

  parse_ok (empty_prompt, -1, &conversation, &messages);
  g_assert_null (conversation->system_prompt);
  assert_messages (messages, expected_empty_prompt, G_N_ELEMENTS (expected_empty_prompt));
}

static const TitleCase title_cases[] = {
  { "short", "Hello", "Hello" },
  { "first-line", "\n\n  First line  \r\nsecond", "First line" },
  { "sixty", "123456789012345678901234567890123456789012345678901234567890",
    "123456789012345678901234567890123456789012345678901234567890" },
  { "sixty-one", "1234567890123456789012345678901234567890123456789012345678901",
    "12345678901234567890123456789012345678901234567890123456789…" },
  { "space-at-cut", "1234567890123456789012345678901234567890123456789012345678 abc",
    "1234567890123456789012345678901234567890123456789012345678…" },
  { "korean", "가나다라마바사아자차카타파하가나다라마바사아자차카타파하가나다라마바사아자차카타파하"
    "가나다라마바사아자차카타파하가나다라마바사아자차카타파하",
    "가나다라마바사아자차카타파하가나다라마바사아자차카타파하가나다라마바사아자차카타파하"
    "가나다라마바사아자차카타파하가나다…" },
  { "japanese", "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん"
    "がぎぐげござじずぜぞだぢづでど",
    "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん"
    "がぎぐげござじずぜぞだぢづ…" },
  /* The 59th character is an "e" with a combining accent after it. */
  { "combining", "1234567890123456789012345678901234567890123456789012345678e\xcc\x81xyz",
    "1234567890123456789012345678901234567890123456789012345678…" },
  /* A family is four people and three joiners: none is cut off. */
  { "joiner", "12345678901234567890123456789012345678901234567890123456👨‍👩‍👧‍👦 and more",
    "12345678901234567890123456789012345678901234567890123456…" },
  { "skin-tone", "1234567890123456789012345678901234567890123456789012345678👍🏽 ok",
    "1234567890123456789012345678901234567890123456789012345678…" },
  /* Flags are pairs: the cut falls between two flags, not inside one. */
  { "flags-between", "123456789012345678901234567890123456789012345678901234567🇰🇷🇯🇵",
    "123456789012345678901234567890123456789012345678901234567🇰🇷…" },
  { "flags-inside", "12345678901234567890123456789012345678901234567890123456🇰🇷🇯🇵x",
    "12345678901234567890123456789012345678901234567890123456🇰🇷…" },
  { "blank", " \n\t\n", "" },
};

static void
test_parse_title (gconstpointer data)
{
  const TitleCase *test = data;
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, "assistant");
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, "Ask me.");
  json_builder_end_object (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, "user");
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, test->first_line);
  json_builder_end_object (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, "user");
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, "Later");
  json_builder_end_object (builder);
  json_builder_end_array (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, NULL);

  parse_ok (json, -1, &conversation, &messages);
  g_assert_cmpuint (messages->len, ==, 3);
  g_assert_cmpuint (g_utf8_strlen (conversation->title, -1), <=, 60);

  /* A blank first message leaves the title to the next one. */
  if (test->expected[0] == '\0')
    g_assert_cmpstr (conversation->title, ==, "Later");
  else
    g_assert_cmpstr (conversation->title, ==, test->expected);
}

static void
test_parse_title_member (void)
{
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(GPtrArray) messages = NULL;

  parse_ok ("{\"title\":\"  Mine \\n\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", -1,
            &conversation, &messages);
  g_assert_cmpstr (conversation->title, ==, "  Mine \n");
  g_clear_pointer (&conversation, confab_stored_conversation_free);
  g_clear_pointer (&messages, g_ptr_array_unref);

  /* A blank title, or one that is not a string, is no title. */
  parse_ok ("{\"title\":\" \",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", -1,
            &conversation, &messages);
  g_assert_cmpstr (conversation->title, ==, "Hi");
  g_clear_pointer (&conversation, confab_stored_conversation_free);
  g_clear_pointer (&messages, g_ptr_array_unref);

  parse_ok ("{\"title\":[\"x\"],\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", -1,
            &conversation, &messages);
  g_assert_cmpstr (conversation->title, ==, "Hi");
  g_clear_pointer (&conversation, confab_stored_conversation_free);
  g_clear_pointer (&messages, g_ptr_array_unref);

  /* No user message, no title. */
  parse_ok ("[{\"role\":\"assistant\",\"content\":\"Hello\"}]", -1, &conversation, &messages);
  g_assert_cmpstr (conversation->title, ==, "");
  g_assert_null (conversation->model);
  g_clear_pointer (&conversation, confab_stored_conversation_free);
  g_clear_pointer (&messages, g_ptr_array_unref);

  /* An empty model or one that is not a string is no model. */
  parse_ok ("{\"model\":\"\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", -1,
            &conversation, &messages);
  g_assert_null (conversation->model);
  g_clear_pointer (&conversation, confab_stored_conversation_free);
  g_clear_pointer (&messages, g_ptr_array_unref);

  parse_ok ("{\"model\":7,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", -1,
            &conversation, &messages);
  g_assert_null (conversation->model);
}

static void
test_parse_escapes (void)
{
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  static const char data[] =
    "[{\"role\":\"user\",\"content\":\"a\\u0000b \\ud800 c\\udc00 \\ud83d\\u0041 "
    "\\uD83D\\uDE00 \\ude00\\ud83d \\\\ud800 \\u0007 [[{{\\\"]]}}\"},"
    "{\"role\":\"assistant\",\"content\":\"\\ud800\"},"
    "{\"\\ud800\":1,\"role\":\"user\",\"content\":\"k\"}]";
  const TestMessage expected[] = {
    { CONFAB_MESSAGE_ROLE_USER,
      "a" FFFD "b " FFFD " c" FFFD " " FFFD "A 😀 " FFFD FFFD " \\ud800 \x07 [[{{\"]]}}" },
    { CONFAB_MESSAGE_ROLE_ASSISTANT, FFFD },
    { CONFAB_MESSAGE_ROLE_USER, "k" },
  };

  /* json-glib 1.6 would cut the text at \u0000, and fail or eat a character
   * at a lone surrogate. */
  parse_ok (data, -1, &conversation, &messages);
  assert_messages (messages, expected, G_N_ELEMENTS (expected));
}

static void
test_parse_length (void)
{
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  static const char data[] = "[{\"role\":\"user\",\"content\":\"Hi\"}]garbage";

  /* Only @len bytes are read. */
  parse_ok (data, strlen ("[{\"role\":\"user\",\"content\":\"Hi\"}]"), &conversation, &messages);
  g_assert_cmpuint (messages->len, ==, 1);

  parse_fails (data, -1, CONFAB_TRANSFER_ERROR_INVALID,
               "Line 1 of the file has more text after the end of the JSON data.");
  parse_fails (NULL, 0, CONFAB_TRANSFER_ERROR_INVALID, "The file is empty.");
}

/* Errors */

static const ErrorCase error_cases[] = {
  { "empty", "", -1, CONFAB_TRANSFER_ERROR_INVALID, "The file is empty." },
  { "blank", " \r\n\t\n", -1, CONFAB_TRANSFER_ERROR_INVALID, "The file is empty." },
  { "bom-only", "\xef\xbb\xbf", -1, CONFAB_TRANSFER_ERROR_INVALID, "The file is empty." },
  { "text", "Hello", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "The file does not start with a JSON object or list." },
  { "string", "\"[]\"", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "The file does not start with a JSON object or list." },
  { "number", "42", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "The file does not start with a JSON object or list." },
  { "null", "null", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "The file does not start with a JSON object or list." },
  { "assignment", "var x = []", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "The file does not start with a JSON object or list." },
  { "markdown", "# Conversation\n\n## User\n\nHi\n", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "The file does not start with a JSON object or list." },
  { "single-quotes", "{'messages': []}", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "Line 1 of the file is not valid JSON." },
  { "comment", "[\n// a comment\n]", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "Line 2 of the file is not valid JSON." },
  { "bad-escape", "[\n\n{\"a\":\"\\x41\"}]", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "Line 3 of the file is not valid JSON." },
  { "bad-unicode-escape", "[{\"a\":\"\\u12g4\"}]", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "Line 1 of the file is not valid JSON." },
  { "missing-colon", "[\n{\"role\" \"user\"}]", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "Line 2 of the file is not valid JSON." },
  { "trailing-comma", "[\n{\"role\":\"user\",}\n]", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "Line 2 of the file is not valid JSON." },
  { "bad-literal", "[{\"role\":\"user\",\"content\":nul}]", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "Line 1 of the file is not valid JSON." },
  { "mismatched", "[{\"role\":\"user\"]}", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "Line 1 of the file is not valid JSON." },
  { "two-documents", "[]\n[]", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "Line 2 of the file has more text after the end of the JSON data." },
  { "text-after", "{\"messages\":[]}\n\nthanks", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "Line 3 of the file has more text after the end of the JSON data." },
  { "cut-in-string", "[{\"role\":\"user\",\"content\":\"Hel", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "The file ends in the middle of its JSON data. It may have been cut short." },
  { "cut-in-escape", "[{\"a\":\"\\", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "The file ends in the middle of its JSON data. It may have been cut short." },
  { "cut-in-unicode-escape", "[{\"a\":\"\\u00", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "The file ends in the middle of its JSON data. It may have been cut short." },
  { "cut-after-value", "[{\"role\":\"user\",\"content\":\"Hi\"}", -1,
    CONFAB_TRANSFER_ERROR_INVALID,
    "The file ends in the middle of its JSON data. It may have been cut short." },
  { "invalid-utf8", "[{\"role\":\"user\",\"content\":\"caf\xc3\"}]", -1,
    CONFAB_TRANSFER_ERROR_INVALID, "Line 1 of the file is not valid UTF-8 text." },
  { "invalid-utf8-line", "[\n\n\xff]", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "Line 3 of the file is not valid UTF-8 text." },
  { "encoded-surrogate", "[\"\xed\xa0\x80\"]", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "Line 1 of the file is not valid UTF-8 text." },
  { "latin1", "[{\"role\":\"user\",\"content\":\"\xe9t\xe9\"}]", -1,
    CONFAB_TRANSFER_ERROR_INVALID, "Line 1 of the file is not valid UTF-8 text." },
  { "utf16", "\xff\xfe[\0]\0", 6, CONFAB_TRANSFER_ERROR_INVALID,
    "Line 1 of the file is not valid UTF-8 text." },
  { "nul-byte", "[{\"role\":\"user\",\n\"content\":\"a\0b\"}]", 34,
    CONFAB_TRANSFER_ERROR_INVALID, "Line 2 of the file is not valid UTF-8 text." },
  { "no-messages", "{\"model\":\"gpt-4o\"}", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "The file has no “messages” list." },
  { "messages-not-list", "{\"messages\":{\"role\":\"user\"}}", -1,
    CONFAB_TRANSFER_ERROR_INVALID, "The file has no “messages” list." },
  { "not-object", "[{\"role\":\"user\",\"content\":\"a\"},[\"user\",\"b\"]]", -1,
    CONFAB_TRANSFER_ERROR_INVALID, "Message 2 is not a JSON object." },
  { "string-message", "[\"Hi\"]", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "Message 1 is not a JSON object." },
  { "null-message", "[null]", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "Message 1 is not a JSON object." },
  { "no-role", "[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"tool\"},{\"content\":\"b\"}]",
    -1, CONFAB_TRANSFER_ERROR_INVALID, "Message 3 has no role." },
  { "role-not-string", "[{\"role\":1,\"content\":\"a\"}]", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "Message 1 has no role." },
  { "role-null", "[{\"role\":null,\"content\":\"a\"}]", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "Message 1 has no role." },
  { "unknown-role", "[{\"role\":\"wizard\",\"content\":\"a\"}]", -1,
    CONFAB_TRANSFER_ERROR_INVALID, "Message 1 has the role “wizard”, which cannot be imported." },
  { "role-case", "[{\"role\":\"User\",\"content\":\"a\"}]", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "Message 1 has the role “User”, which cannot be imported." },
  { "long-role", "[{\"role\":\"123456789012345678901234567890123\\n\\u0007\",\"content\":\"a\"}]",
    -1, CONFAB_TRANSFER_ERROR_INVALID,
    "Message 1 has the role “12345678901234567890123456789012…”, which cannot be imported." },
  { "control-role", "[{\"role\":\"a\\nb\\u0007\",\"content\":\"a\"}]", -1,
    CONFAB_TRANSFER_ERROR_INVALID, "Message 1 has the role “ab”, which cannot be imported." },
  { "content-number", "[{\"role\":\"user\",\"content\":5}]", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "Message 1 has content that is neither text nor a list of parts." },
  { "content-object", "[{\"role\":\"user\",\"content\":\"a\"},"
    "{\"role\":\"assistant\",\"content\":{\"text\":\"b\"}}]", -1, CONFAB_TRANSFER_ERROR_INVALID,
    "Message 2 has content that is neither text nor a list of parts." },
  { "content-bool", "[{\"role\":\"system\",\"content\":true}]", -1,
    CONFAB_TRANSFER_ERROR_INVALID,
    "Message 1 has content that is neither text nor a list of parts." },
  { "empty-list", "[]", -1, CONFAB_TRANSFER_ERROR_EMPTY,
    "The file has no messages from the user or the assistant." },
  { "empty-messages", "{\"messages\":[],\"title\":\"Nothing\"}", -1,
    CONFAB_TRANSFER_ERROR_EMPTY, "The file has no messages from the user or the assistant." },
  { "only-system", "[{\"role\":\"system\",\"content\":\"Be brief.\"},"
    "{\"role\":\"developer\",\"content\":\"Be kind.\"}]", -1, CONFAB_TRANSFER_ERROR_EMPTY,
    "The file has no messages from the user or the assistant." },
  { "only-tools", "[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"1\"}]},"
    "{\"role\":\"tool\",\"content\":\"x\"}]", -1, CONFAB_TRANSFER_ERROR_EMPTY,
    "The file has no messages from the user or the assistant." },
};

static void
test_parse_error (gconstpointer data)
{
  const ErrorCase *test = data;

  parse_fails (test->data, test->len, test->code, test->message);
}

static void
test_parse_too_large (void)
{
  g_autofree char *data = NULL;
  gsize size = CONFAB_TRANSFER_MAX_SIZE + 1;

  /* The size is checked before a byte is read. */
  data = g_malloc (size);
  memset (data, ' ', size);
  data[0] = '[';
  data[size - 1] = ']';
  parse_fails (data, (gssize) size, CONFAB_TRANSFER_ERROR_TOO_LARGE,
               "The file is larger than 64 MiB, the most that can be imported.");

  /* At the limit, it is read: blank space is all right. */
  data[0] = ' ';
  data[size - 1] = ' ';
  parse_fails (data + 1, (gssize) (size - 1), CONFAB_TRANSFER_ERROR_INVALID,
               "The file is empty.");
}

static void
test_parse_too_many (void)
{
  g_autoptr(GString) data = g_string_new ("[");

  /* The count is checked before any message is read, which keeps this
   * quick in the sanitizer build. */
  for (guint i = 0; i < CONFAB_TRANSFER_MAX_MESSAGES; i++)
    g_string_append (data, "0,");
  g_string_append (data, "0]");
  parse_fails (data->str, (gssize) data->len, CONFAB_TRANSFER_ERROR_TOO_LARGE,
               "The file has more than 100000 messages, the most that can be imported.");

  /* At the limit, the messages are read. */
  g_string_truncate (data, data->len - strlen (",0]"));
  g_string_append_c (data, ']');
  parse_fails (data->str, (gssize) data->len, CONFAB_TRANSFER_ERROR_INVALID,
               "Message 1 is not a JSON object.");
}

static void
test_parse_many (void)
{
  g_autoptr(GString) data = g_string_new ("{\"messages\":[");
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  const guint n_messages = 5000;

  for (guint i = 0; i < n_messages; i++)
    g_string_append_printf (data, "{\"role\":\"%s\",\"content\":\"%u\"},",
                            i % 2 == 0 ? "user" : "assistant", i);
  g_string_append (data, "{\"role\":\"tool\",\"content\":\"\"}]}");

  parse_ok (data->str, (gssize) data->len, &conversation, &messages);
  g_assert_cmpuint (messages->len, ==, n_messages);
  g_assert_cmpstr (conversation->title, ==, "0");

  for (guint i = 0; i < n_messages; i++)
    {
      const ConfabStoredMessage *message = g_ptr_array_index (messages, i);
      g_autofree char *content = g_strdup_printf ("%u", i);

      g_assert_cmpint (message->role, ==,
                       i % 2 == 0 ? CONFAB_MESSAGE_ROLE_USER : CONFAB_MESSAGE_ROLE_ASSISTANT);
      g_assert_cmpstr (message->content, ==, content);
    }
}

static void
test_parse_deep_nesting (void)
{
  g_autoptr(GString) data = g_string_new (NULL);
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  const guint deep = 100000;

  /* json-glib 1.6 would recurse until the stack overflows. */
  g_string_append (data, "{\"messages\":[],\n\"x\":");
  for (guint i = 0; i < deep; i++)
    g_string_append_c (data, '[');
  for (guint i = 0; i < deep; i++)
    g_string_append_c (data, ']');
  g_string_append (data, "}");
  parse_fails (data->str, (gssize) data->len, CONFAB_TRANSFER_ERROR_INVALID,
               "Line 2 of the file is nested too deeply to read.");

  g_string_truncate (data, 0);
  for (guint i = 0; i < deep; i++)
    g_string_append (data, "{\"a\":");
  parse_fails (data->str, (gssize) data->len, CONFAB_TRANSFER_ERROR_INVALID,
               "Line 1 of the file is nested too deeply to read.");

  /* Nesting that real data could have is fine. */
  g_string_assign (data, "{\"x\":");
  for (guint i = 0; i < 120; i++)
    g_string_append_c (data, '[');
  for (guint i = 0; i < 120; i++)
    g_string_append_c (data, ']');
  g_string_append (data, ",\"messages\":[{\"role\":\"user\",\"content\":\"deep\"}]}");
  parse_ok (data->str, (gssize) data->len, &conversation, &messages);
  g_assert_cmpuint (messages->len, ==, 1);
  g_clear_pointer (&conversation, confab_stored_conversation_free);
  g_clear_pointer (&messages, g_ptr_array_unref);

  /* Brackets inside strings are text. */
  g_string_assign (data, "[{\"role\":\"user\",\"content\":\"");
  for (guint i = 0; i < deep; i++)
    g_string_append_c (data, '[');
  g_string_append (data, "\"}]");
  parse_ok (data->str, (gssize) data->len, &conversation, &messages);
  g_assert_cmpuint (strlen (((ConfabStoredMessage *) messages->pdata[0])->content), ==, deep);
}

/* Every prefix of a valid file but the whole, up to blank space at its end,
 * fails cleanly. Each prefix is copied to a buffer of its exact size, so a
 * read past it shows in the sanitizer build. */
static void
assert_prefixes_fail (const char *json)
{
  gsize len = strlen (json);
  gsize end = len;

  while (end > 0 && g_ascii_isspace (json[end - 1]))
    end--;

  for (gsize i = 0; i <= len; i++)
    {
      g_autofree char *prefix = g_memdup2 (json, i);
      g_autoptr(ConfabStoredConversation) conversation = NULL;
      g_autoptr(GPtrArray) messages = NULL;
      g_autoptr(GError) error = NULL;
      gboolean ok;

      ok = confab_transfer_parse_json (prefix, (gssize) i, &conversation, &messages, &error);
      if (i >= end)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
          g_assert_nonnull (conversation);
          g_assert_nonnull (messages);
        }
      else
        {
          g_assert_error (error, CONFAB_TRANSFER_ERROR, CONFAB_TRANSFER_ERROR_INVALID);
          g_assert_false (ok);
          g_assert_null (conversation);
          g_assert_null (messages);
        }
    }
}

static void
test_parse_truncated (void)
{
  g_autoptr(ConfabStoredConversation) conversation = new_conversation ("짧은 대화", "m",
                                                                       "Be \"brief\".");
  g_autoptr(GPtrArray) messages = new_messages ();
  g_autofree char *json = NULL;

  add_message (messages, CONFAB_MESSAGE_ROLE_USER, "日本語で\x07?\n😀");
  add_message (messages, CONFAB_MESSAGE_ROLE_ASSISTANT, "\\ はい \x1f");
  json = confab_transfer_to_json (conversation, messages);
  assert_prefixes_fail (json);

  assert_prefixes_fail ("\xef\xbb\xbf{\"title\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":"
                        "[{\"type\":\"text\",\"text\":\"\\ud83d\\ude00 \\u00e9\\n\"}]},"
                        "{\"role\":\"tool\",\"content\":null},"
                        "{\"role\":\"assistant\",\"content\":\"ok\",\"n\":-1.5e+3,\"b\":true}]}");
}

static void
test_preconditions (void)
{
  g_autoptr(ConfabStoredConversation) conversation = new_conversation ("t", NULL, NULL);
  g_autoptr(GPtrArray) messages = new_messages ();
  ConfabStoredConversation *out_conversation = NULL;
  GPtrArray *out_messages = NULL;
  char *result;

  g_test_expect_message ("confab-transfer", G_LOG_LEVEL_CRITICAL, "*conversation != NULL*");
  result = confab_transfer_to_markdown (NULL, messages);
  g_test_assert_expected_messages ();
  g_assert_null (result);

  g_test_expect_message ("confab-transfer", G_LOG_LEVEL_CRITICAL, "*messages != NULL*");
  result = confab_transfer_to_json (conversation, NULL);
  g_test_assert_expected_messages ();
  g_assert_null (result);

  g_test_expect_message ("confab-transfer", G_LOG_LEVEL_CRITICAL, "*data != NULL*");
  g_assert_false (confab_transfer_parse_json (NULL, 3, &out_conversation, &out_messages, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("confab-transfer", G_LOG_LEVEL_CRITICAL, "*out_messages != NULL*");
  g_assert_false (confab_transfer_parse_json ("[]", -1, &out_conversation, NULL, NULL));
  g_test_assert_expected_messages ();

  g_assert_null (out_conversation);
  g_assert_null (out_messages);
}

int
main (int   argc,
      char *argv[])
{
  /* The Markdown shows the date in local time. */
  g_setenv ("TZ", "UTC", TRUE);

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/confab/transfer/markdown/document", test_markdown_document);
  g_test_add_func ("/confab/transfer/markdown/untitled", test_markdown_untitled);
  g_test_add_func ("/confab/transfer/markdown/escapes", test_markdown_escapes);
  g_test_add_func ("/confab/transfer/markdown/states", test_markdown_states);

  for (guint i = 0; i < G_N_ELEMENTS (fence_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/confab/transfer/markdown/fence/%s",
                                               fence_cases[i].name);

      g_test_add_data_func (path, &fence_cases[i], test_markdown_fence);
    }

  g_test_add_func ("/confab/transfer/json/document", test_json_document);
  g_test_add_func ("/confab/transfer/json/minimal", test_json_minimal);
  g_test_add_func ("/confab/transfer/json/escapes", test_json_escapes);
  g_test_add_func ("/confab/transfer/json/invalid-utf8", test_json_invalid_utf8);

  for (guint i = 0; i < G_N_ELEMENTS (round_trip_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/confab/transfer/round-trip/%s",
                                               round_trip_cases[i][0]);

      g_test_add_data_func (path, round_trip_cases[i][1], test_round_trip);
    }

  g_test_add_func ("/confab/transfer/round-trip/long", test_round_trip_long);
  g_test_add_func ("/confab/transfer/round-trip/untitled", test_round_trip_untitled);

  g_test_add_func ("/confab/transfer/parse/bare-array", test_parse_bare_array);
  g_test_add_func ("/confab/transfer/parse/other-tool", test_parse_other_tool);
  g_test_add_func ("/confab/transfer/parse/content-parts", test_parse_content_parts);
  g_test_add_func ("/confab/transfer/parse/tools", test_parse_tools);
  g_test_add_func ("/confab/transfer/parse/system-roles", test_parse_system_roles);

  for (guint i = 0; i < G_N_ELEMENTS (title_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/confab/transfer/parse/title/%s",
                                               title_cases[i].name);

      g_test_add_data_func (path, &title_cases[i], test_parse_title);
    }

  g_test_add_func ("/confab/transfer/parse/title-member", test_parse_title_member);
  g_test_add_func ("/confab/transfer/parse/escapes", test_parse_escapes);
  g_test_add_func ("/confab/transfer/parse/length", test_parse_length);

  for (guint i = 0; i < G_N_ELEMENTS (error_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/confab/transfer/parse/error/%s",
                                               error_cases[i].name);

      g_test_add_data_func (path, &error_cases[i], test_parse_error);
    }

  g_test_add_func ("/confab/transfer/parse/too-large", test_parse_too_large);
  g_test_add_func ("/confab/transfer/parse/too-many", test_parse_too_many);
  g_test_add_func ("/confab/transfer/parse/many", test_parse_many);
  g_test_add_func ("/confab/transfer/parse/deep-nesting", test_parse_deep_nesting);
  g_test_add_func ("/confab/transfer/parse/truncated", test_parse_truncated);
  g_test_add_func ("/confab/transfer/preconditions", test_preconditions);

  return g_test_run ();
}

/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <sqlite3.h>

#include "confab-client.h"
#include "confab-conversation.h"
#include "confab-message.h"
#include "confab-store.h"
#include "test-server.h"
#include "test-wait.h"

#define MODEL "gpt-4o-mini"
#define CRASH_CHILD_ARG "--crash-child"
/* The crash case: the child is killed this long after its reply began,
 * and must have saved what arrived up to a second before, give or take
 * the time a save takes to reach the disk under a sanitizer. */
#define KILL_AFTER_MS 1500
#define SAVE_SLACK_MS 250

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3, sqlite3_close)

/* The path of this binary, which runs again as the child that is killed. */
static const char *test_binary;

/* Responses */

#define CHUNK_HEAD \
  "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\"," \
  "\"created\":1767225600,\"model\":\"" MODEL "\",\"choices\":[{\"index\":0,\"delta\":{"
#define ROLE CHUNK_HEAD "\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n"
#define DELTA(text) CHUNK_HEAD "\"content\":\"" text "\"},\"finish_reason\":null}]}\n\n"
#define REASONING(text) CHUNK_HEAD "\"reasoning_content\":\"" text "\"},\"finish_reason\":null}]}\n\n"
#define FINISH(reason) CHUNK_HEAD "},\"finish_reason\":\"" reason "\"}]}\n\n"
#define USAGE(prompt, completion, total) \
  "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\"," \
  "\"created\":1767225600,\"model\":\"" MODEL "\",\"choices\":[],\"usage\":{" \
  "\"prompt_tokens\":" prompt ",\"completion_tokens\":" completion "," \
  "\"total_tokens\":" total "}}\n\n"
#define DONE "data: [DONE]\n\n"

#define FIRST_PROMPT "  明日の東京の天気を教えてください。\n詳しくお願いします。"
#define FIRST_TITLE "明日の東京の天気を教えてください。"
#define FIRST_REPLY "晴れでしょう。最高気温は二十度です。"
#define FIRST_REASONING "天気予報を確認する。"

static const char * const first_parts[] = {
  ROLE, REASONING ("天気予報を"), REASONING ("確認する。"), DELTA ("晴れ"), DELTA ("でしょう。"),
  DELTA ("最高気温は"), DELTA ("二十度です。"), FINISH ("stop"), USAGE ("31", "17", "48"), DONE,
  NULL
};

static const Response first_response = { .parts = first_parts };

#define SECOND_REPLY "どういたしまして。"

static const char * const second_parts[] = {
  ROLE, DELTA ("どう"), DELTA ("いたしまして"), DELTA ("。"), FINISH ("stop"), DONE, NULL
};

static const Response second_response = { .parts = second_parts };

static const char * const server_error_parts[] = {
  "{\"error\":{\"message\":\"The server had an error while processing your request.\","
  "\"type\":\"server_error\",\"param\":null,\"code\":null}}",
  NULL
};

static const Response server_error_response = {
  .status = 500, .content_type = "application/json", .parts = server_error_parts
};

static const char * const stall_parts[] = { ROLE, DELTA ("一つ"), DELTA ("二つ"), NULL };

static const Response stall_response = { .parts = stall_parts, .ending = END_STALL };

#define THIRD_REPLY "三番目の答えです。"

static const char * const third_parts[] = {
  ROLE, DELTA ("三番目の"), DELTA ("答えです。"), FINISH ("length"), DONE, NULL
};

static const Response third_response = { .parts = third_parts };

/* The rest of a reply that stopped at "一つ二つ". */
static const char * const rest_parts[] = {
  ROLE, DELTA ("三つ"), DELTA ("四つ。"), FINISH ("stop"), USAGE ("40", "4", "44"), DONE, NULL
};

static const Response rest_response = { .parts = rest_parts };

/* A reply cut by the limit of tokens, which the rest above completes. */
static const char * const length_parts[] = {
  ROLE, DELTA ("一つ"), DELTA ("二つ"), FINISH ("length"), USAGE ("30", "2", "32"), DONE, NULL
};

static const Response length_response = { .parts = length_parts };

/* The connection closes in the middle of a reply. */
static const char * const cut_parts[] = { ROLE, DELTA ("途中まで"), NULL };

static const Response cut_response = { .parts = cut_parts };

/* A reply of many small deltas, built in main (): 40 of them 60 ms apart
 * stream for about 2.4 s; the crash case's 300 stream for 18 s. */
#define SLOW_DELTAS 40
#define SLOW_DELAY_MS 60
#define CRASH_DELTAS 300
#define CRASH_DELAY_MS 60

typedef struct
{
  /* owned: the parts, and the text of each part that is a delta, "" for others */
  GPtrArray *parts;
  GPtrArray *texts;
  GString   *text;
  Response   response;
} SlowReply;

static SlowReply slow_reply;
static SlowReply crash_reply;

static void
slow_reply_init (SlowReply *reply,
                 guint      n_deltas,
                 guint      delay_ms)
{
  reply->parts = g_ptr_array_new_with_free_func (g_free);
  reply->texts = g_ptr_array_new_with_free_func (g_free);
  reply->text = g_string_new (NULL);

  g_ptr_array_add (reply->parts, g_strdup (ROLE));
  g_ptr_array_add (reply->texts, g_strdup (""));
  for (guint i = 0; i < n_deltas; i++)
    {
      g_autofree char *text = g_strdup_printf ("第%u部分。", i);

      g_ptr_array_add (reply->parts, g_strdup_printf (DELTA ("%s"), text));
      g_string_append (reply->text, text);
      g_ptr_array_add (reply->texts, g_steal_pointer (&text));
    }
  g_ptr_array_add (reply->parts, g_strdup (FINISH ("stop")));
  g_ptr_array_add (reply->texts, g_strdup (""));
  g_ptr_array_add (reply->parts, g_strdup (DONE));
  g_ptr_array_add (reply->texts, g_strdup (""));
  g_ptr_array_add (reply->parts, NULL);

  reply->response.parts = (const char * const *)reply->parts->pdata;
  reply->response.delay_ms = delay_ms;
}

static void
slow_reply_clear (SlowReply *reply)
{
  g_clear_pointer (&reply->parts, g_ptr_array_unref);
  g_clear_pointer (&reply->texts, g_ptr_array_unref);
  if (reply->text != NULL)
    g_string_free (g_steal_pointer (&reply->text), TRUE);
}

/* Waiting on the main loop */

static gboolean
pointer_is_null (gpointer user_data)
{
  return *(gpointer *)user_data == NULL;
}

/* Drops the last reference and waits for the object to go: a save's
 * callback may still hold the conversation for one more turn of the main
 * loop, and that is allowed; being kept alive for good is not. */
static void
assert_finalized_soon (gpointer object)
{
  gpointer weak = object;

  g_object_add_weak_pointer (object, &weak);
  g_object_unref (object);
  wait_until (pointer_is_null, &weak);
}

static void
reply_finished_cb (ConfabConversation *conversation,
                   ConfabMessage      *reply,
                   gboolean           *finished)
{
  g_assert_false (*finished);
  *finished = TRUE;
}

static void
send_and_wait (ConfabConversation *conversation,
               const char         *text)
{
  gboolean finished = FALSE;
  gulong handler = g_signal_connect (conversation, "reply-finished",
                                     G_CALLBACK (reply_finished_cb), &finished);

  g_assert_true (confab_conversation_send (conversation, text));
  wait_until (flag_is_set, &finished);
  g_signal_handler_disconnect (conversation, handler);
}

static void
save_failed_cb (ConfabConversation *conversation,
                const GError       *error,
                guint              *n_failed)
{
  g_assert_nonnull (error);
  g_test_message ("save failed: %s", error->message);
  (*n_failed)++;
}

/* SQLite directly, to see what reached the file */

static sqlite3 *
raw_open (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, DEADLINE_SECONDS * 1000);

  return db;
}

static void
raw_exec (sqlite3    *db,
          const char *sql)
{
  char *message = NULL;
  int rc = sqlite3_exec (db, sql, NULL, NULL, &message);

  g_assert_cmpstr (message, ==, NULL);
  g_assert_cmpint (rc, ==, SQLITE_OK);
}

static gint64
raw_int (sqlite3    *db,
         const char *sql)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);

  return sqlite3_column_int64 (stmt, 0);
}

static char *
raw_text (sqlite3    *db,
          const char *sql)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);

  return g_strdup ((const char *)sqlite3_column_text (stmt, 0));
}

/* What the store held as each request came */
typedef struct
{
  /* owned */
  char      *db_path;
  /* gint64: how many user messages were stored */
  GArray    *prompts;
  /* char *: the text of every stored message, in order, joined by "|" */
  GPtrArray *texts;
} StoreSnapshots;

static void
store_snapshots_free (gpointer data)
{
  StoreSnapshots *snapshots = data;

  g_free (snapshots->db_path);
  g_array_unref (snapshots->prompts);
  g_ptr_array_unref (snapshots->texts);
  g_free (snapshots);
}

static void
snapshot_cb (TestServer        *server,
             SoupServerMessage *msg,
             gpointer           user_data)
{
  StoreSnapshots *snapshots = user_data;
  g_autoptr(sqlite3) db = raw_open (snapshots->db_path);
  gint64 stored = raw_int (db, "SELECT count(*) FROM messages WHERE role = 'user'");

  g_array_append_val (snapshots->prompts, stored);
  g_ptr_array_add (snapshots->texts,
                   raw_text (db, "SELECT coalesce (group_concat (content, '|'), '') FROM "
                                 "(SELECT content FROM messages ORDER BY conversation_id, "
                                 "position)"));
}

/* Reads the store at @path as each request reaches @server; the
 * snapshots go with the server. */
static StoreSnapshots *
watch_store (TestServer *server,
             const char *path)
{
  StoreSnapshots *snapshots = g_new0 (StoreSnapshots, 1);

  snapshots->db_path = g_strdup (path);
  snapshots->prompts = g_array_new (FALSE, FALSE, sizeof (gint64));
  snapshots->texts = g_ptr_array_new_with_free_func (g_free);
  test_server_set_request_func (server, snapshot_cb, snapshots, store_snapshots_free);

  return snapshots;
}

/* The messages of request @request, each as "role: content". */
static GStrv
request_messages (TestServer *server,
                  guint       request)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *messages;

  g_assert_cmpuint (request, <, server->bodies->len);
  root = json_from_string (server->bodies->pdata[request], &error);
  g_assert_no_error (error);
  messages = json_object_get_array_member (json_node_get_object (root), "messages");
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);
      g_autofree char *line = g_strdup_printf ("%s: %s",
                                               json_object_get_string_member (message, "role"),
                                               json_object_get_string_member (message, "content"));

      g_strv_builder_add (builder, line);
    }

  return g_strv_builder_end (builder);
}

/* The store, one call at a time. A read queues behind every write made
 * before it, so it sees them all. */

static char *
db_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "confab", "history.db", NULL);
}

static ConfabStore *
open_store (const char *path)
{
  g_autoptr(GError) error = NULL;
  ConfabStore *store = confab_store_new_for_path (path, &error);

  g_assert_no_error (error);

  return store;
}

static GPtrArray *
list_conversations (ConfabStore *store)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;
  GPtrArray *conversations;

  confab_store_list_conversations_async (store, 0, 100, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  conversations = confab_store_list_conversations_finish (store, result, &error);
  g_assert_no_error (error);

  return conversations;
}

/* Lets every queued write and its callback run. */
static void
settle (ConfabStore *store)
{
  g_autoptr(GPtrArray) conversations = list_conversations (store);
}

/* Reads what the conversations saved: a save that waited for its append
 * is queued once the append's callback runs, so the read comes after one
 * settle. */
static GPtrArray *
list_messages (ConfabStore *store,
               gint64       conversation_id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;
  GPtrArray *messages;

  settle (store);
  confab_store_list_messages_async (store, conversation_id, 0, 1000, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  messages = confab_store_list_messages_finish (store, result, &error);
  g_assert_no_error (error);

  return messages;
}

static const ConfabStoredMessage *
stored_message (GPtrArray *messages,
                guint      index)
{
  g_assert_cmpuint (index, <, messages->len);

  return messages->pdata[index];
}

static ConfabConversation *
load (ConfabClient *client,
      ConfabStore  *store,
      gint64        id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;
  ConfabConversation *conversation;

  confab_conversation_load_async (client, store, id, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  conversation = confab_conversation_load_finish (result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (conversation);

  return conversation;
}

static ConfabConversation *
load_latest (ConfabClient *client,
             ConfabStore  *store)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;
  ConfabConversation *conversation;

  confab_conversation_load_latest_async (client, store, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  conversation = confab_conversation_load_latest_finish (result, &error);
  g_assert_no_error (error);

  return conversation;
}

static ConfabMessage *
get_message (ConfabConversation *conversation,
             guint               index)
{
  GListModel *messages = confab_conversation_get_messages (conversation);
  g_autoptr(ConfabMessage) message = g_list_model_get_item (messages, index);

  g_assert_nonnull (message);

  /* The list keeps it. */
  return message;
}

/* A reply measured since @started, by the monotonic clock the
 * conversation measures with: neither time is longer than the test. */
static void
assert_measured (gint64 first_token_us,
                 gint64 generation_us,
                 gint64 started)
{
  gint64 elapsed = g_get_monotonic_time () - started;

  g_assert_cmpint (first_token_us, >=, 0);
  g_assert_cmpint (generation_us, >=, 0);
  g_assert_cmpint (first_token_us, <=, elapsed);
  g_assert_cmpint (first_token_us + generation_us, <=, elapsed);
}

/* Cases */

static void
id_notified_cb (ConfabConversation *conversation,
                GParamSpec         *pspec,
                guint              *n_notified)
{
  (*n_notified)++;
}

static void
test_send (void)
{
  const Response * const responses[] = { &first_response, &second_response, NULL };
  g_autofree char *path = db_path ();
  g_autoptr(GPtrArray) conversations = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  ConfabStore *store = open_store (path);
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  StoreSnapshots *snapshots = watch_store (server, path);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *conversation = confab_conversation_new_with_store (client, store, MODEL);
  const ConfabStoredConversation *stored;
  const ConfabStoredMessage *message;
  guint n_notified = 0;

  g_signal_connect (conversation, "notify::id", G_CALLBACK (id_notified_cb), &n_notified);
  confab_conversation_set_system_prompt (conversation, "Answer in Japanese.");
  g_assert_cmpint (confab_conversation_get_id (conversation), ==, 0);
  g_assert_null (confab_conversation_get_title (conversation));

  send_and_wait (conversation, FIRST_PROMPT);
  g_assert_cmpstr (confab_conversation_get_title (conversation), ==, FIRST_TITLE);
  g_assert_cmpint (confab_conversation_get_id (conversation), >, 0);
  g_assert_cmpuint (n_notified, ==, 1);

  /* The prompt was in the file before the request went out. */
  g_assert_cmpuint (snapshots->prompts->len, ==, 1);
  g_assert_cmpint (g_array_index (snapshots->prompts, gint64, 0), ==, 1);

  conversations = list_conversations (store);
  g_assert_cmpuint (conversations->len, ==, 1);
  stored = conversations->pdata[0];
  g_assert_cmpint (stored->id, ==, confab_conversation_get_id (conversation));
  g_assert_cmpstr (stored->title, ==, FIRST_TITLE);
  g_assert_cmpstr (stored->model, ==, MODEL);
  g_assert_cmpstr (stored->system_prompt, ==, "Answer in Japanese.");

  messages = list_messages (store, stored->id);
  g_assert_cmpuint (messages->len, ==, 2);
  message = stored_message (messages, 0);
  g_assert_cmpint (message->role, ==, CONFAB_MESSAGE_ROLE_USER);
  g_assert_cmpstr (message->content, ==, FIRST_PROMPT);
  g_assert_cmpint (message->state, ==, CONFAB_MESSAGE_STATE_COMPLETE);
  message = stored_message (messages, 1);
  g_assert_cmpint (message->role, ==, CONFAB_MESSAGE_ROLE_ASSISTANT);
  g_assert_cmpstr (message->content, ==, FIRST_REPLY);
  g_assert_cmpstr (message->reasoning, ==, FIRST_REASONING);
  g_assert_cmpint (message->state, ==, CONFAB_MESSAGE_STATE_COMPLETE);
  g_assert_cmpint (message->prompt_tokens, ==, 31);
  g_assert_cmpint (message->completion_tokens, ==, 17);
  g_assert_cmpstr (message->model, ==, MODEL);
  g_assert_null (message->error);
  g_clear_pointer (&messages, g_ptr_array_unref);

  /* A second send appends to the same conversation. */
  send_and_wait (conversation, "ありがとう。");
  g_assert_cmpint (g_array_index (snapshots->prompts, gint64, 1), ==, 2);
  messages = list_messages (store, stored->id);
  g_assert_cmpuint (messages->len, ==, 4);
  for (guint i = 0; i < messages->len; i++)
    g_assert_cmpint (stored_message (messages, i)->position, ==, i);
  g_assert_cmpstr (stored_message (messages, 2)->content, ==, "ありがとう。");
  g_assert_cmpstr (stored_message (messages, 3)->content, ==, SECOND_REPLY);
  g_assert_cmpint (stored_message (messages, 3)->state, ==, CONFAB_MESSAGE_STATE_COMPLETE);
  g_clear_pointer (&conversations, g_ptr_array_unref);
  conversations = list_conversations (store);
  g_assert_cmpuint (conversations->len, ==, 1);
  g_assert_cmpuint (n_notified, ==, 1);

  assert_finalized_soon (conversation);
  assert_finalized_soon (client);
  test_server_free (server);
  g_assert_finalize_object (store);
}

static void
test_load_round_trip (void)
{
  const Response * const responses[] = { &first_response, &server_error_response, NULL };
  g_autofree char *path = db_path ();
  g_autofree char *error_text = NULL;
  ConfabStore *store = open_store (path);
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *conversation = confab_conversation_new_with_store (client, store, MODEL);
  ConfabConversation *loaded;
  ConfabMessage *reply;
  ConfabMessage *message;
  const GError *error;
  gint64 started = g_get_monotonic_time ();
  gint64 first_token_us;
  gint64 generation_us;
  gint64 id;

  confab_conversation_set_system_prompt (conversation, "Answer in Japanese.");
  send_and_wait (conversation, FIRST_PROMPT);
  send_and_wait (conversation, "もう一度。");

  /* An HTTP 500 is stored failed, with the error the user read. */
  reply = confab_conversation_get_last_reply (conversation);
  g_assert_cmpint (confab_message_get_state (reply), ==, CONFAB_MESSAGE_STATE_FAILED);
  error = confab_message_get_error (reply);
  g_assert_nonnull (error);
  error_text = g_strdup (error->message);
  id = confab_conversation_get_id (conversation);

  /* The times the first reply showed are stored; the failed one never
   * had a first token, so it was not measured. */
  {
    g_autoptr(GPtrArray) stored = list_messages (store, id);
    ConfabMessage *first = get_message (conversation, 1);

    first_token_us = stored_message (stored, 1)->first_token_us;
    generation_us = stored_message (stored, 1)->generation_us;
    assert_measured (first_token_us, generation_us, started);
    g_assert_cmpint (first_token_us, ==, confab_message_get_first_token_us (first));
    g_assert_cmpint (generation_us, ==, confab_message_get_generation_us (first));
    g_assert_cmpint (stored_message (stored, 0)->first_token_us, ==, -1);
    g_assert_cmpint (stored_message (stored, 3)->first_token_us, ==, -1);
    g_assert_cmpint (stored_message (stored, 3)->generation_us, ==, -1);
  }
  settle (store);
  assert_finalized_soon (conversation);

  /* Reopened, as after a restart. */
  g_assert_finalize_object (store);
  store = open_store (path);
  loaded = load (client, store, id);
  g_assert_cmpint (confab_conversation_get_id (loaded), ==, id);
  g_assert_cmpstr (confab_conversation_get_title (loaded), ==, FIRST_TITLE);
  g_assert_cmpstr (confab_conversation_get_model (loaded), ==, MODEL);
  g_assert_cmpstr (confab_conversation_get_system_prompt (loaded), ==, "Answer in Japanese.");
  g_assert_true (confab_conversation_get_store (loaded) == store);
  g_assert_false (confab_conversation_get_is_streaming (loaded));
  g_assert_cmpuint (g_list_model_get_n_items (confab_conversation_get_messages (loaded)), ==, 4);

  /* A search hit's message id finds its place in the loaded list. */
  {
    g_autoptr(GPtrArray) stored = list_messages (store, id);

    for (guint i = 0; i < stored->len; i++)
      {
        guint position = G_MAXUINT;

        g_assert_true (confab_conversation_find_message (loaded, stored_message (stored, i)->id,
                                                         &position));
        g_assert_cmpuint (position, ==, i);
      }
    g_assert_false (confab_conversation_find_message (loaded, G_MAXINT64, NULL));
    g_assert_false (confab_conversation_find_message (loaded, 0, NULL));
  }

  message = get_message (loaded, 0);
  g_assert_cmpint (confab_message_get_role (message), ==, CONFAB_MESSAGE_ROLE_USER);
  g_assert_cmpstr (confab_message_get_content (message), ==, FIRST_PROMPT);
  g_assert_cmpint (confab_message_get_state (message), ==, CONFAB_MESSAGE_STATE_COMPLETE);

  message = get_message (loaded, 1);
  g_assert_cmpint (confab_message_get_role (message), ==, CONFAB_MESSAGE_ROLE_ASSISTANT);
  g_assert_cmpstr (confab_message_get_content (message), ==, FIRST_REPLY);
  g_assert_cmpstr (confab_message_get_reasoning (message), ==, FIRST_REASONING);
  g_assert_cmpint (confab_message_get_state (message), ==, CONFAB_MESSAGE_STATE_COMPLETE);
  g_assert_cmpint (confab_message_get_prompt_tokens (message), ==, 31);
  g_assert_cmpint (confab_message_get_completion_tokens (message), ==, 17);
  g_assert_cmpint (confab_message_get_first_token_us (message), ==, first_token_us);
  g_assert_cmpint (confab_message_get_generation_us (message), ==, generation_us);
  g_assert_cmpstr (confab_message_get_model (message), ==, MODEL);
  g_assert_null (confab_message_get_error (message));

  message = get_message (loaded, 2);
  g_assert_cmpint (confab_message_get_role (message), ==, CONFAB_MESSAGE_ROLE_USER);
  g_assert_cmpstr (confab_message_get_content (message), ==, "もう一度。");

  message = get_message (loaded, 3);
  g_assert_cmpint (confab_message_get_role (message), ==, CONFAB_MESSAGE_ROLE_ASSISTANT);
  g_assert_cmpstr (confab_message_get_content (message), ==, "");
  g_assert_cmpint (confab_message_get_state (message), ==, CONFAB_MESSAGE_STATE_FAILED);
  g_assert_error (confab_message_get_error (message), CONFAB_CLIENT_ERROR,
                  CONFAB_CLIENT_ERROR_FAILED);
  g_assert_cmpstr (confab_message_get_error (message)->message, ==, error_text);
  g_assert_cmpint (confab_message_get_first_token_us (message), ==, -1);
  g_assert_cmpint (confab_message_get_generation_us (message), ==, -1);

  /* A retry of a loaded reply updates the same stored message. */
  {
    g_autoptr(GPtrArray) messages = NULL;
    gboolean finished = FALSE;

    test_server_set_responses (server, (const Response * const[]) { &second_response, NULL });
    g_signal_connect (loaded, "reply-finished", G_CALLBACK (reply_finished_cb), &finished);
    g_assert_true (confab_conversation_retry (loaded));
    wait_until (flag_is_set, &finished);
    g_assert_cmpstr (confab_message_get_content (message), ==, SECOND_REPLY);

    messages = list_messages (store, id);
    g_assert_cmpuint (messages->len, ==, 4);
    g_assert_cmpstr (stored_message (messages, 3)->content, ==, SECOND_REPLY);
    g_assert_cmpint (stored_message (messages, 3)->state, ==, CONFAB_MESSAGE_STATE_COMPLETE);
    g_assert_null (stored_message (messages, 3)->error);
  }

  assert_finalized_soon (loaded);
  assert_finalized_soon (client);
  test_server_free (server);
  g_assert_finalize_object (store);
}

static void
test_load_latest (void)
{
  const Response * const responses[] = { &second_response, NULL };
  g_autofree char *path = db_path ();
  ConfabStore *store = open_store (path);
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *a;
  ConfabConversation *b;
  ConfabConversation *latest;
  gint64 a_id;
  gint64 b_id;

  /* Nothing stored yet: no conversation, and no error. */
  latest = load_latest (client, store);
  g_assert_null (latest);

  a = confab_conversation_new_with_store (client, store, MODEL);
  send_and_wait (a, "A");
  b = confab_conversation_new_with_store (client, store, MODEL);
  send_and_wait (b, "B");
  a_id = confab_conversation_get_id (a);
  b_id = confab_conversation_get_id (b);
  g_assert_cmpint (a_id, !=, b_id);

  latest = load_latest (client, store);
  g_assert_cmpint (confab_conversation_get_id (latest), ==, b_id);
  g_assert_cmpstr (confab_conversation_get_title (latest), ==, "B");
  assert_finalized_soon (latest);

  /* New activity in A makes it the latest. */
  send_and_wait (a, "A again");
  latest = load_latest (client, store);
  g_assert_cmpint (confab_conversation_get_id (latest), ==, a_id);
  g_assert_cmpuint (g_list_model_get_n_items (confab_conversation_get_messages (latest)), ==, 4);
  assert_finalized_soon (latest);

  settle (store);
  assert_finalized_soon (a);
  assert_finalized_soon (b);
  assert_finalized_soon (client);
  test_server_free (server);
  g_assert_finalize_object (store);
}

static void
test_stop (void)
{
  const Response * const responses[] = { &stall_response, NULL };
  g_autofree char *path = db_path ();
  g_autoptr(GPtrArray) messages = NULL;
  ConfabStore *store = open_store (path);
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *conversation = confab_conversation_new_with_store (client, store, MODEL);
  gboolean finished = FALSE;
  TextWait wait = { NULL, "一つ二つ" };

  g_signal_connect (conversation, "reply-finished", G_CALLBACK (reply_finished_cb), &finished);
  g_assert_true (confab_conversation_send (conversation, "멈춰 주세요."));
  wait.reply = confab_conversation_get_last_reply (conversation);
  wait_until (reply_has_text, &wait);

  confab_conversation_stop (conversation);
  wait_until (flag_is_set, &finished);

  messages = list_messages (store, confab_conversation_get_id (conversation));
  g_assert_cmpuint (messages->len, ==, 2);
  g_assert_cmpint (stored_message (messages, 1)->state, ==, CONFAB_MESSAGE_STATE_STOPPED);
  g_assert_cmpstr (stored_message (messages, 1)->content, ==, "一つ二つ");
  g_assert_null (stored_message (messages, 1)->error);

  assert_finalized_soon (conversation);
  assert_finalized_soon (client);
  test_server_free (server);
  g_assert_finalize_object (store);
}

static void
test_save_rate (void)
{
  const Response * const responses[] = { &slow_reply.response, NULL };
  g_autofree char *path = db_path ();
  g_autoptr(sqlite3) db = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  ConfabStore *store = open_store (path);
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *conversation = confab_conversation_new_with_store (client, store, MODEL);
  double last_timed = 0;
  guint n_timed = 0;
  guint n_updates = 0;
  double duration;
  int rc;

  /* Logs every UPDATE of a message that reaches the file. */
  db = raw_open (path);
  raw_exec (db,
            "CREATE TABLE update_log (ms REAL, state TEXT, length INTEGER);"
            "CREATE TRIGGER log_updates AFTER UPDATE ON messages BEGIN"
            "  INSERT INTO update_log VALUES"
            "    (julianday ('now') * 86400000.0, new.state, length (new.content));"
            "END;");

  send_and_wait (conversation, "ゆっくり書いてください。");
  g_assert_cmpstr (confab_message_get_content (confab_conversation_get_last_reply (conversation)),
                   ==, slow_reply.text->str);

  /* The final text is exact. */
  messages = list_messages (store, confab_conversation_get_id (conversation));
  g_assert_cmpstr (stored_message (messages, 1)->content, ==, slow_reply.text->str);
  g_assert_cmpint (stored_message (messages, 1)->state, ==, CONFAB_MESSAGE_STATE_COMPLETE);

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT ms, state, length FROM update_log ORDER BY rowid",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      double ms = sqlite3_column_double (stmt, 0);
      const char *state = (const char *)sqlite3_column_text (stmt, 1);
      gint64 length = sqlite3_column_int64 (stmt, 2);

      n_updates++;
      g_test_message ("update at %.0f ms: %s, %" G_GINT64_FORMAT " bytes",
                      n_timed > 0 ? ms - last_timed : 0, state, length);

      /* A save of partial text while streaming comes from the timer. */
      if (strcmp (state, "streaming") == 0 && length > 0 &&
          length < (gint64)slow_reply.text->len)
        {
          if (n_timed > 0)
            g_assert_cmpfloat (ms - last_timed, >=, 950);
          last_timed = ms;
          n_timed++;
        }
    }
  g_assert_cmpint (rc, ==, SQLITE_DONE);

  /* About 2.4 s of deltas: two saves a second apart, or three, and the
   * few changes of state. */
  duration = SLOW_DELTAS * SLOW_DELAY_MS / 1000.0;
  g_test_message ("%u updates, %u timed, in %.1f s of stream", n_updates, n_timed, duration);
  g_assert_cmpuint (n_timed, >=, 1);
  g_assert_cmpuint (n_timed, <=, (guint)duration + 1);
  g_assert_cmpuint (n_updates, <=, n_timed + 3);

  assert_finalized_soon (conversation);
  assert_finalized_soon (client);
  test_server_free (server);
  g_assert_finalize_object (store);
}

static void
test_save_failed (void)
{
  const Response * const responses[] = { &first_response, &second_response, NULL };
  g_autofree char *path = db_path ();
  g_autoptr(sqlite3) db = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  ConfabStore *store = open_store (path);
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *conversation = confab_conversation_new_with_store (client, store, MODEL);
  ConfabMessage *reply;
  guint n_failed = 0;

  /* Every write of a message fails, as on a full disk. */
  db = raw_open (path);
  raw_exec (db,
            "CREATE TRIGGER refuse_insert BEFORE INSERT ON messages BEGIN"
            "  SELECT RAISE (FAIL, 'refused by the test');"
            "END;"
            "CREATE TRIGGER refuse_update BEFORE UPDATE ON messages BEGIN"
            "  SELECT RAISE (FAIL, 'refused by the test');"
            "END;");

  g_signal_connect (conversation, "save-failed", G_CALLBACK (save_failed_cb), &n_failed);
  send_and_wait (conversation, FIRST_PROMPT);

  /* Said once, and the reply streamed all the same. */
  g_assert_cmpuint (n_failed, ==, 1);
  reply = confab_conversation_get_last_reply (conversation);
  g_assert_cmpint (confab_message_get_state (reply), ==, CONFAB_MESSAGE_STATE_COMPLETE);
  g_assert_cmpstr (confab_message_get_content (reply), ==, FIRST_REPLY);
  g_assert_cmpuint (server->n_requests, ==, 1);

  /* Once the disk takes writes again, the next send saves everything,
   * in order. */
  raw_exec (db, "DROP TRIGGER refuse_insert; DROP TRIGGER refuse_update;");
  send_and_wait (conversation, "ありがとう。");
  g_assert_cmpuint (n_failed, ==, 1);

  messages = list_messages (store, confab_conversation_get_id (conversation));
  g_assert_cmpuint (messages->len, ==, 4);
  g_assert_cmpstr (stored_message (messages, 0)->content, ==, FIRST_PROMPT);
  g_assert_cmpstr (stored_message (messages, 1)->content, ==, FIRST_REPLY);
  g_assert_cmpint (stored_message (messages, 1)->state, ==, CONFAB_MESSAGE_STATE_COMPLETE);
  g_assert_cmpstr (stored_message (messages, 2)->content, ==, "ありがとう。");
  g_assert_cmpstr (stored_message (messages, 3)->content, ==, SECOND_REPLY);
  g_assert_cmpint (stored_message (messages, 3)->state, ==, CONFAB_MESSAGE_STATE_COMPLETE);
  for (guint i = 0; i < messages->len; i++)
    g_assert_cmpint (stored_message (messages, i)->position, ==, i);

  assert_finalized_soon (conversation);
  assert_finalized_soon (client);
  test_server_free (server);
  g_assert_finalize_object (store);
}

static gboolean
reply_is_streaming (gpointer user_data)
{
  ConfabConversation *conversation = user_data;
  ConfabMessage *reply = confab_conversation_get_last_reply (conversation);

  return reply != NULL && confab_conversation_get_is_streaming (conversation) &&
         confab_message_get_content (reply)[0] != '\0';
}

static gboolean
is_not_streaming (gpointer user_data)
{
  return !confab_conversation_get_is_streaming (user_data);
}

static gboolean
is_saved (gpointer user_data)
{
  return !confab_conversation_get_save_failing (user_data);
}

/* Writes fail in the middle of a reply, as when the disk fills up, and
 * work again later: what failed is saved without anything else from the
 * user, and the run of failures is reported once. */
static void
test_save_retried (void)
{
  const Response * const responses[] = { &slow_reply.response, NULL };
  g_autofree char *path = db_path ();
  g_autofree char *sql = NULL;
  g_autofree char *content = NULL;
  g_autofree char *state = NULL;
  g_autofree char *model = NULL;
  g_autoptr(sqlite3) db = NULL;
  ConfabStore *store = open_store (path);
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *conversation = confab_conversation_new_with_store (client, store, MODEL);
  ConfabMessage *reply;
  guint n_failed = 0;
  gint64 reply_id;
  gint64 started;

  g_signal_connect (conversation, "save-failed", G_CALLBACK (save_failed_cb), &n_failed);
  confab_conversation_send (conversation, "ゆっくり書いてください。");
  wait_until (reply_is_streaming, conversation);
  g_assert_false (confab_conversation_get_save_failing (conversation));

  db = raw_open (path);
  raw_exec (db,
            "CREATE TRIGGER refuse_update BEFORE UPDATE ON messages BEGIN"
            "  SELECT RAISE (FAIL, 'refused by the test');"
            "END;"
            "CREATE TRIGGER refuse_conversation BEFORE UPDATE ON conversations BEGIN"
            "  SELECT RAISE (FAIL, 'refused by the test');"
            "END;");

  /* The reply streams to its end all the same, and a change made while
   * nothing can be saved waits in memory too. */
  wait_until (is_not_streaming, conversation);
  reply = confab_conversation_get_last_reply (conversation);
  g_assert_cmpstr (confab_message_get_content (reply), ==, slow_reply.text->str);
  g_assert_cmpint (confab_message_get_state (reply), ==, CONFAB_MESSAGE_STATE_COMPLETE);
  confab_conversation_set_model (conversation, "another-model");
  wait_ms (100);
  g_assert_true (confab_conversation_get_save_failing (conversation));
  g_assert_cmpuint (n_failed, ==, 1);

  reply_id = raw_int (db, "SELECT max (id) FROM messages");
  sql = g_strdup_printf ("SELECT content FROM messages WHERE id = %" G_GINT64_FORMAT, reply_id);
  content = raw_text (db, sql);
  g_assert_cmpstr (content, !=, slow_reply.text->str);
  g_clear_pointer (&content, g_free);

  /* Retries keep failing, unseen: one report for the whole run. */
  wait_ms (2500);
  g_assert_cmpuint (n_failed, ==, 1);
  g_assert_true (confab_conversation_get_save_failing (conversation));

  raw_exec (db, "DROP TRIGGER refuse_update; DROP TRIGGER refuse_conversation;");
  started = g_get_monotonic_time ();
  wait_until (is_saved, conversation);
  g_test_message ("saved %.1f s after writes worked again",
                  (g_get_monotonic_time () - started) / (double)G_USEC_PER_SEC);

  content = raw_text (db, sql);
  g_assert_cmpstr (content, ==, slow_reply.text->str);
  g_free (sql);
  sql = g_strdup_printf ("SELECT state FROM messages WHERE id = %" G_GINT64_FORMAT, reply_id);
  state = raw_text (db, sql);
  g_assert_cmpstr (state, ==, "complete");
  model = raw_text (db, "SELECT model FROM conversations");
  g_assert_cmpstr (model, ==, "another-model");
  g_assert_cmpuint (n_failed, ==, 1);
  g_assert_cmpuint (server->n_requests, ==, 1);

  assert_finalized_soon (conversation);
  assert_finalized_soon (client);
  test_server_free (server);
  g_assert_finalize_object (store);
}

typedef struct
{
  sqlite3    *db;
  const char *sql;
  gint64      expected;
} RawWait;

static gboolean
raw_int_is (gpointer user_data)
{
  RawWait *wait = user_data;

  return raw_int (wait->db, wait->sql) == wait->expected;
}

static void
test_dispose_saves (void)
{
  const Response * const responses[] = { &stall_response, NULL };
  g_autofree char *path = db_path ();
  g_autoptr(sqlite3) db = NULL;
  ConfabStore *store = open_store (path);
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *conversation = confab_conversation_new_with_store (client, store, MODEL);
  ConfabConversation *early = confab_conversation_new_with_store (client, store, MODEL);
  TextWait wait = { NULL, "一つ二つ" };
  RawWait saved = { NULL, NULL, 1 };

  db = raw_open (path);

  /* Closed while streaming: the text so far is queued, and the store
   * writes it before it goes. */
  g_assert_true (confab_conversation_send (conversation, "멈춰 주세요."));
  wait.reply = confab_conversation_get_last_reply (conversation);
  wait_until (reply_has_text, &wait);
  g_object_run_dispose (G_OBJECT (conversation));
  g_assert_cmpint (confab_message_get_state (wait.reply), ==, CONFAB_MESSAGE_STATE_STOPPED);

  /* Closed at once, before the conversation's row exists: the chain goes
   * on without it. */
  g_assert_true (confab_conversation_send (early, "すぐ閉じます。"));
  g_object_run_dispose (G_OBJECT (early));
  saved.db = db;
  saved.sql = "SELECT count(*) FROM messages WHERE state = 'stopped' AND content = ''";
  wait_until (raw_int_is, &saved);

  g_object_run_dispose (G_OBJECT (store));
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM conversations"), ==, 2);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM messages WHERE state = 'stopped' "
                                "AND content = '一つ二つ'"), ==, 1);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM messages WHERE content = 'すぐ閉じます。'"),
                   ==, 1);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM messages WHERE state = 'streaming'"), ==, 0);

  test_server_free (server);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  assert_finalized_soon (conversation);
  assert_finalized_soon (early);
  assert_finalized_soon (client);
  g_assert_finalize_object (store);
}

/* Regenerate, edit and resend, continue, import */

typedef gboolean (*Action) (ConfabConversation *conversation);

/* Runs @action, which must start a reply, and waits for it to finish. */
static void
act_and_wait (ConfabConversation *conversation,
              Action              action)
{
  gboolean finished = FALSE;
  gulong handler = g_signal_connect (conversation, "reply-finished",
                                     G_CALLBACK (reply_finished_cb), &finished);

  g_assert_true (action (conversation));
  g_assert_true (confab_conversation_get_is_streaming (conversation));
  wait_until (flag_is_set, &finished);
  g_signal_handler_disconnect (conversation, handler);
}

static void
count_cb (gpointer  instance,
          guint    *count)
{
  (*count)++;
}

static void
test_regenerate (void)
{
  const Response * const responses[] = {
    &first_response, &second_response, &third_response, NULL
  };
  g_autofree char *path = db_path ();
  g_autoptr(GPtrArray) messages = NULL;
  ConfabStore *store = open_store (path);
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *conversation = confab_conversation_new_with_store (client, store, MODEL);
  ConfabConversation *loaded;
  ConfabMessage *prompt;
  ConfabMessage *reply;
  const ConfabStoredMessage *stored;
  guint n_cleared = 0;
  gint64 started = g_get_monotonic_time ();
  gint64 first_token_us[3];
  gint64 generation_us[3];
  gint64 id;

  watch_store (server, path);

  confab_conversation_set_system_prompt (conversation, "Answer in Japanese.");
  send_and_wait (conversation, FIRST_PROMPT);
  prompt = get_message (conversation, 0);
  reply = get_message (conversation, 1);
  g_assert_cmpuint (confab_message_get_n_variants (reply), ==, 1);
  g_signal_connect (reply, "text-cleared", G_CALLBACK (count_cb), &n_cleared);

  /* Twice: the same message object, so the same row, takes each answer. */
  act_and_wait (conversation, confab_conversation_regenerate);
  g_assert_cmpuint (n_cleared, ==, 1);
  g_assert_true (get_message (conversation, 1) == reply);
  g_assert_cmpstr (confab_message_get_content (reply), ==, SECOND_REPLY);
  g_assert_cmpstr (confab_message_get_reasoning (reply), ==, "");
  g_assert_cmpuint (confab_message_get_n_variants (reply), ==, 2);
  g_assert_cmpuint (confab_message_get_variant_index (reply), ==, 1);

  act_and_wait (conversation, confab_conversation_regenerate);
  g_assert_cmpstr (confab_message_get_content (reply), ==, THIRD_REPLY);
  g_assert_cmpstr (confab_message_get_finish_reason (reply), ==, "length");
  g_assert_cmpint (confab_message_get_state (reply), ==, CONFAB_MESSAGE_STATE_COMPLETE);
  g_assert_cmpuint (confab_message_get_n_variants (reply), ==, 3);
  g_assert_cmpuint (confab_message_get_variant_index (reply), ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (confab_conversation_get_messages (conversation)),
                    ==, 2);

  /* Each was asked with the same history, without the earlier answers. */
  g_assert_cmpuint (server->n_requests, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_auto(GStrv) lines = request_messages (server, i);

      g_assert_cmpuint (g_strv_length (lines), ==, 2);
      g_assert_cmpstr (lines[0], ==, "system: Answer in Japanese.");
      g_assert_cmpstr (lines[1], ==, "user: " FIRST_PROMPT);
    }

  /* Switching is instant, and only for the last reply. */
  g_assert_true (confab_conversation_select_variant (conversation, reply, 0));
  g_assert_cmpstr (confab_message_get_content (reply), ==, FIRST_REPLY);
  g_assert_cmpstr (confab_message_get_reasoning (reply), ==, FIRST_REASONING);
  g_assert_cmpstr (confab_message_get_finish_reason (reply), ==, "stop");
  g_assert_cmpint (confab_message_get_prompt_tokens (reply), ==, 31);
  g_assert_cmpuint (confab_message_get_variant_index (reply), ==, 0);
  g_assert_false (confab_conversation_select_variant (conversation, prompt, 0));

  id = confab_conversation_get_id (conversation);
  messages = list_messages (store, id);
  g_assert_cmpuint (messages->len, ==, 2);
  stored = stored_message (messages, 1);
  g_assert_cmpstr (stored->content, ==, FIRST_REPLY);
  g_assert_cmpstr (stored->finish_reason, ==, "stop");
  g_assert_cmpuint (stored->n_variants, ==, 3);
  g_assert_cmpuint (stored->variant_index, ==, 0);
  g_assert_cmpstr (((ConfabStoredMessage *)stored->variants->pdata[0])->content, ==,
                   SECOND_REPLY);
  g_assert_cmpstr (((ConfabStoredMessage *)stored->variants->pdata[1])->content, ==,
                   THIRD_REPLY);
  g_assert_cmpstr (((ConfabStoredMessage *)stored->variants->pdata[1])->finish_reason, ==,
                   "length");

  /* Each variant keeps the times of its own request. */
  for (guint i = 0; i < 3; i++)
    {
      const ConfabStoredMessage *variant = i == 0 ? stored : stored->variants->pdata[i - 1];

      first_token_us[i] = variant->first_token_us;
      generation_us[i] = variant->generation_us;
      assert_measured (first_token_us[i], generation_us[i], started);
    }
  g_assert_cmpint (confab_message_get_first_token_us (reply), ==, first_token_us[0]);
  g_assert_cmpint (confab_message_get_generation_us (reply), ==, generation_us[0]);
  g_clear_pointer (&messages, g_ptr_array_unref);
  settle (store);
  g_signal_handlers_disconnect_by_data (reply, &n_cleared);
  assert_finalized_soon (conversation);

  /* Read back after a restart, with the variant that was shown. */
  g_assert_finalize_object (store);
  store = open_store (path);
  loaded = load (client, store, id);
  reply = get_message (loaded, 1);
  g_assert_cmpstr (confab_message_get_content (reply), ==, FIRST_REPLY);
  g_assert_cmpuint (confab_message_get_n_variants (reply), ==, 3);
  g_assert_cmpuint (confab_message_get_variant_index (reply), ==, 0);
  g_assert_cmpint (confab_message_get_first_token_us (reply), ==, first_token_us[0]);
  g_assert_cmpint (confab_message_get_generation_us (reply), ==, generation_us[0]);
  g_assert_true (confab_conversation_select_variant (loaded, reply, 2));
  g_assert_cmpstr (confab_message_get_content (reply), ==, THIRD_REPLY);
  g_assert_cmpstr (confab_message_get_finish_reason (reply), ==, "length");
  g_assert_cmpint (confab_message_get_first_token_us (reply), ==, first_token_us[2]);
  g_assert_cmpint (confab_message_get_generation_us (reply), ==, generation_us[2]);

  messages = list_messages (store, id);
  g_assert_cmpstr (stored_message (messages, 1)->content, ==, THIRD_REPLY);
  g_assert_cmpuint (stored_message (messages, 1)->variant_index, ==, 2);
  g_clear_pointer (&messages, g_ptr_array_unref);

  /* A regenerated loaded reply adds to the stored variants. */
  test_server_set_responses (server, (const Response * const[]) { &second_response, NULL });
  act_and_wait (loaded, confab_conversation_regenerate);
  g_assert_cmpuint (confab_message_get_n_variants (reply), ==, 4);
  messages = list_messages (store, id);
  g_assert_cmpstr (stored_message (messages, 1)->content, ==, SECOND_REPLY);
  g_assert_cmpint (stored_message (messages, 1)->state, ==, CONFAB_MESSAGE_STATE_COMPLETE);
  g_assert_cmpuint (stored_message (messages, 1)->n_variants, ==, 4);
  g_assert_cmpuint (stored_message (messages, 1)->variant_index, ==, 3);
  stored = stored_message (messages, 1);
  g_assert_cmpstr (((ConfabStoredMessage *)stored->variants->pdata[2])->content, ==, THIRD_REPLY);

  assert_finalized_soon (loaded);
  assert_finalized_soon (client);
  test_server_free (server);
  g_assert_finalize_object (store);
}

static void
test_regenerate_in_memory (void)
{
  const Response * const responses[] = { &first_response, &second_response, NULL };
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *conversation = confab_conversation_new (client, MODEL);
  ConfabMessage *reply;

  /* Nothing to regenerate yet. */
  g_assert_false (confab_conversation_regenerate (conversation));
  g_assert_false (confab_conversation_continue (conversation));

  send_and_wait (conversation, FIRST_PROMPT);
  act_and_wait (conversation, confab_conversation_regenerate);
  reply = get_message (conversation, 1);
  g_assert_cmpstr (confab_message_get_content (reply), ==, SECOND_REPLY);
  g_assert_true (confab_conversation_select_variant (conversation, reply, 0));
  g_assert_cmpstr (confab_message_get_content (reply), ==, FIRST_REPLY);
  g_assert_true (confab_conversation_select_variant (conversation, reply, 1));
  g_assert_cmpstr (confab_message_get_content (reply), ==, SECOND_REPLY);

  assert_finalized_soon (conversation);
  assert_finalized_soon (client);
  test_server_free (server);
}

static gboolean
count_is_one (gpointer user_data)
{
  return *(guint *)user_data == 1;
}

static void
test_regenerate_unsaved (void)
{
  const Response * const responses[] = {
    &first_response, &second_response, &third_response, NULL
  };
  g_autofree char *path = db_path ();
  g_autoptr(sqlite3) db = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  ConfabStore *store = open_store (path);
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *conversation = confab_conversation_new_with_store (client, store, MODEL);
  const ConfabStoredMessage *stored;
  ConfabMessage *reply;
  guint n_failed = 0;

  /* The reply cannot be appended, as on a full disk: it stays in memory. */
  db = raw_open (path);
  raw_exec (db,
            "CREATE TRIGGER refuse_reply BEFORE INSERT ON messages"
            "  WHEN new.role = 'assistant' BEGIN"
            "  SELECT RAISE (FAIL, 'refused by the test');"
            "END;");
  g_signal_connect (conversation, "save-failed", G_CALLBACK (save_failed_cb), &n_failed);
  send_and_wait (conversation, FIRST_PROMPT);
  wait_until (count_is_one, &n_failed);
  reply = get_message (conversation, 1);
  raw_exec (db, "DROP TRIGGER refuse_reply");

  /* Then the store is held while the reply is asked again twice: its
   * append waits behind the lock, copied as it was at the first
   * regenerate, with the second answer still to come. Once the append is
   * written, the row catches up, the second answer with it. */
  raw_exec (db, "BEGIN IMMEDIATE");
  act_and_wait (conversation, confab_conversation_regenerate);
  act_and_wait (conversation, confab_conversation_regenerate);
  g_assert_cmpstr (confab_message_get_content (reply), ==, THIRD_REPLY);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM messages"), ==, 1);
  raw_exec (db, "COMMIT");

  messages = list_messages (store, confab_conversation_get_id (conversation));
  g_assert_cmpuint (messages->len, ==, 2);
  stored = stored_message (messages, 1);
  g_assert_cmpstr (stored->content, ==, THIRD_REPLY);
  g_assert_cmpint (stored->state, ==, CONFAB_MESSAGE_STATE_COMPLETE);
  g_assert_cmpuint (stored->n_variants, ==, 3);
  g_assert_cmpuint (stored->variant_index, ==, 2);
  g_assert_cmpstr (((ConfabStoredMessage *)stored->variants->pdata[0])->content, ==, FIRST_REPLY);
  g_assert_cmpstr (((ConfabStoredMessage *)stored->variants->pdata[1])->content, ==, SECOND_REPLY);
  g_assert_cmpint (((ConfabStoredMessage *)stored->variants->pdata[1])->state, ==,
                   CONFAB_MESSAGE_STATE_COMPLETE);
  g_assert_cmpuint (n_failed, ==, 1);
  g_clear_pointer (&messages, g_ptr_array_unref);

  /* And a switch now goes straight to the row. */
  g_assert_true (confab_conversation_select_variant (conversation, reply, 0));
  messages = list_messages (store, confab_conversation_get_id (conversation));
  g_assert_cmpstr (stored_message (messages, 1)->content, ==, FIRST_REPLY);
  g_assert_cmpuint (stored_message (messages, 1)->variant_index, ==, 0);

  assert_finalized_soon (conversation);
  assert_finalized_soon (client);
  test_server_free (server);
  g_assert_finalize_object (store);
}

static gboolean
edit_first (ConfabConversation *conversation)
{
  return confab_conversation_edit_and_resend (conversation, get_message (conversation, 0),
                                              "大阪の天気は？");
}

static void
test_edit_and_resend (void)
{
  const Response * const responses[] = {
    &first_response, &second_response, &third_response, NULL
  };
  g_autofree char *path = db_path ();
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(ConfabMessage) stranger = confab_message_new (CONFAB_MESSAGE_ROLE_USER, "?");
  g_auto(GStrv) asked = NULL;
  ConfabStore *store = open_store (path);
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  StoreSnapshots *snapshots = watch_store (server, path);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *conversation = confab_conversation_new_with_store (client, store, MODEL);
  ConfabConversation *loaded;
  ConfabMessage *prompt;
  const char *stored_texts;
  guint n_cleared = 0;
  gint64 id;

  send_and_wait (conversation, FIRST_PROMPT);
  send_and_wait (conversation, "ありがとう。");
  id = confab_conversation_get_id (conversation);
  g_assert_cmpuint (g_list_model_get_n_items (confab_conversation_get_messages (conversation)),
                    ==, 4);

  /* What cannot be edited. */
  g_assert_false (confab_conversation_edit_and_resend (conversation, get_message (conversation, 1),
                                                       "答えは編集できない"));
  g_assert_false (confab_conversation_edit_and_resend (conversation, get_message (conversation, 0),
                                                       "  \n"));
  g_assert_false (confab_conversation_edit_and_resend (conversation, stranger, "よその"));

  prompt = get_message (conversation, 0);
  g_signal_connect (prompt, "text-cleared", G_CALLBACK (count_cb), &n_cleared);
  act_and_wait (conversation, edit_first);
  g_assert_cmpuint (n_cleared, ==, 1);
  g_signal_handlers_disconnect_by_data (prompt, &n_cleared);

  /* The message stays, its text replaced; what came after it is gone. */
  g_assert_cmpuint (g_list_model_get_n_items (confab_conversation_get_messages (conversation)),
                    ==, 2);
  g_assert_true (get_message (conversation, 0) == prompt);
  g_assert_cmpstr (confab_message_get_content (prompt), ==, "大阪の天気は？");
  g_assert_cmpstr (confab_message_get_content (get_message (conversation, 1)), ==, THIRD_REPLY);

  asked = request_messages (server, 2);
  g_assert_cmpuint (g_strv_length (asked), ==, 1);
  g_assert_cmpstr (asked[0], ==, "user: 大阪の天気は？");

  /* When the request went out, the store held the edit and nothing after
   * it but the new reply, perhaps not yet appended. */
  stored_texts = snapshots->texts->pdata[2];
  g_test_message ("stored at the request: %s", stored_texts);
  g_assert_true (g_str_equal (stored_texts, "大阪の天気は？") ||
                 g_str_equal (stored_texts, "大阪の天気は？|"));

  messages = list_messages (store, id);
  g_assert_cmpuint (messages->len, ==, 2);
  g_assert_cmpstr (stored_message (messages, 0)->content, ==, "大阪の天気は？");
  g_assert_cmpint (stored_message (messages, 0)->position, ==, 0);
  g_assert_cmpstr (stored_message (messages, 1)->content, ==, THIRD_REPLY);
  g_assert_cmpint (stored_message (messages, 1)->position, ==, 1);
  g_assert_cmpint (stored_message (messages, 1)->state, ==, CONFAB_MESSAGE_STATE_COMPLETE);
  g_clear_pointer (&messages, g_ptr_array_unref);

  /* The conversation goes on from there. */
  test_server_set_responses (server, (const Response * const[]) { &second_response, NULL });
  send_and_wait (conversation, "ありがとう。");
  messages = list_messages (store, id);
  g_assert_cmpuint (messages->len, ==, 4);
  for (guint i = 0; i < messages->len; i++)
    g_assert_cmpint (stored_message (messages, i)->position, ==, i);
  settle (store);
  assert_finalized_soon (conversation);

  loaded = load (client, store, id);
  g_assert_cmpuint (g_list_model_get_n_items (confab_conversation_get_messages (loaded)), ==, 4);
  g_assert_cmpstr (confab_message_get_content (get_message (loaded, 0)), ==, "大阪の天気は？");

  /* A loaded conversation is edited from the middle. */
  test_server_set_responses (server, (const Response * const[]) { &first_response, NULL });
  act_and_wait (loaded, edit_first);
  g_assert_cmpuint (g_list_model_get_n_items (confab_conversation_get_messages (loaded)), ==, 2);
  g_clear_pointer (&messages, g_ptr_array_unref);
  messages = list_messages (store, id);
  g_assert_cmpuint (messages->len, ==, 2);
  g_assert_cmpstr (stored_message (messages, 1)->content, ==, FIRST_REPLY);

  assert_finalized_soon (loaded);
  assert_finalized_soon (client);
  test_server_free (server);
  g_assert_finalize_object (store);
}

/* The edit cannot be written: the reply comes all the same, and it is
 * not stored before the messages the edit deletes. Once writes work
 * again, the store holds the edited conversation and nothing else. */
static void
test_edit_retried (void)
{
  const Response * const responses[] = {
    &first_response, &second_response, &third_response, NULL
  };
  g_autofree char *path = db_path ();
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(sqlite3) db = NULL;
  ConfabStore *store = open_store (path);
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *conversation = confab_conversation_new_with_store (client, store, MODEL);
  guint n_failed = 0;
  gint64 id;

  send_and_wait (conversation, FIRST_PROMPT);
  send_and_wait (conversation, "ありがとう。");
  id = confab_conversation_get_id (conversation);
  g_signal_connect (conversation, "save-failed", G_CALLBACK (save_failed_cb), &n_failed);

  db = raw_open (path);
  raw_exec (db,
            "CREATE TRIGGER refuse_delete BEFORE DELETE ON messages BEGIN"
            "  SELECT RAISE (FAIL, 'refused by the test');"
            "END;");
  act_and_wait (conversation, edit_first);
  g_assert_cmpstr (confab_message_get_content (get_message (conversation, 1)), ==, THIRD_REPLY);
  wait_ms (200);
  g_assert_cmpuint (n_failed, ==, 1);
  g_assert_true (confab_conversation_get_save_failing (conversation));

  /* Nothing of the edit is written, and the new reply waits for it. (The
   * last save of the reply the edit removes may not be written either:
   * it goes with the edit.) */
  messages = list_messages (store, id);
  g_assert_cmpuint (messages->len, ==, 4);
  g_assert_cmpstr (stored_message (messages, 0)->content, ==, FIRST_PROMPT);
  g_assert_cmpstr (stored_message (messages, 2)->content, ==, "ありがとう。");
  g_clear_pointer (&messages, g_ptr_array_unref);

  raw_exec (db, "DROP TRIGGER refuse_delete;");
  wait_until (is_saved, conversation);

  messages = list_messages (store, id);
  g_assert_cmpuint (messages->len, ==, 2);
  g_assert_cmpstr (stored_message (messages, 0)->content, ==, "大阪の天気は？");
  g_assert_cmpstr (stored_message (messages, 1)->content, ==, THIRD_REPLY);
  g_assert_cmpint (stored_message (messages, 1)->position, ==, 1);
  g_assert_cmpint (stored_message (messages, 1)->state, ==, CONFAB_MESSAGE_STATE_COMPLETE);
  g_assert_cmpuint (n_failed, ==, 1);

  assert_finalized_soon (conversation);
  assert_finalized_soon (client);
  test_server_free (server);
  g_assert_finalize_object (store);
}

static void
test_edit_while_appending (void)
{
  const Response * const responses[] = {
    &first_response, &second_response, &third_response, NULL
  };
  g_autofree char *path = db_path ();
  g_autoptr(sqlite3) db = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  ConfabStore *store = open_store (path);
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *conversation = confab_conversation_new_with_store (client, store, MODEL);
  ConfabMessage *prompt;
  gboolean finished = FALSE;
  guint n_failed = 0;

  db = raw_open (path);
  raw_exec (db,
            "CREATE TRIGGER refuse_reply BEFORE INSERT ON messages"
            "  WHEN new.role = 'assistant' BEGIN"
            "  SELECT RAISE (FAIL, 'refused by the test');"
            "END;");
  g_signal_connect (conversation, "save-failed", G_CALLBACK (save_failed_cb), &n_failed);
  send_and_wait (conversation, FIRST_PROMPT);
  wait_until (count_is_one, &n_failed);
  raw_exec (db, "DROP TRIGGER refuse_reply");

  /* The reply's append waits behind the lock when the prompt is edited:
   * the truncation after it deletes it, and nothing saves it again. */
  raw_exec (db, "BEGIN IMMEDIATE");
  act_and_wait (conversation, confab_conversation_regenerate);
  prompt = get_message (conversation, 0);
  g_signal_connect (conversation, "reply-finished", G_CALLBACK (reply_finished_cb), &finished);
  g_assert_true (confab_conversation_edit_and_resend (conversation, prompt, "大阪の天気は？"));
  /* The request waits for the edit to be stored. */
  wait_ms (100);
  g_assert_cmpuint (server->n_requests, ==, 2);
  raw_exec (db, "COMMIT");
  wait_until (flag_is_set, &finished);
  g_assert_cmpuint (server->n_requests, ==, 3);

  messages = list_messages (store, confab_conversation_get_id (conversation));
  g_assert_cmpuint (messages->len, ==, 2);
  g_assert_cmpstr (stored_message (messages, 0)->content, ==, "大阪の天気は？");
  g_assert_cmpstr (stored_message (messages, 1)->content, ==, THIRD_REPLY);
  g_assert_cmpint (stored_message (messages, 1)->position, ==, 1);
  g_assert_cmpuint (stored_message (messages, 1)->n_variants, ==, 1);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM message_variants"), ==, 0);
  g_assert_cmpuint (n_failed, ==, 1);

  assert_finalized_soon (conversation);
  assert_finalized_soon (client);
  test_server_free (server);
  g_assert_finalize_object (store);
}

static void
test_continue (void)
{
  const Response * const responses[] = { &stall_response, &rest_response, NULL };
  g_autofree char *path = db_path ();
  g_autoptr(GPtrArray) messages = NULL;
  g_auto(GStrv) asked = NULL;
  ConfabStore *store = open_store (path);
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *conversation = confab_conversation_new_with_store (client, store, MODEL);
  gboolean finished = FALSE;
  TextWait wait = { NULL, "一つ二つ" };
  ConfabMessage *reply;
  guint n_cleared = 0;
  guint n;

  watch_store (server, path);

  g_signal_connect (conversation, "reply-finished", G_CALLBACK (reply_finished_cb), &finished);
  g_assert_true (confab_conversation_send (conversation, "数えてください。"));
  reply = wait.reply = confab_conversation_get_last_reply (conversation);
  wait_until (reply_has_text, &wait);

  /* Nothing of this while a reply streams. */
  g_assert_false (confab_conversation_continue (conversation));
  g_assert_false (confab_conversation_regenerate (conversation));
  g_assert_false (confab_conversation_select_variant (conversation, reply, 0));
  g_assert_false (confab_conversation_edit_and_resend (conversation,
                                                       get_message (conversation, 0), "x"));

  confab_conversation_stop (conversation);
  wait_until (flag_is_set, &finished);
  g_assert_cmpint (confab_message_get_state (reply), ==, CONFAB_MESSAGE_STATE_STOPPED);
  g_signal_handlers_disconnect_by_data (conversation, &finished);

  g_signal_connect (reply, "text-cleared", G_CALLBACK (count_cb), &n_cleared);
  act_and_wait (conversation, confab_conversation_continue);
  g_signal_handlers_disconnect_by_data (reply, &n_cleared);

  /* Appended to the same message, which is complete now. */
  g_assert_cmpuint (n_cleared, ==, 0);
  g_assert_cmpstr (confab_message_get_content (reply), ==, "一つ二つ三つ四つ。");
  g_assert_cmpint (confab_message_get_state (reply), ==, CONFAB_MESSAGE_STATE_COMPLETE);
  g_assert_cmpstr (confab_message_get_finish_reason (reply), ==, "stop");
  g_assert_cmpuint (confab_message_get_n_variants (reply), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (confab_conversation_get_messages (conversation)),
                    ==, 2);

  /* The request: the history with the partial reply, then the ask. */
  asked = request_messages (server, 1);
  n = g_strv_length (asked);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpstr (asked[0], ==, "user: 数えてください。");
  g_assert_cmpstr (asked[1], ==, "assistant: 一つ二つ");
  g_assert_true (g_str_has_prefix (asked[2], "user: Continue exactly where your previous "
                                             "message stopped."));

  /* The ask is neither shown nor stored. */
  messages = list_messages (store, confab_conversation_get_id (conversation));
  g_assert_cmpuint (messages->len, ==, 2);
  g_assert_cmpstr (stored_message (messages, 1)->content, ==, "一つ二つ三つ四つ。");
  g_assert_cmpint (stored_message (messages, 1)->state, ==, CONFAB_MESSAGE_STATE_COMPLETE);
  g_assert_cmpstr (stored_message (messages, 1)->finish_reason, ==, "stop");

  /* A complete reply has nothing to continue. */
  g_assert_false (confab_conversation_continue (conversation));

  assert_finalized_soon (conversation);
  assert_finalized_soon (client);
  test_server_free (server);
  g_assert_finalize_object (store);
}

/* A reply that reached the limit of tokens goes on too, and the tokens
 * of both requests are counted. */
static void
test_continue_after_length (void)
{
  const Response * const responses[] = { &length_response, &rest_response, NULL };
  g_autofree char *path = db_path ();
  g_autoptr(GPtrArray) messages = NULL;
  ConfabStore *store = open_store (path);
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *conversation = confab_conversation_new_with_store (client, store, MODEL);
  ConfabMessage *reply;

  send_and_wait (conversation, "数えてください。");
  reply = confab_conversation_get_last_reply (conversation);
  g_assert_cmpint (confab_message_get_state (reply), ==, CONFAB_MESSAGE_STATE_COMPLETE);
  g_assert_cmpstr (confab_message_get_finish_reason (reply), ==, "length");
  g_assert_true (confab_conversation_can_continue (conversation));

  act_and_wait (conversation, confab_conversation_continue);
  g_assert_cmpstr (confab_message_get_content (reply), ==, "一つ二つ三つ四つ。");
  g_assert_cmpstr (confab_message_get_finish_reason (reply), ==, "stop");
  g_assert_cmpint (confab_message_get_prompt_tokens (reply), ==, 30 + 40);
  g_assert_cmpint (confab_message_get_completion_tokens (reply), ==, 2 + 4);
  g_assert_false (confab_conversation_can_continue (conversation));
  g_assert_false (confab_conversation_continue (conversation));

  settle (store);
  messages = list_messages (store, confab_conversation_get_id (conversation));
  g_assert_cmpuint (messages->len, ==, 2);
  g_assert_cmpstr (stored_message (messages, 1)->content, ==, "一つ二つ三つ四つ。");
  g_assert_cmpint (stored_message (messages, 1)->prompt_tokens, ==, 70);
  g_assert_cmpint (stored_message (messages, 1)->completion_tokens, ==, 6);

  assert_finalized_soon (conversation);
  assert_finalized_soon (client);
  test_server_free (server);
  g_assert_finalize_object (store);
}

static void
test_continue_failed (void)
{
  const Response * const responses[] = {
    &server_error_response, &cut_response, &rest_response, NULL
  };
  g_autofree char *path = db_path ();
  g_autoptr(GPtrArray) messages = NULL;
  g_auto(GStrv) asked = NULL;
  ConfabStore *store = open_store (path);
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *conversation = confab_conversation_new_with_store (client, store, MODEL);
  ConfabConversation *loaded;
  ConfabMessage *reply;
  gint64 id;

  watch_store (server, path);

  /* A reply that failed with no text has nothing to continue from. */
  send_and_wait (conversation, "数えてください。");
  reply = confab_conversation_get_last_reply (conversation);
  g_assert_cmpint (confab_message_get_state (reply), ==, CONFAB_MESSAGE_STATE_FAILED);
  g_assert_false (confab_conversation_continue (conversation));

  /* One cut short keeps its text, and goes on from it. */
  act_and_wait (conversation, confab_conversation_retry);
  g_assert_cmpint (confab_message_get_state (reply), ==, CONFAB_MESSAGE_STATE_FAILED);
  g_assert_cmpstr (confab_message_get_content (reply), ==, "途中まで");
  id = confab_conversation_get_id (conversation);
  settle (store);
  assert_finalized_soon (conversation);

  /* As after a restart. */
  loaded = load (client, store, id);
  reply = get_message (loaded, 1);
  g_assert_cmpint (confab_message_get_state (reply), ==, CONFAB_MESSAGE_STATE_FAILED);
  act_and_wait (loaded, confab_conversation_continue);
  g_assert_cmpstr (confab_message_get_content (reply), ==, "途中まで三つ四つ。");
  g_assert_cmpint (confab_message_get_state (reply), ==, CONFAB_MESSAGE_STATE_COMPLETE);
  g_assert_null (confab_message_get_error (reply));

  asked = request_messages (server, 2);
  g_assert_cmpuint (g_strv_length (asked), ==, 3);
  g_assert_cmpstr (asked[1], ==, "assistant: 途中まで");

  messages = list_messages (store, id);
  g_assert_cmpuint (messages->len, ==, 2);
  g_assert_cmpstr (stored_message (messages, 1)->content, ==, "途中まで三つ四つ。");
  g_assert_cmpint (stored_message (messages, 1)->state, ==, CONFAB_MESSAGE_STATE_COMPLETE);
  g_assert_null (stored_message (messages, 1)->error);

  assert_finalized_soon (loaded);
  assert_finalized_soon (client);
  test_server_free (server);
  g_assert_finalize_object (store);
}

static void
test_import_round_trip (void)
{
  const Response * const responses[] = {
    &first_response, &second_response, &third_response, NULL
  };
  g_autofree char *path = db_path ();
  g_autoptr(GPtrArray) conversations = NULL;
  g_autoptr(GPtrArray) exported = NULL;
  g_autoptr(GPtrArray) imported_messages = NULL;
  g_autoptr(ConfabStoredConversation) imported = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  ConfabStore *store = open_store (path);
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *conversation = confab_conversation_new_with_store (client, store, MODEL);
  ConfabConversation *loaded;
  const ConfabStoredConversation *source;
  GAsyncResult *slot = NULL;
  ConfabMessage *reply;

  confab_conversation_set_system_prompt (conversation, "Answer in Japanese.");
  send_and_wait (conversation, FIRST_PROMPT);
  act_and_wait (conversation, confab_conversation_regenerate);
  reply = get_message (conversation, 1);
  g_assert_true (confab_conversation_select_variant (conversation, reply, 0));
  settle (store);

  /* Out as the store has it, and in again as a new conversation. */
  conversations = list_conversations (store);
  g_assert_cmpuint (conversations->len, ==, 1);
  source = conversations->pdata[0];
  exported = list_messages (store, source->id);

  confab_store_import_conversation_async (store, source, exported, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  imported = confab_store_import_conversation_finish (store, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (imported);
  g_assert_cmpint (imported->id, !=, source->id);
  g_clear_object (&result);

  imported_messages = list_messages (store, imported->id);
  g_assert_cmpuint (imported_messages->len, ==, exported->len);

  loaded = load (client, store, imported->id);
  g_assert_cmpstr (confab_conversation_get_title (loaded), ==, FIRST_TITLE);
  g_assert_cmpstr (confab_conversation_get_system_prompt (loaded), ==, "Answer in Japanese.");
  g_assert_cmpuint (g_list_model_get_n_items (confab_conversation_get_messages (loaded)), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      ConfabMessage *was = get_message (conversation, i);
      ConfabMessage *is = get_message (loaded, i);

      g_assert_cmpint (confab_message_get_role (is), ==, confab_message_get_role (was));
      g_assert_cmpstr (confab_message_get_content (is), ==, confab_message_get_content (was));
      g_assert_cmpstr (confab_message_get_reasoning (is), ==, confab_message_get_reasoning (was));
      g_assert_cmpint (confab_message_get_state (is), ==, confab_message_get_state (was));
      g_assert_cmpstr (confab_message_get_finish_reason (is), ==,
                       confab_message_get_finish_reason (was));
      g_assert_cmpint (confab_message_get_prompt_tokens (is), ==,
                       confab_message_get_prompt_tokens (was));
      g_assert_cmpuint (confab_message_get_n_variants (is), ==,
                        confab_message_get_n_variants (was));
      g_assert_cmpuint (confab_message_get_variant_index (is), ==,
                        confab_message_get_variant_index (was));
    }
  reply = get_message (loaded, 1);
  g_assert_true (confab_conversation_select_variant (loaded, reply, 1));
  g_assert_cmpstr (confab_message_get_content (reply), ==, SECOND_REPLY);

  /* The copy goes on by itself; the original is untouched. */
  send_and_wait (loaded, "ありがとう。");
  g_clear_pointer (&imported_messages, g_ptr_array_unref);
  imported_messages = list_messages (store, imported->id);
  g_assert_cmpuint (imported_messages->len, ==, 4);
  g_assert_cmpint (stored_message (imported_messages, 3)->position, ==, 3);
  g_assert_cmpstr (stored_message (imported_messages, 1)->content, ==, SECOND_REPLY);
  g_clear_pointer (&exported, g_ptr_array_unref);
  exported = list_messages (store, source->id);
  g_assert_cmpuint (exported->len, ==, 2);
  g_assert_cmpstr (stored_message (exported, 1)->content, ==, FIRST_REPLY);

  assert_finalized_soon (loaded);
  assert_finalized_soon (conversation);
  assert_finalized_soon (client);
  test_server_free (server);
  g_assert_finalize_object (store);
}

/* The crash: a child streams a slow reply into a stored conversation and
 * is killed with SIGKILL. */

static void
child_delta_cb (ConfabMessage *reply,
                int            part,
                gboolean      *announced)
{
  if (*announced)
    return;

  *announced = TRUE;
  printf ("streaming\n");
  fflush (stdout);
}

static int
crash_child (const char *path,
             const char *base_url)
{
  g_autoptr(GError) error = NULL;
  ConfabStore *store = confab_store_new_for_path (path, &error);
  ConfabClient *client = confab_client_new (base_url, NULL);
  ConfabConversation *conversation = NULL;
  gboolean announced = FALSE;

  g_assert_no_error (error);
  conversation = confab_conversation_new_with_store (client, store, MODEL);
  g_assert_true (confab_conversation_send (conversation, "길게 써 주세요."));
  g_signal_connect (confab_conversation_get_last_reply (conversation), "delta-appended",
                    G_CALLBACK (child_delta_cb), &announced);

  for (;;)
    g_main_context_iteration (NULL, TRUE);

  return 0;
}

static void
test_crash (void)
{
  const Response * const responses[] = { &crash_reply.response, NULL };
  g_autofree char *path = db_path ();
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) at_least = g_string_new (NULL);
  g_autofree char *line = NULL;
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *loaded;
  ConfabStore *store;
  ConfabMessage *reply;
  GAsyncResult *slot = NULL;
  const char *text;
  gint64 killed_at;

  g_assert_nonnull (test_binary);
  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                            test_binary, CRASH_CHILD_ARG, path, server->base_url, NULL);
  g_assert_no_error (error);

  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  line = g_data_input_stream_read_line_finish_utf8 (lines, result, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "streaming");
  g_clear_object (&result);

  wait_ms (KILL_AFTER_MS);
  killed_at = g_get_monotonic_time ();
  g_subprocess_force_exit (child);
  g_subprocess_wait_async (child, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  g_assert_true (g_subprocess_wait_finish (child, result, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (child));
  g_assert_cmpint (g_subprocess_get_term_sig (child), ==, SIGKILL);

  /* What the server wrote up to a second before the kill. */
  for (guint i = 0; i < server->part_times->len; i++)
    {
      gint64 written_at = g_array_index (server->part_times, gint64, i);

      if (written_at > killed_at - (1000 + SAVE_SLACK_MS) * G_TIME_SPAN_MILLISECOND)
        break;
      g_string_append (at_least, crash_reply.texts->pdata[i]);
    }
  g_assert_cmpuint (at_least->len, >, 0);

  store = open_store (path);
  g_assert_cmpuint (confab_store_get_n_interrupted (store), ==, 1);
  loaded = load_latest (client, store);
  g_assert_nonnull (loaded);
  g_assert_cmpuint (g_list_model_get_n_items (confab_conversation_get_messages (loaded)), ==, 2);
  g_assert_cmpstr (confab_message_get_content (get_message (loaded, 0)), ==, "길게 써 주세요.");
  g_assert_cmpint (confab_message_get_state (get_message (loaded, 0)), ==,
                   CONFAB_MESSAGE_STATE_COMPLETE);

  reply = get_message (loaded, 1);
  text = confab_message_get_content (reply);
  g_test_message ("saved %zu of %zu bytes, at least %zu expected",
                  strlen (text), crash_reply.text->len, at_least->len);
  g_assert_cmpint (confab_message_get_state (reply), ==, CONFAB_MESSAGE_STATE_INTERRUPTED);
  g_assert_true (g_str_has_prefix (crash_reply.text->str, text));
  g_assert_true (g_str_has_prefix (text, at_least->str));
  g_assert_cmpuint (strlen (text), <, crash_reply.text->len);

  assert_finalized_soon (loaded);
  assert_finalized_soon (client);
  test_server_free (server);
  g_assert_finalize_object (store);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  /* The client goes straight to 127.0.0.1, whatever proxy the
   * environment names; so does the child, which inherits this. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);

  if (argc == 4 && strcmp (argv[1], CRASH_CHILD_ARG) == 0)
    return crash_child (argv[2], argv[3]);

  test_binary = argv[0];
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  slow_reply_init (&slow_reply, SLOW_DELTAS, SLOW_DELAY_MS);
  slow_reply_init (&crash_reply, CRASH_DELTAS, CRASH_DELAY_MS);

  g_test_add_func ("/confab/conversation-store/send", test_send);
  g_test_add_func ("/confab/conversation-store/load-round-trip", test_load_round_trip);
  g_test_add_func ("/confab/conversation-store/load-latest", test_load_latest);
  g_test_add_func ("/confab/conversation-store/stop", test_stop);
  g_test_add_func ("/confab/conversation-store/save-rate", test_save_rate);
  g_test_add_func ("/confab/conversation-store/save-failed", test_save_failed);
  g_test_add_func ("/confab/conversation-store/save-retried", test_save_retried);
  g_test_add_func ("/confab/conversation-store/dispose-saves", test_dispose_saves);
  g_test_add_func ("/confab/conversation-store/crash", test_crash);
  g_test_add_func ("/confab/conversation-store/regenerate", test_regenerate);
  g_test_add_func ("/confab/conversation-store/regenerate-in-memory", test_regenerate_in_memory);
  g_test_add_func ("/confab/conversation-store/regenerate-unsaved", test_regenerate_unsaved);
  g_test_add_func ("/confab/conversation-store/edit-and-resend", test_edit_and_resend);
  g_test_add_func ("/confab/conversation-store/edit-retried", test_edit_retried);
  g_test_add_func ("/confab/conversation-store/edit-while-appending", test_edit_while_appending);
  g_test_add_func ("/confab/conversation-store/continue", test_continue);
  g_test_add_func ("/confab/conversation-store/continue-after-length", test_continue_after_length);
  g_test_add_func ("/confab/conversation-store/continue-failed", test_continue_failed);
  g_test_add_func ("/confab/conversation-store/import-round-trip", test_import_round_trip);

  status = run_tests_and_settle ();

  slow_reply_clear (&slow_reply);
  slow_reply_clear (&crash_reply);

  return status;
}

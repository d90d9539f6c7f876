/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "confab-message.h"
#include "confab-store.h"
#include "test-wait.h"

#define MODEL "gpt-4o-mini"
#define CRASH_CHILD_ARG "--crash-child"
#define CRASH_SAVES 5

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3, sqlite3_close)

/* The path of this binary, which runs again as the child that crashes. */
static const char *test_binary;

/* The store, one call at a time */

static char *
default_path (void)
{
  g_autofree char *path = confab_store_dup_default_path ();
  g_autofree char *expected = g_build_filename (g_get_user_data_dir (), "confab", "history.db",
                                                NULL);

  g_assert_cmpstr (path, ==, expected);

  return g_steal_pointer (&path);
}

static ConfabStore *
open_store (const char *path)
{
  g_autoptr(GError) error = NULL;
  ConfabStore *store = confab_store_new_for_path (path, &error);

  g_assert_no_error (error);
  g_assert_true (CONFAB_IS_STORE (store));

  return store;
}

static ConfabStoredConversation *
create_conversation (ConfabStore *store,
                     const char  *title)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;
  ConfabStoredConversation *conversation;

  confab_store_create_conversation_async (store, title, MODEL, NULL, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  conversation = confab_store_create_conversation_finish (store, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (conversation);
  g_assert_cmpint (conversation->id, >, 0);

  return conversation;
}

static ConfabStoredMessage *
append_message_full (ConfabStore               *store,
                     gint64                     conversation_id,
                     const ConfabStoredMessage *message,
                     GError                   **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  confab_store_append_message_async (store, conversation_id, message, NULL,
                                     result_cb, &slot);
  result = wait_for_result (&slot);

  return confab_store_append_message_finish (store, result, error);
}

static ConfabStoredMessage *
append_message (ConfabStore       *store,
                gint64             conversation_id,
                ConfabMessageRole  role,
                const char        *content)
{
  g_autoptr(ConfabStoredMessage) message = confab_stored_message_new (role, content);
  g_autoptr(GError) error = NULL;
  ConfabStoredMessage *saved = append_message_full (store, conversation_id, message, &error);

  g_assert_no_error (error);
  g_assert_nonnull (saved);

  return saved;
}

static ConfabStoredTranslation *
add_translation (ConfabStore                   *store,
                 const ConfabStoredTranslation *translation)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;
  ConfabStoredTranslation *saved;

  confab_store_add_translation_async (store, translation, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  saved = confab_store_add_translation_finish (store, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (saved);
  g_assert_cmpint (saved->id, >, 0);
  g_assert_cmpint (saved->created_at, >, 0);

  return saved;
}

static GPtrArray *
list_translations (ConfabStore *store,
                   guint        limit)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;
  GPtrArray *translations;

  confab_store_list_translations_async (store, limit, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  translations = confab_store_list_translations_finish (store, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (translations);

  return translations;
}

static void
assert_translation (const ConfabStoredTranslation *translation,
                    const char                    *source,
                    const char                    *target,
                    const char                    *source_language,
                    const char                    *target_language)
{
  g_assert_cmpstr (translation->source, ==, source);
  g_assert_cmpstr (translation->target, ==, target);
  g_assert_cmpstr (translation->source_language, ==, source_language);
  g_assert_cmpstr (translation->target_language, ==, target_language);
}

static gboolean
update_message (ConfabStore               *store,
                const ConfabStoredMessage *message,
                GError                   **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  confab_store_update_message_async (store, message, NULL, result_cb, &slot);
  result = wait_for_result (&slot);

  return confab_store_update_message_finish (store, result, error);
}

static gboolean
rename_conversation (ConfabStore  *store,
                     gint64        conversation_id,
                     const char   *title,
                     GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  confab_store_rename_conversation_async (store, conversation_id, title, NULL,
                                          result_cb, &slot);
  result = wait_for_result (&slot);

  return confab_store_rename_conversation_finish (store, result, error);
}

static void
set_pinned (ConfabStore *store,
            gint64       conversation_id,
            gboolean     pinned)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;

  confab_store_set_conversation_pinned_async (store, conversation_id, pinned, NULL,
                                              result_cb, &slot);
  result = wait_for_result (&slot);
  g_assert_true (confab_store_set_conversation_pinned_finish (store, result, &error));
  g_assert_no_error (error);
}

static ConfabStoreSnapshot *
delete_conversation (ConfabStore  *store,
                     gint64        conversation_id,
                     GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  confab_store_delete_conversation_async (store, conversation_id, NULL, result_cb, &slot);
  result = wait_for_result (&slot);

  return confab_store_delete_conversation_finish (store, result, error);
}

static GPtrArray *
list_conversations (ConfabStore *store,
                    guint        offset,
                    guint        limit)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;
  GPtrArray *conversations;

  confab_store_list_conversations_async (store, offset, limit, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  conversations = confab_store_list_conversations_finish (store, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (conversations);

  return conversations;
}

static GPtrArray *
list_messages (ConfabStore *store,
               gint64       conversation_id,
               guint        offset,
               guint        limit)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;
  GPtrArray *messages;

  confab_store_list_messages_async (store, conversation_id, offset, limit, NULL,
                                    result_cb, &slot);
  result = wait_for_result (&slot);
  messages = confab_store_list_messages_finish (store, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (messages);

  return messages;
}

static ConfabStoredConversation *
get_conversation (ConfabStore  *store,
                  gint64        conversation_id,
                  GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  confab_store_get_conversation_async (store, conversation_id, NULL, result_cb, &slot);
  result = wait_for_result (&slot);

  return confab_store_get_conversation_finish (store, result, error);
}

static ConfabStoredConversation *
get_latest_conversation (ConfabStore *store)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;
  ConfabStoredConversation *conversation;

  confab_store_get_latest_conversation_async (store, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  conversation = confab_store_get_latest_conversation_finish (store, result, &error);
  g_assert_no_error (error);

  return conversation;
}

static ConfabStoredMessage *
add_variant (ConfabStore               *store,
             gint64                     message_id,
             const ConfabStoredMessage *new_shown,
             GError                   **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  confab_store_add_variant_async (store, message_id, new_shown, NULL, result_cb, &slot);
  result = wait_for_result (&slot);

  return confab_store_add_variant_finish (store, result, error);
}

static ConfabStoredMessage *
select_variant (ConfabStore  *store,
                gint64        message_id,
                guint         index,
                GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  confab_store_select_variant_async (store, message_id, index, NULL, result_cb, &slot);
  result = wait_for_result (&slot);

  return confab_store_select_variant_finish (store, result, error);
}

static gboolean
edit_message (ConfabStore               *store,
              const ConfabStoredMessage *message,
              GError                   **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  confab_store_edit_message_async (store, message, NULL, result_cb, &slot);
  result = wait_for_result (&slot);

  return confab_store_edit_message_finish (store, result, error);
}

static ConfabStoredConversation *
import_conversation (ConfabStore                    *store,
                     const ConfabStoredConversation *conversation,
                     GPtrArray                      *messages,
                     GError                        **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  confab_store_import_conversation_async (store, conversation, messages, NULL,
                                          result_cb, &slot);
  result = wait_for_result (&slot);

  return confab_store_import_conversation_finish (store, result, error);
}

/* A message that shows @content, for add_variant (): empty and streaming
 * is what a regenerated reply starts as. */
static ConfabStoredMessage *
stored_reply (const char         *content,
              ConfabMessageState  state,
              const char         *finish_reason)
{
  ConfabStoredMessage *message = confab_stored_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT,
                                                            content);

  message->state = state;
  message->finish_reason = g_strdup (finish_reason);

  return message;
}

static const ConfabStoredMessage *
variant_at (const ConfabStoredMessage *message,
            guint                      i)
{
  g_assert_nonnull (message->variants);
  g_assert_cmpuint (i, <, message->variants->len);

  return message->variants->pdata[i];
}

static void
assert_timings (const ConfabStoredMessage *message,
                gint64                     first_token_us,
                gint64                     generation_us)
{
  g_assert_cmpint (message->first_token_us, ==, first_token_us);
  g_assert_cmpint (message->generation_us, ==, generation_us);
}

static GPtrArray *
search (ConfabStore *store,
        const char  *query,
        guint        limit)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;
  GPtrArray *hits;

  confab_store_search_async (store, query, limit, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  hits = confab_store_search_finish (store, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (hits);

  return hits;
}

/* Hits for @query are exactly @message_ids, newest first, each snippet
 * marking @marked. */
static void
assert_search (ConfabStore  *store,
               const char   *query,
               const char   *marked,
               const gint64 *message_ids,
               guint         n_message_ids)
{
  g_autoptr(GPtrArray) hits = search (store, query, 50);
  g_autofree char *expected_mark = g_strconcat (CONFAB_STORE_MATCH_START, marked,
                                                CONFAB_STORE_MATCH_END, NULL);

  g_assert_cmpuint (hits->len, ==, n_message_ids);
  for (guint i = 0; i < hits->len; i++)
    {
      const ConfabStoreSearchHit *hit = hits->pdata[i];

      g_assert_cmpint (hit->message_id, ==, message_ids[i]);
      g_assert_true (g_utf8_validate (hit->snippet, -1, NULL));
      if (strstr (hit->snippet, expected_mark) == NULL)
        g_error ("snippet %s lacks the marked %s", hit->snippet, marked);
      if (i > 0)
        g_assert_cmpint (hit->message_id, <,
                         ((ConfabStoreSearchHit *)hits->pdata[i - 1])->message_id);
    }
}

/* SQLite directly, as another tool or an older Confab would write */

static sqlite3 *
raw_open (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                   ==, SQLITE_OK);
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

/* The full-text index agrees with the messages, row for row: every
 * message that is not streaming is in it once, and none that is. The
 * streaming ones are indexed for the check, which then compares the
 * index with all the rows, and taken out again. */
static void
assert_index_sound (const char *path)
{
  g_autoptr(sqlite3) db = raw_open (path);

  raw_exec (db, "BEGIN");
  raw_exec (db, "INSERT INTO messages_fts (rowid, content) "
                "SELECT id, content FROM messages WHERE state = 'streaming'");
  raw_exec (db, "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)");
  raw_exec (db, "ROLLBACK");
  raw_exec (db, "PRAGMA foreign_key_check");
}

static void
assert_no_backup (const char *path)
{
  g_autofree char *folder = g_path_get_dirname (path);
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_null (strstr (name, ".corrupt-"));
}

/* Tests */

static void
test_open_creates (void)
{
  g_autofree char *path = default_path ();
  g_autofree char *folder = g_path_get_dirname (path);
  g_autofree char *journal_mode = NULL;
  g_autoptr(sqlite3) db = NULL;
  g_autofree char *property = NULL;
  ConfabStore *store;
  GStatBuf info;
  guint n_interrupted = 99;

  g_assert_false (g_file_test (folder, G_FILE_TEST_EXISTS));

  store = open_store (path);
  g_assert_cmpstr (confab_store_get_path (store), ==, path);
  g_assert_null (confab_store_get_recovered_from_corruption (store));
  g_assert_cmpuint (confab_store_get_n_interrupted (store), ==, 0);
  g_object_get (store,
                "recovered-from-corruption", &property,
                "n-interrupted", &n_interrupted,
                NULL);
  g_assert_null (property);
  g_assert_cmpuint (n_interrupted, ==, 0);

  /* Conversations are private: the folder is the user's alone. */
  g_assert_cmpint (g_stat (folder, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, 0700);

  db = raw_open (path);
  g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, CONFAB_STORE_SCHEMA_VERSION);
  journal_mode = raw_text (db, "PRAGMA journal_mode");
  g_assert_cmpstr (journal_mode, ==, "wal");

  g_assert_finalize_object (store);
}

static void
test_open_async (void)
{
  g_autofree char *path = default_path ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  GAsyncResult *slot = NULL;
  ConfabStore *store;

  confab_store_new_for_path_async (path, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  store = confab_store_new_for_path_finish (result, &error);
  g_assert_no_error (error);
  g_assert_true (CONFAB_IS_STORE (store));
  g_clear_object (&result);

  conversation = create_conversation (store, "Async");
  g_assert_cmpstr (conversation->title, ==, "Async");

  g_assert_finalize_object (store);
}

static void
test_crud (void)
{
  g_autofree char *path = default_path ();
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(ConfabStoredMessage) prompt = NULL;
  g_autoptr(ConfabStoredMessage) reply = NULL;
  g_autoptr(ConfabStoredMessage) missing = NULL;
  g_autoptr(ConfabStoredMessage) orphan = NULL;
  g_autoptr(ConfabStoreSnapshot) snapshot = NULL;
  g_autoptr(GPtrArray) conversations = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  ConfabStore *store;
  const ConfabStoredConversation *listed;
  const ConfabStoredMessage *listed_reply;
  GAsyncResult *slot = NULL;
  gint64 before = g_get_real_time ();

  store = open_store (path);

  conversation = create_conversation (store, "번역");
  g_assert_cmpstr (conversation->title, ==, "번역");
  g_assert_cmpstr (conversation->model, ==, MODEL);
  g_assert_null (conversation->system_prompt);
  g_assert_false (conversation->pinned);
  g_assert_cmpint (conversation->created_at, >=, before);
  g_assert_cmpint (conversation->updated_at, ==, conversation->created_at);

  g_assert_true (rename_conversation (store, conversation->id, "韓日翻訳", &error));
  g_assert_no_error (error);

  confab_store_set_conversation_model_async (store, conversation->id, "qwen2.5:7b", NULL,
                                             result_cb, &slot);
  result = wait_for_result (&slot);
  g_assert_true (confab_store_set_conversation_model_finish (store, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  confab_store_set_conversation_system_prompt_async (store, conversation->id,
                                                     "Translate Korean into Japanese.", NULL,
                                                     result_cb, &slot);
  result = wait_for_result (&slot);
  g_assert_true (confab_store_set_conversation_system_prompt_finish (store, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  prompt = append_message (store, conversation->id, CONFAB_MESSAGE_ROLE_USER, "안녕하세요.");
  g_assert_cmpint (prompt->conversation_id, ==, conversation->id);
  g_assert_cmpint (prompt->position, ==, 0);
  g_assert_cmpint (prompt->state, ==, CONFAB_MESSAGE_STATE_COMPLETE);

  reply = append_message (store, conversation->id, CONFAB_MESSAGE_ROLE_ASSISTANT, "");
  g_assert_cmpint (reply->position, ==, 1);
  g_assert_cmpint (reply->id, >, prompt->id);

  g_free (reply->content);
  reply->content = g_strdup ("こんにちは。");
  g_free (reply->reasoning);
  reply->reasoning = g_strdup ("A greeting.");
  reply->state = CONFAB_MESSAGE_STATE_FAILED;
  reply->error = g_strdup ("The server had an internal error.");
  reply->prompt_tokens = 12;
  reply->completion_tokens = 3;
  reply->model = g_strdup ("qwen2.5:7b-instruct");
  reply->finish_reason = g_strdup ("length");
  g_assert_true (update_message (store, reply, &error));
  g_assert_no_error (error);

  conversations = list_conversations (store, 0, 10);
  g_assert_cmpuint (conversations->len, ==, 1);
  listed = conversations->pdata[0];
  g_assert_cmpint (listed->id, ==, conversation->id);
  g_assert_cmpstr (listed->title, ==, "韓日翻訳");
  g_assert_cmpstr (listed->model, ==, "qwen2.5:7b");
  g_assert_cmpstr (listed->system_prompt, ==, "Translate Korean into Japanese.");
  /* Appending a message is activity: the conversation moved up. */
  g_assert_cmpint (listed->updated_at, ==, reply->created_at);

  messages = list_messages (store, conversation->id, 0, 10);
  g_assert_cmpuint (messages->len, ==, 2);
  g_assert_cmpint (((ConfabStoredMessage *)messages->pdata[0])->id, ==, prompt->id);
  g_assert_cmpstr (((ConfabStoredMessage *)messages->pdata[0])->content, ==, "안녕하세요.");
  g_assert_cmpint (((ConfabStoredMessage *)messages->pdata[0])->role, ==,
                   CONFAB_MESSAGE_ROLE_USER);
  g_assert_cmpint (((ConfabStoredMessage *)messages->pdata[0])->prompt_tokens, ==, -1);
  g_assert_null (((ConfabStoredMessage *)messages->pdata[0])->model);
  listed_reply = messages->pdata[1];
  g_assert_cmpint (listed_reply->id, ==, reply->id);
  g_assert_cmpint (listed_reply->role, ==, CONFAB_MESSAGE_ROLE_ASSISTANT);
  g_assert_cmpstr (listed_reply->content, ==, "こんにちは。");
  g_assert_cmpstr (listed_reply->reasoning, ==, "A greeting.");
  g_assert_cmpint (listed_reply->state, ==, CONFAB_MESSAGE_STATE_FAILED);
  g_assert_cmpstr (listed_reply->error, ==, "The server had an internal error.");
  g_assert_cmpint (listed_reply->prompt_tokens, ==, 12);
  g_assert_cmpint (listed_reply->completion_tokens, ==, 3);
  g_assert_cmpstr (listed_reply->model, ==, "qwen2.5:7b-instruct");
  g_assert_cmpstr (listed_reply->finish_reason, ==, "length");
  g_assert_null (((ConfabStoredMessage *)messages->pdata[0])->finish_reason);
  g_assert_cmpint (listed_reply->updated_at, >, listed_reply->created_at);

  /* What no longer exists is an error the caller can branch on. */
  g_assert_false (rename_conversation (store, conversation->id + 100, "x", &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  missing = confab_stored_message_copy (reply);
  missing->id += 100;
  g_assert_false (update_message (store, missing, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  orphan = append_message_full (store, conversation->id + 100, prompt, &error);
  g_assert_null (orphan);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  snapshot = delete_conversation (store, conversation->id + 100, &error);
  g_assert_null (snapshot);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_finalize_object (store);
}

static void
assert_order (GPtrArray    *conversations,
              const gint64 *ids,
              guint         n_ids)
{
  g_assert_cmpuint (conversations->len, ==, n_ids);
  for (guint i = 0; i < n_ids; i++)
    g_assert_cmpint (((ConfabStoredConversation *)conversations->pdata[i])->id, ==, ids[i]);
}

static void
test_ordering (void)
{
  g_autofree char *path = default_path ();
  g_autoptr(ConfabStoredConversation) a = NULL;
  g_autoptr(ConfabStoredConversation) b = NULL;
  g_autoptr(ConfabStoredConversation) c = NULL;
  g_autoptr(ConfabStoredMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  ConfabStore *store;

  store = open_store (path);
  a = create_conversation (store, "A");
  b = create_conversation (store, "B");
  c = create_conversation (store, "C");

  {
    g_autoptr(GPtrArray) list = list_conversations (store, 0, 10);
    const gint64 ids[] = { c->id, b->id, a->id };

    assert_order (list, ids, G_N_ELEMENTS (ids));
  }

  set_pinned (store, a->id, TRUE);
  {
    g_autoptr(GPtrArray) list = list_conversations (store, 0, 10);
    const gint64 ids[] = { a->id, c->id, b->id };

    assert_order (list, ids, G_N_ELEMENTS (ids));
    g_assert_true (((ConfabStoredConversation *)list->pdata[0])->pinned);
  }

  /* A new message moves a conversation up, but never above a pinned one;
   * a rename does not move it. */
  message = append_message (store, b->id, CONFAB_MESSAGE_ROLE_USER, "hello");
  g_assert_true (rename_conversation (store, c->id, "C renamed", &error));
  g_assert_no_error (error);
  {
    g_autoptr(GPtrArray) list = list_conversations (store, 0, 10);
    const gint64 ids[] = { a->id, b->id, c->id };

    assert_order (list, ids, G_N_ELEMENTS (ids));
  }

  set_pinned (store, a->id, FALSE);
  {
    g_autoptr(GPtrArray) list = list_conversations (store, 0, 10);
    const gint64 ids[] = { b->id, c->id, a->id };

    assert_order (list, ids, G_N_ELEMENTS (ids));
  }

  g_assert_finalize_object (store);
}

static void
test_get_conversation (void)
{
  g_autofree char *path = default_path ();
  g_autoptr(ConfabStoredConversation) none = NULL;
  g_autoptr(ConfabStoredConversation) a = NULL;
  g_autoptr(ConfabStoredConversation) b = NULL;
  g_autoptr(ConfabStoredConversation) read = NULL;
  g_autoptr(ConfabStoredConversation) latest = NULL;
  g_autoptr(ConfabStoredConversation) missing = NULL;
  g_autoptr(ConfabStoredMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  ConfabStore *store;

  store = open_store (path);

  /* An empty history has no latest conversation, and that is no error. */
  none = get_latest_conversation (store);
  g_assert_null (none);

  a = create_conversation (store, "A");
  b = create_conversation (store, "B");

  read = get_conversation (store, a->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (read->id, ==, a->id);
  g_assert_cmpstr (read->title, ==, "A");
  g_assert_cmpstr (read->model, ==, MODEL);
  g_assert_cmpint (read->created_at, ==, a->created_at);

  latest = get_latest_conversation (store);
  g_assert_cmpint (latest->id, ==, b->id);
  g_clear_pointer (&latest, confab_stored_conversation_free);

  /* Pinning does not count: only activity does. */
  set_pinned (store, b->id, TRUE);
  message = append_message (store, a->id, CONFAB_MESSAGE_ROLE_USER, "newer");
  latest = get_latest_conversation (store);
  g_assert_cmpint (latest->id, ==, a->id);

  missing = get_conversation (store, b->id + 100, &error);
  g_assert_null (missing);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);

  g_assert_finalize_object (store);
}

static void
test_paging (void)
{
  g_autofree char *path = default_path ();
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) past_end = NULL;
  g_autoptr(GPtrArray) created = NULL;
  g_autoptr(GPtrArray) appended = NULL;
  ConfabStore *store;
  guint n_seen = 0;
  gint64 target;

  store = open_store (path);
  created = g_ptr_array_new_with_free_func ( (GDestroyNotify)confab_stored_conversation_free);
  appended = g_ptr_array_new_with_free_func ( (GDestroyNotify)confab_stored_message_free);

  for (guint i = 0; i < 25; i++)
    {
      g_autofree char *title = g_strdup_printf ("Conversation %u", i);

      g_ptr_array_add (created, create_conversation (store, title));
    }

  for (guint offset = 0; offset < 30; offset += 10)
    {
      g_autoptr(GPtrArray) page = list_conversations (store, offset, 10);

      g_assert_cmpuint (page->len, ==, offset < 20 ? 10 : 5);
      for (guint i = 0; i < page->len; i++, n_seen++)
        {
          const ConfabStoredConversation *expected = created->pdata[24 - n_seen];

          g_assert_cmpint (((ConfabStoredConversation *)page->pdata[i])->id, ==, expected->id);
        }
    }
  g_assert_cmpuint (n_seen, ==, 25);

  target = ((ConfabStoredConversation *)created->pdata[7])->id;
  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *text = g_strdup_printf ("Message %u", i);

      g_ptr_array_add (appended, append_message (store, target,
                                                 i % 2 ? CONFAB_MESSAGE_ROLE_ASSISTANT
                                                       : CONFAB_MESSAGE_ROLE_USER,
                                                 text));
    }

  n_seen = 0;
  for (guint offset = 0; offset < 30; offset += 7)
    {
      g_autoptr(GPtrArray) page = list_messages (store, target, offset, 7);

      g_assert_cmpuint (page->len, ==, MIN (7, 30 - offset));
      for (guint i = 0; i < page->len; i++, n_seen++)
        {
          g_autofree char *text = g_strdup_printf ("Message %u", n_seen);
          const ConfabStoredMessage *message = page->pdata[i];

          g_assert_cmpint (message->position, ==, n_seen);
          g_assert_cmpint (message->id, ==,
                           ((ConfabStoredMessage *)appended->pdata[n_seen])->id);
          g_assert_cmpstr (message->content, ==, text);
        }
    }
  g_assert_cmpuint (n_seen, ==, 30);

  past_end = list_messages (store, target, 30, 7);
  g_assert_cmpuint (past_end->len, ==, 0);
  all = list_conversations (store, 0, G_MAXUINT);
  g_assert_cmpuint (all->len, ==, 25);

  g_assert_finalize_object (store);
}

static void
test_cascade_delete (void)
{
  g_autofree char *path = default_path ();
  g_autoptr(ConfabStoredConversation) doomed = NULL;
  g_autoptr(ConfabStoredConversation) kept = NULL;
  g_autoptr(ConfabStoredMessage) m1 = NULL;
  g_autoptr(ConfabStoredMessage) m2 = NULL;
  g_autoptr(ConfabStoredMessage) m3 = NULL;
  g_autoptr(ConfabStoreSnapshot) snapshot = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GPtrArray) kept_messages = NULL;
  g_autoptr(GPtrArray) conversations = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(sqlite3) db = NULL;
  ConfabStore *store;

  store = open_store (path);
  doomed = create_conversation (store, "Doomed");
  kept = create_conversation (store, "Kept");

  m1 = append_message (store, doomed->id, CONFAB_MESSAGE_ROLE_USER, "消えるメッセージ");
  m2 = append_message (store, doomed->id, CONFAB_MESSAGE_ROLE_ASSISTANT, "사라지는 메시지");
  m3 = append_message (store, kept->id, CONFAB_MESSAGE_ROLE_USER, "残るメッセージ");

  snapshot = delete_conversation (store, doomed->id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (snapshot);
  g_assert_cmpint (snapshot->conversation->id, ==, doomed->id);
  g_assert_cmpstr (snapshot->conversation->title, ==, "Doomed");
  g_assert_cmpuint (snapshot->messages->len, ==, 2);

  messages = list_messages (store, doomed->id, 0, 10);
  g_assert_cmpuint (messages->len, ==, 0);
  kept_messages = list_messages (store, kept->id, 0, 10);
  g_assert_cmpuint (kept_messages->len, ==, 1);
  conversations = list_conversations (store, 0, 10);
  g_assert_cmpuint (conversations->len, ==, 1);

  db = raw_open (path);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM messages"), ==, 1);

  /* The index lost the deleted text with the rows. */
  hits = search (store, "メッセージ", 10);
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_cmpint (((ConfabStoreSearchHit *)hits->pdata[0])->message_id, ==, m3->id);
  assert_index_sound (path);

  g_assert_finalize_object (store);
}

static void
test_undo_delete (void)
{
  g_autofree char *path = default_path ();
  g_autoptr(ConfabStoredConversation) older = NULL;
  g_autoptr(ConfabStoredConversation) doomed = NULL;
  g_autoptr(ConfabStoredConversation) newer = NULL;
  g_autoptr(ConfabStoredMessage) m1 = NULL;
  g_autoptr(ConfabStoredMessage) m2 = NULL;
  g_autoptr(ConfabStoreSnapshot) snapshot = NULL;
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  ConfabStore *store;
  GAsyncResult *slot = NULL;

  store = open_store (path);
  older = create_conversation (store, "Older");
  doomed = create_conversation (store, "Doomed");

  set_pinned (store, doomed->id, TRUE);
  m1 = append_message (store, doomed->id, CONFAB_MESSAGE_ROLE_USER, "오늘 날씨가 어때요?");
  m2 = append_message (store, doomed->id, CONFAB_MESSAGE_ROLE_ASSISTANT, "今日は晴れです。");
  before = list_conversations (store, 0, 10);

  snapshot = delete_conversation (store, doomed->id, &error);
  g_assert_no_error (error);
  assert_search (store, "날씨가", "날씨가", NULL, 0);

  /* Ids are never handed out again, so the Undo cannot collide. */
  newer = create_conversation (store, "Newer");
  g_assert_cmpint (newer->id, >, doomed->id);

  confab_store_restore_conversation_async (store, snapshot, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  g_assert_true (confab_store_restore_conversation_finish (store, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  after = list_conversations (store, 0, 10);
  g_assert_cmpuint (after->len, ==, 3);
  for (guint i = 0; i < before->len; i++)
    {
      const ConfabStoredConversation *was = before->pdata[i];
      const ConfabStoredConversation *is = after->pdata[i == 0 ? 0 : i + 1];

      g_assert_cmpint (is->id, ==, was->id);
      g_assert_cmpstr (is->title, ==, was->title);
      g_assert_cmpint (is->created_at, ==, was->created_at);
      g_assert_cmpint (is->updated_at, ==, was->updated_at);
      g_assert_cmpint (is->pinned, ==, was->pinned);
    }
  g_assert_cmpint (((ConfabStoredConversation *)after->pdata[1])->id, ==, newer->id);

  messages = list_messages (store, doomed->id, 0, 10);
  g_assert_cmpuint (messages->len, ==, 2);
  g_assert_cmpint (((ConfabStoredMessage *)messages->pdata[0])->id, ==, m1->id);
  g_assert_cmpstr (((ConfabStoredMessage *)messages->pdata[0])->content, ==, m1->content);
  g_assert_cmpint (((ConfabStoredMessage *)messages->pdata[1])->id, ==, m2->id);
  g_assert_cmpint (((ConfabStoredMessage *)messages->pdata[1])->position, ==, 1);
  g_assert_cmpint (((ConfabStoredMessage *)messages->pdata[1])->created_at, ==, m2->created_at);

  assert_search (store, "날씨가", "날씨가", &m1->id, 1);
  assert_index_sound (path);

  g_assert_finalize_object (store);
}

/* Exactly what version 1 of Confab wrote, kept here as the fixture, so
 * that later migrations keep being tested from it. */
static const char v1_schema[] =
  "CREATE TABLE conversations ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  title TEXT NOT NULL DEFAULT '',"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL,"
  "  model TEXT,"
  "  system_prompt TEXT,"
  "  pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1))"
  ");"
  "CREATE INDEX conversations_by_order ON conversations (pinned, updated_at);"
  "CREATE TABLE messages ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  conversation_id INTEGER NOT NULL"
  "    REFERENCES conversations (id) ON DELETE CASCADE,"
  "  position INTEGER NOT NULL,"
  "  role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),"
  "  content TEXT NOT NULL DEFAULT '',"
  "  reasoning TEXT NOT NULL DEFAULT '',"
  "  state TEXT NOT NULL DEFAULT 'complete'"
  "    CHECK (state IN ('complete', 'streaming', 'stopped', 'failed', 'interrupted')),"
  "  error TEXT,"
  "  prompt_tokens INTEGER,"
  "  completion_tokens INTEGER,"
  "  model TEXT,"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL"
  ");"
  "CREATE INDEX messages_by_position ON messages (conversation_id, position);"
  "CREATE INDEX messages_streaming ON messages (state) WHERE state = 'streaming';"
  "CREATE VIRTUAL TABLE messages_fts USING fts5 ("
  "  content, content='messages', content_rowid='id', tokenize='trigram');"
  "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN"
  "  INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);"
  "END;"
  "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN"
  "  INSERT INTO messages_fts (messages_fts, rowid, content)"
  "    VALUES ('delete', old.id, old.content);"
  "END;"
  "CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages"
  "  WHEN old.content IS NOT new.content BEGIN"
  "  INSERT INTO messages_fts (messages_fts, rowid, content)"
  "    VALUES ('delete', old.id, old.content);"
  "  INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);"
  "END;"
  "INSERT INTO conversations VALUES (7, '天気', 1000, 2000, 'gpt-4o-mini', 'Be brief.', 1);"
  "INSERT INTO messages VALUES (40, 7, 0, 'user', '明日の東京の天気は？', '', 'complete',"
  "  NULL, NULL, NULL, NULL, 1500, 1500);"
  "INSERT INTO messages VALUES (41, 7, 1, 'assistant', '晴れでしょう。', '考え中', 'streaming',"
  "  NULL, 20, 5, 'gpt-4o-mini', 2000, 2000);"
  "PRAGMA user_version = 1;";

static void
test_migrate_from_v1 (void)
{
  g_autofree char *path = default_path ();
  g_autofree char *folder = g_path_get_dirname (path);
  g_autoptr(GPtrArray) conversations = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(ConfabStoredMessage) added = NULL;
  g_autoptr(ConfabStoredMessage) updated = NULL;
  g_autoptr(ConfabStoredMessage) pending = NULL;
  g_autoptr(ConfabStoredMessage) row = NULL;
  g_autoptr(GError) error = NULL;
  const ConfabStoredConversation *conversation;
  const ConfabStoredMessage *reply;
  const gint64 tokyo[] = { 40 };
  ConfabStore *store;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  {
    g_autoptr(sqlite3) db = raw_open (path);

    raw_exec (db, v1_schema);
  }

  store = open_store (path);
  g_assert_null (confab_store_get_recovered_from_corruption (store));
  g_assert_cmpuint (confab_store_get_n_interrupted (store), ==, 1);

  conversations = list_conversations (store, 0, 10);
  g_assert_cmpuint (conversations->len, ==, 1);
  conversation = conversations->pdata[0];
  g_assert_cmpint (conversation->id, ==, 7);
  g_assert_cmpstr (conversation->title, ==, "天気");
  g_assert_cmpint (conversation->created_at, ==, 1000);
  g_assert_cmpstr (conversation->system_prompt, ==, "Be brief.");
  g_assert_true (conversation->pinned);

  messages = list_messages (store, 7, 0, 10);
  g_assert_cmpuint (messages->len, ==, 2);
  reply = messages->pdata[1];
  g_assert_cmpint (reply->id, ==, 41);
  g_assert_cmpstr (reply->content, ==, "晴れでしょう。");
  g_assert_cmpstr (reply->reasoning, ==, "考え中");
  g_assert_cmpint (reply->state, ==, CONFAB_MESSAGE_STATE_INTERRUPTED);
  g_assert_cmpint (reply->prompt_tokens, ==, 20);
  /* Version 3's columns read as a reply that was not measured. */
  assert_timings (reply, -1, -1);
  /* Version 2's columns read as a message with one variant and no
   * finish reason. */
  g_assert_null (reply->finish_reason);
  g_assert_cmpuint (reply->n_variants, ==, 1);
  g_assert_cmpuint (reply->variant_index, ==, 0);
  g_assert_null (reply->variants);

  /* And they take what version 2 writes. */
  updated = confab_stored_message_copy (reply);
  updated->finish_reason = g_strdup ("stop");
  updated->state = CONFAB_MESSAGE_STATE_COMPLETE;
  g_assert_true (update_message (store, updated, &error));
  g_assert_no_error (error);
  pending = stored_reply ("", CONFAB_MESSAGE_STATE_STREAMING, NULL);
  row = add_variant (store, 41, pending, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (row->n_variants, ==, 2);
  g_assert_cmpstr (variant_at (row, 0)->content, ==, "晴れでしょう。");
  g_assert_cmpstr (variant_at (row, 0)->reasoning, ==, "考え中");
  g_assert_cmpstr (variant_at (row, 0)->finish_reason, ==, "stop");
  assert_timings (variant_at (row, 0), -1, -1);
  g_clear_pointer (&row, confab_stored_message_free);
  row = select_variant (store, 41, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (row->content, ==, "晴れでしょう。");
  g_assert_cmpstr (row->finish_reason, ==, "stop");
  g_assert_cmpint (row->prompt_tokens, ==, 20);
  assert_timings (row, -1, -1);

  assert_search (store, "東京の天気", "東京の天気", tokyo, 1);
  added = append_message (store, 7, CONFAB_MESSAGE_ROLE_USER, "ありがとう");
  g_assert_cmpint (added->id, ==, 42);
  g_assert_cmpint (added->position, ==, 2);
  g_assert_finalize_object (store);

  {
    g_autoptr(sqlite3) db = raw_open (path);

    g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, CONFAB_STORE_SCHEMA_VERSION);
    g_assert_cmpint (raw_int (db, "SELECT count(*) FROM message_variants"), ==, 1);
    g_assert_cmpint (raw_int (db, "SELECT n_variants FROM messages WHERE id = 40"), ==, 1);
  }
  assert_index_sound (path);
}

/* Version 2's step, exactly as it was released, to make a version 1 file
 * what version 2 left on disk. */
static const char v1_to_v2[] =
  "ALTER TABLE messages ADD COLUMN finish_reason TEXT;"
  "ALTER TABLE messages ADD COLUMN variant_index INTEGER NOT NULL DEFAULT 0"
  "  CHECK (variant_index >= 0);"
  "ALTER TABLE messages ADD COLUMN n_variants INTEGER NOT NULL DEFAULT 1"
  "  CHECK (n_variants > variant_index);"
  "CREATE TABLE message_variants ("
  "  message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,"
  "  idx INTEGER NOT NULL CHECK (idx >= 0),"
  "  content TEXT NOT NULL DEFAULT '',"
  "  reasoning TEXT NOT NULL DEFAULT '',"
  "  state TEXT NOT NULL DEFAULT 'complete'"
  "    CHECK (state IN ('complete', 'stopped', 'failed', 'interrupted')),"
  "  error TEXT,"
  "  prompt_tokens INTEGER,"
  "  completion_tokens INTEGER,"
  "  model TEXT,"
  "  finish_reason TEXT,"
  "  updated_at INTEGER NOT NULL,"
  "  PRIMARY KEY (message_id, idx)"
  ") WITHOUT ROWID;";

/* What version 2 of Confab wrote on top of a file version 1 began: a
 * reply regenerated twice, that shows its second variant. */
static const char v2_rows[] =
  "INSERT INTO conversations VALUES (8, '翻訳', 3000, 4000, 'qwen2.5:7b', NULL, 0);"
  "INSERT INTO messages VALUES (50, 8, 0, 'user', '「안녕하세요」を日本語に', '', 'complete',"
  "  NULL, NULL, NULL, NULL, 3500, 3500, NULL, 0, 1);"
  "INSERT INTO messages VALUES (51, 8, 1, 'assistant', 'こんにちは。', '挨拶', 'complete',"
  "  NULL, 12, 3, 'qwen2.5:7b', 3600, 4000, 'stop', 1, 3);"
  "INSERT INTO message_variants VALUES (51, 0, 'やあ。', '', 'stopped', NULL, 12, 1,"
  "  'qwen2.5:7b', NULL, 3700);"
  "INSERT INTO message_variants VALUES (51, 2, '', '', 'failed', 'The server had an error.',"
  "  NULL, NULL, NULL, NULL, 3900);"
  "PRAGMA user_version = 2;";

/* Version 3's step, exactly as it was released. */
static const char v2_to_v3[] =
  "ALTER TABLE messages ADD COLUMN first_token_us INTEGER;"
  "ALTER TABLE messages ADD COLUMN generation_us INTEGER;"
  "ALTER TABLE message_variants ADD COLUMN first_token_us INTEGER;"
  "ALTER TABLE message_variants ADD COLUMN generation_us INTEGER;";

/* What version 3 of Confab wrote on top of that: a measured reply with a
 * measured variant beside it. */
static const char v3_rows[] =
  "INSERT INTO conversations VALUES (9, '速さ', 5000, 6000, 'llama3.2', NULL, 0);"
  "INSERT INTO messages VALUES (60, 9, 0, 'user', '오늘 날씨', '', 'complete',"
  "  NULL, NULL, NULL, NULL, 5500, 5500, NULL, 0, 1, NULL, NULL);"
  "INSERT INTO messages VALUES (61, 9, 1, 'assistant', '今日の天気', '', 'complete',"
  "  NULL, 8, 4, 'llama3.2', 5600, 6000, 'stop', 0, 2, 310000, 900000);"
  "INSERT INTO message_variants VALUES (61, 1, '本日の天気', '', 'complete', NULL, 8, 5,"
  "  'llama3.2', 'stop', 5800, 290000, 1100000);"
  "PRAGMA user_version = 3;";

/* Version 4's step, exactly as it was released. */
static const char v3_to_v4[] =
  "CREATE TABLE translations ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  source TEXT NOT NULL,"
  "  target TEXT NOT NULL,"
  "  source_language TEXT,"
  "  target_language TEXT NOT NULL,"
  "  model TEXT,"
  "  created_at INTEGER NOT NULL"
  ");";

/* What version 4 wrote on top of that: a reply that was still streaming
 * when it was killed, indexed for search as version 4 indexed every save,
 * and a recent translation. */
static const char v4_rows[] =
  "INSERT INTO conversations VALUES (10, '途中', 7000, 8000, 'llama3.2', NULL, 0);"
  "INSERT INTO messages VALUES (70, 10, 0, 'user', '긴 이야기를 해 주세요', '', 'complete',"
  "  NULL, NULL, NULL, NULL, 7500, 7500, NULL, 0, 1, NULL, NULL);"
  "INSERT INTO messages VALUES (71, 10, 1, 'assistant', '昔々あるところに', '', 'streaming',"
  "  NULL, NULL, NULL, 'llama3.2', 7600, 8000, NULL, 0, 1, NULL, NULL);"
  "INSERT INTO translations VALUES (1, '안녕', 'こんにちは', 'ko', 'ja', 'llama3.2', 7700);"
  "PRAGMA user_version = 4;";

/* A file as each earlier version left it, by version, each applied in
 * turn. A new schema version adds the file the one before it wrote. */
static const struct
{
  const char *name;
  guint       version;
  const char *sql[7];
} earlier_versions[] = {
  { "v1", 1, { v1_schema, NULL } },
  { "v2", 2, { v1_schema, v1_to_v2, v2_rows, NULL } },
  { "v3", 3, { v1_schema, v1_to_v2, v2_to_v3, v3_rows, NULL } },
  { "v4", 4, { v1_schema, v1_to_v2, v2_to_v3, v3_to_v4, v4_rows, NULL } },
};

G_STATIC_ASSERT (G_N_ELEMENTS (earlier_versions) == CONFAB_STORE_SCHEMA_VERSION - 1);

/* The values each version wrote, but for the state and the time of a
 * save, which crash recovery may change. */
static const struct
{
  guint       since;
  const char *sql;
} row_queries[] = {
  { 1, "SELECT id, title, created_at, updated_at, model, system_prompt, pinned "
       "FROM conversations ORDER BY id" },
  { 1, "SELECT id, conversation_id, position, role, content, reasoning, error, prompt_tokens, "
       "completion_tokens, model, created_at FROM messages ORDER BY id" },
  { 2, "SELECT id, finish_reason, variant_index, n_variants FROM messages ORDER BY id" },
  { 2, "SELECT message_id, idx, content, reasoning, state, error, prompt_tokens, "
       "completion_tokens, model, finish_reason, updated_at "
       "FROM message_variants ORDER BY message_id, idx" },
  { 3, "SELECT id, first_token_us, generation_us FROM messages ORDER BY id" },
  { 3, "SELECT message_id, idx, first_token_us, generation_us "
       "FROM message_variants ORDER BY message_id, idx" },
};

/* Every row that @sql selects, as one string in which NULL is not "". */
static char *
raw_rows (sqlite3    *db,
          const char *sql)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GString) rows = g_string_new (NULL);
  int rc;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      for (int i = 0; i < sqlite3_column_count (stmt); i++)
        {
          if (sqlite3_column_type (stmt, i) == SQLITE_NULL)
            g_string_append (rows, "NULL");
          else
            g_string_append_printf (rows, "'%s'", sqlite3_column_text (stmt, i));
          g_string_append_c (rows, ',');
        }
      g_string_append_c (rows, '\n');
    }
  g_assert_cmpint (rc, ==, SQLITE_DONE);

  return g_string_free (g_steal_pointer (&rows), FALSE);
}

static GStrv
rows_since (const char *path,
            guint       version)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(sqlite3) db = raw_open (path);

  for (guint i = 0; i < G_N_ELEMENTS (row_queries); i++)
    {
      g_autofree char *rows = NULL;

      if (row_queries[i].since > version)
        continue;

      rows = raw_rows (db, row_queries[i].sql);
      g_strv_builder_add (builder, rows);
    }

  return g_strv_builder_end (builder);
}

/* Each earlier version's file keeps every row and variant, and reads as
 * replies that were not measured, which then take what this version
 * writes. */
static void
test_migrate_from_earlier (gconstpointer data)
{
  const guint i = GPOINTER_TO_UINT (data);
  g_autofree char *path = default_path ();
  g_autofree char *folder = g_path_get_dirname (path);
  g_auto(GStrv) before = NULL;
  g_auto(GStrv) after = NULL;
  g_autoptr(GPtrArray) conversations = NULL;
  g_autoptr(ConfabStoredMessage) updated = NULL;
  g_autoptr(ConfabStoredMessage) pending = NULL;
  g_autoptr(ConfabStoredMessage) row = NULL;
  g_autoptr(GError) error = NULL;
  gint64 n_messages = 0;
  gint64 n_variants = 0;
  guint n_read = 0;
  guint n_read_variants = 0;
  ConfabStore *store;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  {
    g_autoptr(sqlite3) db = raw_open (path);

    for (guint j = 0; earlier_versions[i].sql[j] != NULL; j++)
      raw_exec (db, earlier_versions[i].sql[j]);
    g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, earlier_versions[i].version);
    n_messages = raw_int (db, "SELECT count(*) FROM messages");
    if (earlier_versions[i].version >= 2)
      n_variants = raw_int (db, "SELECT count(*) FROM message_variants");
  }
  before = rows_since (path, earlier_versions[i].version);

  store = open_store (path);
  g_assert_null (confab_store_get_recovered_from_corruption (store));

  {
    g_autoptr(sqlite3) db = raw_open (path);

    g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, CONFAB_STORE_SCHEMA_VERSION);
    if (earlier_versions[i].version < 3)
      {
        g_assert_cmpint (raw_int (db, "SELECT count(*) FROM messages WHERE "
                                      "first_token_us IS NOT NULL OR generation_us IS NOT NULL"),
                         ==, 0);
        g_assert_cmpint (raw_int (db, "SELECT count(*) FROM message_variants WHERE "
                                      "first_token_us IS NOT NULL OR "
                                      "generation_us IS NOT NULL"),
                         ==, 0);
      }
    /* Version 4 begins with no recent translation; version 4's are kept. */
    g_assert_cmpint (raw_int (db, "SELECT count(*) FROM translations"), ==,
                     earlier_versions[i].version >= 4);
  }
  after = rows_since (path, earlier_versions[i].version);
  g_assert_cmpstrv (after, before);

  conversations = list_conversations (store, 0, 100);
  for (guint c = 0; c < conversations->len; c++)
    {
      const ConfabStoredConversation *conversation = conversations->pdata[c];
      g_autoptr(GPtrArray) messages = list_messages (store, conversation->id, 0, 100);

      for (guint m = 0; m < messages->len; m++)
        {
          const ConfabStoredMessage *message = messages->pdata[m];

          if (earlier_versions[i].version < 3)
            assert_timings (message, -1, -1);
          g_assert_cmpuint (message->n_variants, ==,
                            message->variants != NULL ? message->variants->len + 1 : 1);
          for (guint v = 0; earlier_versions[i].version < 3 && message->variants != NULL &&
                            v < message->variants->len; v++)
            assert_timings (variant_at (message, v), -1, -1);
          n_read++;
          n_read_variants += message->n_variants - 1;
          if (message->role == CONFAB_MESSAGE_ROLE_ASSISTANT)
            {
              g_clear_pointer (&updated, confab_stored_message_free);
              updated = confab_stored_message_copy (message);
            }
        }
    }
  g_assert_cmpint (n_read, ==, n_messages);
  g_assert_cmpint (n_read_variants, ==, n_variants);

  /* The last reply is saved measured, then asked for again: its times
   * move with it into the variants. */
  g_assert_nonnull (updated);
  updated->state = CONFAB_MESSAGE_STATE_COMPLETE;
  updated->first_token_us = 420000;
  updated->generation_us = 1750000;
  g_assert_true (update_message (store, updated, &error));
  g_assert_no_error (error);
  pending = stored_reply ("", CONFAB_MESSAGE_STATE_STREAMING, NULL);
  row = add_variant (store, updated->id, pending, &error);
  g_assert_no_error (error);
  assert_timings (row, -1, -1);
  g_assert_cmpuint (row->n_variants, ==, updated->n_variants + 1);
  assert_timings (variant_at (row, updated->variant_index), 420000, 1750000);
  g_clear_pointer (&row, confab_stored_message_free);
  row = select_variant (store, updated->id, updated->variant_index, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (row->content, ==, updated->content);
  assert_timings (row, 420000, 1750000);

  /* The new table takes what this version writes. */
  {
    g_autoptr(ConfabStoredTranslation) translation =
      confab_stored_translation_new ("안녕하세요", "こんにちは", "ko", "ja", MODEL);
    g_autoptr(ConfabStoredTranslation) saved = add_translation (store, translation);
    g_autoptr(GPtrArray) recent = list_translations (store, 10);

    g_assert_cmpuint (recent->len, ==, 1 + (earlier_versions[i].version >= 4));
    assert_translation (recent->pdata[0], "안녕하세요", "こんにちは", "ko", "ja");
  }

  /* The reply version 4 left streaming is found once, as interrupted. */
  if (earlier_versions[i].version >= 4)
    {
      g_autoptr(GPtrArray) hits = search (store, "昔々あるところ", 10);

      g_assert_cmpuint (hits->len, ==, 1);
    }

  g_assert_finalize_object (store);
  assert_index_sound (path);
}

/* A reply is searched once it stops streaming: the saves while it
 * streams leave the index alone, and its final text is found once. */
static void
test_search_streaming (void)
{
  g_autofree char *path = default_path ();
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(ConfabStoredMessage) message = NULL;
  g_autoptr(ConfabStoredMessage) saved = NULL;
  g_autoptr(ConfabStoredMessage) doomed = NULL;
  g_autoptr(ConfabStoreSnapshot) snapshot = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GError) error = NULL;
  ConfabStore *store;

  store = open_store (path);
  conversation = create_conversation (store, "Streaming");
  message = stored_reply ("ストリーミング", CONFAB_MESSAGE_STATE_STREAMING, NULL);
  saved = append_message_full (store, conversation->id, message, &error);
  g_assert_no_error (error);

  hits = search (store, "ストリーミング", 10);
  g_assert_cmpuint (hits->len, ==, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* Saved again, longer, still streaming. */
  g_free (saved->content);
  saved->content = g_strdup ("ストリーミング中の返事です");
  g_assert_true (update_message (store, saved, &error));
  g_assert_no_error (error);
  hits = search (store, "中の返事", 10);
  g_assert_cmpuint (hits->len, ==, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);
  assert_index_sound (path);

  /* Complete: found, once, by any part of its text. */
  saved->state = CONFAB_MESSAGE_STATE_COMPLETE;
  g_assert_true (update_message (store, saved, &error));
  g_assert_no_error (error);
  hits = search (store, "中の返事", 10);
  g_assert_cmpuint (hits->len, ==, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);
  assert_index_sound (path);

  /* Continued: streaming again, out of the index, then back with more. */
  saved->state = CONFAB_MESSAGE_STATE_STREAMING;
  g_assert_true (update_message (store, saved, &error));
  g_assert_no_error (error);
  hits = search (store, "中の返事", 10);
  g_assert_cmpuint (hits->len, ==, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);
  g_free (saved->content);
  saved->content = g_strdup ("ストリーミング中の返事です。続きもあります");
  saved->state = CONFAB_MESSAGE_STATE_STOPPED;
  g_assert_true (update_message (store, saved, &error));
  g_assert_no_error (error);
  hits = search (store, "続きもあり", 10);
  g_assert_cmpuint (hits->len, ==, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);
  assert_index_sound (path);

  /* Deleted while streaming: nothing of it stays in the index. */
  doomed = stored_reply ("消える返事", CONFAB_MESSAGE_STATE_STREAMING, NULL);
  g_clear_pointer (&message, confab_stored_message_free);
  message = append_message_full (store, conversation->id, doomed, &error);
  g_assert_no_error (error);
  snapshot = delete_conversation (store, conversation->id, &error);
  g_assert_no_error (error);
  hits = search (store, "ストリーミング", 10);
  g_assert_cmpuint (hits->len, ==, 0);

  g_assert_finalize_object (store);
  assert_index_sound (path);
}

static void
test_migrate_from_empty_file (void)
{
  g_autofree char *path = default_path ();
  g_autofree char *folder = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  ConfabStore *store;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  g_file_set_contents (path, "", 0, &error);
  g_assert_no_error (error);

  store = open_store (path);
  g_assert_null (confab_store_get_recovered_from_corruption (store));
  conversation = create_conversation (store, "First");
  g_assert_finalize_object (store);

  {
    g_autoptr(sqlite3) db = raw_open (path);

    g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, CONFAB_STORE_SCHEMA_VERSION);
    g_assert_cmpint (raw_int (db, "SELECT count(*) FROM conversations"), ==, 1);
  }
  assert_no_backup (path);
}

static void
test_newer_version (void)
{
  g_autofree char *path = default_path ();
  g_autofree char *folder = g_path_get_dirname (path);
  g_autofree char *sql = g_strdup_printf ("CREATE TABLE future (x); PRAGMA user_version = %d;",
                                          CONFAB_STORE_SCHEMA_VERSION + 1);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr(GError) error = NULL;
  gsize before_len;
  gsize after_len;
  ConfabStore *store;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  {
    g_autoptr(sqlite3) db = raw_open (path);

    raw_exec (db, sql);
  }
  g_file_get_contents (path, &before, &before_len, &error);
  g_assert_no_error (error);

  store = confab_store_new_for_path (path, &error);
  g_assert_null (store);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NEWER_VERSION);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  g_file_get_contents (path, &after, &after_len, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (after, after_len, before, before_len);
  assert_no_backup (path);
}

static void
assert_recovered (ConfabStore  *store,
                  const char   *path,
                  const char   *damaged,
                  gsize         damaged_len)
{
  g_autofree char *backup = NULL;
  g_autofree char *moved = NULL;
  g_autofree char *property = NULL;
  g_autofree char *prefix = g_strconcat (path, ".corrupt-", NULL);
  g_autoptr(GPtrArray) conversations = NULL;
  g_autoptr(ConfabStoredConversation) fresh = NULL;
  g_autoptr(GError) error = NULL;
  gsize moved_len;

  backup = g_strdup (confab_store_get_recovered_from_corruption (store));
  g_assert_nonnull (backup);
  g_object_get (store, "recovered-from-corruption", &property, NULL);
  g_assert_cmpstr (property, ==, backup);

  /* <name>.corrupt-YYYYMMDD-HHMMSS */
  g_assert_true (g_str_has_prefix (backup, prefix));
  g_assert_cmpuint (strlen (backup), ==, strlen (prefix) + 15);
  for (guint i = 0; i < 15; i++)
    {
      if (i == 8)
        g_assert_cmpint (backup[strlen (prefix) + i], ==, '-');
      else
        g_assert_true (g_ascii_isdigit (backup[strlen (prefix) + i]));
    }

  /* Moved, never deleted or changed. */
  g_file_get_contents (backup, &moved, &moved_len, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (moved, moved_len, damaged, damaged_len);

  conversations = list_conversations (store, 0, 10);
  g_assert_cmpuint (conversations->len, ==, 0);
  fresh = create_conversation (store, "Fresh start");
}

static void
test_corrupt_garbage (void)
{
  g_autofree char *path = default_path ();
  g_autofree char *folder = g_path_get_dirname (path);
  g_autofree char *garbage = g_malloc (4096);
  g_autoptr(GError) error = NULL;
  ConfabStore *store;

  for (guint i = 0; i < 4096; i++)
    garbage[i] = (char)((i * 131 + 7) & 0xff);

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  g_file_set_contents (path, garbage, 4096, &error);
  g_assert_no_error (error);

  store = open_store (path);
  assert_recovered (store, path, garbage, 4096);
  g_assert_finalize_object (store);

  /* The fresh database is sound the next time. */
  store = open_store (path);
  g_assert_null (confab_store_get_recovered_from_corruption (store));
  g_assert_finalize_object (store);
}

static void
test_corrupt_truncated (void)
{
  g_autofree char *path = default_path ();
  g_autofree char *contents = NULL;
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  ConfabStore *store = open_store (path);
  gsize len;

  conversation = create_conversation (store, "Long");
  for (guint i = 0; i < 150; i++)
    {
      g_autoptr(ConfabStoredMessage) message = NULL;

      g_string_printf (text, "%u: ", i);
      for (guint j = 0; j < 40; j++)
        g_string_append (text, "긴 메시지 ");
      message = append_message (store, conversation->id, CONFAB_MESSAGE_ROLE_USER, text->str);
    }
  /* Closing checkpoints the log into the file. */
  g_assert_finalize_object (store);

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len, >, 64 * 1024);
  len /= 2;
  g_file_set_contents (path, contents, len, &error);
  g_assert_no_error (error);

  store = open_store (path);
  assert_recovered (store, path, contents, len);
  g_assert_finalize_object (store);
}

typedef struct
{
  ConfabMessageRole  role;
  const char        *content;
} Seed;

static GPtrArray *
seed (ConfabStore *store,
      const Seed  *seeds,
      guint        n_seeds,
      guint        per_conversation)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify)confab_stored_message_free);
  gint64 conversation_id = 0;

  for (guint i = 0; i < n_seeds; i++)
    {
      if (i % per_conversation == 0)
        {
          g_autoptr(ConfabStoredConversation) conversation = NULL;
          g_autofree char *title = g_strdup_printf ("Conversation %u", i / per_conversation);

          conversation = create_conversation (store, title);
          conversation_id = conversation->id;
        }
      g_ptr_array_add (messages, append_message (store, conversation_id, seeds[i].role,
                                                 seeds[i].content));
    }

  return messages;
}

#define MESSAGE_ID(messages, i) (((ConfabStoredMessage *)(messages)->pdata[i])->id)

static void
test_search_cjk (void)
{
  static const Seed seeds[] = {
    { CONFAB_MESSAGE_ROLE_USER, "오늘 서울의 날씨가 맑고 따뜻합니다. 산책하기 좋은 날이에요." },
    { CONFAB_MESSAGE_ROLE_ASSISTANT, "今日のソウルは晴れて暖かいです。散歩日和ですね。" },
    { CONFAB_MESSAGE_ROLE_USER, "내일 부산 날씨가 어떨까요?" },
    { CONFAB_MESSAGE_ROLE_ASSISTANT, "明日の釜山の天気は雨でしょう。傘を持って行ってください。" },
    { CONFAB_MESSAGE_ROLE_USER, "Weather in Seoul, please." },
    { CONFAB_MESSAGE_ROLE_ASSISTANT, "東京の天気予報によると、週末は晴れます。" },
  };
  g_autofree char *path = default_path ();
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  const ConfabStoreSearchHit *hit;
  ConfabStore *store;

  store = open_store (path);
  messages = seed (store, seeds, G_N_ELEMENTS (seeds), 2);

  /* Three characters and more go through the trigram index, across
   * conversations, newest first. */
  {
    const gint64 ids[] = { MESSAGE_ID (messages, 2), MESSAGE_ID (messages, 0) };

    assert_search (store, "날씨가", "날씨가", ids, G_N_ELEMENTS (ids));
  }
  {
    const gint64 ids[] = { MESSAGE_ID (messages, 5), MESSAGE_ID (messages, 3) };

    assert_search (store, "の天気", "の天気", ids, G_N_ELEMENTS (ids));
  }
  {
    const gint64 ids[] = { MESSAGE_ID (messages, 5) };

    assert_search (store, "東京の天気予報", "東京の天気予報", ids, G_N_ELEMENTS (ids));
  }
  /* Two characters and one fall back to LIKE, with the same results. */
  {
    const gint64 ids[] = { MESSAGE_ID (messages, 5), MESSAGE_ID (messages, 3) };

    assert_search (store, "天気", "天気", ids, G_N_ELEMENTS (ids));
  }
  {
    const gint64 ids[] = { MESSAGE_ID (messages, 2), MESSAGE_ID (messages, 0) };

    assert_search (store, "날씨", "날씨", ids, G_N_ELEMENTS (ids));
  }
  {
    const gint64 ids[] = { MESSAGE_ID (messages, 5), MESSAGE_ID (messages, 1) };

    assert_search (store, "晴", "晴", ids, G_N_ELEMENTS (ids));
  }
  /* ASCII ignores case either way. */
  {
    const gint64 ids[] = { MESSAGE_ID (messages, 4) };

    assert_search (store, "SEOUL", "Seoul", ids, G_N_ELEMENTS (ids));
    assert_search (store, "we", "We", ids, G_N_ELEMENTS (ids));
  }
  assert_search (store, "雪が降る", "", NULL, 0);
  assert_search (store, "눈", "", NULL, 0);

  hits = search (store, "  따뜻합니다  ", 10);
  g_assert_cmpuint (hits->len, ==, 1);
  hit = hits->pdata[0];
  g_assert_cmpint (hit->conversation_id, ==,
                   ((ConfabStoredMessage *)messages->pdata[0])->conversation_id);
  g_assert_cmpstr (hit->title, ==, "Conversation 0");
  g_assert_nonnull (strstr (hit->snippet, "서울의 날씨가 맑고 "));

  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search (store, "晴", 1);
  g_assert_cmpuint (hits->len, ==, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search (store, " \t\n", 10);
  g_assert_cmpuint (hits->len, ==, 0);

  g_assert_finalize_object (store);
}

static void
test_search_long_snippet (void)
{
  g_autofree char *path = default_path ();
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(ConfabStoredMessage) message = NULL;
  ConfabStore *store;

  store = open_store (path);
  conversation = create_conversation (store, "Long");

  for (guint i = 0; i < 200; i++)
    g_string_append (text, "とても長い文章です。");
  g_string_append (text, "ここに東京タワーがあります。");
  for (guint i = 0; i < 200; i++)
    g_string_append (text, "まだまだ続きます。");
  message = append_message (store, conversation->id, CONFAB_MESSAGE_ROLE_ASSISTANT, text->str);

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GPtrArray) hits = search (store, i == 0 ? "東京タワー" : "タワ", 10);
      const ConfabStoreSearchHit *hit;

      g_assert_cmpuint (hits->len, ==, 1);
      hit = hits->pdata[0];
      /* A window around the match, not the whole text. */
      g_assert_cmpuint (g_utf8_strlen (hit->snippet, -1), <, 80);
      g_assert_true (g_str_has_prefix (hit->snippet, "…"));
      g_assert_true (g_str_has_suffix (hit->snippet, "…"));
      g_assert_nonnull (strstr (hit->snippet, CONFAB_STORE_MATCH_START));
    }

  g_assert_finalize_object (store);
}

static void
test_search_syntax (void)
{
  static const Seed seeds[] = {
    { CONFAB_MESSAGE_ROLE_USER, "He said \"hello\" -- then NEAR(a b) and content:foo" },
    { CONFAB_MESSAGE_ROLE_ASSISTANT, "Saved to C:\\temp\\x*y.txt at 50% speed" },
    { CONFAB_MESSAGE_ROLE_USER, "snake_case and a^b (paren) 'quote' {col}" },
    { CONFAB_MESSAGE_ROLE_ASSISTANT, "plain words only" },
  };
  /* Each must search as plain text; none may be an FTS5 syntax error. */
  static const char * const queries[] = {
    "\"", "\"\"", "\"hello", "hello\"", "*", "**", "a*", "-", "--", "-x", "NOT", "NEAR",
    "NEAR(", "NEAR(a b)", "NEAR(a b, 2)", ":", "content:", "content:foo", "a OR b",
    "AND", "(", ")", "()", "^", "^b", "'", "{col}", "{content}: x", "%", "_", "\\",
    "\\%", "x AND NOT y", "+", "a + b", "\u00a0", "😀", "😀😀😀",
  };
  g_autofree char *path = default_path ();
  g_autoptr(GPtrArray) messages = NULL;
  ConfabStore *store;

  store = open_store (path);
  messages = seed (store, seeds, G_N_ELEMENTS (seeds), 4);

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autoptr(GPtrArray) hits = search (store, queries[i], 10);

      g_assert_cmpuint (hits->len, <=, G_N_ELEMENTS (seeds));
    }

  {
    const gint64 ids[] = { MESSAGE_ID (messages, 0) };

    assert_search (store, "\"hello\"", "\"hello\"", ids, 1);
    assert_search (store, "NEAR(a b)", "NEAR(a b)", ids, 1);
    assert_search (store, "content:foo", "content:foo", ids, 1);
    assert_search (store, "-- then", "-- then", ids, 1);
    assert_search (store, "\"", "\"", ids, 1);
    assert_search (store, "--", "--", ids, 1);
  }
  {
    const gint64 ids[] = { MESSAGE_ID (messages, 1) };

    assert_search (store, "C:\\temp", "C:\\temp", ids, 1);
    assert_search (store, "x*y", "x*y", ids, 1);
    assert_search (store, "50%", "50%", ids, 1);
    /* LIKE's wildcards are escaped: they match only themselves. */
    assert_search (store, "%", "%", ids, 1);
    assert_search (store, "0%", "0%", ids, 1);
    assert_search (store, "\\", "\\", ids, 1);
    assert_search (store, "*", "*", ids, 1);
  }
  {
    const gint64 ids[] = { MESSAGE_ID (messages, 2) };

    assert_search (store, "_", "_", ids, 1);
    assert_search (store, "e_", "e_", ids, 1);
    assert_search (store, "^b", "^b", ids, 1);
    assert_search (store, "(paren)", "(paren)", ids, 1);
    assert_search (store, "'", "'", ids, 1);
    assert_search (store, "{col}", "{col}", ids, 1);
  }
  assert_search (store, "a%b", "", NULL, 0);
  assert_search (store, "s_a", "", NULL, 0);

  g_assert_finalize_object (store);
}

typedef struct
{
  guint n_done;
  guint n_failed;
} Saves;

static void
save_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  Saves *saves = user_data;

  if (confab_store_update_message_finish (CONFAB_STORE (object), result, &error))
    saves->n_done++;
  else
    saves->n_failed++;
}

static gboolean
saves_are_done (gpointer user_data)
{
  Saves *saves = user_data;

  return saves->n_done + saves->n_failed == 100;
}

static void
test_update_coalescing (void)
{
  g_autofree char *path = default_path ();
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(ConfabStoredMessage) reply = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(sqlite3) db = NULL;
  ConfabStore *store;
  Saves saves = { 0, 0 };
  gint64 n_updates;

  store = open_store (path);
  conversation = create_conversation (store, "Stream");
  db = raw_open (path);

  reply = append_message (store, conversation->id, CONFAB_MESSAGE_ROLE_ASSISTANT, "");
  reply->state = CONFAB_MESSAGE_STATE_STREAMING;

  /* Counts the UPDATEs that reach the table. */
  raw_exec (db,
            "CREATE TABLE update_count (n INTEGER);"
            "INSERT INTO update_count VALUES (0);"
            "CREATE TRIGGER count_updates AFTER UPDATE ON messages BEGIN"
            "  UPDATE update_count SET n = n + 1;"
            "END;");

  /* Another writer holds the lock, as a slow disk would hold the worker:
   * the saves pile up behind the one in progress. */
  raw_exec (db, "BEGIN IMMEDIATE");
  for (guint i = 0; i < 100; i++)
    {
      g_string_append_printf (text, "delta %u. ", i);
      g_free (reply->content);
      reply->content = g_strdup (text->str);
      if (i == 99)
        reply->state = CONFAB_MESSAGE_STATE_COMPLETE;
      confab_store_update_message_async (store, reply, NULL, save_cb, &saves);
    }
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (saves.n_done, ==, 0);
  raw_exec (db, "COMMIT");

  wait_until (saves_are_done, &saves);
  g_assert_cmpuint (saves.n_done, ==, 100);
  g_assert_cmpuint (saves.n_failed, ==, 0);

  /* The first save may have started before the others came: at most one
   * more UPDATE carries all the others. */
  n_updates = raw_int (db, "SELECT n FROM update_count");
  g_assert_cmpint (n_updates, >=, 1);
  g_assert_cmpint (n_updates, <=, 2);

  messages = list_messages (store, conversation->id, 0, 10);
  g_assert_cmpuint (messages->len, ==, 1);
  g_assert_cmpstr (((ConfabStoredMessage *)messages->pdata[0])->content, ==, text->str);
  g_assert_cmpint (((ConfabStoredMessage *)messages->pdata[0])->state, ==,
                   CONFAB_MESSAGE_STATE_COMPLETE);
  assert_search (store, "delta 99.", "delta 99.", &reply->id, 1);
  assert_index_sound (path);

  g_assert_finalize_object (store);
}

static void
append_counted_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(ConfabStoredMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  Saves *saves = user_data;

  message = confab_store_append_message_finish (CONFAB_STORE (object), result, &error);
  if (message != NULL)
    saves->n_done++;
  else
    saves->n_failed++;
}

static void
test_dispose_drains (void)
{
  g_autofree char *path = default_path ();
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(ConfabStoredConversation) closed = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  ConfabStore *store;
  Saves saves = { 0, 0 };
  GAsyncResult *slot = NULL;

  store = open_store (path);
  conversation = create_conversation (store, "Drain");

  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", i);
      g_autoptr(ConfabStoredMessage) message = confab_stored_message_new (CONFAB_MESSAGE_ROLE_USER,
                                                                          text);

      confab_store_append_message_async (store, conversation->id, message, NULL,
                                         append_counted_cb, &saves);
    }

  /* As at shutdown: disposing returns only once every queued write is
   * made, before any of their callbacks has run. */
  g_object_run_dispose (G_OBJECT (store));
  g_assert_cmpuint (saves.n_done + saves.n_failed, ==, 0);
  {
    g_autoptr(sqlite3) db = raw_open (path);

    g_assert_cmpint (raw_int (db, "SELECT count(*) FROM messages"), ==, 100);
    g_assert_cmpint (raw_int (db, "SELECT max(position) FROM messages"), ==, 99);
  }

  /* A closed store refuses new work, and says so. */
  confab_store_create_conversation_async (store, "Too late", NULL, NULL, NULL,
                                          result_cb, &slot);
  result = wait_for_result (&slot);
  closed = confab_store_create_conversation_finish (store, result, &error);
  g_assert_null (closed);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);

  wait_until (saves_are_done, &saves);
  g_assert_cmpuint (saves.n_done, ==, 100);
  g_clear_object (&result);
  g_assert_finalize_object (store);
}

static void
test_writes_do_not_block (void)
{
  g_autofree char *path = default_path ();
  g_autoptr(sqlite3) db = NULL;
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  ConfabStore *store;
  GAsyncResult *slot = NULL;
  gint64 start;
  gint64 elapsed;

  store = open_store (path);
  db = raw_open (path);

  /* While the worker waits for the lock, up to its busy timeout of
   * seconds, the caller goes on. */
  raw_exec (db, "BEGIN IMMEDIATE");
  start = g_get_monotonic_time ();
  confab_store_create_conversation_async (store, "Not blocked", NULL, NULL, NULL,
                                          result_cb, &slot);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("create_conversation_async returned in %" G_GINT64_FORMAT " µs", elapsed);
  g_assert_cmpint (elapsed, <, G_USEC_PER_SEC / 2);

  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (slot);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM conversations"), ==, 0);

  raw_exec (db, "COMMIT");
  result = wait_for_result (&slot);
  conversation = confab_store_create_conversation_finish (store, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (conversation->title, ==, "Not blocked");
  g_clear_object (&result);

  g_assert_finalize_object (store);
}

static void
test_cancelled (void)
{
  g_autofree char *path = default_path ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) conversations = NULL;
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  ConfabStore *store;
  GAsyncResult *slot = NULL;

  store = open_store (path);

  g_cancellable_cancel (cancellable);

  /* A cancelled read is not made. */
  confab_store_list_conversations_async (store, 0, 10, cancellable, result_cb, &slot);
  result = wait_for_result (&slot);
  conversations = confab_store_list_conversations_finish (store, result, &error);
  g_assert_null (conversations);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_clear_object (&result);

  /* A cancelled write still is: what the user typed is never dropped. */
  confab_store_create_conversation_async (store, "Kept", NULL, NULL, cancellable,
                                          result_cb, &slot);
  result = wait_for_result (&slot);
  conversation = confab_store_create_conversation_finish (store, result, &error);
  g_assert_null (conversation);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_object (&result);

  conversations = list_conversations (store, 0, 10);
  g_assert_cmpuint (conversations->len, ==, 1);
  g_assert_cmpstr (((ConfabStoredConversation *)conversations->pdata[0])->title, ==, "Kept");

  g_assert_finalize_object (store);
}

static void
test_from_message (void)
{
  static const struct
  {
    ConfabMessageState message_state;
    ConfabMessageState stored_state;
  } states[] = {
    { CONFAB_MESSAGE_STATE_COMPLETE, CONFAB_MESSAGE_STATE_COMPLETE },
    { CONFAB_MESSAGE_STATE_PENDING, CONFAB_MESSAGE_STATE_STREAMING },
    { CONFAB_MESSAGE_STATE_STREAMING, CONFAB_MESSAGE_STATE_STREAMING },
    { CONFAB_MESSAGE_STATE_STOPPED, CONFAB_MESSAGE_STATE_STOPPED },
    { CONFAB_MESSAGE_STATE_FAILED, CONFAB_MESSAGE_STATE_FAILED },
    { CONFAB_MESSAGE_STATE_INTERRUPTED, CONFAB_MESSAGE_STATE_INTERRUPTED },
  };
  g_autoptr(ConfabMessage) message = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, "答え");
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "It broke.");

  confab_message_append (message, CONFAB_MESSAGE_PART_REASONING, "thinking", -1);
  confab_message_set_model (message, MODEL);
  confab_message_set_usage (message, 7, 2);
  confab_message_set_timings (message, 420000, 1750000);
  confab_message_set_error (message, error);
  confab_message_set_finish_reason (message, "content_filter");

  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    {
      g_autoptr(ConfabStoredMessage) stored = NULL;
      g_autoptr(ConfabStoredMessage) copy = NULL;

      confab_message_set_state (message, states[i].message_state);
      stored = confab_stored_message_new_from_message (message);
      g_assert_cmpint (stored->state, ==, states[i].stored_state);
      g_assert_cmpint (stored->role, ==, CONFAB_MESSAGE_ROLE_ASSISTANT);
      g_assert_cmpstr (stored->content, ==, "答え");
      g_assert_cmpstr (stored->reasoning, ==, "thinking");
      g_assert_cmpstr (stored->error, ==, "It broke.");
      g_assert_cmpstr (stored->model, ==, MODEL);
      g_assert_cmpint (stored->prompt_tokens, ==, 7);
      g_assert_cmpint (stored->completion_tokens, ==, 2);
      assert_timings (stored, 420000, 1750000);
      g_assert_cmpstr (stored->finish_reason, ==, "content_filter");
      g_assert_cmpuint (stored->n_variants, ==, 1);
      g_assert_cmpuint (stored->variant_index, ==, 0);
      g_assert_null (stored->variants);

      copy = confab_stored_message_copy (stored);
      g_assert_cmpstr (copy->content, ==, stored->content);
      assert_timings (copy, 420000, 1750000);
      g_assert_true (copy->content != stored->content);
    }
}

/* Variants, edit and import */

typedef struct
{
  GString *log;
} SignalLog;

static void
log_cleared_cb (ConfabMessage *message,
                SignalLog     *log)
{
  g_string_append (log->log, "cleared;");
}

static void
log_delta_cb (ConfabMessage *message,
              int            part,
              SignalLog     *log)
{
  g_string_append_printf (log->log, "%s=%s;",
                          part == CONFAB_MESSAGE_PART_CONTENT ? "content" : "reasoning",
                          part == CONFAB_MESSAGE_PART_CONTENT
                          ? confab_message_get_content (message)
                          : confab_message_get_reasoning (message));
}

static void
log_notify_cb (ConfabMessage *message,
               GParamSpec    *pspec,
               SignalLog     *log)
{
  g_string_append_printf (log->log, "notify:%s;", pspec->name);
}

static void
test_message_variants (void)
{
  g_autoptr(ConfabMessage) message = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, "最初の答え");
  g_autoptr(ConfabMessage) zeroth = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, "零番目");
  g_autoptr(ConfabMessage) second = NULL;
  g_autoptr(ConfabMessage) shown = NULL;
  g_autoptr(ConfabStoredMessage) stored = NULL;
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "It broke.");
  g_autoptr(GString) log = g_string_new (NULL);
  SignalLog signal_log = { log };

  g_assert_cmpuint (confab_message_get_n_variants (message), ==, 1);
  g_assert_cmpuint (confab_message_get_variant_index (message), ==, 0);

  confab_message_append (message, CONFAB_MESSAGE_PART_REASONING, "考える", -1);
  confab_message_set_model (message, MODEL);
  confab_message_set_usage (message, 10, 4);
  confab_message_set_timings (message, 300000, 1200000);
  confab_message_set_finish_reason (message, "stop");

  g_signal_connect (message, "text-cleared", G_CALLBACK (log_cleared_cb), &signal_log);
  g_signal_connect (message, "delta-appended", G_CALLBACK (log_delta_cb), &signal_log);
  g_signal_connect (message, "notify::n-variants", G_CALLBACK (log_notify_cb), &signal_log);
  g_signal_connect (message, "notify::variant-index", G_CALLBACK (log_notify_cb), &signal_log);
  g_signal_connect (message, "notify::state", G_CALLBACK (log_notify_cb), &signal_log);

  /* A new variant starts empty and pending, and is the last one. */
  confab_message_add_variant (message);
  g_assert_cmpuint (confab_message_get_n_variants (message), ==, 2);
  g_assert_cmpuint (confab_message_get_variant_index (message), ==, 1);
  g_assert_cmpstr (confab_message_get_content (message), ==, "");
  g_assert_cmpstr (confab_message_get_reasoning (message), ==, "");
  g_assert_cmpint (confab_message_get_state (message), ==, CONFAB_MESSAGE_STATE_PENDING);
  g_assert_null (confab_message_get_model (message));
  g_assert_null (confab_message_get_finish_reason (message));
  g_assert_cmpint (confab_message_get_prompt_tokens (message), ==, -1);
  g_assert_cmpint (confab_message_get_completion_tokens (message), ==, -1);
  g_assert_cmpstr (log->str, ==,
                   "cleared;notify:state;notify:n-variants;notify:variant-index;");
  g_string_truncate (log, 0);

  confab_message_append (message, CONFAB_MESSAGE_PART_CONTENT, "二番目の答え", -1);
  confab_message_set_state (message, CONFAB_MESSAGE_STATE_FAILED);
  confab_message_set_error (message, error);
  confab_message_set_finish_reason (message, "length");
  confab_message_set_timings (message, 5000000, -1);
  g_string_truncate (log, 0);

  /* Switching replaces the text wholesale, and says so the way a retry
   * and a stream do, so a view redraws from the signals alone. */
  g_assert_true (confab_message_select_variant (message, 0));
  g_assert_cmpstr (log->str, ==,
                   "cleared;content=最初の答え;reasoning=考える;notify:state;notify:variant-index;");
  g_assert_cmpuint (confab_message_get_n_variants (message), ==, 2);
  g_assert_cmpuint (confab_message_get_variant_index (message), ==, 0);
  g_assert_cmpstr (confab_message_get_content (message), ==, "最初の答え");
  g_assert_cmpint (confab_message_get_state (message), ==, CONFAB_MESSAGE_STATE_COMPLETE);
  g_assert_null (confab_message_get_error (message));
  g_assert_cmpstr (confab_message_get_model (message), ==, MODEL);
  g_assert_cmpstr (confab_message_get_finish_reason (message), ==, "stop");
  g_assert_cmpint (confab_message_get_prompt_tokens (message), ==, 10);
  g_assert_cmpint (confab_message_get_completion_tokens (message), ==, 4);

  /* Selecting the shown one changes nothing. */
  g_string_truncate (log, 0);
  g_assert_true (confab_message_select_variant (message, 0));
  g_assert_cmpstr (log->str, ==, "");

  second = confab_message_dup_variant (message, 1);
  g_assert_cmpstr (confab_message_get_content (second), ==, "二番目の答え");
  g_assert_cmpint (confab_message_get_state (second), ==, CONFAB_MESSAGE_STATE_FAILED);
  g_assert_cmpstr (confab_message_get_error (second)->message, ==, "It broke.");
  g_assert_cmpstr (confab_message_get_finish_reason (second), ==, "length");
  g_assert_cmpuint (confab_message_get_n_variants (second), ==, 1);
  shown = confab_message_dup_variant (message, 0);
  g_assert_cmpstr (confab_message_get_content (shown), ==, "最初の答え");
  g_assert_cmpstr (confab_message_get_reasoning (shown), ==, "考える");

  /* Inserting before the shown one moves it up, without a redraw. */
  confab_message_set_finish_reason (zeroth, "stop");
  g_string_truncate (log, 0);
  confab_message_insert_variant (message, 0, zeroth);
  g_assert_cmpstr (log->str, ==, "notify:n-variants;notify:variant-index;");
  g_assert_cmpuint (confab_message_get_n_variants (message), ==, 3);
  g_assert_cmpuint (confab_message_get_variant_index (message), ==, 1);
  g_assert_cmpstr (confab_message_get_content (message), ==, "最初の答え");

  /* What the store keeps: the shown one, and the others by index. */
  stored = confab_stored_message_new_from_message (message);
  g_assert_cmpstr (stored->content, ==, "最初の答え");
  g_assert_cmpstr (stored->finish_reason, ==, "stop");
  assert_timings (stored, 300000, 1200000);
  g_assert_cmpuint (stored->variant_index, ==, 1);
  g_assert_cmpuint (stored->n_variants, ==, 3);
  g_assert_cmpuint (stored->variants->len, ==, 2);
  g_assert_cmpstr (variant_at (stored, 0)->content, ==, "零番目");
  g_assert_cmpuint (variant_at (stored, 0)->variant_index, ==, 0);
  assert_timings (variant_at (stored, 0), -1, -1);
  g_assert_cmpstr (variant_at (stored, 1)->content, ==, "二番目の答え");
  g_assert_cmpuint (variant_at (stored, 1)->variant_index, ==, 2);
  g_assert_cmpint (variant_at (stored, 1)->state, ==, CONFAB_MESSAGE_STATE_FAILED);
  g_assert_cmpstr (variant_at (stored, 1)->error, ==, "It broke.");
  g_assert_cmpstr (variant_at (stored, 1)->finish_reason, ==, "length");
  assert_timings (variant_at (stored, 1), 5000000, -1);

  g_assert_true (confab_message_select_variant (message, 2));
  g_assert_cmpstr (confab_message_get_content (message), ==, "二番目の答え");
  g_assert_true (confab_message_select_variant (message, 0));
  g_assert_cmpstr (confab_message_get_content (message), ==, "零番目");
  g_assert_cmpstr (confab_message_get_reasoning (message), ==, "");

  g_signal_handlers_disconnect_by_data (message, &signal_log);
  g_assert_finalize_object (g_steal_pointer (&second));
  g_assert_finalize_object (g_steal_pointer (&shown));
}

static void
test_variants (void)
{
  g_autofree char *path = default_path ();
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(ConfabStoredMessage) prompt = NULL;
  g_autoptr(ConfabStoredMessage) reply = NULL;
  g_autoptr(ConfabStoredMessage) row = NULL;
  g_autoptr(ConfabStoredMessage) pending = NULL;
  g_autoptr(ConfabStoreSnapshot) snapshot = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const ConfabStoredMessage *listed;
  GAsyncResult *slot = NULL;
  ConfabStore *store;

  store = open_store (path);
  conversation = create_conversation (store, "Variants");
  prompt = append_message (store, conversation->id, CONFAB_MESSAGE_ROLE_USER, "한 번 더요.");
  reply = append_message (store, conversation->id, CONFAB_MESSAGE_ROLE_ASSISTANT, "");
  g_assert_cmpuint (reply->n_variants, ==, 1);
  g_assert_cmpuint (reply->variant_index, ==, 0);
  g_assert_null (reply->variants);

  g_free (reply->content);
  reply->content = g_strdup ("alpha reply");
  reply->finish_reason = g_strdup ("stop");
  g_assert_true (update_message (store, reply, &error));
  g_assert_no_error (error);

  /* Regenerating twice keeps every earlier reply. */
  pending = stored_reply ("", CONFAB_MESSAGE_STATE_STREAMING, NULL);
  for (guint i = 0; i < 2; i++)
    {
      row = add_variant (store, reply->id, pending, &error);
      g_assert_no_error (error);
      g_assert_cmpint (row->id, ==, reply->id);
      g_assert_cmpint (row->position, ==, 1);
      g_assert_cmpuint (row->n_variants, ==, i + 2);
      g_assert_cmpuint (row->variant_index, ==, i + 1);
      g_assert_cmpstr (row->content, ==, "");
      g_assert_cmpint (row->state, ==, CONFAB_MESSAGE_STATE_STREAMING);
      g_assert_cmpuint (row->variants->len, ==, i + 1);
      g_clear_pointer (&row, confab_stored_message_free);

      g_free (reply->content);
      reply->content = g_strdup (i == 0 ? "bravo reply" : "charlie reply");
      g_free (reply->finish_reason);
      reply->finish_reason = g_strdup (i == 0 ? "length" : "stop");
      reply->prompt_tokens = 20 + i;
      g_assert_true (update_message (store, reply, &error));
      g_assert_no_error (error);
    }

  {
    g_autoptr(GPtrArray) messages = list_messages (store, conversation->id, 0, 10);

    g_assert_cmpuint (messages->len, ==, 2);
    g_assert_null (((ConfabStoredMessage *)messages->pdata[0])->variants);
    g_assert_cmpuint (((ConfabStoredMessage *)messages->pdata[0])->n_variants, ==, 1);
    listed = messages->pdata[1];
    g_assert_cmpstr (listed->content, ==, "charlie reply");
    g_assert_cmpstr (listed->finish_reason, ==, "stop");
    g_assert_cmpint (listed->state, ==, CONFAB_MESSAGE_STATE_COMPLETE);
    g_assert_cmpuint (listed->n_variants, ==, 3);
    g_assert_cmpuint (listed->variant_index, ==, 2);
    g_assert_cmpuint (listed->variants->len, ==, 2);
    g_assert_cmpstr (variant_at (listed, 0)->content, ==, "alpha reply");
    g_assert_cmpstr (variant_at (listed, 0)->finish_reason, ==, "stop");
    g_assert_cmpint (variant_at (listed, 0)->prompt_tokens, ==, -1);
    g_assert_cmpuint (variant_at (listed, 0)->variant_index, ==, 0);
    g_assert_cmpstr (variant_at (listed, 1)->content, ==, "bravo reply");
    g_assert_cmpstr (variant_at (listed, 1)->finish_reason, ==, "length");
    g_assert_cmpint (variant_at (listed, 1)->prompt_tokens, ==, 20);
    g_assert_cmpuint (variant_at (listed, 1)->variant_index, ==, 1);
  }

  /* Only the shown text is found. */
  assert_search (store, "charlie", "charlie", &reply->id, 1);
  assert_search (store, "alpha", "alpha", NULL, 0);

  row = select_variant (store, reply->id, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (row->content, ==, "alpha reply");
  g_assert_cmpstr (row->finish_reason, ==, "stop");
  g_assert_cmpuint (row->variant_index, ==, 0);
  g_assert_cmpuint (row->n_variants, ==, 3);
  g_assert_cmpstr (variant_at (row, 0)->content, ==, "bravo reply");
  g_assert_cmpuint (variant_at (row, 0)->variant_index, ==, 1);
  g_assert_cmpstr (variant_at (row, 1)->content, ==, "charlie reply");
  g_assert_cmpint (variant_at (row, 1)->prompt_tokens, ==, 21);
  g_assert_cmpuint (variant_at (row, 1)->variant_index, ==, 2);
  g_clear_pointer (&row, confab_stored_message_free);
  assert_search (store, "alpha", "alpha", &reply->id, 1);
  assert_search (store, "charlie", "charlie", NULL, 0);

  /* The shown one again is no change. */
  row = select_variant (store, reply->id, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (row->content, ==, "alpha reply");
  g_clear_pointer (&row, confab_stored_message_free);

  row = select_variant (store, reply->id, 3, &error);
  g_assert_null (row);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  row = select_variant (store, reply->id + 100, 0, &error);
  g_assert_null (row);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  row = add_variant (store, reply->id + 100, pending, &error);
  g_assert_null (row);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  assert_index_sound (path);

  /* Undo of a delete brings the variants back with the message. */
  snapshot = delete_conversation (store, conversation->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (variant_at (snapshot->messages->pdata[1], 1)->variant_index, ==, 2);
  {
    g_autoptr(sqlite3) db = raw_open (path);

    g_assert_cmpint (raw_int (db, "SELECT count(*) FROM message_variants"), ==, 0);
  }
  confab_store_restore_conversation_async (store, snapshot, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  g_assert_true (confab_store_restore_conversation_finish (store, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_finalize_object (store);

  /* And they survive a restart. */
  store = open_store (path);
  {
    g_autoptr(GPtrArray) messages = list_messages (store, conversation->id, 0, 10);

    listed = messages->pdata[1];
    g_assert_cmpint (listed->id, ==, reply->id);
    g_assert_cmpstr (listed->content, ==, "alpha reply");
    g_assert_cmpuint (listed->variant_index, ==, 0);
    g_assert_cmpuint (listed->n_variants, ==, 3);
    g_assert_cmpstr (variant_at (listed, 0)->content, ==, "bravo reply");
    g_assert_cmpstr (variant_at (listed, 1)->content, ==, "charlie reply");
  }
  row = select_variant (store, reply->id, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (row->content, ==, "charlie reply");
  g_clear_pointer (&row, confab_stored_message_free);

  /* A reply left streaming is kept as interrupted once it is not shown:
   * nothing streams into a variant. */
  reply->state = CONFAB_MESSAGE_STATE_STREAMING;
  g_free (reply->content);
  reply->content = g_strdup ("delta reply, cut");
  g_assert_true (update_message (store, reply, &error));
  g_assert_no_error (error);
  row = add_variant (store, reply->id, pending, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (row->n_variants, ==, 4);
  g_assert_cmpuint (row->variant_index, ==, 3);
  g_assert_cmpstr (variant_at (row, 2)->content, ==, "delta reply, cut");
  g_assert_cmpint (variant_at (row, 2)->state, ==, CONFAB_MESSAGE_STATE_INTERRUPTED);
  g_clear_pointer (&row, confab_stored_message_free);

  g_assert_finalize_object (store);
  assert_index_sound (path);
}

/* How fast a reply came goes wherever its usage goes: through every write
 * of what a row shows, between the row and its variants, through an undo
 * and a restart. A reply that was not measured is NULL in the file. */
static void
test_timings (void)
{
  g_autofree char *path = default_path ();
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(ConfabStoredMessage) draft = NULL;
  g_autoptr(ConfabStoredMessage) reply = NULL;
  g_autoptr(ConfabStoredMessage) pending = NULL;
  g_autoptr(ConfabStoredMessage) row = NULL;
  g_autoptr(ConfabStoreSnapshot) snapshot = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(sqlite3) db = NULL;
  GAsyncResult *slot = NULL;
  ConfabStore *store;

  store = open_store (path);
  conversation = create_conversation (store, "Timings");

  draft = stored_reply ("first reply", CONFAB_MESSAGE_STATE_COMPLETE, "stop");
  draft->first_token_us = 420000;
  draft->generation_us = 1750000;
  reply = append_message_full (store, conversation->id, draft, &error);
  g_assert_no_error (error);
  messages = list_messages (store, conversation->id, 0, 10);
  assert_timings (messages->pdata[0], 420000, 1750000);
  g_clear_pointer (&messages, g_ptr_array_unref);

  reply->first_token_us = 380000;
  reply->generation_us = 2100000;
  g_assert_true (update_message (store, reply, &error));
  g_assert_no_error (error);
  messages = list_messages (store, conversation->id, 0, 10);
  assert_timings (messages->pdata[0], 380000, 2100000);
  g_clear_pointer (&messages, g_ptr_array_unref);

  /* Asked for again: the first reply keeps its times as a variant, and
   * the new one starts unmeasured. */
  pending = stored_reply ("", CONFAB_MESSAGE_STATE_STREAMING, NULL);
  row = add_variant (store, reply->id, pending, &error);
  g_assert_no_error (error);
  assert_timings (row, -1, -1);
  assert_timings (variant_at (row, 0), 380000, 2100000);
  g_clear_pointer (&row, confab_stored_message_free);

  g_free (reply->content);
  reply->content = g_strdup ("second reply");
  reply->first_token_us = 250000;
  reply->generation_us = 900000;
  g_assert_true (update_message (store, reply, &error));
  g_assert_no_error (error);

  row = select_variant (store, reply->id, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (row->content, ==, "first reply");
  assert_timings (row, 380000, 2100000);
  assert_timings (variant_at (row, 0), 250000, 900000);
  g_clear_pointer (&row, confab_stored_message_free);

  snapshot = delete_conversation (store, conversation->id, &error);
  g_assert_no_error (error);
  assert_timings (snapshot->messages->pdata[0], 380000, 2100000);
  assert_timings (variant_at (snapshot->messages->pdata[0], 0), 250000, 900000);
  confab_store_restore_conversation_async (store, snapshot, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  g_assert_true (confab_store_restore_conversation_finish (store, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_finalize_object (store);

  store = open_store (path);
  messages = list_messages (store, conversation->id, 0, 10);
  g_assert_cmpuint (messages->len, ==, 1);
  assert_timings (messages->pdata[0], 380000, 2100000);
  assert_timings (variant_at (messages->pdata[0], 0), 250000, 900000);
  g_clear_pointer (&messages, g_ptr_array_unref);

  row = select_variant (store, reply->id, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (row->content, ==, "second reply");
  assert_timings (row, 250000, 900000);
  assert_timings (variant_at (row, 0), 380000, 2100000);
  row->first_token_us = -1;
  row->generation_us = -1;
  g_assert_true (update_message (store, row, &error));
  g_assert_no_error (error);
  g_clear_pointer (&row, confab_stored_message_free);
  messages = list_messages (store, conversation->id, 0, 10);
  assert_timings (messages->pdata[0], -1, -1);

  db = raw_open (path);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM messages "
                                "WHERE first_token_us IS NULL AND generation_us IS NULL"), ==, 1);
  g_assert_cmpint (raw_int (db, "SELECT first_token_us FROM message_variants"), ==, 380000);

  g_assert_finalize_object (store);
}

static void
test_update_after_variant (void)
{
  g_autofree char *path = default_path ();
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(ConfabStoredMessage) reply = NULL;
  g_autoptr(ConfabStoredMessage) pending = NULL;
  g_autoptr(ConfabStoredMessage) row = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(sqlite3) db = NULL;
  Saves saves = { 0, 0 };
  GAsyncResult *slot = NULL;
  ConfabStore *store;

  store = open_store (path);
  conversation = create_conversation (store, "Order");
  reply = append_message (store, conversation->id, CONFAB_MESSAGE_ROLE_ASSISTANT, "");
  db = raw_open (path);

  /* With the worker held, a save, a new variant and a save of the new
   * variant are queued in that order: the second save must not be merged
   * into the first, which runs before the variant is added. */
  raw_exec (db, "BEGIN IMMEDIATE");
  g_free (reply->content);
  reply->content = g_strdup ("old text");
  confab_store_update_message_async (store, reply, NULL, save_cb, &saves);
  pending = stored_reply ("", CONFAB_MESSAGE_STATE_STREAMING, NULL);
  confab_store_add_variant_async (store, reply->id, pending, NULL, result_cb, &slot);
  g_free (reply->content);
  reply->content = g_strdup ("new text");
  confab_store_update_message_async (store, reply, NULL, save_cb, &saves);
  raw_exec (db, "COMMIT");

  result = wait_for_result (&slot);
  row = confab_store_add_variant_finish (store, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (row);
  g_clear_object (&result);

  messages = list_messages (store, conversation->id, 0, 10);
  g_assert_cmpuint (saves.n_done, ==, 2);
  g_assert_cmpstr (((ConfabStoredMessage *)messages->pdata[0])->content, ==, "new text");
  g_assert_cmpstr (variant_at (messages->pdata[0], 0)->content, ==, "old text");

  g_assert_finalize_object (store);
}

static void
test_edit (void)
{
  g_autofree char *path = default_path ();
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(ConfabStoredConversation) other = NULL;
  g_autoptr(ConfabStoredMessage) kept = NULL;
  g_autoptr(ConfabStoredMessage) pending = NULL;
  g_autoptr(ConfabStoredMessage) row = NULL;
  g_autoptr(ConfabStoredMessage) appended = NULL;
  g_autoptr(ConfabStoredMessage) edited = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GPtrArray) others = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(sqlite3) db = NULL;
  ConfabStore *store;
  gint64 ids[5] = { 0 };

  store = open_store (path);
  conversation = create_conversation (store, "Edit");
  other = create_conversation (store, "Other");
  kept = append_message (store, other->id, CONFAB_MESSAGE_ROLE_USER, "他の会話の質問");
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *text = g_strdup_printf ("メッセージ番号%u", i);
      g_autoptr(ConfabStoredMessage) message = NULL;

      message = append_message (store, conversation->id,
                                i % 2 ? CONFAB_MESSAGE_ROLE_ASSISTANT : CONFAB_MESSAGE_ROLE_USER,
                                text);
      ids[i] = message->id;
    }
  pending = stored_reply ("", CONFAB_MESSAGE_STATE_STREAMING, NULL);
  row = add_variant (store, ids[3], pending, &error);
  g_assert_no_error (error);

  /* The last message: its text changes, and nothing goes. */
  edited = confab_stored_message_new (CONFAB_MESSAGE_ROLE_USER, "最後の質問、書き直し");
  edited->id = ids[4];
  g_assert_true (edit_message (store, edited, &error));
  g_assert_no_error (error);
  messages = list_messages (store, conversation->id, 0, 10);
  g_assert_cmpuint (messages->len, ==, 5);
  g_assert_cmpstr (((ConfabStoredMessage *)messages->pdata[4])->content, ==, "最後の質問、書き直し");
  g_clear_pointer (&messages, g_ptr_array_unref);
  g_clear_pointer (&edited, confab_stored_message_free);

  /* The first message while writes of deletions fail: neither the new
   * text nor the deletion is written. */
  db = raw_open (path);
  raw_exec (db,
            "CREATE TRIGGER refuse_delete BEFORE DELETE ON messages BEGIN"
            "  SELECT RAISE (FAIL, 'refused by the test');"
            "END;");
  edited = confab_stored_message_new (CONFAB_MESSAGE_ROLE_USER, "最初の質問、書き直し");
  edited->id = ids[0];
  g_assert_false (edit_message (store, edited, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  messages = list_messages (store, conversation->id, 0, 10);
  g_assert_cmpuint (messages->len, ==, 5);
  g_assert_cmpstr (((ConfabStoredMessage *)messages->pdata[0])->content, ==, "メッセージ番号0");
  g_clear_pointer (&messages, g_ptr_array_unref);
  g_clear_pointer (&edited, confab_stored_message_free);
  raw_exec (db, "DROP TRIGGER refuse_delete;");

  /* Edit-and-resend of message 2 keeps 0 to 2, with 2's new text, and
   * the variants of 3 gone with the rest, and the index with them. */
  edited = confab_stored_message_new (CONFAB_MESSAGE_ROLE_USER, "三つ目の質問、書き直し");
  edited->id = ids[2];
  g_assert_true (edit_message (store, edited, &error));
  g_assert_no_error (error);
  messages = list_messages (store, conversation->id, 0, 10);
  g_assert_cmpuint (messages->len, ==, 3);
  g_assert_cmpstr (((ConfabStoredMessage *)messages->pdata[1])->content, ==, "メッセージ番号1");
  g_assert_cmpstr (((ConfabStoredMessage *)messages->pdata[2])->content, ==, "三つ目の質問、書き直し");
  others = list_messages (store, other->id, 0, 10);
  g_assert_cmpuint (others->len, ==, 1);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM message_variants"), ==, 0);
  assert_search (store, "メッセージ番号3", "", NULL, 0);
  assert_search (store, "メッセージ番号2", "", NULL, 0);
  assert_search (store, "三つ目の質問", "三つ目の質問", &ids[2], 1);
  assert_index_sound (path);

  /* The next message takes the place after the kept ones. */
  appended = append_message (store, conversation->id, CONFAB_MESSAGE_ROLE_ASSISTANT, "新しい答え");
  g_assert_cmpint (appended->position, ==, 3);

  g_clear_pointer (&edited, confab_stored_message_free);
  edited = confab_stored_message_new (CONFAB_MESSAGE_ROLE_USER, "ない");
  edited->id = appended->id + 100;
  g_assert_false (edit_message (store, edited, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);

  g_assert_finalize_object (store);
}

static GPtrArray *
import_fixture (void)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify)confab_stored_message_free);
  ConfabStoredMessage *reply;
  ConfabStoredMessage *variant;

  g_ptr_array_add (messages, confab_stored_message_new (CONFAB_MESSAGE_ROLE_SYSTEM, "간결하게."));
  g_ptr_array_add (messages, confab_stored_message_new (CONFAB_MESSAGE_ROLE_USER,
                                                        "インポートされた質問"));
  ((ConfabStoredMessage *)messages->pdata[1])->created_at = 1100;
  ((ConfabStoredMessage *)messages->pdata[1])->updated_at = 1100;
  /* Its id, conversation and position are the exporter's: ignored. */
  ((ConfabStoredMessage *)messages->pdata[1])->id = 40;
  ((ConfabStoredMessage *)messages->pdata[1])->position = 17;

  reply = stored_reply ("インポートされた答え", CONFAB_MESSAGE_STATE_COMPLETE, "stop");
  g_free (reply->reasoning);
  reply->reasoning = g_strdup ("考え");
  reply->model = g_strdup (MODEL);
  reply->prompt_tokens = 30;
  reply->completion_tokens = 12;
  reply->first_token_us = 420000;
  reply->generation_us = 1750000;
  reply->variant_index = 1;
  reply->n_variants = 2;
  reply->variants = g_ptr_array_new_with_free_func ((GDestroyNotify)confab_stored_message_free);
  variant = stored_reply ("以前の答え", CONFAB_MESSAGE_STATE_STOPPED, NULL);
  variant->first_token_us = 610000;
  g_ptr_array_add (reply->variants, variant);
  g_ptr_array_add (messages, reply);

  /* Left streaming by whatever wrote the file: nothing streams it here. */
  g_ptr_array_add (messages, stored_reply ("途中", CONFAB_MESSAGE_STATE_STREAMING, NULL));

  return messages;
}

static void
test_import (void)
{
  g_autofree char *path = default_path ();
  g_autoptr(ConfabStoredConversation) source = g_new0 (ConfabStoredConversation, 1);
  g_autoptr(ConfabStoredConversation) imported = NULL;
  g_autoptr(ConfabStoredConversation) again = NULL;
  g_autoptr(ConfabStoredConversation) empty = NULL;
  g_autoptr(ConfabStoredConversation) existing = NULL;
  g_autoptr(GPtrArray) fixture = import_fixture ();
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const ConfabStoredMessage *message;
  ConfabStore *store;

  store = open_store (path);
  existing = create_conversation (store, "Existing");

  source->id = existing->id;
  source->title = g_strdup ("インポート");
  source->created_at = 1000;
  source->updated_at = 2000;
  source->model = g_strdup (MODEL);
  source->system_prompt = g_strdup ("Be brief.");
  source->pinned = TRUE;

  imported = import_conversation (store, source, fixture, &error);
  g_assert_no_error (error);
  g_assert_nonnull (imported);
  g_assert_cmpint (imported->id, >, existing->id);
  g_assert_cmpstr (imported->title, ==, "インポート");
  g_assert_cmpint (imported->created_at, ==, 1000);
  g_assert_cmpint (imported->updated_at, ==, 2000);
  g_assert_cmpstr (imported->model, ==, MODEL);
  g_assert_cmpstr (imported->system_prompt, ==, "Be brief.");
  g_assert_true (imported->pinned);

  messages = list_messages (store, imported->id, 0, 10);
  g_assert_cmpuint (messages->len, ==, 4);
  for (guint i = 0; i < messages->len; i++)
    {
      message = messages->pdata[i];
      g_assert_cmpint (message->conversation_id, ==, imported->id);
      g_assert_cmpint (message->position, ==, i);
      g_assert_cmpint (message->role, ==, ((ConfabStoredMessage *)fixture->pdata[i])->role);
      g_assert_cmpstr (message->content, ==, ((ConfabStoredMessage *)fixture->pdata[i])->content);
      g_assert_cmpint (message->created_at, >, 0);
    }
  g_assert_cmpint (((ConfabStoredMessage *)messages->pdata[1])->id, !=, 40);
  g_assert_cmpint (((ConfabStoredMessage *)messages->pdata[1])->created_at, ==, 1100);
  message = messages->pdata[2];
  g_assert_cmpstr (message->reasoning, ==, "考え");
  g_assert_cmpstr (message->finish_reason, ==, "stop");
  g_assert_cmpstr (message->model, ==, MODEL);
  g_assert_cmpint (message->prompt_tokens, ==, 30);
  g_assert_cmpint (message->completion_tokens, ==, 12);
  assert_timings (message, 420000, 1750000);
  g_assert_cmpuint (message->n_variants, ==, 2);
  g_assert_cmpuint (message->variant_index, ==, 1);
  g_assert_cmpstr (variant_at (message, 0)->content, ==, "以前の答え");
  g_assert_cmpint (variant_at (message, 0)->state, ==, CONFAB_MESSAGE_STATE_STOPPED);
  assert_timings (variant_at (message, 0), 610000, -1);
  g_assert_cmpint (((ConfabStoredMessage *)messages->pdata[3])->state, ==,
                   CONFAB_MESSAGE_STATE_INTERRUPTED);

  assert_search (store, "インポートされた答え", "インポートされた答え", &message->id, 1);

  /* Importing the same again makes another conversation. */
  again = import_conversation (store, source, fixture, &error);
  g_assert_no_error (error);
  g_assert_cmpint (again->id, >, imported->id);

  empty = import_conversation (store, source, none, &error);
  g_assert_no_error (error);
  g_assert_nonnull (empty);
  g_assert_finalize_object (store);
  assert_index_sound (path);
}

static void
test_import_atomic (void)
{
  static const struct
  {
    const char *name;
    guint       broken;
  } cases[] = {
    { "role", 0 },
    { "state", 1 },
    { "variant-index", 2 },
    { "variant-state", 3 },
  };
  g_autofree char *path = default_path ();
  g_autoptr(ConfabStoredConversation) source = g_new0 (ConfabStoredConversation, 1);
  g_autoptr(ConfabStoredConversation) before = NULL;
  g_autoptr(ConfabStoredConversation) after = NULL;
  g_autoptr(sqlite3) db = NULL;
  ConfabStore *store;

  store = open_store (path);
  before = create_conversation (store, "Before");
  source->title = g_strdup ("Broken");
  db = raw_open (path);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) messages = import_fixture ();
      g_autoptr(ConfabStoredConversation) imported = NULL;
      g_autoptr(GError) error = NULL;
      ConfabStoredMessage *reply = messages->pdata[2];

      g_test_message ("an invalid %s", cases[i].name);

      /* The failure comes after the conversation and the first messages
       * were written. */
      switch (cases[i].broken)
        {
        case 0:
          g_ptr_array_add (messages, confab_stored_message_new (CONFAB_MESSAGE_ROLE_USER, "x"));
          ((ConfabStoredMessage *)messages->pdata[4])->role = 42;
          break;
        case 1:
          g_ptr_array_add (messages, confab_stored_message_new (CONFAB_MESSAGE_ROLE_USER, "x"));
          ((ConfabStoredMessage *)messages->pdata[4])->state = 42;
          break;
        case 2:
          reply->variant_index = 2;
          break;
        case 3:
          ((ConfabStoredMessage *)reply->variants->pdata[0])->state = 42;
          break;
        default:
          g_assert_not_reached ();
        }

      imported = import_conversation (store, source, messages, &error);
      g_assert_null (imported);
      g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_INVALID);
      g_test_message ("%s", error->message);

      g_assert_cmpint (raw_int (db, "SELECT count(*) FROM conversations"), ==, 1);
      g_assert_cmpint (raw_int (db, "SELECT count(*) FROM messages"), ==, 0);
      g_assert_cmpint (raw_int (db, "SELECT count(*) FROM message_variants"), ==, 0);
    }

  /* Not even an id was used up. */
  after = create_conversation (store, "After");
  g_assert_cmpint (after->id, ==, before->id + 1);

  g_assert_finalize_object (store);
  assert_index_sound (path);
}

/* Crash recovery: a child process streams a reply and is killed with
 * SIGKILL while saving it. */

static int
crash_child (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(ConfabStoredMessage) prompt = NULL;
  g_autoptr(ConfabStoredMessage) draft = NULL;
  g_autoptr(ConfabStoredMessage) reply = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  GAsyncResult *in_flight = NULL;
  ConfabStore *store = confab_store_new_for_path (path, &error);

  g_assert_no_error (error);

  conversation = create_conversation (store, "Crash");
  prompt = append_message (store, conversation->id, CONFAB_MESSAGE_ROLE_USER, "길게 써 주세요.");
  draft = confab_stored_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, "");
  draft->state = CONFAB_MESSAGE_STATE_STREAMING;
  reply = append_message_full (store, conversation->id, draft, &error);
  g_assert_no_error (error);

  for (guint i = 1; i <= CRASH_SAVES + 1; i++)
    {
      g_string_append_printf (text, "長い返事の%u番目の部分。", i);
      g_free (reply->content);
      reply->content = g_strdup (text->str);

      if (i <= CRASH_SAVES)
        {
          g_assert_true (update_message (store, reply, &error));
          g_assert_no_error (error);
        }
      else
        {
          /* The parent kills us while this one may be half written. */
          confab_store_update_message_async (store, reply, NULL, result_cb, &in_flight);
        }
    }

  printf ("ready\n");
  fflush (stdout);

  for (;;)
    g_main_context_iteration (NULL, TRUE);

  return 0;
}

static void
test_crash_recovery (void)
{
  g_autofree char *path = default_path ();
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autoptr(GPtrArray) conversations = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GString) saved = g_string_new (NULL);
  g_autoptr(GString) pending = NULL;
  const ConfabStoredMessage *reply;
  GAsyncResult *slot = NULL;
  ConfabStore *store;

  g_assert_nonnull (test_binary);
  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                            test_binary, CRASH_CHILD_ARG, path, NULL);
  g_assert_no_error (error);

  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  line = g_data_input_stream_read_line_finish_utf8 (lines, result, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "ready");
  g_clear_object (&result);

  g_subprocess_force_exit (child);
  g_subprocess_wait_async (child, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  g_assert_true (g_subprocess_wait_finish (child, result, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (child));
  g_assert_cmpint (g_subprocess_get_term_sig (child), ==, SIGKILL);

  store = open_store (path);
  g_assert_null (confab_store_get_recovered_from_corruption (store));
  g_assert_cmpuint (confab_store_get_n_interrupted (store), ==, 1);

  conversations = list_conversations (store, 0, 10);
  g_assert_cmpuint (conversations->len, ==, 1);
  messages = list_messages (store, ((ConfabStoredConversation *)conversations->pdata[0])->id,
                            0, 10);
  g_assert_cmpuint (messages->len, ==, 2);
  g_assert_cmpint (((ConfabStoredMessage *)messages->pdata[0])->state, ==,
                   CONFAB_MESSAGE_STATE_COMPLETE);

  /* The reply is there up to its last save: the one the child waited
   * for, or the one it was killed during. */
  for (guint i = 1; i <= CRASH_SAVES; i++)
    g_string_append_printf (saved, "長い返事の%u番目の部分。", i);
  pending = g_string_new (saved->str);
  g_string_append_printf (pending, "長い返事の%u番目の部分。", CRASH_SAVES + 1);

  reply = messages->pdata[1];
  g_assert_cmpint (reply->state, ==, CONFAB_MESSAGE_STATE_INTERRUPTED);
  if (g_strcmp0 (reply->content, saved->str) != 0)
    g_assert_cmpstr (reply->content, ==, pending->str);
  g_test_message ("the save in flight was %s", g_strcmp0 (reply->content, saved->str) == 0
                                                ? "lost" : "written");
  g_assert_finalize_object (store);

  /* Recovery happens once. */
  store = open_store (path);
  g_assert_cmpuint (confab_store_get_n_interrupted (store), ==, 0);
  g_assert_finalize_object (store);
  assert_index_sound (path);
}

/* Recent translations come back newest first, keep what was given,
 * move a repeated source to the top instead of copying it, and survive
 * a reopening. */
static void
test_translations (void)
{
  g_autofree char *path = default_path ();
  g_autoptr(GPtrArray) recent = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;
  ConfabStore *store = open_store (path);
  static const struct
  {
    const char *source;
    const char *target;
    const char *from;
    const char *to;
  } pairs[] = {
    { "안녕하세요", "こんにちは", "ko", "ja" },
    { "감사합니다", "ありがとうございます", NULL, "ja" },
    { "안녕하세요", "Hello", "ko", "en" },
    { "안녕하세요", "こんにちは。", "ko", "ja" },
  };

  recent = list_translations (store, 10);
  g_assert_cmpuint (recent->len, ==, 0);
  g_clear_pointer (&recent, g_ptr_array_unref);

  for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
    {
      g_autoptr(ConfabStoredTranslation) translation =
        confab_stored_translation_new (pairs[i].source, pairs[i].target, pairs[i].from,
                                       pairs[i].to, MODEL);
      g_autoptr(ConfabStoredTranslation) saved = add_translation (store, translation);

      assert_translation (saved, pairs[i].source, pairs[i].target, pairs[i].from, pairs[i].to);
      g_assert_cmpstr (saved->model, ==, MODEL);
    }

  recent = list_translations (store, 10);
  g_assert_cmpuint (recent->len, ==, 3);
  assert_translation (recent->pdata[0], "안녕하세요", "こんにちは。", "ko", "ja");
  assert_translation (recent->pdata[1], "안녕하세요", "Hello", "ko", "en");
  assert_translation (recent->pdata[2], "감사합니다", "ありがとうございます", NULL, "ja");
  g_assert_cmpint (((ConfabStoredTranslation *)recent->pdata[0])->created_at, >,
                   ((ConfabStoredTranslation *)recent->pdata[1])->created_at);
  g_clear_pointer (&recent, g_ptr_array_unref);

  recent = list_translations (store, 1);
  g_assert_cmpuint (recent->len, ==, 1);
  g_clear_pointer (&recent, g_ptr_array_unref);

  /* A translation made while typing replaces the one of the text before
   * it, named by its id. */
  {
    g_autoptr(ConfabStoredTranslation) typing =
      confab_stored_translation_new ("좋은 아", "良い朝", "ko", "ja", MODEL);
    g_autoptr(ConfabStoredTranslation) first = add_translation (store, typing);
    g_autoptr(ConfabStoredTranslation) second = NULL;

    g_free (typing->source);
    typing->source = g_strdup ("좋은 아침");
    typing->id = first->id;
    second = add_translation (store, typing);
    g_assert_cmpint (second->id, >, first->id);
    recent = list_translations (store, 10);
    g_assert_cmpuint (recent->len, ==, 4);
    assert_translation (recent->pdata[0], "좋은 아침", "良い朝", "ko", "ja");
    assert_translation (recent->pdata[1], "안녕하세요", "こんにちは。", "ko", "ja");
    g_clear_pointer (&recent, g_ptr_array_unref);
  }
  g_assert_finalize_object (store);

  store = open_store (path);
  recent = list_translations (store, 10);
  g_assert_cmpuint (recent->len, ==, 4);
  assert_translation (recent->pdata[0], "좋은 아침", "良い朝", "ko", "ja");
  g_clear_pointer (&recent, g_ptr_array_unref);

  confab_store_clear_translations_async (store, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  g_assert_true (confab_store_clear_translations_finish (store, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  recent = list_translations (store, 10);
  g_assert_cmpuint (recent->len, ==, 0);
  g_assert_finalize_object (store);
}

/* Only the newest CONFAB_STORE_MAX_TRANSLATIONS are kept: the list does
 * not grow with every translation ever made. The saves are queued at
 * once, as the worker takes them in order. */
static void
test_translations_bounded (void)
{
  g_autofree char *path = default_path ();
  g_autoptr(GPtrArray) recent = NULL;
  g_autoptr(GPtrArray) slots = g_ptr_array_new ();
  ConfabStore *store = open_store (path);
  const guint total = CONFAB_STORE_MAX_TRANSLATIONS + 25;

  for (guint i = 0; i < total; i++)
    {
      g_autofree char *source = g_strdup_printf ("문장 %u", i);
      g_autofree char *target = g_strdup_printf ("文 %u", i);
      g_autoptr(ConfabStoredTranslation) translation =
        confab_stored_translation_new (source, target, "ko", "ja", MODEL);
      GAsyncResult **slot = g_new0 (GAsyncResult *, 1);

      confab_store_add_translation_async (store, translation, NULL, result_cb, slot);
      g_ptr_array_add (slots, slot);
    }
  for (guint i = 0; i < slots->len; i++)
    {
      GAsyncResult **slot = slots->pdata[i];
      g_autoptr(GAsyncResult) result = wait_for_result (slot);
      g_autoptr(ConfabStoredTranslation) saved = NULL;
      g_autoptr(GError) error = NULL;

      saved = confab_store_add_translation_finish (store, result, &error);
      g_assert_no_error (error);
      g_free (slot);
    }

  recent = list_translations (store, 1000);
  g_assert_cmpuint (recent->len, ==, CONFAB_STORE_MAX_TRANSLATIONS);
  g_assert_cmpstr (((ConfabStoredTranslation *)recent->pdata[0])->source, ==, "문장 224");
  g_assert_cmpstr (((ConfabStoredTranslation *)recent->pdata[recent->len - 1])->source, ==,
                   "문장 25");
  g_assert_finalize_object (store);
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 3 && strcmp (argv[1], CRASH_CHILD_ARG) == 0)
    return crash_child (argv[2]);

  test_binary = argv[0];
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/confab/store/open-creates", test_open_creates);
  g_test_add_func ("/confab/store/open-async", test_open_async);
  g_test_add_func ("/confab/store/crud", test_crud);
  g_test_add_func ("/confab/store/ordering", test_ordering);
  g_test_add_func ("/confab/store/get-conversation", test_get_conversation);
  g_test_add_func ("/confab/store/paging", test_paging);
  g_test_add_func ("/confab/store/cascade-delete", test_cascade_delete);
  g_test_add_func ("/confab/store/undo-delete", test_undo_delete);
  g_test_add_func ("/confab/store/migrate-from-v1", test_migrate_from_v1);
  for (guint i = 0; i < G_N_ELEMENTS (earlier_versions); i++)
    {
      g_autofree char *name = g_strdup_printf ("/confab/store/migrate-keeps-rows/%s",
                                               earlier_versions[i].name);

      g_test_add_data_func (name, GUINT_TO_POINTER (i), test_migrate_from_earlier);
    }
  g_test_add_func ("/confab/store/migrate-from-empty-file", test_migrate_from_empty_file);
  g_test_add_func ("/confab/store/newer-version", test_newer_version);
  g_test_add_func ("/confab/store/translations", test_translations);
  g_test_add_func ("/confab/store/translations-bounded", test_translations_bounded);
  g_test_add_func ("/confab/store/corrupt-garbage", test_corrupt_garbage);
  g_test_add_func ("/confab/store/corrupt-truncated", test_corrupt_truncated);
  g_test_add_func ("/confab/store/search-cjk", test_search_cjk);
  g_test_add_func ("/confab/store/search-streaming", test_search_streaming);
  g_test_add_func ("/confab/store/search-long-snippet", test_search_long_snippet);
  g_test_add_func ("/confab/store/search-syntax", test_search_syntax);
  g_test_add_func ("/confab/store/update-coalescing", test_update_coalescing);
  g_test_add_func ("/confab/store/dispose-drains", test_dispose_drains);
  g_test_add_func ("/confab/store/writes-do-not-block", test_writes_do_not_block);
  g_test_add_func ("/confab/store/cancelled", test_cancelled);
  g_test_add_func ("/confab/store/from-message", test_from_message);
  g_test_add_func ("/confab/store/crash-recovery", test_crash_recovery);
  g_test_add_func ("/confab/store/message-variants", test_message_variants);
  g_test_add_func ("/confab/store/variants", test_variants);
  g_test_add_func ("/confab/store/timings", test_timings);
  g_test_add_func ("/confab/store/update-after-variant", test_update_after_variant);
  g_test_add_func ("/confab/store/edit", test_edit);
  g_test_add_func ("/confab/store/import", test_import);
  g_test_add_func ("/confab/store/import-atomic", test_import_atomic);

  return g_test_run ();
}

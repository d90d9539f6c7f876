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

#define MODEL "gpt-4o-mini"
/* No wait in a test takes more than this, even under a sanitizer. */
#define DEADLINE_SECONDS 10
#define CRASH_CHILD_ARG "--crash-child"
#define CRASH_SAVES 5

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3, sqlite3_close)

/* The path of this binary, which runs again as the child that crashes. */
static const char *test_binary;

/* Waiting on the main loop */

typedef gboolean (*Condition) (gpointer user_data);

static gboolean
deadline_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;

  return G_SOURCE_REMOVE;
}

static void
wait_until (Condition condition,
            gpointer  user_data)
{
  gboolean expired = FALSE;
  guint deadline_id = g_timeout_add_seconds (DEADLINE_SECONDS, deadline_cb, &expired);

  while (!condition (user_data) && !expired)
    g_main_context_iteration (NULL, TRUE);

  if (!expired)
    g_source_remove (deadline_id);
  g_assert_true (condition (user_data));
}

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

static gboolean
slot_is_set (gpointer user_data)
{
  return *(GAsyncResult **)user_data != NULL;
}

static GAsyncResult *
wait_for_result (GAsyncResult **slot)
{
  wait_until (slot_is_set, slot);

  return g_steal_pointer (slot);
}

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

  confab_store_create_conversation_async (store, title, MODEL, NULL, NULL, store_result_cb, &slot);
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
                                     store_result_cb, &slot);
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

static gboolean
update_message (ConfabStore               *store,
                const ConfabStoredMessage *message,
                GError                   **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  confab_store_update_message_async (store, message, NULL, store_result_cb, &slot);
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
                                          store_result_cb, &slot);
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
                                              store_result_cb, &slot);
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

  confab_store_delete_conversation_async (store, conversation_id, NULL, store_result_cb, &slot);
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

  confab_store_list_conversations_async (store, offset, limit, NULL, store_result_cb, &slot);
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
                                    store_result_cb, &slot);
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

  confab_store_get_conversation_async (store, conversation_id, NULL, store_result_cb, &slot);
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

  confab_store_get_latest_conversation_async (store, NULL, store_result_cb, &slot);
  result = wait_for_result (&slot);
  conversation = confab_store_get_latest_conversation_finish (store, result, &error);
  g_assert_no_error (error);

  return conversation;
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

  confab_store_search_async (store, query, limit, NULL, store_result_cb, &slot);
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

/* The full-text index agrees with the messages, row for row. */
static void
assert_index_sound (const char *path)
{
  g_autoptr(sqlite3) db = raw_open (path);

  raw_exec (db, "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)");
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

  confab_store_new_for_path_async (path, NULL, store_result_cb, &slot);
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
                                             store_result_cb, &slot);
  result = wait_for_result (&slot);
  g_assert_true (confab_store_set_conversation_model_finish (store, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  confab_store_set_conversation_system_prompt_async (store, conversation->id,
                                                     "Translate Korean into Japanese.", NULL,
                                                     store_result_cb, &slot);
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

  confab_store_restore_conversation_async (store, snapshot, NULL, store_result_cb, &slot);
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

  assert_search (store, "東京の天気", "東京の天気", tokyo, 1);
  added = append_message (store, 7, CONFAB_MESSAGE_ROLE_USER, "ありがとう");
  g_assert_cmpint (added->id, ==, 42);
  g_assert_cmpint (added->position, ==, 2);
  g_assert_finalize_object (store);

  {
    g_autoptr(sqlite3) db = raw_open (path);

    g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, CONFAB_STORE_SCHEMA_VERSION);
  }
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
                                          store_result_cb, &slot);
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
                                          store_result_cb, &slot);
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
  confab_store_list_conversations_async (store, 0, 10, cancellable, store_result_cb, &slot);
  result = wait_for_result (&slot);
  conversations = confab_store_list_conversations_finish (store, result, &error);
  g_assert_null (conversations);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_clear_object (&result);

  /* A cancelled write still is: what the user typed is never dropped. */
  confab_store_create_conversation_async (store, "Kept", NULL, NULL, cancellable,
                                          store_result_cb, &slot);
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
  confab_message_set_error (message, error);

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

      copy = confab_stored_message_copy (stored);
      g_assert_cmpstr (copy->content, ==, stored->content);
      g_assert_true (copy->content != stored->content);
    }
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
          confab_store_update_message_async (store, reply, NULL, store_result_cb, &in_flight);
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
  g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT, NULL, store_result_cb, &slot);
  result = wait_for_result (&slot);
  line = g_data_input_stream_read_line_finish_utf8 (lines, result, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "ready");
  g_clear_object (&result);

  g_subprocess_force_exit (child);
  g_subprocess_wait_async (child, NULL, store_result_cb, &slot);
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
  g_test_add_func ("/confab/store/migrate-from-empty-file", test_migrate_from_empty_file);
  g_test_add_func ("/confab/store/newer-version", test_newer_version);
  g_test_add_func ("/confab/store/corrupt-garbage", test_corrupt_garbage);
  g_test_add_func ("/confab/store/corrupt-truncated", test_corrupt_truncated);
  g_test_add_func ("/confab/store/search-cjk", test_search_cjk);
  g_test_add_func ("/confab/store/search-long-snippet", test_search_long_snippet);
  g_test_add_func ("/confab/store/search-syntax", test_search_syntax);
  g_test_add_func ("/confab/store/update-coalescing", test_update_coalescing);
  g_test_add_func ("/confab/store/dispose-drains", test_dispose_drains);
  g_test_add_func ("/confab/store/writes-do-not-block", test_writes_do_not_block);
  g_test_add_func ("/confab/store/cancelled", test_cancelled);
  g_test_add_func ("/confab/store/from-message", test_from_message);
  g_test_add_func ("/confab/store/crash-recovery", test_crash_recovery);

  return g_test_run ();
}

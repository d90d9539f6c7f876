/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-store"

#include "config.h"

#include "confab-store.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* Only another process (the sqlite3 shell, a backup tool) can hold the
 * write lock: wait for it rather than fail a save. */
#define BUSY_TIMEOUT_MS 5000

/* Characters of context a search snippet shows around a match. The FTS
 * snippet counts trigram tokens, which are about one character each. */
#define SNIPPET_TOKENS "32"
#define SNIPPET_BEFORE 12
#define SNIPPET_AFTER 20

/* Step N takes the schema from version N to N + 1. A released step is never
 * edited: a change to the schema is a new step at the end. */
static const char * const migrations[] = {
  /* 0 → 1 */
  "CREATE TABLE conversations ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  title TEXT NOT NULL DEFAULT '',"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL,"
  "  model TEXT,"
  "  system_prompt TEXT,"
  "  pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1))"
  ");"
  /* Scanned backwards, this gives pinned first, newest first, and the
   * newest id first among equal times, with no sort. */
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
  /* Crash recovery on open looks only at the few streaming messages. */
  "CREATE INDEX messages_streaming ON messages (state) WHERE state = 'streaming';"
  /* trigram finds any substring of three characters or more, which is what
   * Korean and Japanese text needs: neither separates words by spaces the
   * way unicode61 expects. */
  "CREATE VIRTUAL TABLE messages_fts USING fts5 ("
  "  content, content='messages', content_rowid='id', tokenize='trigram');"
  "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN"
  "  INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);"
  "END;"
  "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN"
  "  INSERT INTO messages_fts (messages_fts, rowid, content)"
  "    VALUES ('delete', old.id, old.content);"
  "END;"
  /* A save that changes only the state leaves the index alone. */
  "CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages"
  "  WHEN old.content IS NOT new.content BEGIN"
  "  INSERT INTO messages_fts (messages_fts, rowid, content)"
  "    VALUES ('delete', old.id, old.content);"
  "  INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);"
  "END;",

  /* 1 → 2: finish reasons, and the variants of a regenerated reply.
   *
   * The messages row holds the variant it shows, so that listing,
   * searching, crash recovery and the streaming saves stay as they were,
   * a row and an UPDATE each. message_variants holds the others, read
   * only for the few messages that have more than one. A variant moves
   * between the two in one transaction when another is shown. A variant
   * is never streaming: whatever is written goes to the shown one. A
   * variant keeps when it was last saved; when it was first asked for is
   * not known for the variant a row showed before version 2. The index
   * is the table's key: a message's variants are stored together, and
   * the delete that cascades from a message finds them by it. */
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
  ") WITHOUT ROWID;",

  /* 2 → 3: how fast a reply came, in microseconds from the request to
   * its first token and from there to its end, kept per variant like its
   * usage. NULL is a reply that was not measured: every reply stored
   * before version 3, a prompt, and one that failed before its first
   * token. Adding nullable columns rewrites no row. */
  "ALTER TABLE messages ADD COLUMN first_token_us INTEGER;"
  "ALTER TABLE messages ADD COLUMN generation_us INTEGER;"
  "ALTER TABLE message_variants ADD COLUMN first_token_us INTEGER;"
  "ALTER TABLE message_variants ADD COLUMN generation_us INTEGER;",

  /* 3 → 4: the Translate view's recent translations. They belong to no
   * conversation and are not searched. A NULL source language is one the
   * model was left to detect. Rows are read newest first by id, which
   * AUTOINCREMENT never reuses, so no index is needed besides the key. */
  "CREATE TABLE translations ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  source TEXT NOT NULL,"
  "  target TEXT NOT NULL,"
  "  source_language TEXT,"
  "  target_language TEXT NOT NULL,"
  "  model TEXT,"
  "  created_at INTEGER NOT NULL"
  ");",

  /* 4 → 5: a reply is indexed for search once it stops streaming. Each
   * save of a streaming reply, once a second, took its whole text out of
   * the trigram index and put it back: near the end of a 1 MB reply that
   * was a megabyte tokenized twice a second on the writer thread, which
   * shares two cores with the window it slowed. A row is in the index
   * exactly when its state is not 'streaming'; the rows streaming now are
   * taken out first, while their text is still what was indexed. One
   * trigger holds both statements of an update, so the old entry always
   * goes before the new one comes. */
  "INSERT INTO messages_fts (messages_fts, rowid, content)"
  "  SELECT 'delete', id, content FROM messages WHERE state = 'streaming';"
  "DROP TRIGGER messages_fts_insert;"
  "DROP TRIGGER messages_fts_delete;"
  "DROP TRIGGER messages_fts_update;"
  "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages"
  "  WHEN new.state != 'streaming' BEGIN"
  "  INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);"
  "END;"
  "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages"
  "  WHEN old.state != 'streaming' BEGIN"
  "  INSERT INTO messages_fts (messages_fts, rowid, content)"
  "    VALUES ('delete', old.id, old.content);"
  "END;"
  "CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, state ON messages BEGIN"
  "  INSERT INTO messages_fts (messages_fts, rowid, content)"
  "    SELECT 'delete', old.id, old.content"
  "    WHERE old.state != 'streaming'"
  "      AND (new.state = 'streaming' OR old.content IS NOT new.content);"
  "  INSERT INTO messages_fts (rowid, content)"
  "    SELECT new.id, new.content"
  "    WHERE new.state != 'streaming'"
  "      AND (old.state = 'streaming' OR old.content IS NOT new.content);"
  "END;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == CONFAB_STORE_SCHEMA_VERSION);

#define CONVERSATION_COLUMNS \
  "id, title, created_at, updated_at, model, system_prompt, pinned"
#define MESSAGE_COLUMNS \
  "id, conversation_id, position, role, content, reasoning, state, error, " \
  "prompt_tokens, completion_tokens, model, created_at, updated_at, " \
  "finish_reason, variant_index, n_variants, first_token_us, generation_us"
#define MESSAGE_VALUES \
  "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18"
#define TRANSLATION_COLUMNS \
  "id, source, target, source_language, target_language, model, created_at"
#define VARIANT_COLUMNS \
  "idx, content, reasoning, state, error, prompt_tokens, completion_tokens, model, " \
  "finish_reason, updated_at, first_token_us, generation_us"

static const char * const role_names[] = {
  [CONFAB_MESSAGE_ROLE_USER] = "user",
  [CONFAB_MESSAGE_ROLE_ASSISTANT] = "assistant",
  [CONFAB_MESSAGE_ROLE_SYSTEM] = "system",
};

/* A pending reply is stored as streaming, so that a crash before its first
 * delta marks it interrupted too; it reads back as streaming. */
static const char * const state_names[] = {
  [CONFAB_MESSAGE_STATE_COMPLETE] = "complete",
  [CONFAB_MESSAGE_STATE_PENDING] = "streaming",
  [CONFAB_MESSAGE_STATE_STREAMING] = "streaming",
  [CONFAB_MESSAGE_STATE_STOPPED] = "stopped",
  [CONFAB_MESSAGE_STATE_FAILED] = "failed",
  [CONFAB_MESSAGE_STATE_INTERRUPTED] = "interrupted",
};

typedef enum
{
  COLUMN_TITLE,
  COLUMN_PINNED,
  COLUMN_MODEL,
  COLUMN_SYSTEM_PROMPT,
} Column;

static const char * const column_updates[] = {
  [COLUMN_TITLE] = "UPDATE conversations SET title = ?2 WHERE id = ?1",
  [COLUMN_PINNED] = "UPDATE conversations SET pinned = ?2 WHERE id = ?1",
  [COLUMN_MODEL] = "UPDATE conversations SET model = ?2 WHERE id = ?1",
  [COLUMN_SYSTEM_PROMPT] = "UPDATE conversations SET system_prompt = ?2 WHERE id = ?1",
};

typedef struct _Job Job;

typedef gboolean (*JobFunc) (ConfabStore  *self,
                             Job          *job,
                             GError      **error);

/* One request to the worker thread. Its input is a copy made on the
 * caller's thread; its tasks are touched only on their context's thread,
 * which also frees the job, so the worker never drops a reference that
 * could finalize the store on the worker thread. */
struct _Job
{
  /* owned */
  GPtrArray      *tasks;
  GMainContext   *context;
  GCancellable   *cancellable;
  char           *text;
  gpointer        input;
  GDestroyNotify  input_free;
  gpointer        result;
  GDestroyNotify  result_free;
  GError         *error;

  /* plain state */
  const char *name;
  JobFunc     func;
  gboolean    is_read;
  gint64      id;
  gint64      number;
  gint64      offset;
  gint64      limit;
  Column      column;
};

struct _ConfabStore
{
  GObject parent_instance;

  /* owned */
  char        *path;
  char        *recovered_from_corruption;
  GThread     *thread;
  GAsyncQueue *queue;

  /* under lock: message id → its queued update Job that has not started */
  GMutex      lock;
  GHashTable *pending_updates;

  /* owned by the worker thread once it runs */
  sqlite3 *db;
  gint64   last_time;

  /* plain state */
  guint n_interrupted;
};

static void confab_store_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ConfabStore, confab_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      confab_store_initable_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_INITABLE, NULL))
G_DEFINE_QUARK (confab-store-error-quark, confab_store_error)

G_DEFINE_BOXED_TYPE (ConfabStoredConversation, confab_stored_conversation,
                     confab_stored_conversation_copy, confab_stored_conversation_free)
G_DEFINE_BOXED_TYPE (ConfabStoredMessage, confab_stored_message,
                     confab_stored_message_copy, confab_stored_message_free)
G_DEFINE_BOXED_TYPE (ConfabStoreSearchHit, confab_store_search_hit,
                     confab_store_search_hit_copy, confab_store_search_hit_free)
G_DEFINE_BOXED_TYPE (ConfabStoreSnapshot, confab_store_snapshot,
                     confab_store_snapshot_copy, confab_store_snapshot_free)
G_DEFINE_BOXED_TYPE (ConfabStoredTranslation, confab_stored_translation,
                     confab_stored_translation_copy, confab_stored_translation_free)

enum {
  PROP_0,
  PROP_PATH,
  PROP_RECOVERED_FROM_CORRUPTION,
  PROP_N_INTERRUPTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Rows */

/**
 * confab_stored_conversation_copy:
 * @self: a #ConfabStoredConversation
 *
 * Returns: (transfer full): a deep copy of @self
 */
ConfabStoredConversation *
confab_stored_conversation_copy (const ConfabStoredConversation *self)
{
  ConfabStoredConversation *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_memdup2 (self, sizeof *self);
  copy->title = g_strdup (self->title);
  copy->model = g_strdup (self->model);
  copy->system_prompt = g_strdup (self->system_prompt);

  return copy;
}

void
confab_stored_conversation_free (ConfabStoredConversation *self)
{
  if (self == NULL)
    return;

  g_free (self->title);
  g_free (self->model);
  g_free (self->system_prompt);
  g_free (self);
}

/**
 * confab_stored_translation_new:
 * @source: the text translated
 * @target: its translation
 * @source_language: (nullable): the tag of @source's language, or %NULL
 *   when the model was left to detect it
 * @target_language: the tag of @target's language
 * @model: (nullable): the model that translated
 *
 * Returns: (transfer full): a translation to add, with no id yet
 */
ConfabStoredTranslation *
confab_stored_translation_new (const char *source,
                               const char *target,
                               const char *source_language,
                               const char *target_language,
                               const char *model)
{
  ConfabStoredTranslation *self;

  g_return_val_if_fail (source != NULL, NULL);
  g_return_val_if_fail (target != NULL, NULL);
  g_return_val_if_fail (target_language != NULL, NULL);

  self = g_new0 (ConfabStoredTranslation, 1);
  self->source = g_strdup (source);
  self->target = g_strdup (target);
  self->source_language = g_strdup (source_language);
  self->target_language = g_strdup (target_language);
  self->model = g_strdup (model);

  return self;
}

/**
 * confab_stored_translation_copy:
 * @self: a #ConfabStoredTranslation
 *
 * Returns: (transfer full): a deep copy of @self
 */
ConfabStoredTranslation *
confab_stored_translation_copy (const ConfabStoredTranslation *self)
{
  ConfabStoredTranslation *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_memdup2 (self, sizeof *self);
  copy->source = g_strdup (self->source);
  copy->target = g_strdup (self->target);
  copy->source_language = g_strdup (self->source_language);
  copy->target_language = g_strdup (self->target_language);
  copy->model = g_strdup (self->model);

  return copy;
}

void
confab_stored_translation_free (ConfabStoredTranslation *self)
{
  if (self == NULL)
    return;

  g_free (self->source);
  g_free (self->target);
  g_free (self->source_language);
  g_free (self->target_language);
  g_free (self->model);
  g_free (self);
}

/**
 * confab_stored_message_new:
 * @role: who wrote it
 * @content: (nullable): the text, valid UTF-8
 *
 * Returns: (transfer full): a complete message with no usage, to append
 */
ConfabStoredMessage *
confab_stored_message_new (ConfabMessageRole  role,
                           const char        *content)
{
  ConfabStoredMessage *self = g_new0 (ConfabStoredMessage, 1);

  self->role = role;
  self->content = g_strdup (content != NULL ? content : "");
  self->reasoning = g_strdup ("");
  self->state = CONFAB_MESSAGE_STATE_COMPLETE;
  self->prompt_tokens = -1;
  self->completion_tokens = -1;
  self->first_token_us = -1;
  self->generation_us = -1;
  self->n_variants = 1;

  return self;
}

/**
 * confab_stored_message_new_from_message:
 * @message: a #ConfabMessage
 *
 * Copies what the store keeps of @message, with the variants it does not
 * show. A pending message is stored as streaming, so that a crash before
 * its first delta marks it interrupted. The id, conversation and position
 * are left 0 for the caller to set.
 *
 * Returns: (transfer full): the copy
 */
ConfabStoredMessage *
confab_stored_message_new_from_message (ConfabMessage *message)
{
  ConfabStoredMessage *self;
  const GError *error;
  guint n_variants;

  g_return_val_if_fail (CONFAB_IS_MESSAGE (message), NULL);

  self = confab_stored_message_new (confab_message_get_role (message),
                                    confab_message_get_content (message));
  g_free (self->reasoning);
  self->reasoning = g_strdup (confab_message_get_reasoning (message));

  self->state = confab_message_get_state (message);
  if (self->state == CONFAB_MESSAGE_STATE_PENDING)
    self->state = CONFAB_MESSAGE_STATE_STREAMING;

  error = confab_message_get_error (message);
  if (error != NULL)
    self->error = g_strdup (error->message);
  self->prompt_tokens = confab_message_get_prompt_tokens (message);
  self->completion_tokens = confab_message_get_completion_tokens (message);
  self->first_token_us = confab_message_get_first_token_us (message);
  self->generation_us = confab_message_get_generation_us (message);
  self->model = g_strdup (confab_message_get_model (message));
  self->finish_reason = g_strdup (confab_message_get_finish_reason (message));

  n_variants = confab_message_get_n_variants (message);
  self->n_variants = n_variants;
  self->variant_index = confab_message_get_variant_index (message);
  if (n_variants > 1)
    self->variants = g_ptr_array_new_full (n_variants - 1,
                                           (GDestroyNotify)confab_stored_message_free);
  for (guint i = 0; i < n_variants; i++)
    {
      g_autoptr(ConfabMessage) variant = NULL;
      ConfabStoredMessage *stored;

      if (i == self->variant_index)
        continue;

      variant = confab_message_dup_variant (message, i);
      stored = confab_stored_message_new_from_message (variant);
      stored->variant_index = i;
      g_ptr_array_add (self->variants, stored);
    }

  return self;
}

static ConfabStoredMessage *
copy_without_variants (const ConfabStoredMessage *self)
{
  ConfabStoredMessage *copy = g_memdup2 (self, sizeof *self);

  copy->content = g_strdup (self->content != NULL ? self->content : "");
  copy->reasoning = g_strdup (self->reasoning != NULL ? self->reasoning : "");
  copy->error = g_strdup (self->error);
  copy->model = g_strdup (self->model);
  copy->finish_reason = g_strdup (self->finish_reason);
  copy->variants = NULL;

  return copy;
}

/**
 * confab_stored_message_copy:
 * @self: a #ConfabStoredMessage
 *
 * Returns: (transfer full): a deep copy of @self, with its variants
 */
ConfabStoredMessage *
confab_stored_message_copy (const ConfabStoredMessage *self)
{
  ConfabStoredMessage *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = copy_without_variants (self);
  if (self->variants != NULL)
    {
      copy->variants = g_ptr_array_new_full (self->variants->len,
                                             (GDestroyNotify)confab_stored_message_free);
      for (guint i = 0; i < self->variants->len; i++)
        g_ptr_array_add (copy->variants, confab_stored_message_copy (self->variants->pdata[i]));
    }

  return copy;
}

void
confab_stored_message_free (ConfabStoredMessage *self)
{
  if (self == NULL)
    return;

  g_free (self->content);
  g_free (self->reasoning);
  g_free (self->error);
  g_free (self->model);
  g_free (self->finish_reason);
  g_clear_pointer (&self->variants, g_ptr_array_unref);
  g_free (self);
}

/**
 * confab_store_search_hit_copy:
 * @self: a #ConfabStoreSearchHit
 *
 * Returns: (transfer full): a deep copy of @self
 */
ConfabStoreSearchHit *
confab_store_search_hit_copy (const ConfabStoreSearchHit *self)
{
  ConfabStoreSearchHit *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_memdup2 (self, sizeof *self);
  copy->title = g_strdup (self->title);
  copy->snippet = g_strdup (self->snippet);

  return copy;
}

void
confab_store_search_hit_free (ConfabStoreSearchHit *self)
{
  if (self == NULL)
    return;

  g_free (self->title);
  g_free (self->snippet);
  g_free (self);
}

/**
 * confab_store_snapshot_copy:
 * @self: a #ConfabStoreSnapshot
 *
 * Returns: (transfer full): a deep copy of @self
 */
ConfabStoreSnapshot *
confab_store_snapshot_copy (const ConfabStoreSnapshot *self)
{
  ConfabStoreSnapshot *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (ConfabStoreSnapshot, 1);
  if (self->conversation != NULL)
    copy->conversation = confab_stored_conversation_copy (self->conversation);
  copy->messages = g_ptr_array_new_with_free_func ((GDestroyNotify)confab_stored_message_free);
  for (guint i = 0; self->messages != NULL && i < self->messages->len; i++)
    g_ptr_array_add (copy->messages, confab_stored_message_copy (self->messages->pdata[i]));

  return copy;
}

void
confab_store_snapshot_free (ConfabStoreSnapshot *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->conversation, confab_stored_conversation_free);
  g_clear_pointer (&self->messages, g_ptr_array_unref);
  g_free (self);
}

static const char *
role_to_string (ConfabMessageRole role)
{
  g_assert ((guint)role < G_N_ELEMENTS (role_names));

  return role_names[role];
}

static ConfabMessageRole
role_from_string (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (role_names); i++)
    {
      if (g_strcmp0 (name, role_names[i]) == 0)
        return i;
    }

  /* The schema's CHECK allows nothing else. */
  return CONFAB_MESSAGE_ROLE_USER;
}

static const char *
state_to_string (ConfabMessageState state)
{
  g_assert ((guint)state < G_N_ELEMENTS (state_names));

  return state_names[state];
}

/* Nothing streams into a variant that is not shown: one left streaming
 * is kept as interrupted, as a crash would have left it. */
static const char *
variant_state_to_string (ConfabMessageState state)
{
  if (state == CONFAB_MESSAGE_STATE_PENDING || state == CONFAB_MESSAGE_STATE_STREAMING)
    state = CONFAB_MESSAGE_STATE_INTERRUPTED;

  return state_to_string (state);
}

static ConfabMessageState
state_from_string (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (state_names); i++)
    {
      if (i != CONFAB_MESSAGE_STATE_PENDING && g_strcmp0 (name, state_names[i]) == 0)
        return i;
    }

  return CONFAB_MESSAGE_STATE_INTERRUPTED;
}

/* SQLite helpers */

static void
set_db_error (GError  **error,
              sqlite3  *db,
              int       rc)
{
  /* Read at once: the next call on the connection replaces it. */
  const char *detail = db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc);

  switch (rc & 0xff)
    {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      /* Translators: %s is SQLite's own description of the problem, in English. */
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CORRUPT,
                   _("The history database is damaged: %s"), detail);
      break;

    case SQLITE_FULL:
      /* Translators: %s is SQLite's own description of the problem, in English. */
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FULL,
                   _("The disk is full, so the history cannot be saved: %s"), detail);
      break;

    case SQLITE_READONLY:
    case SQLITE_PERM:
      /* Translators: %s is SQLite's own description of the problem, in English. */
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_READ_ONLY,
                   _("The history cannot be saved because it is read-only: %s"), detail);
      break;

    default:
      /* Translators: %s is SQLite's own description of the problem, in English. */
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED,
                   _("The history database failed: %s"), detail);
      break;
    }
}

static sqlite3_stmt *
prepare (sqlite3     *db,
         const char  *sql,
         GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      set_db_error (error, db, rc);
      return NULL;
    }

  return stmt;
}

static gboolean
step_done (sqlite3_stmt  *stmt,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE)
    {
      set_db_error (error, sqlite3_db_handle (stmt), rc);
      return FALSE;
    }

  return TRUE;
}

static gboolean
exec (sqlite3     *db,
      const char  *sql,
      GError     **error)
{
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      set_db_error (error, db, rc);
      return FALSE;
    }

  return TRUE;
}

static gboolean
query_int (sqlite3     *db,
           const char  *sql,
           gint64      *value,
           GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (db, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;

  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      set_db_error (error, db, rc == SQLITE_DONE ? SQLITE_ERROR : rc);
      return FALSE;
    }

  *value = sqlite3_column_int64 (stmt, 0);

  return TRUE;
}

/* Every string is bound SQLITE_STATIC: it belongs to the job, which outlives
 * the statement. */
static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, index);
}

/* A count of tokens or a time that is not known, -1 in memory, is NULL
 * in the file. */
static void
bind_optional (sqlite3_stmt *stmt,
               int           index,
               gint64        value)
{
  if (value >= 0)
    sqlite3_bind_int64 (stmt, index, value);
  else
    sqlite3_bind_null (stmt, index);
}

static char *
dup_column_text (sqlite3_stmt *stmt,
                 int           column)
{
  const char *text = (const char *)sqlite3_column_text (stmt, column);
  int len = sqlite3_column_bytes (stmt, column);

  if (text == NULL)
    return NULL;

  /* The file may have been edited by other tools: the UI gets valid UTF-8. */
  if (!g_utf8_validate (text, len, NULL))
    return g_utf8_make_valid (text, len);

  return g_strndup (text, len);
}

static gint64
column_optional (sqlite3_stmt *stmt,
                 int           column)
{
  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    return -1;

  return sqlite3_column_int64 (stmt, column);
}

/* Reads a row selected with CONVERSATION_COLUMNS. */
static ConfabStoredConversation *
conversation_from_row (sqlite3_stmt *stmt)
{
  ConfabStoredConversation *conversation = g_new0 (ConfabStoredConversation, 1);

  conversation->id = sqlite3_column_int64 (stmt, 0);
  conversation->title = dup_column_text (stmt, 1);
  conversation->created_at = sqlite3_column_int64 (stmt, 2);
  conversation->updated_at = sqlite3_column_int64 (stmt, 3);
  conversation->model = dup_column_text (stmt, 4);
  conversation->system_prompt = dup_column_text (stmt, 5);
  conversation->pinned = sqlite3_column_int (stmt, 6) != 0;

  if (conversation->title == NULL)
    conversation->title = g_strdup ("");

  return conversation;
}

/* Reads a row selected with MESSAGE_COLUMNS. */
static ConfabStoredMessage *
message_from_row (sqlite3_stmt *stmt)
{
  ConfabStoredMessage *message = g_new0 (ConfabStoredMessage, 1);

  message->id = sqlite3_column_int64 (stmt, 0);
  message->conversation_id = sqlite3_column_int64 (stmt, 1);
  message->position = sqlite3_column_int64 (stmt, 2);
  message->role = role_from_string ((const char *)sqlite3_column_text (stmt, 3));
  message->content = dup_column_text (stmt, 4);
  message->reasoning = dup_column_text (stmt, 5);
  message->state = state_from_string ((const char *)sqlite3_column_text (stmt, 6));
  message->error = dup_column_text (stmt, 7);
  message->prompt_tokens = column_optional (stmt, 8);
  message->completion_tokens = column_optional (stmt, 9);
  message->model = dup_column_text (stmt, 10);
  message->created_at = sqlite3_column_int64 (stmt, 11);
  message->updated_at = sqlite3_column_int64 (stmt, 12);
  message->finish_reason = dup_column_text (stmt, 13);
  message->variant_index = CLAMP (sqlite3_column_int64 (stmt, 14), 0, G_MAXUINT - 1);
  message->n_variants = CLAMP (sqlite3_column_int64 (stmt, 15), 1, G_MAXUINT);
  message->first_token_us = column_optional (stmt, 16);
  message->generation_us = column_optional (stmt, 17);

  if (message->content == NULL)
    message->content = g_strdup ("");
  if (message->reasoning == NULL)
    message->reasoning = g_strdup ("");

  return message;
}

/* Reads a row selected with VARIANT_COLUMNS, a variant of @message. */
static ConfabStoredMessage *
variant_from_row (sqlite3_stmt              *stmt,
                  const ConfabStoredMessage *message)
{
  ConfabStoredMessage *variant = g_new0 (ConfabStoredMessage, 1);

  variant->id = message->id;
  variant->conversation_id = message->conversation_id;
  variant->position = message->position;
  variant->role = message->role;
  variant->created_at = message->created_at;
  variant->n_variants = 1;
  variant->variant_index = CLAMP (sqlite3_column_int64 (stmt, 0), 0, G_MAXUINT);
  variant->content = dup_column_text (stmt, 1);
  variant->reasoning = dup_column_text (stmt, 2);
  variant->state = state_from_string ((const char *)sqlite3_column_text (stmt, 3));
  variant->error = dup_column_text (stmt, 4);
  variant->prompt_tokens = column_optional (stmt, 5);
  variant->completion_tokens = column_optional (stmt, 6);
  variant->model = dup_column_text (stmt, 7);
  variant->finish_reason = dup_column_text (stmt, 8);
  variant->updated_at = sqlite3_column_int64 (stmt, 9);
  variant->first_token_us = column_optional (stmt, 10);
  variant->generation_us = column_optional (stmt, 11);

  if (variant->content == NULL)
    variant->content = g_strdup ("");
  if (variant->reasoning == NULL)
    variant->reasoning = g_strdup ("");

  return variant;
}

static sqlite3_stmt *
prepare_read_variants (sqlite3  *db,
                       GError  **error)
{
  return prepare (db,
                  "SELECT " VARIANT_COLUMNS " FROM message_variants WHERE message_id = ?1 "
                  "ORDER BY idx",
                  error);
}

/* Reads the variants @message does not show, with @stmt from
 * prepare_read_variants (), reused from one message to the next. Only a
 * message with more than one variant costs a query. */
static gboolean
read_variants (sqlite3_stmt         *stmt,
               ConfabStoredMessage  *message,
               GError              **error)
{
  g_autoptr(GPtrArray) variants = NULL;
  int rc;

  if (message->n_variants <= 1)
    return TRUE;

  sqlite3_reset (stmt);
  sqlite3_bind_int64 (stmt, 1, message->id);

  variants = g_ptr_array_new_with_free_func ((GDestroyNotify)confab_stored_message_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (variants, variant_from_row (stmt, message));

  if (rc != SQLITE_DONE)
    {
      set_db_error (error, sqlite3_db_handle (stmt), rc);
      return FALSE;
    }

  /* What is read is consistent even if another tool changed the file:
   * the count is what is there, and the others fill the indexes around
   * the shown one, in order. */
  message->n_variants = variants->len + 1;
  message->variant_index = MIN (message->variant_index, variants->len);
  for (guint i = 0; i < variants->len; i++)
    ((ConfabStoredMessage *)variants->pdata[i])->variant_index =
      i < message->variant_index ? i : i + 1;

  if (variants->len > 0)
    message->variants = g_steal_pointer (&variants);

  return TRUE;
}

typedef gboolean (*TransactionFunc) (ConfabStore  *self,
                                     gpointer      data,
                                     GError      **error);

static gboolean
in_transaction (ConfabStore      *self,
                TransactionFunc   func,
                gpointer          data,
                GError          **error)
{
  /* IMMEDIATE takes the write lock first, so the reads inside see what
   * the writes will change. */
  if (!exec (self->db, "BEGIN IMMEDIATE", error))
    return FALSE;

  if (!func (self, data, error) || !exec (self->db, "COMMIT", error))
    {
      /* A failed COMMIT can leave the transaction open. */
      if (!sqlite3_get_autocommit (self->db))
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }

  return TRUE;
}

/* Timestamps strictly increase within a session, so the newest
 * conversation sorts first even when two changes share a microsecond. */
static gint64
now (ConfabStore *self)
{
  self->last_time = MAX (g_get_real_time (), self->last_time + 1);

  return self->last_time;
}

static gboolean
set_not_found (GError     **error,
               const char  *what)
{
  g_set_error_literal (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND, what);

  return FALSE;
}

/* Reads one message with its variants. */
static ConfabStoredMessage *
read_message (ConfabStore  *self,
              gint64        message_id,
              GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(sqlite3_stmt) variants = NULL;
  g_autoptr(ConfabStoredMessage) message = NULL;
  int rc;

  stmt = prepare (self->db, "SELECT " MESSAGE_COLUMNS " FROM messages WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;

  sqlite3_bind_int64 (stmt, 1, message_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      set_not_found (error, _("The message no longer exists."));
      return NULL;
    }
  if (rc != SQLITE_ROW)
    {
      set_db_error (error, self->db, rc);
      return NULL;
    }

  message = message_from_row (stmt);
  variants = prepare_read_variants (self->db, error);
  if (variants == NULL || !read_variants (variants, message, error))
    return NULL;

  return g_steal_pointer (&message);
}

/* Opening */

static gboolean
migrate (ConfabStore  *self,
         gpointer      data,
         GError      **error)
{
  g_autofree char *set_version = NULL;
  gint64 version;

  /* Read again under the write lock: that is the version the steps see. */
  if (!query_int (self->db, "PRAGMA user_version", &version, error))
    return FALSE;

  for (gint64 step = version; step < CONFAB_STORE_SCHEMA_VERSION; step++)
    {
      g_debug ("migrating the schema from version %" G_GINT64_FORMAT, step);
      if (!exec (self->db, migrations[step], error))
        return FALSE;
    }

  set_version = g_strdup_printf ("PRAGMA user_version = %d", CONFAB_STORE_SCHEMA_VERSION);

  return exec (self->db, set_version, error);
}

static gboolean
recover_streaming (ConfabStore  *self,
                   GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  /* Nothing streams before the store is open: a streaming message is what a
   * crash or a kill left behind. Its text up to the last save is kept. */
  stmt = prepare (self->db,
                  "UPDATE messages SET state = 'interrupted', updated_at = ?1 "
                  "WHERE state = 'streaming'",
                  error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, now (self));
  if (!step_done (stmt, error))
    return FALSE;

  self->n_interrupted = sqlite3_changes (self->db);

  return TRUE;
}

static gboolean
prepare_database (ConfabStore  *self,
                  GError      **error)
{
  g_autoptr(sqlite3_stmt) check = NULL;
  const char *verdict;
  gint64 version;
  int rc;

  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);

  /* A file that is not a database fails here, on the first read. Nothing
   * is written before the version is known to be ours. */
  if (!query_int (self->db, "PRAGMA user_version", &version, error))
    return FALSE;

  if (version > CONFAB_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NEWER_VERSION,
                   /* Translators: %s is a file name. */
                   _("The history in “%s” was saved by a newer version of Confab, "
                     "which this version cannot read. It was left unchanged."),
                   self->path);
      return FALSE;
    }

  /* quick_check reads every page, and skips only the slow comparison of
   * indexes with their tables that integrity_check adds. */
  check = prepare (self->db, "PRAGMA quick_check", error);
  if (check == NULL)
    return FALSE;

  rc = sqlite3_step (check);
  if (rc != SQLITE_ROW)
    {
      set_db_error (error, self->db, rc);
      return FALSE;
    }

  verdict = (const char *)sqlite3_column_text (check, 0);
  if (g_strcmp0 (verdict, "ok") != 0)
    {
      g_set_error_literal (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CORRUPT,
                           _("The history database is damaged."));
      return FALSE;
    }

  g_clear_pointer (&check, sqlite3_finalize);

  /* WAL lets a save append to the log without rewriting pages, and with
   * synchronous=NORMAL a crash of the app loses nothing committed; only a
   * power cut can lose the last commits, never consistency. */
  if (!exec (self->db, "PRAGMA journal_mode = WAL", error) ||
      !exec (self->db, "PRAGMA synchronous = NORMAL", error) ||
      !exec (self->db, "PRAGMA foreign_keys = ON", error))
    return FALSE;

  if (version < CONFAB_STORE_SCHEMA_VERSION && !in_transaction (self, migrate, NULL, error))
    {
      g_prefix_error (error, _("Could not update the history to the new format: "));
      return FALSE;
    }

  return recover_streaming (self, error);
}

static gboolean
open_database (ConfabStore  *self,
               GError      **error)
{
  int rc;

  g_assert (self->db == NULL);

  rc = sqlite3_open_v2 (self->path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK)
    {
      set_db_error (error, self->db, rc);
      g_clear_pointer (&self->db, sqlite3_close);
      return FALSE;
    }

  if (!prepare_database (self, error))
    {
      g_clear_pointer (&self->db, sqlite3_close);
      return FALSE;
    }

  return TRUE;
}

static gboolean
rename_aside (const char  *from,
              const char  *to,
              const char  *path,
              GError     **error)
{
  int saved_errno;

  if (g_rename (from, to) == 0)
    return TRUE;

  saved_errno = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               /* Translators: the first %s is a file name, the second the reason. */
               _("The history in “%s” is damaged and could not be moved aside: %s"),
               path, g_strerror (saved_errno));

  return FALSE;
}

static gboolean
move_aside (ConfabStore  *self,
            GError      **error)
{
  /* A journal or log left behind would be replayed into the fresh
   * database, and belongs with the damaged one anyway. */
  static const char * const companions[] = { "-wal", "-shm", "-journal" };
  g_autoptr(GDateTime) time = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (time, "%Y%m%d-%H%M%S");
  g_autofree char *target = g_strdup_printf ("%s.corrupt-%s", self->path, stamp);

  /* A second recovery within the same second keeps the first copy. */
  for (guint n = 2; g_file_test (target, G_FILE_TEST_EXISTS); n++)
    {
      g_free (target);
      target = g_strdup_printf ("%s.corrupt-%s-%u", self->path, stamp, n);
    }

  if (!rename_aside (self->path, target, self->path, error))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (companions); i++)
    {
      g_autofree char *from = g_strconcat (self->path, companions[i], NULL);
      g_autofree char *to = g_strconcat (target, companions[i], NULL);

      if (g_file_test (from, G_FILE_TEST_EXISTS) && !rename_aside (from, to, self->path, error))
        return FALSE;
    }

  self->recovered_from_corruption = g_steal_pointer (&target);

  return TRUE;
}

/* The worker */

static void
job_free (Job *job)
{
  g_clear_pointer (&job->tasks, g_ptr_array_unref);
  g_clear_pointer (&job->context, g_main_context_unref);
  g_clear_object (&job->cancellable);
  g_clear_pointer (&job->text, g_free);
  if (job->input_free != NULL)
    g_clear_pointer (&job->input, job->input_free);
  if (job->result_free != NULL)
    g_clear_pointer (&job->result, job->result_free);
  g_clear_error (&job->error);
  g_free (job);
}

static Job *
job_new (GTask      *task,
         const char *name,
         JobFunc     func)
{
  Job *job = g_new0 (Job, 1);

  job->tasks = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (job->tasks, g_object_ref (task));
  job->context = g_main_context_ref (g_task_get_context (task));
  g_set_object (&job->cancellable, g_task_get_cancellable (task));
  job->name = name;
  job->func = func;

  return job;
}

static gboolean
complete_job_cb (gpointer user_data)
{
  Job *job = user_data;

  g_assert (job->result == NULL || job->tasks->len == 1);

  for (guint i = 0; i < job->tasks->len; i++)
    {
      GTask *task = job->tasks->pdata[i];

      if (job->error != NULL)
        g_task_return_error (task, g_error_copy (job->error));
      else if (job->result_free != NULL)
        g_task_return_pointer (task, g_steal_pointer (&job->result), job->result_free);
      else
        g_task_return_boolean (task, TRUE);
    }

  /* This may drop the last reference to the store. */
  job_free (job);

  return G_SOURCE_REMOVE;
}

static void
complete_in_context (Job *job)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, "[confab] store job");
  g_source_set_callback (source, complete_job_cb, job, NULL);
  g_source_attach (source, job->context);
}

static gboolean update_message_job (ConfabStore  *self,
                                    Job          *job,
                                    GError      **error);

static gpointer
worker_main (gpointer user_data)
{
  ConfabStore *self = user_data;

  for (;;)
    {
      Job *job = g_async_queue_pop (self->queue);
      gint64 start;

      if (job->func == NULL)
        {
          job_free (job);
          break;
        }

      if (job->func == update_message_job)
        {
          /* From here on no later save is merged into this one. */
          g_mutex_lock (&self->lock);
          if (g_hash_table_lookup (self->pending_updates, &job->id) == job)
            g_hash_table_remove (self->pending_updates, &job->id);
          g_mutex_unlock (&self->lock);
        }

      start = g_get_monotonic_time ();

      /* A write is made even when cancelled: cancelling says the caller no
       * longer wants the answer, and what the user typed is never dropped. */
      if (!(job->is_read && g_cancellable_set_error_if_cancelled (job->cancellable, &job->error)))
        {
          if (!job->func (self, job, &job->error))
            g_assert (job->error != NULL);
        }

      g_debug ("%s: %s in %" G_GINT64_FORMAT " us, %u caller(s)", job->name,
               job->error != NULL ? "failed" : "done", g_get_monotonic_time () - start,
               job->tasks->len);

      complete_in_context (job);
    }

  return NULL;
}

static void
submit (ConfabStore *self,
        Job         *job)
{
  if (self->thread == NULL)
    {
      g_set_error_literal (&job->error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                           _("The history is closed."));
      complete_in_context (job);
      return;
    }

  g_async_queue_push (self->queue, job);
}

/* GObject */

static void
confab_store_dispose (GObject *object)
{
  ConfabStore *self = (ConfabStore *)object;

  /* Each queued job holds a reference through its task, so the queue is
   * empty here, unless dispose was forced, as at shutdown: the worker ends
   * after everything queued before this, so no write is lost. */
  if (self->thread != NULL)
    {
      g_async_queue_push (self->queue, g_new0 (Job, 1));
      g_clear_pointer (&self->thread, g_thread_join);
    }

  G_OBJECT_CLASS (confab_store_parent_class)->dispose (object);
}

static void
confab_store_finalize (GObject *object)
{
  ConfabStore *self = (ConfabStore *)object;

  /* Closing the last connection checkpoints the log into the database. */
  g_clear_pointer (&self->db, sqlite3_close);
  g_clear_pointer (&self->queue, g_async_queue_unref);
  g_clear_pointer (&self->pending_updates, g_hash_table_unref);
  g_mutex_clear (&self->lock);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->recovered_from_corruption, g_free);

  G_OBJECT_CLASS (confab_store_parent_class)->finalize (object);
}

static void
confab_store_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  ConfabStore *self = CONFAB_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;

    case PROP_RECOVERED_FROM_CORRUPTION:
      g_value_set_string (value, self->recovered_from_corruption);
      break;

    case PROP_N_INTERRUPTED:
      g_value_set_uint (value, self->n_interrupted);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_store_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  ConfabStore *self = CONFAB_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_store_class_init (ConfabStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_store_dispose;
  object_class->finalize = confab_store_finalize;
  object_class->get_property = confab_store_get_property;
  object_class->set_property = confab_store_set_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * ConfabStore:recovered-from-corruption:
   *
   * Where the damaged database was moved when opening found one, so the
   * UI can tell the user; %NULL when it was sound.
   */
  properties[PROP_RECOVERED_FROM_CORRUPTION] =
    g_param_spec_string ("recovered-from-corruption", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * ConfabStore:n-interrupted:
   *
   * How many messages opening found streaming and marked interrupted.
   */
  properties[PROP_N_INTERRUPTED] =
    g_param_spec_uint ("n-interrupted", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_store_init (ConfabStore *self)
{
  g_mutex_init (&self->lock);
  self->queue = g_async_queue_new ();
  self->pending_updates = g_hash_table_new (g_int64_hash, g_int64_equal);
}

static gboolean
confab_store_initable_init (GInitable     *initable,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *folder = NULL;
  ConfabStore *self = CONFAB_STORE (initable);

  g_return_val_if_fail (self->path != NULL, FALSE);

  if (self->thread != NULL)
    return TRUE;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  folder = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   /* Translators: the first %s is a folder name, the second the reason. */
                   _("Could not create the folder “%s” for the history: %s"),
                   folder, g_strerror (saved_errno));
      return FALSE;
    }

  if (!open_database (self, &local_error))
    {
      if (!g_error_matches (local_error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CORRUPT))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }

      g_debug ("the database is damaged, starting a fresh one");
      if (!move_aside (self, error) || !open_database (self, error))
        return FALSE;
    }

  g_debug ("opened schema version %d, %u message(s) interrupted",
           CONFAB_STORE_SCHEMA_VERSION, self->n_interrupted);

  self->thread = g_thread_new ("confab-store", worker_main, self);

  return TRUE;
}

static void
confab_store_initable_iface_init (GInitableIface *iface)
{
  iface->init = confab_store_initable_init;
}

/**
 * confab_store_dup_default_path:
 *
 * Returns: (transfer full): `$XDG_DATA_HOME/confab/history.db`
 */
char *
confab_store_dup_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "confab", "history.db", NULL);
}

/**
 * confab_store_new_for_path:
 * @path: the database file; it and its folders are created if missing
 * @error: return location for a #GError
 *
 * Opens the history, blocking while it checks and migrates the file: use
 * confab_store_new_for_path_async() from the UI. A damaged file is moved
 * aside (see #ConfabStore:recovered-from-corruption) and a fresh one
 * started; a file from a newer version is left alone and fails with
 * %CONFAB_STORE_ERROR_NEWER_VERSION.
 *
 * Returns: (transfer full) (nullable): the store, or %NULL with @error set
 */
ConfabStore *
confab_store_new_for_path (const char  *path,
                           GError     **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (CONFAB_TYPE_STORE, NULL, error, "path", path, NULL);
}

/**
 * confab_store_new_for_path_async:
 * @path: the database file
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the store is open
 * @user_data: data for @callback
 *
 * Opens the history on a thread, as confab_store_new_for_path() does.
 */
void
confab_store_new_for_path_async (const char          *path,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (path != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  g_async_initable_new_async (CONFAB_TYPE_STORE, G_PRIORITY_DEFAULT, cancellable,
                              callback, user_data, "path", path, NULL);
}

/**
 * confab_store_new_for_path_finish:
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the store, or %NULL with @error set
 */
ConfabStore *
confab_store_new_for_path_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_autoptr(GObject) source = NULL;
  GObject *object;

  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);

  source = g_async_result_get_source_object (result);
  object = g_async_initable_new_finish (G_ASYNC_INITABLE (source), result, error);

  return object != NULL ? CONFAB_STORE (object) : NULL;
}

/**
 * confab_store_get_path:
 * @self: a #ConfabStore
 *
 * Returns: (transfer none): the database file
 */
const char *
confab_store_get_path (ConfabStore *self)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), NULL);

  return self->path;
}

/**
 * confab_store_get_recovered_from_corruption:
 * @self: a #ConfabStore
 *
 * Returns: (transfer none) (nullable): where the damaged database was moved,
 *   or %NULL when opening found it sound
 */
const char *
confab_store_get_recovered_from_corruption (ConfabStore *self)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), NULL);

  return self->recovered_from_corruption;
}

guint
confab_store_get_n_interrupted (ConfabStore *self)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), 0);

  return self->n_interrupted;
}

/* Conversations */

static gboolean
create_conversation_job (ConfabStore  *self,
                         Job          *job,
                         GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  ConfabStoredConversation *conversation = job->input;

  stmt = prepare (self->db,
                  "INSERT INTO conversations "
                  "(title, created_at, updated_at, model, system_prompt, pinned) "
                  "VALUES (?1, ?2, ?2, ?3, ?4, 0)",
                  error);
  if (stmt == NULL)
    return FALSE;

  conversation->created_at = conversation->updated_at = now (self);
  bind_text (stmt, 1, conversation->title);
  sqlite3_bind_int64 (stmt, 2, conversation->created_at);
  bind_text (stmt, 3, conversation->model);
  bind_text (stmt, 4, conversation->system_prompt);
  if (!step_done (stmt, error))
    return FALSE;

  conversation->id = sqlite3_last_insert_rowid (self->db);
  job->result = g_steal_pointer (&job->input);
  job->result_free = (GDestroyNotify)confab_stored_conversation_free;

  return TRUE;
}

/**
 * confab_store_create_conversation_async:
 * @self: a #ConfabStore
 * @title: (nullable): the title, or %NULL for none yet
 * @model: (nullable): the model to ask
 * @system_prompt: (nullable): the system prompt
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the conversation is saved
 * @user_data: data for @callback
 *
 * Adds an empty conversation. The strings are copied.
 */
void
confab_store_create_conversation_async (ConfabStore         *self,
                                        const char          *title,
                                        const char          *model,
                                        const char          *system_prompt,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ConfabStoredConversation *conversation;
  Job *job;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_store_create_conversation_async);

  conversation = g_new0 (ConfabStoredConversation, 1);
  conversation->title = g_strdup (title != NULL ? title : "");
  conversation->model = g_strdup (model);
  conversation->system_prompt = g_strdup (system_prompt);

  job = job_new (task, "create-conversation", create_conversation_job);
  job->input = conversation;
  job->input_free = (GDestroyNotify)confab_stored_conversation_free;
  submit (self, job);
}

/**
 * confab_store_create_conversation_finish:
 * @self: a #ConfabStore
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the new conversation with its id and
 *   times, or %NULL with @error set
 */
ConfabStoredConversation *
confab_store_create_conversation_finish (ConfabStore   *self,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_store_create_conversation_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
get_conversation_job (ConfabStore  *self,
                      Job          *job,
                      GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  /* An id of 0 asks for the most recently active one, pinned or not. */
  if (job->id > 0)
    stmt = prepare (self->db,
                    "SELECT " CONVERSATION_COLUMNS " FROM conversations WHERE id = ?1",
                    error);
  else
    stmt = prepare (self->db,
                    "SELECT " CONVERSATION_COLUMNS " FROM conversations "
                    "ORDER BY updated_at DESC, id DESC LIMIT 1",
                    error);
  if (stmt == NULL)
    return FALSE;

  if (job->id > 0)
    sqlite3_bind_int64 (stmt, 1, job->id);

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE && job->id > 0)
    return set_not_found (error, _("The conversation no longer exists."));
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      set_db_error (error, self->db, rc);
      return FALSE;
    }

  /* No conversation at all is a NULL result, not an error. */
  if (rc == SQLITE_ROW)
    job->result = conversation_from_row (stmt);
  job->result_free = (GDestroyNotify)confab_stored_conversation_free;

  return TRUE;
}

/**
 * confab_store_get_conversation_async:
 * @self: a #ConfabStore
 * @conversation_id: the conversation
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the conversation
 * @user_data: data for @callback
 *
 * Reads one conversation, without its messages.
 */
void
confab_store_get_conversation_async (ConfabStore         *self,
                                     gint64               conversation_id,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (conversation_id > 0);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_store_get_conversation_async);

  job = job_new (task, "get-conversation", get_conversation_job);
  job->is_read = TRUE;
  job->id = conversation_id;
  submit (self, job);
}

/**
 * confab_store_get_conversation_finish:
 * @self: a #ConfabStore
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the conversation, or %NULL with
 *   @error set, %CONFAB_STORE_ERROR_NOT_FOUND when there is no such one
 */
ConfabStoredConversation *
confab_store_get_conversation_finish (ConfabStore   *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_store_get_conversation_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * confab_store_get_latest_conversation_async:
 * @self: a #ConfabStore
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the conversation
 * @user_data: data for @callback
 *
 * Reads the most recently active conversation, whether pinned or not, as
 * the window opens at start-up.
 */
void
confab_store_get_latest_conversation_async (ConfabStore         *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_store_get_latest_conversation_async);

  job = job_new (task, "get-latest-conversation", get_conversation_job);
  job->is_read = TRUE;
  submit (self, job);
}

/**
 * confab_store_get_latest_conversation_finish:
 * @self: a #ConfabStore
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the conversation, or %NULL, with
 *   @error left unset when there is none
 */
ConfabStoredConversation *
confab_store_get_latest_conversation_finish (ConfabStore   *self,
                                             GAsyncResult  *result,
                                             GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_store_get_latest_conversation_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
set_column_job (ConfabStore  *self,
                Job          *job,
                GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = prepare (self->db, column_updates[job->column], error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, job->id);
  if (job->column == COLUMN_PINNED)
    sqlite3_bind_int (stmt, 2, job->number != 0);
  else
    bind_text (stmt, 2, job->text);
  if (!step_done (stmt, error))
    return FALSE;

  if (sqlite3_changes (self->db) == 0)
    return set_not_found (error, _("The conversation no longer exists."));

  return TRUE;
}

static void
set_column_async (ConfabStore         *self,
                  gint64               conversation_id,
                  Column               column,
                  const char          *text,
                  gint64               number,
                  gpointer             source_tag,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  Job *job;

  g_task_set_source_tag (task, source_tag);

  job = job_new (task, "set-conversation-column", set_column_job);
  job->id = conversation_id;
  job->column = column;
  job->text = g_strdup (text);
  job->number = number;
  submit (self, job);
}

/**
 * confab_store_rename_conversation_async:
 * @self: a #ConfabStore
 * @conversation_id: the conversation
 * @title: the new title, copied
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the title is saved
 * @user_data: data for @callback
 *
 * Renames a conversation. Its place in the list does not change.
 */
void
confab_store_rename_conversation_async (ConfabStore         *self,
                                        gint64               conversation_id,
                                        const char          *title,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (title != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  set_column_async (self, conversation_id, COLUMN_TITLE, title, 0,
                    confab_store_rename_conversation_async, cancellable, callback, user_data);
}

gboolean
confab_store_rename_conversation_finish (ConfabStore   *self,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_store_rename_conversation_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * confab_store_set_conversation_pinned_async:
 * @self: a #ConfabStore
 * @conversation_id: the conversation
 * @pinned: whether it is listed before the others
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the change is saved
 * @user_data: data for @callback
 */
void
confab_store_set_conversation_pinned_async (ConfabStore         *self,
                                            gint64               conversation_id,
                                            gboolean             pinned,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  set_column_async (self, conversation_id, COLUMN_PINNED, NULL, pinned != FALSE,
                    confab_store_set_conversation_pinned_async, cancellable, callback, user_data);
}

gboolean
confab_store_set_conversation_pinned_finish (ConfabStore   *self,
                                             GAsyncResult  *result,
                                             GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_store_set_conversation_pinned_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * confab_store_set_conversation_model_async:
 * @self: a #ConfabStore
 * @conversation_id: the conversation
 * @model: (nullable): the model to ask, copied
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the change is saved
 * @user_data: data for @callback
 */
void
confab_store_set_conversation_model_async (ConfabStore         *self,
                                           gint64               conversation_id,
                                           const char          *model,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  set_column_async (self, conversation_id, COLUMN_MODEL, model, 0,
                    confab_store_set_conversation_model_async, cancellable, callback, user_data);
}

gboolean
confab_store_set_conversation_model_finish (ConfabStore   *self,
                                            GAsyncResult  *result,
                                            GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_store_set_conversation_model_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * confab_store_set_conversation_system_prompt_async:
 * @self: a #ConfabStore
 * @conversation_id: the conversation
 * @system_prompt: (nullable): the system prompt, copied
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the change is saved
 * @user_data: data for @callback
 */
void
confab_store_set_conversation_system_prompt_async (ConfabStore         *self,
                                                   gint64               conversation_id,
                                                   const char          *system_prompt,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data)
{
  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  set_column_async (self, conversation_id, COLUMN_SYSTEM_PROMPT, system_prompt, 0,
                    confab_store_set_conversation_system_prompt_async,
                    cancellable, callback, user_data);
}

gboolean
confab_store_set_conversation_system_prompt_finish (ConfabStore   *self,
                                                    GAsyncResult  *result,
                                                    GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_store_set_conversation_system_prompt_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Reads the messages of a conversation by position, with their variants;
 * a negative @limit reads them all. */
static GPtrArray *
read_messages (ConfabStore  *self,
               gint64        conversation_id,
               gint64        offset,
               gint64        limit,
               GError      **error)
{
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(sqlite3_stmt) variants = NULL;
  int rc;

  stmt = prepare (self->db,
                  "SELECT " MESSAGE_COLUMNS " FROM messages WHERE conversation_id = ?1 "
                  "ORDER BY position, id LIMIT ?2 OFFSET ?3",
                  error);
  if (stmt == NULL)
    return NULL;

  sqlite3_bind_int64 (stmt, 1, conversation_id);
  sqlite3_bind_int64 (stmt, 2, limit);
  sqlite3_bind_int64 (stmt, 3, offset);

  messages = g_ptr_array_new_with_free_func ((GDestroyNotify)confab_stored_message_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (messages, message_from_row (stmt));

  if (rc != SQLITE_DONE)
    {
      set_db_error (error, self->db, rc);
      return NULL;
    }

  variants = prepare_read_variants (self->db, error);
  if (variants == NULL)
    return NULL;

  for (guint i = 0; i < messages->len; i++)
    {
      if (!read_variants (variants, messages->pdata[i], error))
        return NULL;
    }

  return g_steal_pointer (&messages);
}

static gboolean
delete_in_transaction (ConfabStore  *self,
                       gpointer      data,
                       GError      **error)
{
  g_autoptr(ConfabStoreSnapshot) snapshot = g_new0 (ConfabStoreSnapshot, 1);
  g_autoptr(sqlite3_stmt) select = NULL;
  g_autoptr(sqlite3_stmt) delete = NULL;
  Job *job = data;
  int rc;

  select = prepare (self->db,
                    "SELECT " CONVERSATION_COLUMNS " FROM conversations WHERE id = ?1",
                    error);
  if (select == NULL)
    return FALSE;

  sqlite3_bind_int64 (select, 1, job->id);
  rc = sqlite3_step (select);
  if (rc == SQLITE_DONE)
    return set_not_found (error, _("The conversation no longer exists."));
  if (rc != SQLITE_ROW)
    {
      set_db_error (error, self->db, rc);
      return FALSE;
    }

  snapshot->conversation = conversation_from_row (select);
  snapshot->messages = read_messages (self, job->id, 0, -1, error);
  if (snapshot->messages == NULL)
    return FALSE;

  /* The messages go with it, and their variants with them (ON DELETE
   * CASCADE), and their index entries (the delete trigger). */
  delete = prepare (self->db, "DELETE FROM conversations WHERE id = ?1", error);
  if (delete == NULL)
    return FALSE;

  sqlite3_bind_int64 (delete, 1, job->id);
  if (!step_done (delete, error))
    return FALSE;

  job->result = g_steal_pointer (&snapshot);
  job->result_free = (GDestroyNotify)confab_store_snapshot_free;

  return TRUE;
}

static gboolean
delete_conversation_job (ConfabStore  *self,
                         Job          *job,
                         GError      **error)
{
  return in_transaction (self, delete_in_transaction, job, error);
}

/**
 * confab_store_delete_conversation_async:
 * @self: a #ConfabStore
 * @conversation_id: the conversation
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when it is deleted
 * @user_data: data for @callback
 *
 * Deletes a conversation with all its messages. The finish function
 * returns what was deleted, for confab_store_restore_conversation_async()
 * to put back on Undo.
 */
void
confab_store_delete_conversation_async (ConfabStore         *self,
                                        gint64               conversation_id,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_store_delete_conversation_async);

  job = job_new (task, "delete-conversation", delete_conversation_job);
  job->id = conversation_id;
  submit (self, job);
}

/**
 * confab_store_delete_conversation_finish:
 * @self: a #ConfabStore
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the conversation and messages as
 *   they were, or %NULL with @error set
 */
ConfabStoreSnapshot *
confab_store_delete_conversation_finish (ConfabStore   *self,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_store_delete_conversation_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* What a row shows, as every UPDATE that saves it sets it: bind_shown ()
 * fills ?2 to ?11, and each statement numbers its own values from ?12. */
#define SHOWN_ASSIGNMENTS \
  "content = ?2, reasoning = ?3, state = ?4, error = ?5, prompt_tokens = ?6, " \
  "completion_tokens = ?7, model = ?8, finish_reason = ?9, first_token_us = ?10, " \
  "generation_us = ?11"

/* Binds what a row shows to ?2 to ?11, for SHOWN_ASSIGNMENTS. */
static void
bind_shown (sqlite3_stmt              *stmt,
            const ConfabStoredMessage *message)
{
  bind_text (stmt, 2, message->content != NULL ? message->content : "");
  bind_text (stmt, 3, message->reasoning != NULL ? message->reasoning : "");
  sqlite3_bind_text (stmt, 4, state_to_string (message->state), -1, SQLITE_STATIC);
  bind_text (stmt, 5, message->error);
  bind_optional (stmt, 6, message->prompt_tokens);
  bind_optional (stmt, 7, message->completion_tokens);
  bind_text (stmt, 8, message->model);
  bind_text (stmt, 9, message->finish_reason);
  bind_optional (stmt, 10, message->first_token_us);
  bind_optional (stmt, 11, message->generation_us);
}

/* The statements that write a message with its variants. */
typedef struct
{
  sqlite3_stmt *message;
  sqlite3_stmt *variant;
} Inserts;

static void
inserts_clear (Inserts *inserts)
{
  g_clear_pointer (&inserts->message, sqlite3_finalize);
  g_clear_pointer (&inserts->variant, sqlite3_finalize);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Inserts, inserts_clear)

static gboolean
prepare_inserts (sqlite3  *db,
                 Inserts  *inserts,
                 GError  **error)
{
  inserts->message = prepare (db,
                              "INSERT INTO messages (" MESSAGE_COLUMNS ") "
                              "VALUES (" MESSAGE_VALUES ")",
                              error);
  if (inserts->message == NULL)
    return FALSE;

  inserts->variant = prepare (db,
                              "INSERT INTO message_variants (message_id, " VARIANT_COLUMNS ") "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                              error);

  return inserts->variant != NULL;
}

static guint
count_variants (const ConfabStoredMessage *message)
{
  return message->variants != NULL ? message->variants->len + 1 : 1;
}

/* Writes @message with its variants, which take the indexes around the
 * shown one in their order. A new message gets its id from AUTOINCREMENT,
 * and it is returned. */
static gint64
insert_message (Inserts                    *inserts,
                const ConfabStoredMessage  *message,
                GError                    **error)
{
  sqlite3_stmt *stmt = inserts->message;
  gint64 id;

  g_assert (message->variant_index < count_variants (message));

  sqlite3_reset (stmt);
  if (message->id > 0)
    sqlite3_bind_int64 (stmt, 1, message->id);
  else
    sqlite3_bind_null (stmt, 1);
  sqlite3_bind_int64 (stmt, 2, message->conversation_id);
  sqlite3_bind_int64 (stmt, 3, message->position);
  sqlite3_bind_text (stmt, 4, role_to_string (message->role), -1, SQLITE_STATIC);
  bind_text (stmt, 5, message->content != NULL ? message->content : "");
  bind_text (stmt, 6, message->reasoning != NULL ? message->reasoning : "");
  sqlite3_bind_text (stmt, 7, state_to_string (message->state), -1, SQLITE_STATIC);
  bind_text (stmt, 8, message->error);
  bind_optional (stmt, 9, message->prompt_tokens);
  bind_optional (stmt, 10, message->completion_tokens);
  bind_text (stmt, 11, message->model);
  sqlite3_bind_int64 (stmt, 12, message->created_at);
  sqlite3_bind_int64 (stmt, 13, message->updated_at);
  bind_text (stmt, 14, message->finish_reason);
  sqlite3_bind_int64 (stmt, 15, message->variant_index);
  sqlite3_bind_int64 (stmt, 16, count_variants (message));
  bind_optional (stmt, 17, message->first_token_us);
  bind_optional (stmt, 18, message->generation_us);
  if (!step_done (stmt, error))
    return 0;

  id = sqlite3_last_insert_rowid (sqlite3_db_handle (stmt));
  stmt = inserts->variant;

  for (guint i = 0; message->variants != NULL && i < message->variants->len; i++)
    {
      const ConfabStoredMessage *variant = message->variants->pdata[i];

      sqlite3_reset (stmt);
      sqlite3_bind_int64 (stmt, 1, id);
      sqlite3_bind_int64 (stmt, 2, i < message->variant_index ? i : i + 1);
      bind_text (stmt, 3, variant->content != NULL ? variant->content : "");
      bind_text (stmt, 4, variant->reasoning != NULL ? variant->reasoning : "");
      sqlite3_bind_text (stmt, 5, variant_state_to_string (variant->state), -1, SQLITE_STATIC);
      bind_text (stmt, 6, variant->error);
      bind_optional (stmt, 7, variant->prompt_tokens);
      bind_optional (stmt, 8, variant->completion_tokens);
      bind_text (stmt, 9, variant->model);
      bind_text (stmt, 10, variant->finish_reason);
      sqlite3_bind_int64 (stmt, 11, variant->updated_at > 0 ? variant->updated_at
                                                            : message->updated_at);
      bind_optional (stmt, 12, variant->first_token_us);
      bind_optional (stmt, 13, variant->generation_us);
      if (!step_done (stmt, error))
        return 0;
    }

  return id;
}

static gboolean
restore_in_transaction (ConfabStore  *self,
                        gpointer      data,
                        GError      **error)
{
  g_autoptr(sqlite3_stmt) insert = NULL;
  g_auto(Inserts) inserts = { NULL, NULL };
  Job *job = data;
  const ConfabStoreSnapshot *snapshot = job->input;
  const ConfabStoredConversation *conversation = snapshot->conversation;

  insert = prepare (self->db,
                    "INSERT INTO conversations (" CONVERSATION_COLUMNS ") "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    error);
  if (insert == NULL)
    return FALSE;

  /* The ids come back as they were: AUTOINCREMENT never gave them to
   * anything else meanwhile. */
  sqlite3_bind_int64 (insert, 1, conversation->id);
  bind_text (insert, 2, conversation->title != NULL ? conversation->title : "");
  sqlite3_bind_int64 (insert, 3, conversation->created_at);
  sqlite3_bind_int64 (insert, 4, conversation->updated_at);
  bind_text (insert, 5, conversation->model);
  bind_text (insert, 6, conversation->system_prompt);
  sqlite3_bind_int (insert, 7, conversation->pinned != FALSE);
  if (!step_done (insert, error))
    return FALSE;

  if (!prepare_inserts (self->db, &inserts, error))
    return FALSE;

  for (guint i = 0; i < snapshot->messages->len; i++)
    {
      if (insert_message (&inserts, snapshot->messages->pdata[i], error) == 0)
        return FALSE;
    }

  return TRUE;
}

static gboolean
restore_conversation_job (ConfabStore  *self,
                          Job          *job,
                          GError      **error)
{
  return in_transaction (self, restore_in_transaction, job, error);
}

/**
 * confab_store_restore_conversation_async:
 * @self: a #ConfabStore
 * @snapshot: what confab_store_delete_conversation_finish() returned, copied
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when it is back
 * @user_data: data for @callback
 *
 * Undoes a delete: the conversation and its messages come back with
 * their ids, times, places and variants.
 */
void
confab_store_restore_conversation_async (ConfabStore               *self,
                                         const ConfabStoreSnapshot *snapshot,
                                         GCancellable              *cancellable,
                                         GAsyncReadyCallback        callback,
                                         gpointer                   user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (snapshot != NULL && snapshot->conversation != NULL);
  g_return_if_fail (snapshot->messages != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_store_restore_conversation_async);

  job = job_new (task, "restore-conversation", restore_conversation_job);
  job->input = confab_store_snapshot_copy (snapshot);
  job->input_free = (GDestroyNotify)confab_store_snapshot_free;
  submit (self, job);
}

gboolean
confab_store_restore_conversation_finish (ConfabStore   *self,
                                          GAsyncResult  *result,
                                          GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_store_restore_conversation_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Messages */

static gboolean
append_in_transaction (ConfabStore  *self,
                       gpointer      data,
                       GError      **error)
{
  g_autoptr(sqlite3_stmt) touch = NULL;
  g_autoptr(sqlite3_stmt) position = NULL;
  g_auto(Inserts) inserts = { NULL, NULL };
  Job *job = data;
  ConfabStoredMessage *message = job->input;
  int rc;

  message->conversation_id = job->id;
  message->created_at = message->updated_at = now (self);

  /* New activity moves the conversation to the top of the list. */
  touch = prepare (self->db, "UPDATE conversations SET updated_at = ?2 WHERE id = ?1", error);
  if (touch == NULL)
    return FALSE;

  sqlite3_bind_int64 (touch, 1, job->id);
  sqlite3_bind_int64 (touch, 2, message->created_at);
  if (!step_done (touch, error))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    return set_not_found (error, _("The conversation no longer exists."));

  position = prepare (self->db,
                      "SELECT COALESCE (MAX (position) + 1, 0) FROM messages "
                      "WHERE conversation_id = ?1",
                      error);
  if (position == NULL)
    return FALSE;

  sqlite3_bind_int64 (position, 1, job->id);
  rc = sqlite3_step (position);
  if (rc != SQLITE_ROW)
    {
      set_db_error (error, self->db, rc);
      return FALSE;
    }
  message->position = sqlite3_column_int64 (position, 0);

  message->id = 0;
  if (!prepare_inserts (self->db, &inserts, error))
    return FALSE;

  message->id = insert_message (&inserts, message, error);

  return message->id != 0;
}

static gboolean
append_message_job (ConfabStore  *self,
                    Job          *job,
                    GError      **error)
{
  if (!in_transaction (self, append_in_transaction, job, error))
    return FALSE;

  job->result = g_steal_pointer (&job->input);
  job->result_free = (GDestroyNotify)confab_stored_message_free;

  return TRUE;
}

/**
 * confab_store_append_message_async:
 * @self: a #ConfabStore
 * @conversation_id: the conversation
 * @message: the message, copied; its id, conversation, position and times
 *   are ignored
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the message is saved
 * @user_data: data for @callback
 *
 * Adds a message after the last one of the conversation, with its
 * variants, and moves the conversation to the top of the list.
 */
void
confab_store_append_message_async (ConfabStore               *self,
                                   gint64                     conversation_id,
                                   const ConfabStoredMessage *message,
                                   GCancellable              *cancellable,
                                   GAsyncReadyCallback        callback,
                                   gpointer                   user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (message != NULL);
  g_return_if_fail ((guint)message->role < G_N_ELEMENTS (role_names));
  g_return_if_fail ((guint)message->state < G_N_ELEMENTS (state_names));
  g_return_if_fail (message->variant_index < count_variants (message));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_store_append_message_async);

  job = job_new (task, "append-message", append_message_job);
  job->id = conversation_id;
  job->input = confab_stored_message_copy (message);
  job->input_free = (GDestroyNotify)confab_stored_message_free;
  submit (self, job);
}

/**
 * confab_store_append_message_finish:
 * @self: a #ConfabStore
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the message as saved, with its id,
 *   position and times, or %NULL with @error set
 */
ConfabStoredMessage *
confab_store_append_message_finish (ConfabStore   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_store_append_message_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The UPDATE of a save: what the message shows, found by its id. */
static gboolean
update_row (ConfabStore               *self,
            const ConfabStoredMessage *message,
            GError                   **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  /* One statement, so a save costs one UPDATE; the content trigger redoes
   * the index entry only when the text changed. */
  stmt = prepare (self->db,
                  "UPDATE messages SET " SHOWN_ASSIGNMENTS ", updated_at = ?12 WHERE id = ?1",
                  error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, message->id);
  bind_shown (stmt, message);
  sqlite3_bind_int64 (stmt, 12, now (self));
  if (!step_done (stmt, error))
    return FALSE;

  if (sqlite3_changes (self->db) == 0)
    return set_not_found (error, _("The message no longer exists."));

  return TRUE;
}

static gboolean
update_message_job (ConfabStore  *self,
                    Job          *job,
                    GError      **error)
{
  return update_row (self, job->input, error);
}

/**
 * confab_store_update_message_async:
 * @self: a #ConfabStore
 * @message: the message, found by its id, copied; its text, reasoning,
 *   state, error, usage, timings, model and finish reason are saved as
 *   the variant it shows, and its variants are left as they are
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the message is saved
 * @user_data: data for @callback
 *
 * Saves a message again, as a streaming reply does every second and on
 * each change of state. While a save of the same message waits in the
 * queue, a newer one replaces its copy instead of queueing another: a
 * burst of saves costs one UPDATE, and every caller's callback runs when
 * it is written.
 */
void
confab_store_update_message_async (ConfabStore               *self,
                                   const ConfabStoredMessage *message,
                                   GCancellable              *cancellable,
                                   GAsyncReadyCallback        callback,
                                   gpointer                   user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (message != NULL);
  g_return_if_fail ((guint)message->state < G_N_ELEMENTS (state_names));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_store_update_message_async);

  g_mutex_lock (&self->lock);

  job = g_hash_table_lookup (self->pending_updates, &message->id);
  if (job != NULL && job->context == g_task_get_context (task))
    {
      g_ptr_array_add (job->tasks, g_steal_pointer (&task));
      g_clear_pointer (&job->input, confab_stored_message_free);
      job->input = copy_without_variants (message);
    }
  else
    {
      job = job_new (task, "update-message", update_message_job);
      job->id = message->id;
      job->input = copy_without_variants (message);
      job->input_free = (GDestroyNotify)confab_stored_message_free;
      if (self->thread != NULL)
        g_hash_table_replace (self->pending_updates, &job->id, job);
      submit (self, job);
    }

  g_mutex_unlock (&self->lock);
}

gboolean
confab_store_update_message_finish (ConfabStore   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_store_update_message_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Variants */

/* A save of @message_id queued after this must be written after the job
 * about to be queued, not merged into one queued before it. */
static void
forget_pending_update (ConfabStore *self,
                       gint64       message_id)
{
  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->pending_updates, &message_id);
  g_mutex_unlock (&self->lock);
}

/* Copies what message @id shows into message_variants, at its index. */
static gboolean
keep_shown (ConfabStore  *self,
            gint64        id,
            GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = prepare (self->db,
                  "INSERT INTO message_variants (message_id, " VARIANT_COLUMNS ") "
                  "SELECT id, variant_index, content, reasoning, "
                  "  CASE state WHEN 'streaming' THEN 'interrupted' ELSE state END, "
                  "  error, prompt_tokens, completion_tokens, model, finish_reason, updated_at, "
                  "  first_token_us, generation_us "
                  "FROM messages WHERE id = ?1",
                  error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, id);
  if (!step_done (stmt, error))
    return FALSE;

  if (sqlite3_changes (self->db) == 0)
    return set_not_found (error, _("The message no longer exists."));

  return TRUE;
}

static gboolean
add_variant_in_transaction (ConfabStore  *self,
                            gpointer      data,
                            GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  Job *job = data;

  if (!keep_shown (self, job->id, error))
    return FALSE;

  /* Every value on the right is the one before the UPDATE. */
  stmt = prepare (self->db,
                  "UPDATE messages SET " SHOWN_ASSIGNMENTS ", updated_at = ?12, "
                  "variant_index = n_variants, n_variants = n_variants + 1 WHERE id = ?1",
                  error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, job->id);
  bind_shown (stmt, job->input);
  sqlite3_bind_int64 (stmt, 12, now (self));
  if (!step_done (stmt, error))
    return FALSE;

  job->result = read_message (self, job->id, error);
  job->result_free = (GDestroyNotify)confab_stored_message_free;

  return job->result != NULL;
}

static gboolean
add_variant_job (ConfabStore  *self,
                 Job          *job,
                 GError      **error)
{
  return in_transaction (self, add_variant_in_transaction, job, error);
}

/**
 * confab_store_add_variant_async:
 * @self: a #ConfabStore
 * @message_id: the message, a reply asked for again
 * @new_shown: what the message shows now, copied: its text, reasoning,
 *   state, error, usage, timings, model and finish reason, as
 *   confab_store_update_message_async() saves them
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the variant is saved
 * @user_data: data for @callback
 *
 * Keeps what the message showed as one of its variants, and makes
 * @new_shown its last variant, the one it shows. The message's later
 * saves with confab_store_update_message_async() write the new variant.
 * A variant left streaming is kept as interrupted.
 */
void
confab_store_add_variant_async (ConfabStore               *self,
                                gint64                     message_id,
                                const ConfabStoredMessage *new_shown,
                                GCancellable              *cancellable,
                                GAsyncReadyCallback        callback,
                                gpointer                   user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (new_shown != NULL);
  g_return_if_fail ((guint)new_shown->state < G_N_ELEMENTS (state_names));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_store_add_variant_async);

  job = job_new (task, "add-variant", add_variant_job);
  job->id = message_id;
  job->input = copy_without_variants (new_shown);
  job->input_free = (GDestroyNotify)confab_stored_message_free;
  forget_pending_update (self, message_id);
  submit (self, job);
}

/**
 * confab_store_add_variant_finish:
 * @self: a #ConfabStore
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the message as saved, with its
 *   variants, or %NULL with @error set, %CONFAB_STORE_ERROR_NOT_FOUND when
 *   there is no such message
 */
ConfabStoredMessage *
confab_store_add_variant_finish (ConfabStore   *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_store_add_variant_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
select_variant_in_transaction (ConfabStore  *self,
                               gpointer      data,
                               GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(ConfabStoredMessage) message = NULL;
  g_autoptr(ConfabStoredMessage) variant = NULL;
  Job *job = data;
  int rc;

  message = read_message (self, job->id, error);
  if (message == NULL)
    return FALSE;

  if (job->number != message->variant_index)
    {
      stmt = prepare (self->db,
                      "DELETE FROM message_variants WHERE message_id = ?1 AND idx = ?2 "
                      "RETURNING " VARIANT_COLUMNS,
                      error);
      if (stmt == NULL)
        return FALSE;

      sqlite3_bind_int64 (stmt, 1, job->id);
      sqlite3_bind_int64 (stmt, 2, job->number);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_DONE)
        return set_not_found (error, _("That version of the reply no longer exists."));
      if (rc != SQLITE_ROW)
        {
          set_db_error (error, self->db, rc);
          return FALSE;
        }

      variant = variant_from_row (stmt, message);
      if (!step_done (stmt, error))
        return FALSE;
      g_clear_pointer (&stmt, sqlite3_finalize);

      if (!keep_shown (self, job->id, error))
        return FALSE;

      stmt = prepare (self->db,
                      "UPDATE messages SET " SHOWN_ASSIGNMENTS ", updated_at = ?12, "
                      "variant_index = ?13 WHERE id = ?1",
                      error);
      if (stmt == NULL)
        return FALSE;

      sqlite3_bind_int64 (stmt, 1, job->id);
      bind_shown (stmt, variant);
      sqlite3_bind_int64 (stmt, 12, now (self));
      sqlite3_bind_int64 (stmt, 13, job->number);
      if (!step_done (stmt, error))
        return FALSE;

      g_clear_pointer (&message, confab_stored_message_free);
      message = read_message (self, job->id, error);
      if (message == NULL)
        return FALSE;
    }

  job->result = g_steal_pointer (&message);
  job->result_free = (GDestroyNotify)confab_stored_message_free;

  return TRUE;
}

static gboolean
select_variant_job (ConfabStore  *self,
                    Job          *job,
                    GError      **error)
{
  return in_transaction (self, select_variant_in_transaction, job, error);
}

/**
 * confab_store_select_variant_async:
 * @self: a #ConfabStore
 * @message_id: the message
 * @index: the variant to show, from 0
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the change is saved
 * @user_data: data for @callback
 *
 * Makes the message show another of its variants, keeping the one it
 * showed. Search finds the text a message shows.
 */
void
confab_store_select_variant_async (ConfabStore         *self,
                                   gint64               message_id,
                                   guint                index,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_store_select_variant_async);

  job = job_new (task, "select-variant", select_variant_job);
  job->id = message_id;
  job->number = index;
  forget_pending_update (self, message_id);
  submit (self, job);
}

/**
 * confab_store_select_variant_finish:
 * @self: a #ConfabStore
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the message as it shows now, with
 *   its variants, or %NULL with @error set, %CONFAB_STORE_ERROR_NOT_FOUND
 *   when there is no such message or variant
 */
ConfabStoredMessage *
confab_store_select_variant_finish (ConfabStore   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_store_select_variant_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Editing */

static gboolean
edit_in_transaction (ConfabStore  *self,
                     gpointer      data,
                     GError      **error)
{
  g_autoptr(sqlite3_stmt) delete = NULL;
  Job *job = data;

  if (!update_row (self, job->input, error))
    return FALSE;

  /* Their variants go with them, and their index entries. */
  delete = prepare (self->db,
                    "DELETE FROM messages WHERE (conversation_id, position) IN "
                    "(SELECT later.conversation_id, later.position FROM messages AS edited "
                    " JOIN messages AS later ON later.conversation_id = edited.conversation_id "
                    " AND later.position > edited.position WHERE edited.id = ?1)",
                    error);
  if (delete == NULL)
    return FALSE;

  sqlite3_bind_int64 (delete, 1, job->id);
  if (!step_done (delete, error))
    return FALSE;

  g_debug ("deleted %d message(s) after the edited one", sqlite3_changes (self->db));

  return TRUE;
}

static gboolean
edit_message_job (ConfabStore  *self,
                  Job          *job,
                  GError      **error)
{
  return in_transaction (self, edit_in_transaction, job, error);
}

/**
 * confab_store_edit_message_async:
 * @self: a #ConfabStore
 * @message: the edited message, found by its id, copied; saved as
 *   confab_store_update_message_async() saves it
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the edit is saved
 * @user_data: data for @callback
 *
 * Saves @message and deletes every message after it in its
 * conversation, with their variants, in one transaction: as when the
 * user edits a message and sends it again. Either both are written or
 * neither is. The next message appended takes the place after it.
 */
void
confab_store_edit_message_async (ConfabStore               *self,
                                 const ConfabStoredMessage *message,
                                 GCancellable              *cancellable,
                                 GAsyncReadyCallback        callback,
                                 gpointer                   user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (message != NULL);
  g_return_if_fail ((guint)message->state < G_N_ELEMENTS (state_names));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_store_edit_message_async);

  job = job_new (task, "edit-message", edit_message_job);
  job->id = message->id;
  job->input = copy_without_variants (message);
  job->input_free = (GDestroyNotify)confab_stored_message_free;
  submit (self, job);
}

gboolean
confab_store_edit_message_finish (ConfabStore   *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_store_edit_message_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Importing */

static gboolean
set_invalid (GError **error,
             guint    index,
             char    *what)
{
  g_autofree char *owned = what;

  g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_INVALID,
               /* Translators: %u is a message's number, from 1; %s says what is wrong. */
               _("Message %u of the conversation to import is not valid: %s"), index + 1, owned);

  return FALSE;
}

/* An import comes from a file: it is checked, not asserted. */
static gboolean
validate_message (const ConfabStoredMessage  *message,
                  guint                       index,
                  GError                    **error)
{
  if ((guint)message->role >= G_N_ELEMENTS (role_names))
    return set_invalid (error, index, g_strdup (_("its role is unknown.")));

  if ((guint)message->state >= G_N_ELEMENTS (state_names))
    return set_invalid (error, index, g_strdup (_("its state is unknown.")));

  if (message->variant_index >= count_variants (message))
    return set_invalid (error, index,
                        g_strdup (_("it shows a version of the reply that it does not have.")));

  for (guint i = 0; message->variants != NULL && i < message->variants->len; i++)
    {
      const ConfabStoredMessage *variant = message->variants->pdata[i];

      if ((guint)variant->state >= G_N_ELEMENTS (state_names))
        return set_invalid (error, index,
                            g_strdup (_("the state of a version of the reply is unknown.")));
    }

  return TRUE;
}

typedef struct
{
  ConfabStoredConversation *conversation;
  GPtrArray                *messages;
} Import;

static void
import_free (Import *import)
{
  g_clear_pointer (&import->conversation, confab_stored_conversation_free);
  g_clear_pointer (&import->messages, g_ptr_array_unref);
  g_free (import);
}

static gboolean
import_in_transaction (ConfabStore  *self,
                       gpointer      data,
                       GError      **error)
{
  g_autoptr(sqlite3_stmt) insert = NULL;
  g_auto(Inserts) inserts = { NULL, NULL };
  Job *job = data;
  Import *import = job->input;
  ConfabStoredConversation *conversation = import->conversation;
  gint64 time = now (self);

  /* The times are kept, so an old conversation sorts as old. */
  if (conversation->created_at <= 0)
    conversation->created_at = time;
  if (conversation->updated_at <= 0)
    conversation->updated_at = conversation->created_at;

  insert = prepare (self->db,
                    "INSERT INTO conversations "
                    "(title, created_at, updated_at, model, system_prompt, pinned) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    error);
  if (insert == NULL)
    return FALSE;

  bind_text (insert, 1, conversation->title != NULL ? conversation->title : "");
  sqlite3_bind_int64 (insert, 2, conversation->created_at);
  sqlite3_bind_int64 (insert, 3, conversation->updated_at);
  bind_text (insert, 4, conversation->model);
  bind_text (insert, 5, conversation->system_prompt);
  sqlite3_bind_int (insert, 6, conversation->pinned != FALSE);
  if (!step_done (insert, error))
    return FALSE;

  conversation->id = sqlite3_last_insert_rowid (self->db);

  if (!prepare_inserts (self->db, &inserts, error))
    return FALSE;

  /* Each message is checked just before it is written: one that is not
   * valid rolls back all that came before it. */
  for (guint i = 0; i < import->messages->len; i++)
    {
      ConfabStoredMessage *message = import->messages->pdata[i];

      if (!validate_message (message, i, error))
        return FALSE;

      message->id = 0;
      message->conversation_id = conversation->id;
      message->position = i;
      /* Nothing streams a message that was just read from a file. */
      if (message->state == CONFAB_MESSAGE_STATE_PENDING ||
          message->state == CONFAB_MESSAGE_STATE_STREAMING)
        message->state = CONFAB_MESSAGE_STATE_INTERRUPTED;
      if (message->created_at <= 0)
        message->created_at = time;
      if (message->updated_at <= 0)
        message->updated_at = message->created_at;

      if (insert_message (&inserts, message, error) == 0)
        return FALSE;
    }

  job->result = confab_stored_conversation_copy (conversation);
  job->result_free = (GDestroyNotify)confab_stored_conversation_free;

  return TRUE;
}

static gboolean
import_conversation_job (ConfabStore  *self,
                         Job          *job,
                         GError      **error)
{
  return in_transaction (self, import_in_transaction, job, error);
}

/**
 * confab_store_import_conversation_async:
 * @self: a #ConfabStore
 * @conversation: the conversation, copied; its id is ignored, and its
 *   times are kept, or set to now when 0
 * @messages: (element-type ConfabStoredMessage): its messages in order,
 *   copied with their variants; their ids, conversation and positions are
 *   ignored, and a message streaming is stored interrupted
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the conversation is stored
 * @user_data: data for @callback
 *
 * Adds a conversation read from elsewhere, as a new one, in one
 * transaction: either all of it is stored or nothing is. Messages with an
 * unknown role or state, or that show a variant they do not have, fail
 * with %CONFAB_STORE_ERROR_INVALID.
 */
void
confab_store_import_conversation_async (ConfabStore                    *self,
                                        const ConfabStoredConversation *conversation,
                                        GPtrArray                      *messages,
                                        GCancellable                   *cancellable,
                                        GAsyncReadyCallback             callback,
                                        gpointer                        user_data)
{
  g_autoptr(GTask) task = NULL;
  Import *import;
  Job *job;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (conversation != NULL);
  g_return_if_fail (messages != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_store_import_conversation_async);

  import = g_new0 (Import, 1);
  import->conversation = confab_stored_conversation_copy (conversation);
  import->messages = g_ptr_array_new_full (messages->len,
                                           (GDestroyNotify)confab_stored_message_free);
  for (guint i = 0; i < messages->len; i++)
    g_ptr_array_add (import->messages, confab_stored_message_copy (messages->pdata[i]));

  job = job_new (task, "import-conversation", import_conversation_job);
  job->input = import;
  job->input_free = (GDestroyNotify)import_free;
  submit (self, job);
}

/**
 * confab_store_import_conversation_finish:
 * @self: a #ConfabStore
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the new conversation with its id
 *   and times, or %NULL with @error set
 */
ConfabStoredConversation *
confab_store_import_conversation_finish (ConfabStore   *self,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_store_import_conversation_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Reading */

static gboolean
list_conversations_job (ConfabStore  *self,
                        Job          *job,
                        GError      **error)
{
  g_autoptr(GPtrArray) conversations = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = prepare (self->db,
                  "SELECT " CONVERSATION_COLUMNS " FROM conversations "
                  "ORDER BY pinned DESC, updated_at DESC, id DESC LIMIT ?1 OFFSET ?2",
                  error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, job->limit);
  sqlite3_bind_int64 (stmt, 2, job->offset);

  conversations =
    g_ptr_array_new_with_free_func ((GDestroyNotify)confab_stored_conversation_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (conversations, conversation_from_row (stmt));

  if (rc != SQLITE_DONE)
    {
      set_db_error (error, self->db, rc);
      return FALSE;
    }

  job->result = g_steal_pointer (&conversations);
  job->result_free = (GDestroyNotify)g_ptr_array_unref;

  return TRUE;
}

/**
 * confab_store_list_conversations_async:
 * @self: a #ConfabStore
 * @offset: how many to skip
 * @limit: at most how many to return
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the page
 * @user_data: data for @callback
 *
 * Reads a page of the conversation list: pinned ones first, then the
 * most recently active first.
 */
void
confab_store_list_conversations_async (ConfabStore         *self,
                                       guint                offset,
                                       guint                limit,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_store_list_conversations_async);

  job = job_new (task, "list-conversations", list_conversations_job);
  job->is_read = TRUE;
  job->offset = offset;
  job->limit = limit;
  submit (self, job);
}

/**
 * confab_store_list_conversations_finish:
 * @self: a #ConfabStore
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type ConfabStoredConversation) (nullable):
 *   the page, or %NULL with @error set
 */
GPtrArray *
confab_store_list_conversations_finish (ConfabStore   *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_store_list_conversations_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
list_messages_job (ConfabStore  *self,
                   Job          *job,
                   GError      **error)
{
  job->result = read_messages (self, job->id, job->offset, job->limit, error);
  if (job->result == NULL)
    return FALSE;

  job->result_free = (GDestroyNotify)g_ptr_array_unref;

  return TRUE;
}

/**
 * confab_store_list_messages_async:
 * @self: a #ConfabStore
 * @conversation_id: the conversation
 * @offset: how many to skip
 * @limit: at most how many to return
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the page
 * @user_data: data for @callback
 *
 * Reads a page of a conversation's messages, in order.
 */
void
confab_store_list_messages_async (ConfabStore         *self,
                                  gint64               conversation_id,
                                  guint                offset,
                                  guint                limit,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_store_list_messages_async);

  job = job_new (task, "list-messages", list_messages_job);
  job->is_read = TRUE;
  job->id = conversation_id;
  job->offset = offset;
  job->limit = limit;
  submit (self, job);
}

/**
 * confab_store_list_messages_finish:
 * @self: a #ConfabStore
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type ConfabStoredMessage) (nullable):
 *   the page, or %NULL with @error set
 */
GPtrArray *
confab_store_list_messages_finish (ConfabStore   *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_store_list_messages_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Recent translations */

static ConfabStoredTranslation *
translation_from_row (sqlite3_stmt *stmt)
{
  ConfabStoredTranslation *translation = g_new0 (ConfabStoredTranslation, 1);

  translation->id = sqlite3_column_int64 (stmt, 0);
  translation->source = dup_column_text (stmt, 1);
  translation->target = dup_column_text (stmt, 2);
  translation->source_language = dup_column_text (stmt, 3);
  translation->target_language = dup_column_text (stmt, 4);
  translation->model = dup_column_text (stmt, 5);
  translation->created_at = sqlite3_column_int64 (stmt, 6);

  return translation;
}

static gboolean
add_translation_in_transaction (ConfabStore  *self,
                                gpointer      data,
                                GError      **error)
{
  ConfabStoredTranslation *translation = data;
  g_autoptr(sqlite3_stmt) forget = NULL;
  g_autoptr(sqlite3_stmt) insert = NULL;
  g_autoptr(sqlite3_stmt) trim = NULL;

  /* The same text asked again between the same languages moves to the top
   * with its new translation, rather than filling the list with copies; a
   * translation made while typing replaces the one of the text before. */
  forget = prepare (self->db,
                    "DELETE FROM translations WHERE id = ?4 OR (source = ?1 "
                    "AND source_language IS ?2 AND target_language = ?3)",
                    error);
  if (forget == NULL)
    return FALSE;
  bind_text (forget, 1, translation->source);
  bind_text (forget, 2, translation->source_language);
  bind_text (forget, 3, translation->target_language);
  sqlite3_bind_int64 (forget, 4, translation->id);
  if (!step_done (forget, error))
    return FALSE;

  insert = prepare (self->db,
                    "INSERT INTO translations "
                    "(source, target, source_language, target_language, model, created_at) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    error);
  if (insert == NULL)
    return FALSE;
  translation->created_at = now (self);
  bind_text (insert, 1, translation->source);
  bind_text (insert, 2, translation->target);
  bind_text (insert, 3, translation->source_language);
  bind_text (insert, 4, translation->target_language);
  bind_text (insert, 5, translation->model);
  sqlite3_bind_int64 (insert, 6, translation->created_at);
  if (!step_done (insert, error))
    return FALSE;
  translation->id = sqlite3_last_insert_rowid (self->db);

  trim = prepare (self->db,
                  "DELETE FROM translations WHERE id <= "
                  "(SELECT id FROM translations ORDER BY id DESC LIMIT 1 OFFSET ?1)",
                  error);
  if (trim == NULL)
    return FALSE;
  sqlite3_bind_int64 (trim, 1, CONFAB_STORE_MAX_TRANSLATIONS);

  return step_done (trim, error);
}

static gboolean
add_translation_job (ConfabStore  *self,
                     Job          *job,
                     GError      **error)
{
  if (!in_transaction (self, add_translation_in_transaction, job->input, error))
    return FALSE;

  job->result = g_steal_pointer (&job->input);
  job->result_free = (GDestroyNotify)confab_stored_translation_free;

  return TRUE;
}

/**
 * confab_store_add_translation_async:
 * @self: a #ConfabStore
 * @translation: the translation; its time is ignored, and its id, when
 *   not 0, is a recent translation it replaces
 * @cancellable: (nullable): a #GCancellable
 * @callback: (nullable): called when it is saved
 * @user_data: data for @callback
 *
 * Keeps a translation among the recent ones. @translation is copied. An
 * older one of the same source between the same languages is dropped, as
 * is the one @translation's id names (the translation of a text that was
 * still being typed), and only the newest %CONFAB_STORE_MAX_TRANSLATIONS
 * are kept.
 */
void
confab_store_add_translation_async (ConfabStore                   *self,
                                    const ConfabStoredTranslation *translation,
                                    GCancellable                  *cancellable,
                                    GAsyncReadyCallback            callback,
                                    gpointer                       user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (translation != NULL);
  g_return_if_fail (translation->source != NULL && translation->target != NULL);
  g_return_if_fail (translation->target_language != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_store_add_translation_async);

  job = job_new (task, "add-translation", add_translation_job);
  job->input = confab_stored_translation_copy (translation);
  job->input_free = (GDestroyNotify)confab_stored_translation_free;
  submit (self, job);
}

/**
 * confab_store_add_translation_finish:
 * @self: a #ConfabStore
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the translation saved, with its id
 *   and time, or %NULL with @error set
 */
ConfabStoredTranslation *
confab_store_add_translation_finish (ConfabStore   *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_store_add_translation_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
list_translations_job (ConfabStore  *self,
                       Job          *job,
                       GError      **error)
{
  g_autoptr(GPtrArray) translations = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = prepare (self->db,
                  "SELECT " TRANSLATION_COLUMNS " FROM translations "
                  "ORDER BY id DESC LIMIT ?1",
                  error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, job->limit);

  translations =
    g_ptr_array_new_with_free_func ((GDestroyNotify)confab_stored_translation_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (translations, translation_from_row (stmt));

  if (rc != SQLITE_DONE)
    {
      set_db_error (error, self->db, rc);
      return FALSE;
    }

  job->result = g_steal_pointer (&translations);
  job->result_free = (GDestroyNotify)g_ptr_array_unref;

  return TRUE;
}

/**
 * confab_store_list_translations_async:
 * @self: a #ConfabStore
 * @limit: at most how many to return
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the list
 * @user_data: data for @callback
 *
 * Reads the recent translations, the newest first.
 */
void
confab_store_list_translations_async (ConfabStore         *self,
                                      guint                limit,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_store_list_translations_async);

  job = job_new (task, "list-translations", list_translations_job);
  job->is_read = TRUE;
  job->limit = limit;
  submit (self, job);
}

/**
 * confab_store_list_translations_finish:
 * @self: a #ConfabStore
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type ConfabStoredTranslation) (nullable):
 *   the translations, newest first, or %NULL with @error set
 */
GPtrArray *
confab_store_list_translations_finish (ConfabStore   *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_store_list_translations_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
clear_translations_job (ConfabStore  *self,
                        Job          *job,
                        GError      **error)
{
  return exec (self->db, "DELETE FROM translations", error);
}

/**
 * confab_store_clear_translations_async:
 * @self: a #ConfabStore
 * @cancellable: (nullable): a #GCancellable
 * @callback: (nullable): called when they are gone
 * @user_data: data for @callback
 *
 * Forgets every recent translation.
 */
void
confab_store_clear_translations_async (ConfabStore         *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_store_clear_translations_async);

  job = job_new (task, "clear-translations", clear_translations_job);
  submit (self, job);
}

/**
 * confab_store_clear_translations_finish:
 * @self: a #ConfabStore
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: whether they were forgotten
 */
gboolean
confab_store_clear_translations_finish (ConfabStore   *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_store_clear_translations_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Search */

/* One FTS5 phrase: inside double quotes every character is literal, so
 * operators, column filters and stars in the query are just text. */
static char *
quote_phrase (const char *query)
{
  GString *phrase = g_string_new ("\"");

  for (const char *p = query; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (phrase, '"');
      g_string_append_c (phrase, *p);
    }
  g_string_append_c (phrase, '"');

  return g_string_free (phrase, FALSE);
}

static char *
like_pattern (const char *query)
{
  GString *pattern = g_string_new ("%");

  for (const char *p = query; *p != '\0'; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (pattern, '\\');
      g_string_append_c (pattern, *p);
    }
  g_string_append_c (pattern, '%');

  return g_string_free (pattern, FALSE);
}

/* Finds @needle as LIKE does: ASCII letters in either case, every other
 * byte exactly. */
static const char *
find_like (const char *haystack,
           const char *needle)
{
  gsize needle_len = strlen (needle);

  for (const char *p = haystack; *p != '\0'; p++)
    {
      if (g_ascii_strncasecmp (p, needle, needle_len) == 0)
        return p;
    }

  return NULL;
}

static char *
make_snippet (const char *content,
              const char *query)
{
  const char *match = find_like (content, query);
  const char *start;
  const char *end;
  GString *snippet;

  if (match == NULL)
    return g_strdup ("");

  start = match;
  for (guint i = 0; i < SNIPPET_BEFORE && start > content; i++)
    start = g_utf8_find_prev_char (content, start);

  end = match + strlen (query);
  for (guint i = 0; i < SNIPPET_AFTER && *end != '\0'; i++)
    end = g_utf8_next_char (end);

  snippet = g_string_new (start > content ? "…" : "");
  g_string_append_len (snippet, start, match - start);
  g_string_append (snippet, CONFAB_STORE_MATCH_START);
  g_string_append_len (snippet, match, strlen (query));
  g_string_append (snippet, CONFAB_STORE_MATCH_END);
  g_string_append_len (snippet, match + strlen (query), end - (match + strlen (query)));
  if (*end != '\0')
    g_string_append (snippet, "…");

  return g_string_free (snippet, FALSE);
}

static gboolean
search_job (ConfabStore  *self,
            Job          *job,
            GError      **error)
{
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *pattern = NULL;
  glong n_chars = g_utf8_strlen (job->text, -1);
  gboolean use_fts = n_chars >= 3;
  int rc;

  hits = g_ptr_array_new_with_free_func ((GDestroyNotify)confab_store_search_hit_free);

  if (n_chars > 0)
    {
      /* trigram indexes substrings of three characters: shorter queries
       * scan the messages with LIKE instead, newest first. */
      if (use_fts)
        stmt = prepare (self->db,
                        "SELECT m.conversation_id, m.id, c.title, "
                        "snippet (messages_fts, 0, ?2, ?3, '…', " SNIPPET_TOKENS ") "
                        "FROM messages_fts "
                        "JOIN messages m ON m.id = messages_fts.rowid "
                        "JOIN conversations c ON c.id = m.conversation_id "
                        "WHERE messages_fts MATCH ?1 ORDER BY messages_fts.rowid DESC LIMIT ?4",
                        error);
      else
        stmt = prepare (self->db,
                        "SELECT m.conversation_id, m.id, c.title, m.content FROM messages m "
                        "JOIN conversations c ON c.id = m.conversation_id "
                        "WHERE m.content LIKE ?1 ESCAPE '\\' ORDER BY m.id DESC LIMIT ?4",
                        error);
      if (stmt == NULL)
        return FALSE;

      pattern = use_fts ? quote_phrase (job->text) : like_pattern (job->text);
      bind_text (stmt, 1, pattern);
      if (use_fts)
        {
          bind_text (stmt, 2, CONFAB_STORE_MATCH_START);
          bind_text (stmt, 3, CONFAB_STORE_MATCH_END);
        }
      sqlite3_bind_int64 (stmt, 4, job->limit);

      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          g_autofree char *text = dup_column_text (stmt, 3);
          ConfabStoreSearchHit *hit = g_new0 (ConfabStoreSearchHit, 1);

          hit->conversation_id = sqlite3_column_int64 (stmt, 0);
          hit->message_id = sqlite3_column_int64 (stmt, 1);
          hit->title = dup_column_text (stmt, 2);
          hit->snippet = use_fts ? g_steal_pointer (&text) : make_snippet (text, job->text);
          g_ptr_array_add (hits, hit);
        }

      if (rc != SQLITE_DONE)
        {
          set_db_error (error, self->db, rc);
          return FALSE;
        }
    }

  job->result = g_steal_pointer (&hits);
  job->result_free = (GDestroyNotify)g_ptr_array_unref;

  return TRUE;
}

/**
 * confab_store_search_async:
 * @self: a #ConfabStore
 * @query: the text to find, copied; any characters, taken literally
 * @limit: at most how many hits to return
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the hits
 * @user_data: data for @callback
 *
 * Finds messages of every conversation whose text contains @query,
 * ignoring case, newest first. Each hit's snippet marks the match with
 * %CONFAB_STORE_MATCH_START and %CONFAB_STORE_MATCH_END. Blank queries
 * find nothing.
 */
void
confab_store_search_async (ConfabStore         *self,
                           const char          *query,
                           guint                limit,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (query != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_store_search_async);

  job = job_new (task, "search", search_job);
  job->is_read = TRUE;
  job->text = g_strstrip (g_strdup (query));
  job->limit = limit;
  submit (self, job);
}

/**
 * confab_store_search_finish:
 * @self: a #ConfabStore
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type ConfabStoreSearchHit) (nullable):
 *   the hits, or %NULL with @error set
 */
GPtrArray *
confab_store_search_finish (ConfabStore   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_store_search_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-conversation"

#include "config.h"

#include "confab-conversation.h"

#include <string.h>

#include "confab-request.h"

/* DESIGN.md: a streaming reply is saved at least once a second, so a crash
 * loses at most a second of text, and at most once, so saving costs a
 * stream nothing. */
#define SAVE_INTERVAL_MS 1000
/* After a failed save, what is not saved is tried again after this long,
 * doubled after each failure up to the most: a full disk is often freed
 * within seconds, a read-only one may stay so for the session. */
#define RETRY_FIRST_MS 2000
#define RETRY_MAX_MS 30000
#define LOAD_PAGE_SIZE 500
#define TITLE_MAX_CHARS 60

/* Sent after a cut reply to have it go on. It is the model's input, not
 * the user's text, so it is not translated; it is neither shown nor
 * stored. */
#define CONTINUE_INSTRUCTION \
  "Continue exactly where your previous message stopped. " \
  "Do not repeat anything already written."

/* What the conversation knows of a message's row, kept on the message. */
typedef struct
{
  /* the row id, 0 until the append is done */
  gint64   id;
  /* the row's place in the conversation, once it has an id */
  gint64   position;
  /* in the conversation's waiting queue */
  gboolean waiting;
  /* its append is in the store's queue */
  gboolean appending;
  /* saved while waiting or appending: saved again as it is then */
  gboolean dirty;
  /* a save the request waits for is in the store's queue */
  gboolean saving;
  /* taken out of the conversation by an edit: never saved again */
  gboolean removed;
  /* its last save failed: saved again by the next retry */
  gboolean stale;
  /* the variants the row has and the one it shows, once it has an id:
   * those added and switched to in memory since are written after */
  guint    stored_variants;
  guint    stored_index;
} Record;

/* A store call's hold on the conversation and the message it is about. */
typedef struct
{
  ConfabConversation *self;
  ConfabMessage      *message;
} Pending;

/* The task data of a load. */
typedef struct
{
  ConfabClient       *client;
  ConfabStore        *store;
  ConfabConversation *conversation;
  guint               offset;
} Load;

struct _ConfabConversation
{
  GObject parent_instance;

  /* owned */
  ConfabClient  *client;
  ConfabStore   *store;
  GListStore    *messages;
  GCancellable  *cancellable;
  ConfabMessage *streaming;
  char          *model;
  char          *system_prompt;
  char          *title;

  /* owned: messages to append, in order, waiting for the conversation's
   * row or for the append before them; the callbacks empty it, also after
   * a dispose, so finalize frees it */
  GQueue waiting;

  /* borrowed: the prompt whose append the request waits for */
  ConfabMessage *gate;
  /* owned: an edited prompt whose edit is not stored yet; appends wait
   * for it, or they would come before the messages it deletes */
  ConfabMessage *editing;

  /* source ids and handlers */
  guint  save_id;
  guint  retry_id;
  gulong delta_id;
  gulong state_id;

  /* plain state */
  gint64   id;
  /* 0 or 1: appends go one at a time */
  guint    n_appending;
  gboolean creating;
  gboolean save_failing;
  /* the model or system prompt could not be saved */
  gboolean columns_stale;
  guint    retry_ms;
  /* the streaming reply goes on from its text instead of replacing it */
  gboolean continuing;
  /* monotonic µs: when the request went out, when its first token came */
  gint64   request_started;
  gint64   first_token_at;
  /* the tokens of the start of a continued reply, -1 when not known */
  gint64   earlier_prompt_tokens;
  gint64   earlier_completion_tokens;
};

G_DEFINE_FINAL_TYPE (ConfabConversation, confab_conversation, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_STORE,
  PROP_ID,
  PROP_TITLE,
  PROP_MODEL,
  PROP_SYSTEM_PROMPT,
  PROP_IS_STREAMING,
  PROP_SAVE_FAILING,
  N_PROPS
};

enum {
  REPLY_FINISHED,
  SAVE_FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];
static GQuark record_quark;

static void save_message (ConfabConversation *self,
                          ConfabStore        *store,
                          ConfabMessage      *message);
static void unwatch_reply (ConfabConversation *self,
                           ConfabMessage      *reply);

static void
confab_conversation_dispose (GObject *object)
{
  ConfabConversation *self = (ConfabConversation *)object;

  /* Closing a conversation stops its reply, and the text so far is saved:
   * the write is queued before the store can go. */
  if (self->streaming != NULL)
    {
      self->gate = NULL;
      confab_message_set_state (self->streaming, CONFAB_MESSAGE_STATE_STOPPED);
      unwatch_reply (self, self->streaming);
    }

  g_clear_handle_id (&self->save_id, g_source_remove);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->streaming);
  g_clear_object (&self->editing);
  g_clear_object (&self->client);
  g_clear_object (&self->store);
  g_clear_object (&self->messages);

  G_OBJECT_CLASS (confab_conversation_parent_class)->dispose (object);
}

static void
confab_conversation_finalize (GObject *object)
{
  ConfabConversation *self = (ConfabConversation *)object;

  g_queue_clear_full (&self->waiting, g_object_unref);
  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->system_prompt, g_free);
  g_clear_pointer (&self->title, g_free);

  G_OBJECT_CLASS (confab_conversation_parent_class)->finalize (object);
}

static void
confab_conversation_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ConfabConversation *self = CONFAB_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;

    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    case PROP_ID:
      g_value_set_int64 (value, self->id);
      break;

    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;

    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;

    case PROP_SYSTEM_PROMPT:
      g_value_set_string (value, self->system_prompt);
      break;

    case PROP_IS_STREAMING:
      g_value_set_boolean (value, self->streaming != NULL);
      break;

    case PROP_SAVE_FAILING:
      g_value_set_boolean (value, self->save_failing);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_conversation_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  ConfabConversation *self = CONFAB_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;

    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;

    case PROP_MODEL:
      confab_conversation_set_model (self, g_value_get_string (value));
      break;

    case PROP_SYSTEM_PROMPT:
      confab_conversation_set_system_prompt (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_conversation_class_init (ConfabConversationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_conversation_dispose;
  object_class->finalize = confab_conversation_finalize;
  object_class->get_property = confab_conversation_get_property;
  object_class->set_property = confab_conversation_set_property;

  record_quark = g_quark_from_static_string ("confab-conversation-record");

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, CONFAB_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * ConfabConversation:store:
   *
   * Where the conversation saves itself, or %NULL to keep it in memory only.
   */
  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, CONFAB_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * ConfabConversation:id:
   *
   * The conversation's row in the store, 0 until it is stored.
   */
  properties[PROP_ID] =
    g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * ConfabConversation:title:
   *
   * The title: the first line of the first message, or the stored one.
   */
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODEL] =
    g_param_spec_string ("model", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SYSTEM_PROMPT] =
    g_param_spec_string ("system-prompt", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IS_STREAMING] =
    g_param_spec_boolean ("is-streaming", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * ConfabConversation:save-failing:
   *
   * A save failed and something is still not saved. It stays in memory
   * and is tried again every few seconds; this turns %FALSE once all of
   * it is saved.
   */
  properties[PROP_SAVE_FAILING] =
    g_param_spec_boolean ("save-failing", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * ConfabConversation::reply-finished:
   * @self: the conversation
   * @reply: the assistant message, now complete, stopped or failed
   *
   * A reply reached its final state.
   */
  signals[REPLY_FINISHED] =
    g_signal_new ("reply-finished",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, CONFAB_TYPE_MESSAGE);

  /**
   * ConfabConversation::save-failed:
   * @self: the conversation
   * @error: why the store could not save
   *
   * A save failed; the messages stay in memory and are saved again when
   * a retry succeeds. Emitted once for a run of failures, not for each:
   * again only after #ConfabConversation:save-failing turned %FALSE.
   */
  signals[SAVE_FAILED] =
    g_signal_new ("save-failed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
confab_conversation_init (ConfabConversation *self)
{
  self->messages = g_list_store_new (CONFAB_TYPE_MESSAGE);
  g_queue_init (&self->waiting);
}

/* Persistence */

static Record *
get_record (ConfabMessage *message)
{
  Record *record = g_object_get_qdata (G_OBJECT (message), record_quark);

  if (record == NULL)
    {
      record = g_new0 (Record, 1);
      g_object_set_qdata_full (G_OBJECT (message), record_quark, record, g_free);
    }

  return record;
}

static Pending *
pending_new (ConfabConversation *self,
             ConfabMessage      *message)
{
  Pending *pending = g_new0 (Pending, 1);

  pending->self = g_object_ref (self);
  pending->message = g_object_ref (message);

  return pending;
}

static void
pending_free (Pending *pending)
{
  g_clear_object (&pending->self);
  g_clear_object (&pending->message);
  g_free (pending);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Pending, pending_free)

static gboolean retry_cb (gpointer user_data);

static void
report_save_failure (ConfabConversation *self,
                     const GError       *error)
{
  g_debug ("save failed: %s %d", g_quark_to_string (error->domain), error->code);

  /* A conversation deleted meanwhile has nothing left to save. */
  if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
    return;

  if (self->retry_id == 0 && self->store != NULL)
    {
      self->retry_ms = self->retry_ms == 0 ? RETRY_FIRST_MS : MIN (self->retry_ms * 2, RETRY_MAX_MS);
      self->retry_id = g_timeout_add (self->retry_ms, retry_cb, self);
      g_source_set_static_name (g_main_context_find_source_by_id (NULL, self->retry_id),
                                "[confab] retry save");
    }

  /* One toast for a read-only disk, not one a second while a reply streams. */
  if (self->save_failing)
    return;

  self->save_failing = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SAVE_FAILING]);
  g_signal_emit (self, signals[SAVE_FAILED], 0, error);
}

/* Something is in memory only: a message never appended, one whose last
 * save failed, or the conversation's own columns. */
static gboolean
has_unsaved (ConfabConversation *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));

  if (self->columns_stale || (self->id == 0 && n > 0))
    return TRUE;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ConfabMessage) message = g_list_model_get_item (G_LIST_MODEL (self->messages), i);
      Record *record = get_record (message);

      if (!record->removed && (record->id == 0 || record->stale))
        return TRUE;
    }

  return FALSE;
}

/* A save succeeded: the failing run is over once nothing is left unsaved. */
static void
report_saved (ConfabConversation *self)
{
  if (!self->save_failing || has_unsaved (self))
    return;

  self->save_failing = FALSE;
  self->retry_ms = 0;
  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SAVE_FAILING]);
}

static void
update_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Pending) pending = user_data;
  g_autoptr(GError) error = NULL;
  ConfabConversation *self = pending->self;
  Record *record = get_record (pending->message);

  /* The store runs saves in order: the last one to finish is the newest. */
  if (confab_store_update_message_finish (CONFAB_STORE (object), result, &error))
    {
      record->stale = FALSE;
      report_saved (self);
    }
  else
    {
      record->stale = TRUE;
      report_save_failure (self, error);
    }
}

static void start_request (ConfabConversation *self);

/* The request waited for this message to be stored: it goes out now,
 * stored or not. */
static void
open_gate (ConfabConversation *self,
           ConfabMessage      *message)
{
  if (message == NULL || self->gate != message || get_record (message)->saving)
    return;

  self->gate = NULL;
  start_request (self);
}

static void flush_waiting (ConfabConversation *self,
                           ConfabStore        *store);

static void
gate_saved_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Pending) pending = user_data;
  g_autoptr(GError) error = NULL;
  ConfabConversation *self = pending->self;
  Record *record = get_record (pending->message);
  gboolean edit = g_task_get_source_tag (G_TASK (result)) == confab_store_edit_message_async;

  record->saving = FALSE;

  if (edit ? confab_store_edit_message_finish (CONFAB_STORE (object), result, &error)
           : confab_store_update_message_finish (CONFAB_STORE (object), result, &error))
    {
      record->stale = FALSE;
      if (edit && pending->message == self->editing)
        {
          g_clear_object (&self->editing);
          flush_waiting (self, CONFAB_STORE (object));
        }
      report_saved (self);
    }
  else
    {
      record->stale = TRUE;
      report_save_failure (self, error);
    }

  open_gate (self, pending->message);
}

/* Saves @message, which has a row, as it is now. When the request waits
 * for it, as for an edited prompt, it waits for this save too. An edited
 * prompt whose edit is not stored yet deletes the messages after it in
 * the same transaction. */
static void
update_message (ConfabConversation *self,
                ConfabStore        *store,
                ConfabMessage      *message,
                gboolean            gating)
{
  g_autoptr(ConfabStoredMessage) stored = confab_stored_message_new_from_message (message);
  Record *record = get_record (message);

  g_assert (record->id != 0);

  stored->id = record->id;
  if (message == self->editing)
    {
      record->saving = TRUE;
      confab_store_edit_message_async (store, stored, NULL, gate_saved_cb,
                                       pending_new (self, message));
    }
  else if (gating)
    {
      record->saving = TRUE;
      confab_store_update_message_async (store, stored, NULL, gate_saved_cb,
                                         pending_new (self, message));
    }
  else
    confab_store_update_message_async (store, stored, NULL, update_cb,
                                       pending_new (self, message));
}

static void changed_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data);

/* Brings the row's variants up to the message's. Variants are only ever
 * added at the end, so those from the row's count on are new: each is
 * added, the last one shown, and then the one the message shows is
 * selected. A message whose append has not copied it yet gets all its
 * variants with the append.
 *
 * Right after an append, the row shows the variant as the append copied
 * it, which may have streamed on since: with @after_append, that variant
 * is written again first, before it moves out of the row. Otherwise the
 * row is already up to date: every change of the reply's state saved it,
 * in the store's queue before this. */
static void
save_variants (ConfabConversation *self,
               ConfabStore        *store,
               ConfabMessage      *message,
               gboolean            after_append)
{
  Record *record = get_record (message);
  guint n = confab_message_get_n_variants (message);
  guint index = confab_message_get_variant_index (message);

  if (record->removed || record->id == 0 || record->waiting || record->appending)
    return;

  if (after_append && (record->stored_variants != n || record->stored_index != index))
    {
      g_autoptr(ConfabMessage) variant = confab_message_dup_variant (message,
                                                                     record->stored_index);
      g_autoptr(ConfabStoredMessage) stored = confab_stored_message_new_from_message (variant);

      stored->id = record->id;
      confab_store_update_message_async (store, stored, NULL, update_cb,
                                         pending_new (self, message));
    }

  for (guint i = record->stored_variants; i < n; i++)
    {
      g_autoptr(ConfabMessage) variant = confab_message_dup_variant (message, i);
      g_autoptr(ConfabStoredMessage) stored = confab_stored_message_new_from_message (variant);

      confab_store_add_variant_async (store, record->id, stored, NULL, changed_cb,
                                      g_object_ref (self));
      record->stored_index = i;
    }
  record->stored_variants = MAX (record->stored_variants, n);

  if (record->stored_index != index)
    {
      confab_store_select_variant_async (store, record->id, index, NULL, changed_cb,
                                         g_object_ref (self));
      record->stored_index = index;
    }
}

/* Saves @message as it is now. @store is passed because the callbacks of a
 * chain still save through it after a dispose. */
static void
save_message (ConfabConversation *self,
              ConfabStore        *store,
              ConfabMessage      *message)
{
  Record *record = get_record (message);

  if (record->removed)
    return;

  if (record->waiting || record->appending)
    {
      record->dirty = TRUE;
      return;
    }

  /* Never stored, as when the conversation could not be created: the next
   * send appends it as it is then. */
  if (record->id == 0)
    return;

  update_message (self, store, message, message == self->gate);
}


/* Fills the waiting queue again with every message not stored, in the
 * conversation's order, so that one whose append failed goes before the
 * ones that came after it. */
static void
queue_unsaved (ConfabConversation *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));

  while (!g_queue_is_empty (&self->waiting))
    {
      g_autoptr(ConfabMessage) message = g_queue_pop_head (&self->waiting);

      get_record (message)->waiting = FALSE;
    }

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ConfabMessage) message = g_list_model_get_item (G_LIST_MODEL (self->messages), i);
      Record *record = get_record (message);

      if (record->id == 0 && !record->appending)
        {
          record->waiting = TRUE;
          g_queue_push_tail (&self->waiting, g_steal_pointer (&message));
        }
    }
}

/* Drops what waits, as when the store cannot take it: it stays in memory
 * and the next send queues it again. The request no longer waits. */
static void
drop_waiting (ConfabConversation *self)
{
  gboolean gate_dropped = FALSE;

  while (!g_queue_is_empty (&self->waiting))
    {
      g_autoptr(ConfabMessage) message = g_queue_pop_head (&self->waiting);
      Record *record = get_record (message);

      record->waiting = FALSE;
      record->dirty = FALSE;
      gate_dropped |= message == self->gate;
    }

  if (gate_dropped)
    open_gate (self, self->gate);
}

static void
append_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Pending) pending = user_data;
  g_autoptr(ConfabStoredMessage) stored = NULL;
  g_autoptr(GError) error = NULL;
  ConfabConversation *self = pending->self;
  ConfabStore *store = CONFAB_STORE (object);
  Record *record = get_record (pending->message);

  stored = confab_store_append_message_finish (store, result, &error);
  record->appending = FALSE;
  g_assert (self->n_appending == 1);
  self->n_appending = 0;

  if (stored != NULL)
    {
      record->id = stored->id;
      record->position = stored->position;
      record->stored_variants = stored->n_variants;
      record->stored_index = stored->variant_index;
      record->stale = FALSE;
      save_variants (self, store, pending->message, TRUE);
      if (record->dirty)
        {
          record->dirty = FALSE;
          save_message (self, store, pending->message);
        }
      flush_waiting (self, store);
      report_saved (self);
    }
  else
    {
      /* Nothing after it is appended, or it would come first. */
      record->dirty = FALSE;
      report_save_failure (self, error);
      drop_waiting (self);
    }

  open_gate (self, pending->message);
}

/* Appends the next waiting message once the conversation's row exists.
 * One at a time: a message is appended only after all those before it,
 * so the stored order is the conversation's even when a write fails. */
static void
flush_waiting (ConfabConversation *self,
               ConfabStore        *store)
{
  g_autoptr(ConfabMessage) message = NULL;
  g_autoptr(ConfabStoredMessage) stored = NULL;
  Record *record;

  if (self->id == 0 || self->n_appending > 0 || self->editing != NULL ||
      g_queue_is_empty (&self->waiting))
    return;

  message = g_queue_pop_head (&self->waiting);
  stored = confab_stored_message_new_from_message (message);
  record = get_record (message);

  /* This copy is the message as it is now. */
  record->waiting = FALSE;
  record->appending = TRUE;
  record->dirty = FALSE;
  self->n_appending = 1;
  confab_store_append_message_async (store, self->id, stored, NULL, append_cb,
                                     pending_new (self, message));
}

static void
column_saved_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(ConfabConversation) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean saved;

  if (g_task_get_source_tag (G_TASK (result)) == confab_store_set_conversation_model_async)
    saved = confab_store_set_conversation_model_finish (CONFAB_STORE (object), result, &error);
  else
    saved = confab_store_set_conversation_system_prompt_finish (CONFAB_STORE (object), result,
                                                                &error);

  if (saved)
    {
      self->columns_stale = FALSE;
      report_saved (self);
    }
  else
    {
      self->columns_stale = TRUE;
      report_save_failure (self, error);
    }
}

/* The end of a change to the stored messages other than an append or a
 * save: a new or another variant, or a truncation. */
static void
changed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(ConfabConversation) self = user_data;
  g_autoptr(ConfabStoredMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  ConfabStore *store = CONFAB_STORE (object);
  gpointer tag = g_task_get_source_tag (G_TASK (result));
  gboolean saved;

  if (tag == confab_store_add_variant_async)
    {
      message = confab_store_add_variant_finish (store, result, &error);
      saved = message != NULL;
    }
  else if (tag == confab_store_select_variant_async)
    {
      message = confab_store_select_variant_finish (store, result, &error);
      saved = message != NULL;
    }
  else
    {
      g_assert_not_reached ();
    }

  if (saved)
    report_saved (self);
  else
    report_save_failure (self, error);
}

static void
create_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ConfabConversation) self = user_data;
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;
  ConfabStore *store = CONFAB_STORE (object);

  self->creating = FALSE;
  conversation = confab_store_create_conversation_finish (store, result, &error);

  if (conversation == NULL)
    {
      /* The messages stay in memory, and the next send tries again with
       * all of them. */
      report_save_failure (self, error);
      drop_waiting (self);
      return;
    }

  self->id = conversation->id;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ID]);
  flush_waiting (self, store);

  /* Changed while the row was being created. */
  if (g_strcmp0 (conversation->model, self->model) != 0)
    confab_store_set_conversation_model_async (store, self->id, self->model, NULL,
                                               column_saved_cb, g_object_ref (self));
  if (g_strcmp0 (conversation->system_prompt, self->system_prompt) != 0)
    confab_store_set_conversation_system_prompt_async (store, self->id, self->system_prompt, NULL,
                                                       column_saved_cb, g_object_ref (self));
}

/* Queues an append of every message not stored yet, creating the
 * conversation's row first if needed. */
static void
persist_new_messages (ConfabConversation *self)
{
  g_assert (self->store != NULL);

  queue_unsaved (self);

  if (self->id != 0)
    flush_waiting (self, self->store);
  else if (!self->creating && !g_queue_is_empty (&self->waiting))
    {
      self->creating = TRUE;
      confab_store_create_conversation_async (self->store, self->title, self->model,
                                              self->system_prompt, NULL, create_cb,
                                              g_object_ref (self));
    }
}

/* Saves again what a failed save left in memory only. */
static gboolean
retry_cb (gpointer user_data)
{
  ConfabConversation *self = user_data;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));

  self->retry_id = 0;

  /* Saves first: an edit deletes the messages after it before the
   * appends that come after it. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ConfabMessage) message = g_list_model_get_item (G_LIST_MODEL (self->messages), i);

      if (get_record (message)->stale)
        save_message (self, self->store, message);
    }

  persist_new_messages (self);

  /* Marked saved by the first of the two to succeed. */
  if (self->columns_stale && self->id != 0)
    {
      confab_store_set_conversation_model_async (self->store, self->id, self->model, NULL,
                                                 column_saved_cb, g_object_ref (self));
      confab_store_set_conversation_system_prompt_async (self->store, self->id,
                                                         self->system_prompt, NULL,
                                                         column_saved_cb, g_object_ref (self));
    }

  /* Nothing was left to try, as when the conversation was emptied. */
  report_saved (self);

  return G_SOURCE_REMOVE;
}

static gboolean
save_timeout_cb (gpointer user_data)
{
  ConfabConversation *self = user_data;

  self->save_id = 0;
  save_message (self, self->store, self->streaming);

  return G_SOURCE_REMOVE;
}

static void
delta_appended_cb (ConfabMessage      *reply,
                   int                 part,
                   ConfabConversation *self)
{
  if (self->first_token_at == 0)
    self->first_token_at = g_get_monotonic_time ();

  if (self->save_id != 0)
    return;

  self->save_id = g_timeout_add (SAVE_INTERVAL_MS, save_timeout_cb, self);
  g_source_set_static_name (g_main_context_find_source_by_id (NULL, self->save_id),
                            "[confab] save reply");
}

static void
reply_state_cb (ConfabMessage      *reply,
                GParamSpec         *pspec,
                ConfabConversation *self)
{
  g_clear_handle_id (&self->save_id, g_source_remove);
  save_message (self, self->store, reply);
}

static void
watch_reply (ConfabConversation *self,
             ConfabMessage      *reply)
{
  if (self->store == NULL)
    return;

  self->delta_id = g_signal_connect (reply, "delta-appended",
                                     G_CALLBACK (delta_appended_cb), self);
  self->state_id = g_signal_connect (reply, "notify::state", G_CALLBACK (reply_state_cb), self);
}

static void
unwatch_reply (ConfabConversation *self,
               ConfabMessage      *reply)
{
  g_clear_signal_handler (&self->delta_id, reply);
  g_clear_signal_handler (&self->state_id, reply);
  g_clear_handle_id (&self->save_id, g_source_remove);
}

/* The title is the first line that has text, cut to a sidebar's width. */
static char *
make_title (const char *text)
{
  g_autofree char *line = g_strstrip (g_strdup (text));
  char *end = strchr (line, '\n');

  if (end != NULL)
    *end = '\0';
  g_strstrip (line);

  if (g_utf8_strlen (line, -1) > TITLE_MAX_CHARS)
    {
      *g_utf8_offset_to_pointer (line, TITLE_MAX_CHARS - 1) = '\0';
      g_strchomp (line);

      return g_strconcat (line, "…", NULL);
    }

  return g_steal_pointer (&line);
}

static void
set_title (ConfabConversation *self,
           const char         *title)
{
  if (g_strcmp0 (self->title, title) == 0)
    return;

  g_free (self->title);
  self->title = g_strdup (title);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

/* Loading */

/* What @stored shows, as a message of its own. */
static ConfabMessage *
message_new_from_stored (const ConfabStoredMessage *stored)
{
  g_autoptr(ConfabMessage) message = confab_message_new (stored->role, stored->content);
  ConfabMessageState state = stored->state;

  if (*stored->reasoning != '\0')
    confab_message_append (message, CONFAB_MESSAGE_PART_REASONING, stored->reasoning, -1);
  confab_message_set_model (message, stored->model);
  confab_message_set_usage (message, stored->prompt_tokens, stored->completion_tokens);
  confab_message_set_timings (message, stored->first_token_us, stored->generation_us);
  confab_message_set_finish_reason (message, stored->finish_reason);

  if (stored->error != NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (CONFAB_CLIENT_ERROR,
                                                     CONFAB_CLIENT_ERROR_FAILED,
                                                     stored->error);

      confab_message_set_error (message, error);
    }

  /* Only another conversation of this process can be streaming it: here
   * it is no more than what was saved. */
  if (state == CONFAB_MESSAGE_STATE_STREAMING || state == CONFAB_MESSAGE_STATE_PENDING)
    state = CONFAB_MESSAGE_STATE_INTERRUPTED;
  confab_message_set_state (message, state);

  return g_steal_pointer (&message);
}

static ConfabMessage *
message_from_stored (const ConfabStoredMessage *stored)
{
  g_autoptr(ConfabMessage) message = message_new_from_stored (stored);
  Record *record;

  /* The store gives the others by index: each goes in its place. */
  for (guint i = 0; stored->variants != NULL && i < stored->variants->len; i++)
    {
      const ConfabStoredMessage *stored_variant = stored->variants->pdata[i];
      g_autoptr(ConfabMessage) variant = message_new_from_stored (stored_variant);
      guint index = MIN (stored_variant->variant_index, confab_message_get_n_variants (message));

      confab_message_insert_variant (message, index, variant);
    }

  record = get_record (message);
  record->id = stored->id;
  record->position = stored->position;
  record->stored_variants = stored->n_variants;
  record->stored_index = stored->variant_index;

  return g_steal_pointer (&message);
}

static void
load_free (Load *load)
{
  g_clear_object (&load->client);
  g_clear_object (&load->store);
  g_clear_object (&load->conversation);
  g_free (load);
}

static GTask *
load_task_new (ConfabClient        *client,
               ConfabStore         *store,
               GCancellable        *cancellable,
               gpointer             source_tag,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Load *load = g_new0 (Load, 1);

  load->client = g_object_ref (client);
  load->store = g_object_ref (store);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, load, (GDestroyNotify)load_free);

  return task;
}

static void
messages_page_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;
  Load *load = g_task_get_task_data (task);
  ConfabConversation *conversation = load->conversation;
  GCancellable *cancellable;

  page = confab_store_list_messages_finish (CONFAB_STORE (object), result, &error);
  if (page == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  messages = g_ptr_array_new_full (page->len, g_object_unref);
  for (guint i = 0; i < page->len; i++)
    g_ptr_array_add (messages, message_from_stored (page->pdata[i]));
  g_list_store_splice (conversation->messages,
                       g_list_model_get_n_items (G_LIST_MODEL (conversation->messages)), 0,
                       messages->pdata, messages->len);
  load->offset += page->len;

  if (page->len < LOAD_PAGE_SIZE)
    {
      g_debug ("loaded %u message(s)", load->offset);
      g_task_return_pointer (task, g_steal_pointer (&load->conversation), g_object_unref);
      return;
    }

  /* C leaves the order of the arguments open: the cancellable is read
   * before the task is stolen. */
  cancellable = g_task_get_cancellable (task);
  confab_store_list_messages_async (load->store, conversation->id, load->offset, LOAD_PAGE_SIZE,
                                    cancellable, messages_page_cb, g_steal_pointer (&task));
}

static void
load_messages (GTask                          *task,
               const ConfabStoredConversation *stored)
{
  Load *load = g_task_get_task_data (task);
  ConfabConversation *conversation;

  conversation = g_object_new (CONFAB_TYPE_CONVERSATION,
                               "client", load->client,
                               "store", load->store,
                               "model", stored->model,
                               "system-prompt", stored->system_prompt,
                               NULL);
  conversation->id = stored->id;
  conversation->title = g_strdup (stored->title);
  load->conversation = conversation;

  confab_store_list_messages_async (load->store, stored->id, 0, LOAD_PAGE_SIZE,
                                    g_task_get_cancellable (task), messages_page_cb,
                                    g_object_ref (task));
}

static void
get_conversation_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(ConfabStoredConversation) stored = NULL;
  g_autoptr(GError) error = NULL;
  ConfabStore *store = CONFAB_STORE (object);

  if (g_task_get_source_tag (task) == confab_conversation_load_async)
    stored = confab_store_get_conversation_finish (store, result, &error);
  else
    stored = confab_store_get_latest_conversation_finish (store, result, &error);

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (stored == NULL)
    g_task_return_pointer (task, NULL, NULL);
  else
    load_messages (task, stored);
}

/**
 * confab_conversation_load_async:
 * @client: the client that sends requests
 * @store: the store to read from, and to save to afterwards
 * @id: the conversation's row
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the conversation
 * @user_data: data for @callback
 *
 * Reads a stored conversation with all its messages, in pages, off the
 * main thread. A reply left streaming by a crash comes back interrupted
 * with its text up to the last save.
 */
void
confab_conversation_load_async (ConfabClient        *client,
                                ConfabStore         *store,
                                gint64               id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CONFAB_IS_CLIENT (client));
  g_return_if_fail (CONFAB_IS_STORE (store));
  g_return_if_fail (id > 0);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = load_task_new (client, store, cancellable, confab_conversation_load_async,
                        callback, user_data);
  confab_store_get_conversation_async (store, id, cancellable, get_conversation_cb,
                                       g_steal_pointer (&task));
}

/**
 * confab_conversation_load_finish:
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the conversation, saving itself to
 *   the store, or %NULL with @error set
 */
ConfabConversation *
confab_conversation_load_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_conversation_load_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * confab_conversation_load_latest_async:
 * @client: the client that sends requests
 * @store: the store to read from, and to save to afterwards
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the conversation
 * @user_data: data for @callback
 *
 * Reads the most recently active conversation, as
 * confab_conversation_load_async() does, for the window to open at
 * start-up.
 */
void
confab_conversation_load_latest_async (ConfabClient        *client,
                                       ConfabStore         *store,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CONFAB_IS_CLIENT (client));
  g_return_if_fail (CONFAB_IS_STORE (store));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = load_task_new (client, store, cancellable, confab_conversation_load_latest_async,
                        callback, user_data);
  confab_store_get_latest_conversation_async (store, cancellable, get_conversation_cb,
                                              g_steal_pointer (&task));
}

/**
 * confab_conversation_load_latest_finish:
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the conversation, or %NULL: with
 *   @error set on failure, unset when the store has no conversation
 */
ConfabConversation *
confab_conversation_load_latest_finish (GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_conversation_load_latest_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * confab_conversation_new:
 * @client: the client that sends requests
 * @model: (nullable): the model to ask
 *
 * Returns: (transfer full): a new, empty conversation, kept in memory only
 */
ConfabConversation *
confab_conversation_new (ConfabClient *client,
                         const char   *model)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (client), NULL);

  return confab_conversation_new_with_store (client, NULL, model);
}

/**
 * confab_conversation_new_with_store:
 * @client: the client that sends requests
 * @store: (nullable): where to save it, or %NULL to keep it in memory only
 * @model: (nullable): the model to ask
 *
 * The conversation is stored with its first message: each message is
 * appended before the request for its reply goes out, and a reply is
 * saved while it streams, once a second at most and on each change of
 * state. A failed save emits #ConfabConversation::save-failed.
 *
 * Returns: (transfer full): a new, empty conversation
 */
ConfabConversation *
confab_conversation_new_with_store (ConfabClient *client,
                                    ConfabStore  *store,
                                    const char   *model)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (client), NULL);
  g_return_val_if_fail (store == NULL || CONFAB_IS_STORE (store), NULL);

  return g_object_new (CONFAB_TYPE_CONVERSATION,
                       "client", client,
                       "store", store,
                       "model", model,
                       NULL);
}

/**
 * confab_conversation_get_messages:
 * @self: a #ConfabConversation
 *
 * Returns: (transfer none): the messages, a list of #ConfabMessage
 */
GListModel *
confab_conversation_get_messages (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);

  return G_LIST_MODEL (self->messages);
}

/**
 * confab_conversation_get_client:
 * @self: a #ConfabConversation
 *
 * Returns: (transfer none): the client
 */
ConfabClient *
confab_conversation_get_client (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);

  return self->client;
}

/**
 * confab_conversation_get_store:
 * @self: a #ConfabConversation
 *
 * Returns: (transfer none) (nullable): the store, or %NULL when the
 *   conversation is kept in memory only
 */
ConfabStore *
confab_conversation_get_store (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);

  return self->store;
}

gint64
confab_conversation_get_id (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), 0);

  return self->id;
}

/**
 * confab_conversation_get_title:
 * @self: a #ConfabConversation
 *
 * Returns: (transfer none) (nullable): the title, or %NULL before the
 *   first message
 */
const char *
confab_conversation_get_title (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);

  return self->title;
}

/**
 * confab_conversation_get_model:
 * @self: a #ConfabConversation
 *
 * Returns: (transfer none) (nullable): the model name
 */
const char *
confab_conversation_get_model (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);

  return self->model;
}

/**
 * confab_conversation_set_model:
 * @self: a #ConfabConversation
 * @model: (nullable): the model name
 */
void
confab_conversation_set_model (ConfabConversation *self,
                               const char         *model)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION (self));

  if (g_strcmp0 (self->model, model) == 0)
    return;

  g_free (self->model);
  self->model = g_strdup (model);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);

  if (self->store != NULL && self->id != 0)
    confab_store_set_conversation_model_async (self->store, self->id, model, NULL,
                                               column_saved_cb, g_object_ref (self));
}

/**
 * confab_conversation_get_system_prompt:
 * @self: a #ConfabConversation
 *
 * Returns: (transfer none) (nullable): the system prompt
 */
const char *
confab_conversation_get_system_prompt (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);

  return self->system_prompt;
}

/**
 * confab_conversation_set_system_prompt:
 * @self: a #ConfabConversation
 * @system_prompt: (nullable): sent first with every request
 */
void
confab_conversation_set_system_prompt (ConfabConversation *self,
                                       const char         *system_prompt)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION (self));

  if (g_strcmp0 (self->system_prompt, system_prompt) == 0)
    return;

  g_free (self->system_prompt);
  self->system_prompt = g_strdup (system_prompt);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SYSTEM_PROMPT]);

  if (self->store != NULL && self->id != 0)
    confab_store_set_conversation_system_prompt_async (self->store, self->id, system_prompt, NULL,
                                                       column_saved_cb, g_object_ref (self));
}

/**
 * confab_conversation_get_save_failing:
 * @self: a #ConfabConversation
 *
 * Returns: whether a save failed and something is still in memory only
 */
gboolean
confab_conversation_get_save_failing (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), FALSE);

  return self->save_failing;
}

gboolean
confab_conversation_get_is_streaming (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), FALSE);

  return self->streaming != NULL;
}

/**
 * confab_conversation_find_message:
 * @self: a #ConfabConversation
 * @message_id: the store's id of a message, as a search found it
 * @position: (out) (optional): where the message is in the list
 *
 * Returns: whether the conversation has that message
 */
gboolean
confab_conversation_find_message (ConfabConversation *self,
                                  gint64              message_id,
                                  guint              *position)
{
  guint n;

  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), FALSE);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));
  for (guint i = 0; i < n && message_id > 0; i++)
    {
      g_autoptr(ConfabMessage) message = g_list_model_get_item (G_LIST_MODEL (self->messages), i);
      Record *record = g_object_get_qdata (G_OBJECT (message), record_quark);

      if (record != NULL && record->id == message_id)
        {
          if (position != NULL)
            *position = i;
          return TRUE;
        }
    }

  return FALSE;
}

/**
 * confab_conversation_get_last_reply:
 * @self: a #ConfabConversation
 *
 * Returns: (transfer none) (nullable): the newest assistant message
 */
ConfabMessage *
confab_conversation_get_last_reply (ConfabConversation *self)
{
  guint n;

  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));
  for (guint i = n; i > 0; i--)
    {
      g_autoptr(ConfabMessage) message = g_list_model_get_item (G_LIST_MODEL (self->messages),
                                                                i - 1);

      if (confab_message_get_role (message) == CONFAB_MESSAGE_ROLE_ASSISTANT)
        return message;
    }

  return NULL;
}

/* The history sent with each request: the system prompt first, then every
 * message before @reply that has text. A failed or stopped reply's partial
 * text is what the user saw, so it is part of the history too. A reply
 * that continues is sent as far as it got, and an instruction after it
 * asks for the rest. */
static ConfabRequest *
build_request (ConfabConversation *self,
               ConfabMessage      *reply)
{
  g_autoptr(ConfabRequest) request = confab_request_new (self->model);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));

  if (self->system_prompt != NULL && *self->system_prompt != '\0')
    confab_request_add_message (request, "system", self->system_prompt);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ConfabMessage) message = g_list_model_get_item (G_LIST_MODEL (self->messages), i);

      if (message == reply && !self->continuing)
        break;
      if (confab_message_get_content_length (message) > 0)
        confab_request_add_message (request, confab_message_get_role_name (message),
                                    confab_message_get_content (message));
      if (message == reply)
        break;
    }

  if (self->continuing)
    confab_request_add_message (request, "user", CONTINUE_INSTRUCTION);

  return g_steal_pointer (&request);
}

static void
set_streaming (ConfabConversation *self,
               ConfabMessage      *reply)
{
  gboolean was = self->streaming != NULL;

  g_set_object (&self->streaming, reply);
  if (was != (reply != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_STREAMING]);
}

/* The state change saves the reply a last time. */
static void
finish_reply (ConfabConversation *self,
              ConfabMessageState  state,
              const GError       *error)
{
  g_autoptr(ConfabMessage) reply = g_object_ref (self->streaming);

  if (error != NULL)
    confab_message_set_error (reply, error);
  if (self->first_token_at != 0)
    confab_message_set_timings (reply, self->first_token_at - self->request_started,
                                g_get_monotonic_time () - self->first_token_at);

  /* A continued reply cost both requests. When the server did not say
   * what the rest cost, the start's count is all there is. */
  if (self->continuing)
    {
      gint64 prompt = confab_message_get_prompt_tokens (reply);
      gint64 completion = confab_message_get_completion_tokens (reply);

      if (prompt < 0 && completion < 0)
        confab_message_set_usage (reply, self->earlier_prompt_tokens,
                                  self->earlier_completion_tokens);
      else if (self->earlier_prompt_tokens >= 0 && self->earlier_completion_tokens >= 0)
        confab_message_set_usage (reply, prompt + self->earlier_prompt_tokens,
                                  completion + self->earlier_completion_tokens);
    }
  confab_message_set_state (reply, state);
  unwatch_reply (self, reply);

  g_clear_object (&self->cancellable);
  self->continuing = FALSE;
  set_streaming (self, NULL);
  g_signal_emit (self, signals[REPLY_FINISHED], 0, reply);
}

static void
stream_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ConfabConversation) self = user_data;
  g_autoptr(GError) error = NULL;

  /* Disposed meanwhile: the messages are gone with it. */
  if (self->streaming == NULL)
    return;

  if (confab_client_stream_finish (CONFAB_CLIENT (object), result, &error))
    {
      finish_reply (self, CONFAB_MESSAGE_STATE_COMPLETE, NULL);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_debug ("reply stopped");
      finish_reply (self, CONFAB_MESSAGE_STATE_STOPPED, NULL);
    }
  else
    {
      g_debug ("reply failed: %s", g_quark_to_string (error->domain));
      finish_reply (self, CONFAB_MESSAGE_STATE_FAILED, error);
    }
}

static void
start_request (ConfabConversation *self)
{
  g_autoptr(ConfabRequest) request = NULL;

  g_assert (self->streaming != NULL);

  request = build_request (self, self->streaming);
  self->request_started = g_get_monotonic_time ();
  self->first_token_at = 0;
  confab_client_stream_async (self->client, request, self->streaming, self->cancellable,
                              stream_cb, g_object_ref (self));
}

/* Asks for @reply, or for the rest of it when @continuing. With a store,
 * the request waits until @prompt is stored or could not be, so that
 * nothing typed is lost. */
static void
request_reply (ConfabConversation *self,
               ConfabMessage      *reply,
               ConfabMessage      *prompt,
               gboolean            continuing)
{
  Record *record = prompt != NULL ? get_record (prompt) : NULL;

  g_assert (self->streaming == NULL);

  watch_reply (self, reply);
  confab_message_set_error (reply, NULL);
  confab_message_set_finish_reason (reply, NULL);
  /* The model that wrote the start of a reply is kept for the rest; its
   * tokens are counted in again at the end. */
  if (!continuing)
    {
      confab_message_set_model (reply, NULL);
      /* Measured again: a retry that fails before its first token has
       * no times, not the last attempt's. */
      confab_message_set_timings (reply, -1, -1);
    }
  else
    {
      self->earlier_prompt_tokens = confab_message_get_prompt_tokens (reply);
      self->earlier_completion_tokens = confab_message_get_completion_tokens (reply);
      confab_message_set_usage (reply, -1, -1);
    }
  confab_message_set_state (reply, CONFAB_MESSAGE_STATE_PENDING);

  self->cancellable = g_cancellable_new ();
  self->continuing = continuing;
  set_streaming (self, reply);

  if (self->store != NULL)
    persist_new_messages (self);

  if (record != NULL && (record->waiting || record->appending || record->saving))
    {
      self->gate = prompt;
      return;
    }

  start_request (self);
}

/**
 * confab_conversation_send:
 * @self: a #ConfabConversation
 * @text: what the user wrote
 *
 * Appends @text as a user message and asks for a reply, which streams
 * into a new assistant message.
 *
 * Returns: %FALSE when nothing was sent: @text is blank or a reply is
 *   still streaming
 */
gboolean
confab_conversation_send (ConfabConversation *self,
                          const char         *text)
{
  g_autoptr(ConfabMessage) prompt = NULL;
  g_autoptr(ConfabMessage) reply = NULL;
  g_autofree char *stripped = NULL;

  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  stripped = g_strstrip (g_strdup (text));
  if (*stripped == '\0' || self->streaming != NULL)
    return FALSE;

  if (self->title == NULL)
    {
      g_autofree char *title = make_title (text);

      set_title (self, title);
    }

  prompt = confab_message_new (CONFAB_MESSAGE_ROLE_USER, text);
  reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  g_list_store_append (self->messages, prompt);
  g_list_store_append (self->messages, reply);

  request_reply (self, reply, prompt, FALSE);

  return TRUE;
}

/**
 * confab_conversation_retry:
 * @self: a #ConfabConversation
 *
 * Asks again for the last reply, replacing its text, also in the store.
 *
 * Returns: %FALSE when there is no reply to retry or one is streaming
 */
gboolean
confab_conversation_retry (ConfabConversation *self)
{
  ConfabMessage *reply;

  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), FALSE);

  reply = confab_conversation_get_last_reply (self);
  if (reply == NULL || self->streaming != NULL)
    return FALSE;

  confab_message_clear_text (reply);
  request_reply (self, reply, NULL, FALSE);

  return TRUE;
}

/* The last message, when it is a reply: only that one can be asked
 * again, switched or continued, since the messages after any other were
 * written to what it says. */
static ConfabMessage *
dup_last_reply (ConfabConversation *self)
{
  GListModel *messages = G_LIST_MODEL (self->messages);
  guint n = g_list_model_get_n_items (messages);
  g_autoptr(ConfabMessage) last = n > 0 ? g_list_model_get_item (messages, n - 1) : NULL;

  if (last == NULL || confab_message_get_role (last) != CONFAB_MESSAGE_ROLE_ASSISTANT)
    return NULL;

  return g_steal_pointer (&last);
}

/**
 * confab_conversation_regenerate:
 * @self: a #ConfabConversation
 *
 * Asks again for the last reply, with the same history, keeping what it
 * said as a variant: the new answer streams into the same message as its
 * last variant, which it shows. A reply with no text at all is asked
 * again in its place, as confab_conversation_retry() does. The store
 * keeps every variant.
 *
 * Returns: %FALSE when the last message is not a reply or a reply is
 *   streaming
 */
gboolean
confab_conversation_regenerate (ConfabConversation *self)
{
  g_autoptr(ConfabMessage) reply = NULL;

  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), FALSE);

  reply = dup_last_reply (self);
  if (reply == NULL || self->streaming != NULL)
    return FALSE;

  if (confab_message_get_content_length (reply) == 0 &&
      *confab_message_get_reasoning (reply) == '\0')
    {
      confab_message_clear_text (reply);
    }
  else
    {
      /* The new variant is stored before the request's first save. */
      confab_message_add_variant (reply);
      if (self->store != NULL)
        save_variants (self, self->store, reply, FALSE);
    }

  request_reply (self, reply, NULL, FALSE);

  return TRUE;
}

/**
 * confab_conversation_select_variant:
 * @self: a #ConfabConversation
 * @message: the last reply
 * @index: the variant to show, from 0
 *
 * Shows another variant of the last reply at once, and saves the choice:
 * it is what the next request sends.
 *
 * Returns: %FALSE when @message is not the last reply or has no such
 *   variant, or a reply is streaming
 */
gboolean
confab_conversation_select_variant (ConfabConversation *self,
                                    ConfabMessage      *message,
                                    guint               index)
{
  g_autoptr(ConfabMessage) reply = NULL;

  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), FALSE);
  g_return_val_if_fail (CONFAB_IS_MESSAGE (message), FALSE);

  reply = dup_last_reply (self);
  if (reply != message || self->streaming != NULL ||
      index >= confab_message_get_n_variants (message))
    return FALSE;

  confab_message_select_variant (message, index);
  if (self->store != NULL)
    save_variants (self, self->store, message, FALSE);

  return TRUE;
}

/**
 * confab_conversation_edit_and_resend:
 * @self: a #ConfabConversation
 * @user_message: a message the user wrote, in @self
 * @new_text: what it says now
 *
 * Replaces the text of @user_message, removes every message after it,
 * also from the store, and asks for a new reply. The edit is stored
 * before the request goes out. The caller asks the user first: what is
 * removed cannot be undone.
 *
 * Returns: %FALSE when @new_text is blank, @user_message is not a user
 *   message of @self, or a reply is streaming
 */
gboolean
confab_conversation_edit_and_resend (ConfabConversation *self,
                                     ConfabMessage      *user_message,
                                     const char         *new_text)
{
  g_autoptr(ConfabMessage) reply = NULL;
  g_autofree char *stripped = NULL;
  Record *record;
  guint position;
  guint n;

  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), FALSE);
  g_return_val_if_fail (CONFAB_IS_MESSAGE (user_message), FALSE);
  g_return_val_if_fail (new_text != NULL, FALSE);

  stripped = g_strstrip (g_strdup (new_text));
  if (*stripped == '\0' || self->streaming != NULL ||
      confab_message_get_role (user_message) != CONFAB_MESSAGE_ROLE_USER ||
      !g_list_store_find (self->messages, user_message, &position))
    return FALSE;

  /* Those waiting for their append leave the queue when the request
   * fills it again; one being appended is deleted by the truncation,
   * which the store makes after it. */
  n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));
  for (guint i = position + 1; i < n; i++)
    {
      g_autoptr(ConfabMessage) message = g_list_model_get_item (G_LIST_MODEL (self->messages), i);

      get_record (message)->removed = TRUE;
    }
  g_list_store_splice (self->messages, position + 1, n - position - 1, NULL, 0);

  confab_message_clear_text (user_message);
  confab_message_append (user_message, CONFAB_MESSAGE_PART_CONTENT, new_text, -1);

  /* A stored prompt is saved with the later messages deleted, in one
   * transaction, before the request goes out: a crash leaves either the
   * old conversation or the edited one. Stored messages come before those
   * not stored, so when this one has no row, none after it has either: it
   * is appended as it is now, and the request waits for that. */
  record = get_record (user_message);
  if (self->store != NULL && record->id != 0)
    {
      g_set_object (&self->editing, user_message);
      update_message (self, self->store, user_message, TRUE);
    }
  else if (self->store != NULL)
    save_message (self, self->store, user_message);

  reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  g_list_store_append (self->messages, reply);
  request_reply (self, reply, user_message, FALSE);

  return TRUE;
}

/**
 * confab_conversation_can_continue:
 * @self: a #ConfabConversation
 *
 * Whether confab_conversation_continue() would go on: the last message
 * is a reply with some text that was cut before its end, because it was
 * stopped, interrupted or failed, or because it reached the limit of
 * tokens ("length").
 *
 * Returns: %TRUE when the last reply can be continued
 */
gboolean
confab_conversation_can_continue (ConfabConversation *self)
{
  g_autoptr(ConfabMessage) reply = NULL;

  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), FALSE);

  reply = dup_last_reply (self);
  if (reply == NULL || self->streaming != NULL ||
      confab_message_get_content_length (reply) == 0)
    return FALSE;

  switch (confab_message_get_state (reply))
    {
    case CONFAB_MESSAGE_STATE_STOPPED:
    case CONFAB_MESSAGE_STATE_INTERRUPTED:
    case CONFAB_MESSAGE_STATE_FAILED:
      return TRUE;

    case CONFAB_MESSAGE_STATE_COMPLETE:
      return g_strcmp0 (confab_message_get_finish_reason (reply), "length") == 0;

    case CONFAB_MESSAGE_STATE_PENDING:
    case CONFAB_MESSAGE_STATE_STREAMING:
    default:
      return FALSE;
    }
}

/**
 * confab_conversation_continue:
 * @self: a #ConfabConversation
 *
 * Asks the model to go on from where the last reply was cut: stopped,
 * interrupted, failed after some text, or ended by the limit of tokens.
 * The request sends the history with the reply as far as it got, then an
 * instruction to continue, which is neither shown nor stored. The rest
 * streams onto the end of the same message, and its tokens are added to
 * those of the start.
 *
 * Returns: %FALSE when confab_conversation_can_continue() is %FALSE
 */
gboolean
confab_conversation_continue (ConfabConversation *self)
{
  g_autoptr(ConfabMessage) reply = NULL;

  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), FALSE);

  if (!confab_conversation_can_continue (self))
    return FALSE;

  reply = dup_last_reply (self);
  request_reply (self, reply, NULL, TRUE);

  return TRUE;
}

/**
 * confab_conversation_stop:
 * @self: a #ConfabConversation
 *
 * Stops the streaming reply, keeping the text received so far.
 */
void
confab_conversation_stop (ConfabConversation *self)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION (self));

  /* Stopped before it went out. */
  if (self->gate != NULL)
    {
      self->gate = NULL;
      finish_reply (self, CONFAB_MESSAGE_STATE_STOPPED, NULL);
      return;
    }

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

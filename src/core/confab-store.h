/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "confab-message.h"

G_BEGIN_DECLS

#define CONFAB_STORE_ERROR (confab_store_error_quark ())

/**
 * ConfabStoreError:
 * @CONFAB_STORE_ERROR_FAILED: SQLite failed for another reason
 * @CONFAB_STORE_ERROR_NEWER_VERSION: the file was written by a newer Confab
 *   and was left untouched
 * @CONFAB_STORE_ERROR_CORRUPT: the file is damaged; opening moves such a
 *   file aside, so this comes only from damage found later
 * @CONFAB_STORE_ERROR_NOT_FOUND: the conversation or message no longer exists
 * @CONFAB_STORE_ERROR_READ_ONLY: the file or its folder cannot be written
 * @CONFAB_STORE_ERROR_FULL: the disk is full
 * @CONFAB_STORE_ERROR_INVALID: what was given to import is not a valid
 *   conversation, and nothing of it was stored
 */
typedef enum
{
  CONFAB_STORE_ERROR_FAILED,
  CONFAB_STORE_ERROR_NEWER_VERSION,
  CONFAB_STORE_ERROR_CORRUPT,
  CONFAB_STORE_ERROR_NOT_FOUND,
  CONFAB_STORE_ERROR_READ_ONLY,
  CONFAB_STORE_ERROR_FULL,
  CONFAB_STORE_ERROR_INVALID,
} ConfabStoreError;

/* The schema this build writes, kept in PRAGMA user_version. */
#define CONFAB_STORE_SCHEMA_VERSION 5

/* The most recent translations kept. */
#define CONFAB_STORE_MAX_TRANSLATIONS 200

/* A search snippet marks each match with these private-use characters,
 * U+E000 before and U+E001 after. */
#define CONFAB_STORE_MATCH_START "\xee\x80\x80"
#define CONFAB_STORE_MATCH_END "\xee\x80\x81"

/**
 * ConfabStoredConversation:
 * @id: the row id; ids are never reused, even after a delete
 * @title: the title, "" before one is set
 * @created_at: when it was created, in microseconds since the Unix epoch
 * @updated_at: when a message was last appended, or @created_at
 * @model: (nullable): the model to ask
 * @system_prompt: (nullable): the system prompt
 * @pinned: whether it is listed before the others
 *
 * A conversation as stored, without its messages. Strings are UTF-8.
 */
typedef struct
{
  gint64    id;
  char     *title;
  gint64    created_at;
  gint64    updated_at;
  char     *model;
  char     *system_prompt;
  gboolean  pinned;
} ConfabStoredConversation;

/**
 * ConfabStoredMessage:
 * @id: the row id, set by the store
 * @conversation_id: the conversation, set by the store
 * @position: the place in the conversation from 0, set by the store
 * @role: who wrote it
 * @content: the text, never %NULL
 * @reasoning: the reasoning text, never %NULL
 * @state: where the message stands; %CONFAB_MESSAGE_STATE_PENDING is
 *   stored as %CONFAB_MESSAGE_STATE_STREAMING, and a message left streaming
 *   by a crash or a kill reads back as %CONFAB_MESSAGE_STATE_INTERRUPTED
 * @error: (nullable): why it failed, as shown to the user
 * @prompt_tokens: the usage the server reported, or -1
 * @completion_tokens: the usage the server reported, or -1
 * @first_token_us: microseconds from the request to the first token, as
 *   measured when the reply finished, or -1 when not measured
 * @generation_us: microseconds from the first token to the end, or -1
 * @model: (nullable): the model that answered
 * @created_at: when it was appended, in microseconds since the Unix epoch
 * @updated_at: when it was last saved
 * @finish_reason: (nullable): why the model stopped, as the server said
 * @variant_index: which variant of a regenerated reply this is, from 0:
 *   for a message, the one it shows; for an element of @variants, its own
 * @n_variants: how many variants the message has, at least 1
 * @variants: (element-type ConfabStoredMessage) (nullable): the variants
 *   the message does not show, by index, each with its text, reasoning,
 *   state, error, usage, timings, model, finish reason, @variant_index and
 *   @updated_at; %NULL when there are none
 *
 * A message as stored. Strings are UTF-8. Appending, restoring and
 * importing store @variants with the message: the message shows variant
 * @variant_index, and the elements of @variants take the other indexes in
 * their order, whatever their own @variant_index says, so that
 * @n_variants is always the length of @variants plus one.
 */
typedef struct
{
  gint64             id;
  gint64             conversation_id;
  gint64             position;
  ConfabMessageRole  role;
  char              *content;
  char              *reasoning;
  ConfabMessageState state;
  char              *error;
  gint64             prompt_tokens;
  gint64             completion_tokens;
  gint64             first_token_us;
  gint64             generation_us;
  char              *model;
  gint64             created_at;
  gint64             updated_at;
  char              *finish_reason;
  guint              variant_index;
  guint              n_variants;
  GPtrArray         *variants;
} ConfabStoredMessage;

/**
 * ConfabStoreSearchHit:
 * @conversation_id: the conversation of the message found
 * @message_id: the message found
 * @title: the conversation's title
 * @snippet: text around the match, the match between
 *   %CONFAB_STORE_MATCH_START and %CONFAB_STORE_MATCH_END, with "…" where
 *   the text was cut
 */
typedef struct
{
  gint64  conversation_id;
  gint64  message_id;
  char   *title;
  char   *snippet;
} ConfabStoreSearchHit;

/**
 * ConfabStoreSnapshot:
 * @conversation: the conversation
 * @messages: (element-type ConfabStoredMessage): its messages, by position
 *
 * A deleted conversation, kept by the caller to undo the delete.
 */
typedef struct
{
  ConfabStoredConversation *conversation;
  GPtrArray                *messages;
} ConfabStoreSnapshot;

typedef struct
{
  gint64  id;
  char   *source;
  char   *target;
  char   *source_language;
  char   *target_language;
  char   *model;
  gint64  created_at;
} ConfabStoredTranslation;

#define CONFAB_TYPE_STORED_TRANSLATION (confab_stored_translation_get_type ())
#define CONFAB_TYPE_STORED_CONVERSATION (confab_stored_conversation_get_type ())
#define CONFAB_TYPE_STORED_MESSAGE (confab_stored_message_get_type ())
#define CONFAB_TYPE_STORE_SEARCH_HIT (confab_store_search_hit_get_type ())
#define CONFAB_TYPE_STORE_SNAPSHOT (confab_store_snapshot_get_type ())
#define CONFAB_TYPE_STORE (confab_store_get_type ())

G_DECLARE_FINAL_TYPE (ConfabStore, confab_store, CONFAB, STORE, GObject)

GQuark confab_store_error_quark            (void);
GType  confab_stored_conversation_get_type (void);
GType  confab_stored_message_get_type      (void);
GType  confab_store_search_hit_get_type    (void);
GType  confab_store_snapshot_get_type      (void);
GType  confab_stored_translation_get_type  (void);

ConfabStoredConversation *confab_stored_conversation_copy (const ConfabStoredConversation *self);
void                      confab_stored_conversation_free (ConfabStoredConversation       *self);

ConfabStoredMessage *confab_stored_message_new              (ConfabMessageRole role,
                                                             const char       *content) G_GNUC_WARN_UNUSED_RESULT;
ConfabStoredMessage *confab_stored_message_new_from_message (ConfabMessage    *message) G_GNUC_WARN_UNUSED_RESULT;

ConfabStoredMessage *confab_stored_message_copy (const ConfabStoredMessage *self);
void                 confab_stored_message_free (ConfabStoredMessage       *self);

ConfabStoreSearchHit *confab_store_search_hit_copy (const ConfabStoreSearchHit *self);
void                  confab_store_search_hit_free (ConfabStoreSearchHit       *self);

ConfabStoreSnapshot *confab_store_snapshot_copy (const ConfabStoreSnapshot *self);
void                 confab_store_snapshot_free (ConfabStoreSnapshot       *self);

ConfabStoredTranslation *confab_stored_translation_new  (const char                    *source,
                                                         const char                    *target,
                                                         const char                    *source_language,
                                                         const char                    *target_language,
                                                         const char                    *model) G_GNUC_WARN_UNUSED_RESULT;
ConfabStoredTranslation *confab_stored_translation_copy (const ConfabStoredTranslation *self);
void                     confab_stored_translation_free (ConfabStoredTranslation       *self);

char        *confab_store_dup_default_path              (void) G_GNUC_WARN_UNUSED_RESULT;
ConfabStore *confab_store_new_for_path                  (const char          *path,
                                                         GError             **error) G_GNUC_WARN_UNUSED_RESULT;
void         confab_store_new_for_path_async            (const char          *path,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
ConfabStore *confab_store_new_for_path_finish           (GAsyncResult        *result,
                                                         GError             **error);
const char  *confab_store_get_path                      (ConfabStore         *self);
const char  *confab_store_get_recovered_from_corruption (ConfabStore         *self);
guint        confab_store_get_n_interrupted             (ConfabStore         *self);

void                      confab_store_create_conversation_async  (ConfabStore         *self,
                                                                   const char          *title,
                                                                   const char          *model,
                                                                   const char          *system_prompt,
                                                                   GCancellable        *cancellable,
                                                                   GAsyncReadyCallback  callback,
                                                                   gpointer             user_data);
ConfabStoredConversation *confab_store_create_conversation_finish (ConfabStore         *self,
                                                                   GAsyncResult        *result,
                                                                   GError             **error);
void                      confab_store_get_conversation_async     (ConfabStore         *self,
                                                                   gint64               conversation_id,
                                                                   GCancellable        *cancellable,
                                                                   GAsyncReadyCallback  callback,
                                                                   gpointer             user_data);
ConfabStoredConversation *confab_store_get_conversation_finish    (ConfabStore         *self,
                                                                   GAsyncResult        *result,
                                                                   GError             **error);
void                      confab_store_get_latest_conversation_async  (ConfabStore         *self,
                                                                       GCancellable        *cancellable,
                                                                       GAsyncReadyCallback  callback,
                                                                       gpointer             user_data);
ConfabStoredConversation *confab_store_get_latest_conversation_finish (ConfabStore         *self,
                                                                       GAsyncResult        *result,
                                                                       GError             **error);

void     confab_store_rename_conversation_async             (ConfabStore         *self,
                                                             gint64               conversation_id,
                                                             const char          *title,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
gboolean confab_store_rename_conversation_finish            (ConfabStore         *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
void     confab_store_set_conversation_pinned_async         (ConfabStore         *self,
                                                             gint64               conversation_id,
                                                             gboolean             pinned,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
gboolean confab_store_set_conversation_pinned_finish        (ConfabStore         *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
void     confab_store_set_conversation_model_async          (ConfabStore         *self,
                                                             gint64               conversation_id,
                                                             const char          *model,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
gboolean confab_store_set_conversation_model_finish         (ConfabStore         *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
void     confab_store_set_conversation_system_prompt_async  (ConfabStore         *self,
                                                             gint64               conversation_id,
                                                             const char          *system_prompt,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
gboolean confab_store_set_conversation_system_prompt_finish (ConfabStore         *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);

void                 confab_store_delete_conversation_async   (ConfabStore               *self,
                                                               gint64                     conversation_id,
                                                               GCancellable              *cancellable,
                                                               GAsyncReadyCallback        callback,
                                                               gpointer                   user_data);
ConfabStoreSnapshot *confab_store_delete_conversation_finish  (ConfabStore               *self,
                                                               GAsyncResult              *result,
                                                               GError                   **error);
void                 confab_store_restore_conversation_async  (ConfabStore               *self,
                                                               const ConfabStoreSnapshot *snapshot,
                                                               GCancellable              *cancellable,
                                                               GAsyncReadyCallback        callback,
                                                               gpointer                   user_data);
gboolean             confab_store_restore_conversation_finish (ConfabStore               *self,
                                                               GAsyncResult              *result,
                                                               GError                   **error);

void                 confab_store_append_message_async  (ConfabStore               *self,
                                                         gint64                     conversation_id,
                                                         const ConfabStoredMessage *message,
                                                         GCancellable              *cancellable,
                                                         GAsyncReadyCallback        callback,
                                                         gpointer                   user_data);
ConfabStoredMessage *confab_store_append_message_finish (ConfabStore               *self,
                                                         GAsyncResult              *result,
                                                         GError                   **error);
void                 confab_store_update_message_async  (ConfabStore               *self,
                                                         const ConfabStoredMessage *message,
                                                         GCancellable              *cancellable,
                                                         GAsyncReadyCallback        callback,
                                                         gpointer                   user_data);
gboolean             confab_store_update_message_finish (ConfabStore               *self,
                                                         GAsyncResult              *result,
                                                         GError                   **error);
void                 confab_store_add_variant_async     (ConfabStore               *self,
                                                         gint64                     message_id,
                                                         const ConfabStoredMessage *new_shown,
                                                         GCancellable              *cancellable,
                                                         GAsyncReadyCallback        callback,
                                                         gpointer                   user_data);
ConfabStoredMessage *confab_store_add_variant_finish    (ConfabStore               *self,
                                                         GAsyncResult              *result,
                                                         GError                   **error);
void                 confab_store_select_variant_async  (ConfabStore               *self,
                                                         gint64                     message_id,
                                                         guint                      index,
                                                         GCancellable              *cancellable,
                                                         GAsyncReadyCallback        callback,
                                                         gpointer                   user_data);
ConfabStoredMessage *confab_store_select_variant_finish (ConfabStore               *self,
                                                         GAsyncResult              *result,
                                                         GError                   **error);

void     confab_store_edit_message_async  (ConfabStore               *self,
                                          const ConfabStoredMessage *message,
                                          GCancellable              *cancellable,
                                          GAsyncReadyCallback        callback,
                                          gpointer                   user_data);
gboolean confab_store_edit_message_finish (ConfabStore               *self,
                                          GAsyncResult              *result,
                                          GError                   **error);

void                      confab_store_import_conversation_async  (ConfabStore                    *self,
                                                                   const ConfabStoredConversation *conversation,
                                                                   GPtrArray                      *messages,
                                                                   GCancellable                   *cancellable,
                                                                   GAsyncReadyCallback             callback,
                                                                   gpointer                        user_data);
ConfabStoredConversation *confab_store_import_conversation_finish (ConfabStore                    *self,
                                                                   GAsyncResult                   *result,
                                                                   GError                        **error);

void       confab_store_list_conversations_async  (ConfabStore         *self,
                                                   guint                offset,
                                                   guint                limit,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
GPtrArray *confab_store_list_conversations_finish (ConfabStore         *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);
void       confab_store_list_messages_async       (ConfabStore         *self,
                                                   gint64               conversation_id,
                                                   guint                offset,
                                                   guint                limit,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
GPtrArray *confab_store_list_messages_finish      (ConfabStore         *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);
void       confab_store_search_async              (ConfabStore         *self,
                                                   const char          *query,
                                                   guint                limit,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
GPtrArray *confab_store_search_finish             (ConfabStore         *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

void                     confab_store_add_translation_async     (ConfabStore                   *self,
                                                                 const ConfabStoredTranslation *translation,
                                                                 GCancellable                  *cancellable,
                                                                 GAsyncReadyCallback            callback,
                                                                 gpointer                       user_data);
ConfabStoredTranslation *confab_store_add_translation_finish    (ConfabStore                   *self,
                                                                 GAsyncResult                  *result,
                                                                 GError                       **error);
void                     confab_store_list_translations_async   (ConfabStore                   *self,
                                                                 guint                          limit,
                                                                 GCancellable                  *cancellable,
                                                                 GAsyncReadyCallback            callback,
                                                                 gpointer                       user_data);
GPtrArray               *confab_store_list_translations_finish  (ConfabStore                   *self,
                                                                 GAsyncResult                  *result,
                                                                 GError                       **error);
void                     confab_store_clear_translations_async  (ConfabStore                   *self,
                                                                 GCancellable                  *cancellable,
                                                                 GAsyncReadyCallback            callback,
                                                                 gpointer                       user_data);
gboolean                 confab_store_clear_translations_finish (ConfabStore                   *self,
                                                                 GAsyncResult                  *result,
                                                                 GError                       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabStoredConversation, confab_stored_conversation_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabStoredMessage, confab_stored_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabStoreSearchHit, confab_store_search_hit_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabStoreSnapshot, confab_store_snapshot_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabStoredTranslation, confab_stored_translation_free)

G_END_DECLS

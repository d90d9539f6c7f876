/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-conversation"

#include "config.h"

#include "confab-conversation.h"

#include "confab-request.h"

struct _ConfabConversation
{
  GObject parent_instance;

  /* owned */
  ConfabClient  *client;
  GListStore    *messages;
  GCancellable  *cancellable;
  ConfabMessage *streaming;
  char          *model;
  char          *system_prompt;
};

G_DEFINE_FINAL_TYPE (ConfabConversation, confab_conversation, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_MODEL,
  PROP_SYSTEM_PROMPT,
  PROP_IS_STREAMING,
  N_PROPS
};

enum {
  REPLY_FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
confab_conversation_dispose (GObject *object)
{
  ConfabConversation *self = (ConfabConversation *)object;

  /* Closing a conversation stops its request. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->streaming);
  g_clear_object (&self->client);
  g_clear_object (&self->messages);

  G_OBJECT_CLASS (confab_conversation_parent_class)->dispose (object);
}

static void
confab_conversation_finalize (GObject *object)
{
  ConfabConversation *self = (ConfabConversation *)object;

  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->system_prompt, g_free);

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

    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;

    case PROP_SYSTEM_PROMPT:
      g_value_set_string (value, self->system_prompt);
      break;

    case PROP_IS_STREAMING:
      g_value_set_boolean (value, self->streaming != NULL);
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

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, CONFAB_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODEL] =
    g_param_spec_string ("model", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SYSTEM_PROMPT] =
    g_param_spec_string ("system-prompt", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IS_STREAMING] =
    g_param_spec_boolean ("is-streaming", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

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
}

static void
confab_conversation_init (ConfabConversation *self)
{
  self->messages = g_list_store_new (CONFAB_TYPE_MESSAGE);
}

/**
 * confab_conversation_new:
 * @client: the client that sends requests
 * @model: (nullable): the model to ask
 *
 * Returns: (transfer full): a new, empty conversation
 */
ConfabConversation *
confab_conversation_new (ConfabClient *client,
                         const char   *model)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (client), NULL);

  return g_object_new (CONFAB_TYPE_CONVERSATION,
                       "client", client,
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
}

gboolean
confab_conversation_get_is_streaming (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), FALSE);

  return self->streaming != NULL;
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
 * text is what the user saw, so it is part of the history too. */
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

      if (message == reply)
        break;
      if (confab_message_get_content_length (message) == 0)
        continue;
      confab_request_add_message (request, confab_message_get_role_name (message),
                                  confab_message_get_content (message));
    }

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

static void
stream_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ConfabConversation) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabMessage) reply = NULL;

  /* Disposed meanwhile: the messages are gone with it. */
  if (self->streaming == NULL)
    return;

  reply = g_object_ref (self->streaming);

  if (confab_client_stream_finish (CONFAB_CLIENT (object), result, &error))
    {
      confab_message_set_state (reply, CONFAB_MESSAGE_STATE_COMPLETE);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_debug ("reply stopped");
      confab_message_set_state (reply, CONFAB_MESSAGE_STATE_STOPPED);
    }
  else
    {
      g_debug ("reply failed: %s", g_quark_to_string (error->domain));
      confab_message_set_error (reply, error);
      confab_message_set_state (reply, CONFAB_MESSAGE_STATE_FAILED);
    }

  g_clear_object (&self->cancellable);
  set_streaming (self, NULL);
  g_signal_emit (self, signals[REPLY_FINISHED], 0, reply);
}

static void
request_reply (ConfabConversation *self,
               ConfabMessage      *reply)
{
  g_autoptr(ConfabRequest) request = build_request (self, reply);

  g_assert (self->streaming == NULL);

  confab_message_set_error (reply, NULL);
  confab_message_set_finish_reason (reply, NULL);
  confab_message_set_model (reply, NULL);
  confab_message_set_state (reply, CONFAB_MESSAGE_STATE_PENDING);

  self->cancellable = g_cancellable_new ();
  set_streaming (self, reply);

  confab_client_stream_async (self->client, request, reply, self->cancellable,
                              stream_cb, g_object_ref (self));
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

  prompt = confab_message_new (CONFAB_MESSAGE_ROLE_USER, text);
  reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  g_list_store_append (self->messages, prompt);
  g_list_store_append (self->messages, reply);

  request_reply (self, reply);

  return TRUE;
}

/**
 * confab_conversation_retry:
 * @self: a #ConfabConversation
 *
 * Asks again for the last reply, replacing its text.
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
  request_reply (self, reply);

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

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-message"

#include "config.h"

#include "confab-message.h"

#include <string.h>

struct _ConfabMessage
{
  GObject parent_instance;

  /* owned */
  GString *content;
  GString *reasoning;
  GError  *error;
  char    *finish_reason;
  char    *model;

  /* plain state */
  ConfabMessageRole  role;
  ConfabMessageState state;
  gint64             prompt_tokens;
  gint64             completion_tokens;
  guint              skipped_events;
};

G_DEFINE_FINAL_TYPE (ConfabMessage, confab_message, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (ConfabMessageRole, confab_message_role,
  G_DEFINE_ENUM_VALUE (CONFAB_MESSAGE_ROLE_USER, "user"),
  G_DEFINE_ENUM_VALUE (CONFAB_MESSAGE_ROLE_ASSISTANT, "assistant"),
  G_DEFINE_ENUM_VALUE (CONFAB_MESSAGE_ROLE_SYSTEM, "system"))

G_DEFINE_ENUM_TYPE (ConfabMessageState, confab_message_state,
  G_DEFINE_ENUM_VALUE (CONFAB_MESSAGE_STATE_COMPLETE, "complete"),
  G_DEFINE_ENUM_VALUE (CONFAB_MESSAGE_STATE_PENDING, "pending"),
  G_DEFINE_ENUM_VALUE (CONFAB_MESSAGE_STATE_STREAMING, "streaming"),
  G_DEFINE_ENUM_VALUE (CONFAB_MESSAGE_STATE_STOPPED, "stopped"),
  G_DEFINE_ENUM_VALUE (CONFAB_MESSAGE_STATE_FAILED, "failed"),
  G_DEFINE_ENUM_VALUE (CONFAB_MESSAGE_STATE_INTERRUPTED, "interrupted"))

enum {
  PROP_0,
  PROP_ROLE,
  PROP_STATE,
  PROP_ERROR_MESSAGE,
  PROP_FINISH_REASON,
  PROP_MODEL,
  PROP_PROMPT_TOKENS,
  PROP_COMPLETION_TOKENS,
  PROP_SKIPPED_EVENTS,
  N_PROPS
};

enum {
  DELTA_APPENDED,
  TEXT_CLEARED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
confab_message_finalize (GObject *object)
{
  ConfabMessage *self = (ConfabMessage *)object;

  g_string_free (self->content, TRUE);
  g_string_free (self->reasoning, TRUE);
  g_clear_error (&self->error);
  g_clear_pointer (&self->finish_reason, g_free);
  g_clear_pointer (&self->model, g_free);

  G_OBJECT_CLASS (confab_message_parent_class)->finalize (object);
}

static void
confab_message_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  ConfabMessage *self = CONFAB_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_ROLE:
      g_value_set_enum (value, self->role);
      break;

    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_ERROR_MESSAGE:
      g_value_set_string (value, self->error ? self->error->message : NULL);
      break;

    case PROP_FINISH_REASON:
      g_value_set_string (value, self->finish_reason);
      break;

    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;

    case PROP_PROMPT_TOKENS:
      g_value_set_int64 (value, self->prompt_tokens);
      break;

    case PROP_COMPLETION_TOKENS:
      g_value_set_int64 (value, self->completion_tokens);
      break;

    case PROP_SKIPPED_EVENTS:
      g_value_set_uint (value, self->skipped_events);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_message_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  ConfabMessage *self = CONFAB_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_ROLE:
      self->role = g_value_get_enum (value);
      break;

    case PROP_STATE:
      confab_message_set_state (self, g_value_get_enum (value));
      break;

    case PROP_FINISH_REASON:
      confab_message_set_finish_reason (self, g_value_get_string (value));
      break;

    case PROP_MODEL:
      confab_message_set_model (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_message_class_init (ConfabMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = confab_message_finalize;
  object_class->get_property = confab_message_get_property;
  object_class->set_property = confab_message_set_property;

  properties[PROP_ROLE] =
    g_param_spec_enum ("role", NULL, NULL,
                       CONFAB_TYPE_MESSAGE_ROLE, CONFAB_MESSAGE_ROLE_USER,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       CONFAB_TYPE_MESSAGE_STATE, CONFAB_MESSAGE_STATE_COMPLETE,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR_MESSAGE] =
    g_param_spec_string ("error-message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_FINISH_REASON] =
    g_param_spec_string ("finish-reason", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODEL] =
    g_param_spec_string ("model", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROMPT_TOKENS] =
    g_param_spec_int64 ("prompt-tokens", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_COMPLETION_TOKENS] =
    g_param_spec_int64 ("completion-tokens", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SKIPPED_EVENTS] =
    g_param_spec_uint ("skipped-events", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * ConfabMessage::delta-appended:
   * @self: the message
   * @part: the #ConfabMessagePart that grew
   *
   * Text was appended. Handlers read the new text from the message; the
   * signal carries no copy of it, so a delta costs no allocation here.
   */
  signals[DELTA_APPENDED] =
    g_signal_new ("delta-appended",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_INT);

  /**
   * ConfabMessage::text-cleared:
   * @self: the message
   *
   * All text was removed, as before a retry.
   */
  signals[TEXT_CLEARED] =
    g_signal_new ("text-cleared",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
confab_message_init (ConfabMessage *self)
{
  self->content = g_string_new (NULL);
  self->reasoning = g_string_new (NULL);
  self->prompt_tokens = -1;
  self->completion_tokens = -1;
}

/**
 * confab_message_new:
 * @role: who wrote it
 * @content: (nullable): the initial text, valid UTF-8
 *
 * Returns: (transfer full): a new message in the complete state
 */
ConfabMessage *
confab_message_new (ConfabMessageRole  role,
                    const char        *content)
{
  ConfabMessage *self = g_object_new (CONFAB_TYPE_MESSAGE, "role", role, NULL);

  if (content != NULL)
    g_string_append (self->content, content);

  return self;
}

ConfabMessageRole
confab_message_get_role (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), CONFAB_MESSAGE_ROLE_USER);

  return self->role;
}

/**
 * confab_message_get_role_name:
 * @self: a #ConfabMessage
 *
 * Returns: (transfer none): the role as the Chat Completions API names it
 */
const char *
confab_message_get_role_name (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), NULL);

  switch (self->role)
    {
    case CONFAB_MESSAGE_ROLE_USER:
      return "user";
    case CONFAB_MESSAGE_ROLE_ASSISTANT:
      return "assistant";
    case CONFAB_MESSAGE_ROLE_SYSTEM:
      return "system";
    default:
      g_assert_not_reached ();
    }
}

/**
 * confab_message_get_content:
 * @self: a #ConfabMessage
 *
 * Returns: (transfer none): the text so far; valid until the next append
 */
const char *
confab_message_get_content (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), NULL);

  return self->content->str;
}

gsize
confab_message_get_content_length (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), 0);

  return self->content->len;
}

/**
 * confab_message_get_reasoning:
 * @self: a #ConfabMessage
 *
 * Returns: (transfer none): the reasoning text so far, or ""
 */
const char *
confab_message_get_reasoning (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), NULL);

  return self->reasoning->str;
}

/**
 * confab_message_append:
 * @self: a #ConfabMessage
 * @part: which text grows
 * @text: valid UTF-8
 * @len: the length of @text in bytes, or -1
 *
 * Appends a delta. This is O(@len), so a long reply costs nothing more per
 * delta than a short one.
 */
void
confab_message_append (ConfabMessage     *self,
                       ConfabMessagePart  part,
                       const char        *text,
                       gssize             len)
{
  GString *target;

  g_return_if_fail (CONFAB_IS_MESSAGE (self));
  g_return_if_fail (text != NULL);

  if (len < 0)
    len = strlen (text);
  if (len == 0)
    return;

  target = part == CONFAB_MESSAGE_PART_REASONING ? self->reasoning : self->content;
  g_string_append_len (target, text, len);
  g_signal_emit (self, signals[DELTA_APPENDED], 0, (int)part);
}

void
confab_message_clear_text (ConfabMessage *self)
{
  g_return_if_fail (CONFAB_IS_MESSAGE (self));

  g_string_truncate (self->content, 0);
  g_string_truncate (self->reasoning, 0);
  g_signal_emit (self, signals[TEXT_CLEARED], 0);
}

ConfabMessageState
confab_message_get_state (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), CONFAB_MESSAGE_STATE_COMPLETE);

  return self->state;
}

void
confab_message_set_state (ConfabMessage      *self,
                          ConfabMessageState  state)
{
  g_return_if_fail (CONFAB_IS_MESSAGE (self));

  if (self->state == state)
    return;

  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/**
 * confab_message_get_error:
 * @self: a #ConfabMessage
 *
 * Returns: (transfer none) (nullable): why the message failed
 */
const GError *
confab_message_get_error (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), NULL);

  return self->error;
}

/**
 * confab_message_set_error:
 * @self: a #ConfabMessage
 * @error: (nullable): the error, copied
 */
void
confab_message_set_error (ConfabMessage *self,
                          const GError  *error)
{
  g_return_if_fail (CONFAB_IS_MESSAGE (self));

  if (self->error == NULL && error == NULL)
    return;

  g_clear_error (&self->error);
  if (error != NULL)
    self->error = g_error_copy (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR_MESSAGE]);
}

/**
 * confab_message_get_finish_reason:
 * @self: a #ConfabMessage
 *
 * Returns: (transfer none) (nullable): the finish reason the server gave
 */
const char *
confab_message_get_finish_reason (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), NULL);

  return self->finish_reason;
}

/**
 * confab_message_set_finish_reason:
 * @self: a #ConfabMessage
 * @finish_reason: (nullable): the finish reason
 */
void
confab_message_set_finish_reason (ConfabMessage *self,
                                  const char    *finish_reason)
{
  g_return_if_fail (CONFAB_IS_MESSAGE (self));

  if (g_strcmp0 (self->finish_reason, finish_reason) == 0)
    return;

  g_free (self->finish_reason);
  self->finish_reason = g_strdup (finish_reason);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FINISH_REASON]);
}

/**
 * confab_message_get_model:
 * @self: a #ConfabMessage
 *
 * Returns: (transfer none) (nullable): the model that wrote the reply
 */
const char *
confab_message_get_model (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), NULL);

  return self->model;
}

/**
 * confab_message_set_model:
 * @self: a #ConfabMessage
 * @model: (nullable): the model name
 */
void
confab_message_set_model (ConfabMessage *self,
                          const char    *model)
{
  g_return_if_fail (CONFAB_IS_MESSAGE (self));

  if (g_strcmp0 (self->model, model) == 0)
    return;

  g_free (self->model);
  self->model = g_strdup (model);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

void
confab_message_set_usage (ConfabMessage *self,
                          gint64         prompt_tokens,
                          gint64         completion_tokens)
{
  g_return_if_fail (CONFAB_IS_MESSAGE (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (self->prompt_tokens != prompt_tokens)
    {
      self->prompt_tokens = prompt_tokens;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROMPT_TOKENS]);
    }
  if (self->completion_tokens != completion_tokens)
    {
      self->completion_tokens = completion_tokens;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPLETION_TOKENS]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

gint64
confab_message_get_prompt_tokens (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), -1);

  return self->prompt_tokens;
}

gint64
confab_message_get_completion_tokens (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), -1);

  return self->completion_tokens;
}

guint
confab_message_get_skipped_events (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), 0);

  return self->skipped_events;
}

/**
 * confab_message_add_skipped_event:
 * @self: a #ConfabMessage
 *
 * Counts one event of the stream that could not be read and was skipped.
 */
void
confab_message_add_skipped_event (ConfabMessage *self)
{
  g_return_if_fail (CONFAB_IS_MESSAGE (self));

  self->skipped_events++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SKIPPED_EVENTS]);
}

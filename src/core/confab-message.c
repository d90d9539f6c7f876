/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-message"

#include "config.h"

#include "confab-message.h"

#include <string.h>

#include "confab-exchange.h"

/* One answer to the same history, as a regenerated reply keeps its
 * earlier ones. The message's own fields are the variant it shows; the
 * others wait here, so that switching costs no disk read. */
typedef struct
{
  /* owned */
  GString *content;
  GString *reasoning;
  GError  *error;
  char    *finish_reason;
  char    *model;
  /* nullable: what the request for this answer got, in this session */
  ConfabExchange *exchange;

  /* plain state */
  ConfabMessageState state;
  gint64             prompt_tokens;
  gint64             completion_tokens;
  /* µs from the request to the first token, and from there to the end;
   * -1 when not measured, as for a reply stored before they were kept */
  gint64             first_token_us;
  gint64             generation_us;
} Variant;

struct _ConfabMessage
{
  GObject parent_instance;

  /* owned */
  GString *content;
  GString *reasoning;
  GError  *error;
  char    *finish_reason;
  char    *model;
  ConfabExchange *exchange;
  /* owned: NULL while there is one variant, else n_variants Variants
   * with NULL at variant_index, which the fields above hold */
  GPtrArray *variants;

  /* plain state */
  ConfabMessageRole  role;
  ConfabMessageState state;
  gint64             prompt_tokens;
  gint64             completion_tokens;
  /* µs from the request to the first token, and from there to the end;
   * -1 when not measured, as for a reply stored before they were kept */
  gint64             first_token_us;
  gint64             generation_us;
  guint              skipped_events;
  guint              variant_index;
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
  PROP_FIRST_TOKEN_US,
  PROP_GENERATION_US,
  PROP_SKIPPED_EVENTS,
  PROP_N_VARIANTS,
  PROP_VARIANT_INDEX,
  PROP_EXCHANGE,
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
variant_free (Variant *variant)
{
  if (variant == NULL)
    return;

  /* Installing a variant takes its strings. */
  if (variant->content != NULL)
    g_string_free (variant->content, TRUE);
  if (variant->reasoning != NULL)
    g_string_free (variant->reasoning, TRUE);
  g_clear_error (&variant->error);
  g_clear_pointer (&variant->finish_reason, g_free);
  g_clear_pointer (&variant->model, g_free);
  g_clear_pointer (&variant->exchange, confab_exchange_unref);
  g_free (variant);
}

static void
confab_message_finalize (GObject *object)
{
  ConfabMessage *self = (ConfabMessage *)object;

  g_string_free (self->content, TRUE);
  g_string_free (self->reasoning, TRUE);
  g_clear_error (&self->error);
  g_clear_pointer (&self->finish_reason, g_free);
  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->exchange, confab_exchange_unref);
  g_clear_pointer (&self->variants, g_ptr_array_unref);

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

    case PROP_FIRST_TOKEN_US:
      g_value_set_int64 (value, self->first_token_us);
      break;

    case PROP_GENERATION_US:
      g_value_set_int64 (value, self->generation_us);
      break;

    case PROP_SKIPPED_EVENTS:
      g_value_set_uint (value, self->skipped_events);
      break;

    case PROP_N_VARIANTS:
      g_value_set_uint (value, confab_message_get_n_variants (self));
      break;

    case PROP_VARIANT_INDEX:
      g_value_set_uint (value, self->variant_index);
      break;

    case PROP_EXCHANGE:
      g_value_set_boxed (value, self->exchange);
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
  /**
   * ConfabMessage:first-token-us:
   *
   * How long the first token took to come, from the request, in µs; -1
   * when not measured.
   */
  properties[PROP_FIRST_TOKEN_US] =
    g_param_spec_int64 ("first-token-us", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * ConfabMessage:generation-us:
   *
   * How long the reply took from its first token to its end, in µs; -1
   * when not measured.
   */
  properties[PROP_GENERATION_US] =
    g_param_spec_int64 ("generation-us", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SKIPPED_EVENTS] =
    g_param_spec_uint ("skipped-events", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * ConfabMessage:n-variants:
   *
   * How many answers the message holds: a regenerated reply keeps the
   * earlier ones. At least 1.
   */
  properties[PROP_N_VARIANTS] =
    g_param_spec_uint ("n-variants", NULL, NULL, 1, G_MAXUINT, 1,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * ConfabMessage:variant-index:
   *
   * Which of the #ConfabMessage:n-variants answers the message shows,
   * from 0.
   */
  properties[PROP_VARIANT_INDEX] =
    g_param_spec_uint ("variant-index", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * ConfabMessage:exchange:
   *
   * The record of the request that produced the variant shown, for the
   * "Show raw response" inspector, or %NULL for a message read from the
   * store or written by the user.
   */
  properties[PROP_EXCHANGE] =
    g_param_spec_boxed ("exchange", NULL, NULL, CONFAB_TYPE_EXCHANGE,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

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
   * All text was removed, as before a retry. When another variant is
   * shown, this comes first and #ConfabMessage::delta-appended follows
   * with the new text, so a view redraws from these two signals alone.
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
  self->first_token_us = -1;
  self->generation_us = -1;
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

/**
 * confab_message_get_exchange:
 * @self: a #ConfabMessage
 *
 * Each variant keeps the record of its own last request: a retry
 * replaces it, a regenerated answer starts without one, and switching
 * variants switches it. Records live in memory only, for this session.
 *
 * Returns: (transfer none) (nullable): the record of the request that
 *   produced the variant shown, or %NULL
 */
ConfabExchange *
confab_message_get_exchange (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), NULL);

  return self->exchange;
}

/**
 * confab_message_set_exchange:
 * @self: a #ConfabMessage
 * @exchange: (nullable): the record of the request for the variant shown
 *
 * Set by the client when it sends the request for a reply.
 */
void
confab_message_set_exchange (ConfabMessage  *self,
                             ConfabExchange *exchange)
{
  g_return_if_fail (CONFAB_IS_MESSAGE (self));

  if (self->exchange == exchange)
    return;

  g_clear_pointer (&self->exchange, confab_exchange_unref);
  if (exchange != NULL)
    self->exchange = confab_exchange_ref (exchange);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXCHANGE]);
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

/**
 * confab_message_set_timings:
 * @self: a #ConfabMessage
 * @first_token_us: µs from the request to the first token, or -1
 * @generation_us: µs from the first token to the end, or -1
 *
 * Sets how fast the reply came, as measured when it finished or as the
 * history kept it.
 */
void
confab_message_set_timings (ConfabMessage *self,
                            gint64         first_token_us,
                            gint64         generation_us)
{
  g_return_if_fail (CONFAB_IS_MESSAGE (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (self->first_token_us != first_token_us)
    {
      self->first_token_us = first_token_us;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIRST_TOKEN_US]);
    }
  if (self->generation_us != generation_us)
    {
      self->generation_us = generation_us;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GENERATION_US]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

gint64
confab_message_get_first_token_us (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), -1);

  return self->first_token_us;
}

gint64
confab_message_get_generation_us (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), -1);

  return self->generation_us;
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

/* Variants */

guint
confab_message_get_n_variants (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), 1);

  return self->variants != NULL ? self->variants->len : 1;
}

guint
confab_message_get_variant_index (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), 0);

  return self->variant_index;
}

/* Moves what the message shows into a new Variant, leaving it empty. */
static Variant *
take_shown (ConfabMessage *self)
{
  Variant *variant = g_new0 (Variant, 1);

  variant->content = g_steal_pointer (&self->content);
  variant->reasoning = g_steal_pointer (&self->reasoning);
  variant->error = g_steal_pointer (&self->error);
  variant->finish_reason = g_steal_pointer (&self->finish_reason);
  variant->model = g_steal_pointer (&self->model);
  variant->exchange = g_steal_pointer (&self->exchange);
  variant->state = self->state;
  variant->prompt_tokens = self->prompt_tokens;
  variant->completion_tokens = self->completion_tokens;
  variant->first_token_us = self->first_token_us;
  variant->generation_us = self->generation_us;

  self->content = g_string_new (NULL);
  self->reasoning = g_string_new (NULL);
  self->prompt_tokens = -1;
  self->completion_tokens = -1;
  self->first_token_us = -1;
  self->generation_us = -1;

  return variant;
}

static void
ensure_variants (ConfabMessage *self)
{
  if (self->variants != NULL)
    return;

  self->variants = g_ptr_array_new_with_free_func ((GDestroyNotify)variant_free);
  g_ptr_array_add (self->variants, NULL);
}

/* Installs @variant, which is freed, as what the message shows; what it
 * showed must be taken already. */
static void
install_variant (ConfabMessage *self,
                 Variant       *variant)
{
  g_string_free (self->content, TRUE);
  g_string_free (self->reasoning, TRUE);
  self->content = g_steal_pointer (&variant->content);
  self->reasoning = g_steal_pointer (&variant->reasoning);
  self->error = g_steal_pointer (&variant->error);
  self->finish_reason = g_steal_pointer (&variant->finish_reason);
  self->model = g_steal_pointer (&variant->model);
  self->exchange = g_steal_pointer (&variant->exchange);
  self->state = variant->state;
  self->prompt_tokens = variant->prompt_tokens;
  self->completion_tokens = variant->completion_tokens;
  self->first_token_us = variant->first_token_us;
  self->generation_us = variant->generation_us;

  variant_free (variant);
}

/* Tells what changed since @before showed, once every field is set, so
 * that no handler sees half a switch: the text as a clear and deltas,
 * the way a retry and a stream do, then each property that changed. What
 * changed is known before the first handler runs, since a handler may
 * switch again. */
static void
emit_switch (ConfabMessage *self,
             const Variant *before)
{
  GParamSpec *changed[9];
  guint n_changed = 0;
  gboolean has_content = self->content->len > 0;
  gboolean has_reasoning = self->reasoning->len > 0;

  if (self->state != before->state)
    changed[n_changed++] = properties[PROP_STATE];
  if (self->error != NULL || before->error != NULL)
    changed[n_changed++] = properties[PROP_ERROR_MESSAGE];
  if (g_strcmp0 (self->finish_reason, before->finish_reason) != 0)
    changed[n_changed++] = properties[PROP_FINISH_REASON];
  if (g_strcmp0 (self->model, before->model) != 0)
    changed[n_changed++] = properties[PROP_MODEL];
  if (self->prompt_tokens != before->prompt_tokens)
    changed[n_changed++] = properties[PROP_PROMPT_TOKENS];
  if (self->completion_tokens != before->completion_tokens)
    changed[n_changed++] = properties[PROP_COMPLETION_TOKENS];
  if (self->first_token_us != before->first_token_us)
    changed[n_changed++] = properties[PROP_FIRST_TOKEN_US];
  if (self->generation_us != before->generation_us)
    changed[n_changed++] = properties[PROP_GENERATION_US];
  if (self->exchange != before->exchange)
    changed[n_changed++] = properties[PROP_EXCHANGE];

  g_signal_emit (self, signals[TEXT_CLEARED], 0);
  if (has_content)
    g_signal_emit (self, signals[DELTA_APPENDED], 0, (int)CONFAB_MESSAGE_PART_CONTENT);
  if (has_reasoning)
    g_signal_emit (self, signals[DELTA_APPENDED], 0, (int)CONFAB_MESSAGE_PART_REASONING);

  for (guint i = 0; i < n_changed; i++)
    g_object_notify_by_pspec (G_OBJECT (self), changed[i]);
}

/**
 * confab_message_add_variant:
 * @self: a #ConfabMessage
 *
 * Keeps what the message shows as a variant, and shows a new, empty one
 * after all the others, pending as a reply is before its request goes
 * out: its text, error, finish reason, model and usage are unset.
 * #ConfabMessage::text-cleared is emitted, then the properties that
 * changed are notified.
 */
void
confab_message_add_variant (ConfabMessage *self)
{
  Variant *before;

  g_return_if_fail (CONFAB_IS_MESSAGE (self));

  ensure_variants (self);
  before = take_shown (self);
  self->variants->pdata[self->variant_index] = before;
  self->state = CONFAB_MESSAGE_STATE_PENDING;
  g_ptr_array_add (self->variants, NULL);
  self->variant_index = self->variants->len - 1;

  emit_switch (self, before);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_VARIANTS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VARIANT_INDEX]);
}

/**
 * confab_message_select_variant:
 * @self: a #ConfabMessage
 * @index: the variant to show, less than confab_message_get_n_variants()
 *
 * Shows another variant at once. The text is replaced wholesale:
 * #ConfabMessage::text-cleared is emitted, then
 * #ConfabMessage::delta-appended for the content and the reasoning that
 * are not empty, then the properties that changed are notified, once
 * the message shows all of the variant.
 *
 * Returns: %TRUE when @index is a variant, shown now
 */
gboolean
confab_message_select_variant (ConfabMessage *self,
                               guint          index)
{
  Variant *before;
  Variant *variant;

  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), FALSE);
  g_return_val_if_fail (index < confab_message_get_n_variants (self), FALSE);

  if (index == self->variant_index)
    return TRUE;

  variant = g_steal_pointer (&self->variants->pdata[index]);
  before = take_shown (self);
  self->variants->pdata[self->variant_index] = before;
  self->variant_index = index;
  install_variant (self, variant);

  emit_switch (self, before);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VARIANT_INDEX]);

  return TRUE;
}

/* Fills @view with what @self shows, borrowed. */
static void
view_shown (ConfabMessage *self,
            Variant       *view)
{
  view->content = self->content;
  view->reasoning = self->reasoning;
  view->error = self->error;
  view->finish_reason = self->finish_reason;
  view->model = self->model;
  view->exchange = self->exchange;
  view->state = self->state;
  view->prompt_tokens = self->prompt_tokens;
  view->completion_tokens = self->completion_tokens;
  view->first_token_us = self->first_token_us;
  view->generation_us = self->generation_us;
}

static Variant *
variant_copy (const Variant *variant)
{
  Variant *copy = g_new0 (Variant, 1);

  copy->content = g_string_new_len (variant->content->str, variant->content->len);
  copy->reasoning = g_string_new_len (variant->reasoning->str, variant->reasoning->len);
  copy->error = variant->error != NULL ? g_error_copy (variant->error) : NULL;
  copy->finish_reason = g_strdup (variant->finish_reason);
  copy->model = g_strdup (variant->model);
  copy->exchange = variant->exchange != NULL ? confab_exchange_ref (variant->exchange) : NULL;
  copy->state = variant->state;
  copy->prompt_tokens = variant->prompt_tokens;
  copy->completion_tokens = variant->completion_tokens;
  copy->first_token_us = variant->first_token_us;
  copy->generation_us = variant->generation_us;

  return copy;
}

/**
 * confab_message_insert_variant:
 * @self: a #ConfabMessage
 * @index: where the variant goes, at most confab_message_get_n_variants()
 * @variant: a message whose shown text, reasoning, state, error, finish
 *   reason, model, usage and timings are copied
 *
 * Adds a variant that is not shown, as when a message is read back from
 * the store. What the message shows stays, and its index moves up when
 * @index is not after it; #ConfabMessage:n-variants and
 * #ConfabMessage:variant-index are notified.
 */
void
confab_message_insert_variant (ConfabMessage *self,
                               guint          index,
                               ConfabMessage *variant)
{
  Variant view;
  gboolean moves;

  g_return_if_fail (CONFAB_IS_MESSAGE (self));
  g_return_if_fail (CONFAB_IS_MESSAGE (variant));
  g_return_if_fail (variant != self);
  g_return_if_fail (index <= confab_message_get_n_variants (self));

  view_shown (variant, &view);
  ensure_variants (self);
  g_ptr_array_insert (self->variants, index, variant_copy (&view));
  moves = index <= self->variant_index;
  if (moves)
    self->variant_index++;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_VARIANTS]);
  if (moves)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VARIANT_INDEX]);
}

/**
 * confab_message_dup_variant:
 * @self: a #ConfabMessage
 * @index: a variant, less than confab_message_get_n_variants()
 *
 * Copies one variant, shown or not, as a message of its own, with one
 * variant.
 *
 * Returns: (transfer full): a new message with the role of @self and the
 *   text, reasoning, state, error, finish reason, model, usage and timings
 *   of the variant
 */
ConfabMessage *
confab_message_dup_variant (ConfabMessage *self,
                            guint          index)
{
  ConfabMessage *copy;
  Variant view;

  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), NULL);
  g_return_val_if_fail (index < confab_message_get_n_variants (self), NULL);

  if (index == self->variant_index)
    view_shown (self, &view);
  else
    view = *(const Variant *)self->variants->pdata[index];

  copy = g_object_new (CONFAB_TYPE_MESSAGE, "role", self->role, NULL);
  install_variant (copy, variant_copy (&view));

  return copy;
}

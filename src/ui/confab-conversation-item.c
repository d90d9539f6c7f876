/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-conversation-item"

#include "config.h"

#include "confab-conversation-item.h"

#include <glib/gi18n.h>

/* One row of the sidebar: what the list shows of a stored conversation.
 * The sidebar updates items in place, so a row keeps its place and focus
 * when a title arrives. */
struct _ConfabConversationItem
{
  GObject parent_instance;

  /* owned */
  char *title;

  /* plain state */
  gint64   id;
  gint64   updated_at;
  gboolean pinned;
};

G_DEFINE_FINAL_TYPE (ConfabConversationItem, confab_conversation_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_TITLE,
  PROP_PINNED,
  PROP_UPDATED_AT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
confab_conversation_item_finalize (GObject *object)
{
  ConfabConversationItem *self = (ConfabConversationItem *)object;

  g_clear_pointer (&self->title, g_free);

  G_OBJECT_CLASS (confab_conversation_item_parent_class)->finalize (object);
}

static void
confab_conversation_item_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  ConfabConversationItem *self = CONFAB_CONVERSATION_ITEM (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->id);
      break;

    case PROP_TITLE:
      g_value_set_string (value, confab_conversation_item_get_title (self));
      break;

    case PROP_PINNED:
      g_value_set_boolean (value, self->pinned);
      break;

    case PROP_UPDATED_AT:
      g_value_set_int64 (value, self->updated_at);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_conversation_item_class_init (ConfabConversationItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = confab_conversation_item_finalize;
  object_class->get_property = confab_conversation_item_get_property;

  properties[PROP_ID] =
    g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PINNED] =
    g_param_spec_boolean ("pinned", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_UPDATED_AT] =
    g_param_spec_int64 ("updated-at", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_conversation_item_init (ConfabConversationItem *self)
{
}

/**
 * confab_conversation_item_new:
 * @stored: the conversation as stored
 *
 * Returns: (transfer full): a new item showing @stored
 */
ConfabConversationItem *
confab_conversation_item_new (const ConfabStoredConversation *stored)
{
  ConfabConversationItem *self;

  g_return_val_if_fail (stored != NULL, NULL);

  self = g_object_new (CONFAB_TYPE_CONVERSATION_ITEM, NULL);
  self->id = stored->id;
  self->title = g_strdup (stored->title);
  self->pinned = stored->pinned;
  self->updated_at = stored->updated_at;

  return self;
}

gint64
confab_conversation_item_get_id (ConfabConversationItem *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION_ITEM (self), 0);

  return self->id;
}

/**
 * confab_conversation_item_get_title:
 * @self: a #ConfabConversationItem
 *
 * Returns: the title to show; a conversation without one yet is a "New
 *   Chat"
 */
const char *
confab_conversation_item_get_title (ConfabConversationItem *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION_ITEM (self), NULL);

  return self->title != NULL && *self->title != '\0' ? self->title : _("New Chat");
}

gboolean
confab_conversation_item_get_pinned (ConfabConversationItem *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION_ITEM (self), FALSE);

  return self->pinned;
}

gint64
confab_conversation_item_get_updated_at (ConfabConversationItem *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION_ITEM (self), 0);

  return self->updated_at;
}

/**
 * confab_conversation_item_update:
 * @self: a #ConfabConversationItem
 * @stored: the same conversation, read again
 *
 * Takes what changed and notifies it.
 */
void
confab_conversation_item_update (ConfabConversationItem         *self,
                                 const ConfabStoredConversation *stored)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION_ITEM (self));
  g_return_if_fail (stored != NULL && stored->id == self->id);

  if (g_strcmp0 (self->title, stored->title) != 0)
    {
      g_free (self->title);
      self->title = g_strdup (stored->title);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
    }
  if (self->pinned != stored->pinned)
    {
      self->pinned = stored->pinned;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PINNED]);
    }
  if (self->updated_at != stored->updated_at)
    {
      self->updated_at = stored->updated_at;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATED_AT]);
    }
}

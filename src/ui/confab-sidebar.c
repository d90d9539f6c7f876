/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-sidebar"

#include "config.h"

#include "confab-sidebar.h"

#include <glib/gi18n.h>
#include <string.h>

#include "confab-compat.h"
#include "confab-conversation-item.h"
#include "confab-toast.h"

/* The history is read in pages, so a huge one never holds the worker, and
 * shown once whole: rows keep their place when one conversation moves. */
#define PAGE_SIZE 200
#define SEARCH_LIMIT 200

struct _ConfabSidebar
{
  GtkWidget parent_instance;

  /* template children */
  AdwHeaderBar    *header_bar;
  GtkToggleButton *search_button;
  GtkSearchBar    *search_bar;
  GtkSearchEntry  *search_entry;
  GtkStack        *stack;
  GtkListView     *list_view;
  GtkListBox      *results_box;

  /* owned */
  ConfabStore        *store;
  GListStore         *items;
  GtkSingleSelection *selection;
  GCancellable       *load_cancellable;
  GCancellable       *search_cancellable;
  /* conversation id → ConfabStoreSnapshot, while its Undo toast shows */
  GHashTable         *deleted;

  /* plain state */
  gint64 current_id;
  /* when the pointer last pressed in the list */
  gint64 pressed_at;
};

G_DEFINE_FINAL_TYPE (ConfabSidebar, confab_sidebar, GTK_TYPE_WIDGET)

enum {
  CONVERSATION_ACTIVATED,
  CONVERSATION_DELETED,
  CONVERSATION_RENAMED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The text of a load in progress: pages are added until one comes short. */
typedef struct
{
  ConfabSidebar *self;
  GPtrArray     *conversations;
  GCancellable  *cancellable;
} Load;

static void load_page (Load *load);

static void
load_free (Load *load)
{
  g_clear_object (&load->self);
  g_clear_pointer (&load->conversations, g_ptr_array_unref);
  g_clear_object (&load->cancellable);
  g_free (load);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Load, load_free)

static AdwToastOverlay *
get_toast_overlay (ConfabSidebar *self)
{
  return ADW_TOAST_OVERLAY (gtk_widget_get_ancestor (GTK_WIDGET (self),
                                                     ADW_TYPE_TOAST_OVERLAY));
}

static void
show_toast (ConfabSidebar *self,
            AdwToast      *toast)
{
  AdwToastOverlay *overlay = get_toast_overlay (self);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (overlay, toast);
  else
    g_object_unref (g_object_ref_sink (toast));
}

/* Returns: (transfer none): the item, held by the list */
static ConfabConversationItem *
find_item (ConfabSidebar *self,
           gint64         conversation_id,
           guint         *out_position)
{
  GListModel *model = G_LIST_MODEL (self->items);
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ConfabConversationItem) item = g_list_model_get_item (model, i);

      if (confab_conversation_item_get_id (item) == conversation_id)
        {
          if (out_position != NULL)
            *out_position = i;
          return item;
        }
    }

  return NULL;
}

/* Marks the row of the chat shown; selected_cb sees it is the current
 * one and opens nothing. */
static void
select_current (ConfabSidebar *self)
{
  guint position = GTK_INVALID_LIST_POSITION;

  if (self->current_id > 0)
    find_item (self, self->current_id, &position);
  gtk_single_selection_set_selected (self->selection, position);
}

static void
update_page (ConfabSidebar *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->items));
  const char *name = n > 0 ? "list" : "no-chats";

  if (gtk_search_bar_get_search_mode (self->search_bar) &&
      *gtk_editable_get_text (GTK_EDITABLE (self->search_entry)) != '\0')
    return;

  gtk_stack_set_visible_child_name (self->stack, name);
}

/* Shows @conversations, keeping the items that stayed where they were:
 * the common head and tail are updated in place, the middle replaced. */
static void
apply (ConfabSidebar *self,
       GPtrArray     *conversations)
{
  GListModel *model = G_LIST_MODEL (self->items);
  guint n_old = g_list_model_get_n_items (model);
  guint n_new = conversations->len;
  guint head = 0;
  guint tail = 0;
  g_autoptr(GHashTable) old = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                     g_object_unref);
  g_autoptr(GPtrArray) middle = g_ptr_array_new_with_free_func (g_object_unref);

  while (head < n_old && head < n_new)
    {
      g_autoptr(ConfabConversationItem) item = g_list_model_get_item (model, head);
      ConfabStoredConversation *stored = conversations->pdata[head];

      if (confab_conversation_item_get_id (item) != stored->id)
        break;
      confab_conversation_item_update (item, stored);
      head++;
    }
  while (tail < n_old - head && tail < n_new - head)
    {
      g_autoptr(ConfabConversationItem) item = g_list_model_get_item (model, n_old - 1 - tail);
      ConfabStoredConversation *stored = conversations->pdata[n_new - 1 - tail];

      if (confab_conversation_item_get_id (item) != stored->id)
        break;
      confab_conversation_item_update (item, stored);
      tail++;
    }

  for (guint i = head; i < n_old - tail; i++)
    {
      ConfabConversationItem *item = g_list_model_get_item (model, i);
      gint64 *key = g_new (gint64, 1);

      *key = confab_conversation_item_get_id (item);
      g_hash_table_replace (old, key, item);
    }
  for (guint i = head; i < n_new - tail; i++)
    {
      ConfabStoredConversation *stored = conversations->pdata[i];
      ConfabConversationItem *item = g_hash_table_lookup (old, &stored->id);

      if (item != NULL)
        {
          confab_conversation_item_update (item, stored);
          g_ptr_array_add (middle, g_object_ref (item));
        }
      else
        {
          g_ptr_array_add (middle, confab_conversation_item_new (stored));
        }
    }

  if (n_old - tail - head > 0 || middle->len > 0)
    g_list_store_splice (self->items, head, n_old - tail - head, middle->pdata, middle->len);

  select_current (self);
  update_page (self);
}

static void
page_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(Load) load = user_data;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;

  page = confab_store_list_conversations_finish (CONFAB_STORE (object), result, &error);
  if (page == NULL)
    {
      confab_toast_error (GTK_WIDGET (load->self), error,
                          /* Translators: %s says why */
                          _("The list of chats could not be read: %s"), error->message);
      return;
    }

  for (guint i = 0; i < page->len; i++)
    g_ptr_array_add (load->conversations, confab_stored_conversation_copy (page->pdata[i]));

  if (g_cancellable_is_cancelled (load->cancellable))
    return;

  if (page->len == PAGE_SIZE)
    {
      load_page (g_steal_pointer (&load));
      return;
    }

  apply (load->self, load->conversations);
}

static void
load_page (Load *load)
{
  confab_store_list_conversations_async (load->self->store, load->conversations->len, PAGE_SIZE,
                                         load->cancellable, page_cb, load);
}

/**
 * confab_sidebar_reload:
 * @self: a #ConfabSidebar
 *
 * Reads the list of conversations again; the rows that did not move keep
 * their place.
 */
void
confab_sidebar_reload (ConfabSidebar *self)
{
  Load *load;

  g_return_if_fail (CONFAB_IS_SIDEBAR (self));

  if (self->store == NULL)
    return;

  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->load_cancellable = g_cancellable_new ();

  load = g_new0 (Load, 1);
  load->self = g_object_ref (self);
  load->conversations =
    g_ptr_array_new_with_free_func ((GDestroyNotify)confab_stored_conversation_free);
  load->cancellable = g_object_ref (self->load_cancellable);
  load_page (load);
}

/* Whether the selection changes under a click rather than the arrow keys. */
static gboolean
clicking (ConfabSidebar *self)
{
  return g_get_monotonic_time () - self->pressed_at < G_USEC_PER_SEC / 2;
}

static void
list_pressed_cb (ConfabSidebar *self)
{
  self->pressed_at = g_get_monotonic_time ();
}

/* A click chooses a chat; the arrow keys go through the list, opening
 * each, and Enter chooses one. A chosen chat gets the keyboard. */
static void
selected_cb (ConfabSidebar *self)
{
  ConfabConversationItem *item = gtk_single_selection_get_selected_item (self->selection);
  gint64 id;

  if (item == NULL)
    return;

  id = confab_conversation_item_get_id (item);
  if (id == self->current_id && !clicking (self))
    return;

  self->current_id = id;
  g_signal_emit (self, signals[CONVERSATION_ACTIVATED], 0, id, (gint64)0, clicking (self));
}

static void
list_released_cb (ConfabSidebar *self)
{
  /* A click on the chat shown changes no selection, and still chooses. */
  if (clicking (self))
    selected_cb (self);
}

static void
list_activate_cb (ConfabSidebar *self,
                  guint          position,
                  GtkListView   *list_view)
{
  g_autoptr(ConfabConversationItem) item = NULL;

  item = g_list_model_get_item (G_LIST_MODEL (self->selection), position);
  if (item == NULL)
    return;

  self->current_id = confab_conversation_item_get_id (item);
  g_signal_emit (self, signals[CONVERSATION_ACTIVATED], 0, self->current_id, (gint64)0, TRUE);
}

/* Rows */

static GMenuModel *
create_row_menu (ConfabConversationItem *item)
{
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenu) section = g_menu_new ();
  g_autoptr(GMenuItem) pin = NULL;
  g_autoptr(GMenuItem) rename = NULL;
  g_autoptr(GMenuItem) export_markdown = NULL;
  g_autoptr(GMenuItem) export_json = NULL;
  g_autoptr(GMenuItem) delete = NULL;
  GVariant *id = g_variant_new_int64 (confab_conversation_item_get_id (item));

  g_variant_ref_sink (id);
  if (confab_conversation_item_get_pinned (item))
    pin = g_menu_item_new (_("_Unpin"), NULL);
  else
    pin = g_menu_item_new (_("_Pin"), NULL);
  g_menu_item_set_action_and_target_value (pin, confab_conversation_item_get_pinned (item) ?
                                                "sidebar.unpin" : "sidebar.pin", id);
  rename = g_menu_item_new (_("_Rename…"), NULL);
  g_menu_item_set_action_and_target_value (rename, "sidebar.rename", id);
  g_menu_append_item (section, pin);
  g_menu_append_item (section, rename);
  g_menu_append_section (menu, NULL, G_MENU_MODEL (section));
  g_clear_object (&section);

  section = g_menu_new ();
  export_markdown = g_menu_item_new (_("Export as _Markdown…"), NULL);
  g_menu_item_set_action_and_target_value (export_markdown, "chat.export-markdown", id);
  export_json = g_menu_item_new (_("Export as _JSON…"), NULL);
  g_menu_item_set_action_and_target_value (export_json, "chat.export-json", id);
  g_menu_append_item (section, export_markdown);
  g_menu_append_item (section, export_json);
  g_menu_append_section (menu, NULL, G_MENU_MODEL (section));
  g_clear_object (&section);

  section = g_menu_new ();
  delete = g_menu_item_new (_("_Delete"), NULL);
  g_menu_item_set_action_and_target_value (delete, "sidebar.delete", id);
  g_menu_append_item (section, delete);
  g_menu_append_section (menu, NULL, G_MENU_MODEL (section));
  g_variant_unref (id);

  return G_MENU_MODEL (g_steal_pointer (&menu));
}

static void
create_popup_cb (GtkMenuButton *button,
                 gpointer       user_data)
{
  ConfabConversationItem *item = g_object_get_data (G_OBJECT (button), "confab-item");
  g_autoptr(GMenuModel) menu = NULL;

  if (item == NULL)
    return;

  menu = create_row_menu (item);
  gtk_menu_button_set_menu_model (button, menu);
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              ConfabSidebar            *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new (NULL);
  GtkWidget *pin = gtk_image_new_from_icon_name ("view-pin-symbolic");
  GtkWidget *menu_button = gtk_menu_button_new ();

  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), label);

  gtk_widget_set_tooltip_text (pin, _("Pinned"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (pin), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Pinned"), -1);
  gtk_box_append (GTK_BOX (box), pin);

  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (menu_button), "view-more-symbolic");
  gtk_menu_button_set_has_frame (GTK_MENU_BUTTON (menu_button), FALSE);
  gtk_widget_set_tooltip_text (menu_button, _("Chat Menu"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (menu_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Chat menu"), -1);
  gtk_menu_button_set_create_popup_func (GTK_MENU_BUTTON (menu_button), create_popup_cb,
                                         NULL, NULL);
  gtk_widget_set_valign (menu_button, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), menu_button);

  gtk_widget_add_css_class (box, "conversation-row");
  g_object_set_data (G_OBJECT (box), "confab-label", label);
  g_object_set_data (G_OBJECT (box), "confab-pin", pin);
  g_object_set_data (G_OBJECT (box), "confab-menu-button", menu_button);
  gtk_list_item_set_child (list_item, box);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             ConfabSidebar            *self)
{
  GtkWidget *box = gtk_list_item_get_child (list_item);
  ConfabConversationItem *item = gtk_list_item_get_item (list_item);
  GBinding *title;
  GBinding *pinned;

  title = g_object_bind_property (item, "title", g_object_get_data (G_OBJECT (box), "confab-label"),
                                  "label", G_BINDING_SYNC_CREATE);
  pinned = g_object_bind_property (item, "pinned", g_object_get_data (G_OBJECT (box), "confab-pin"),
                                   "visible", G_BINDING_SYNC_CREATE);
  g_object_set_data (G_OBJECT (box), "confab-title-binding", title);
  g_object_set_data (G_OBJECT (box), "confab-pinned-binding", pinned);
  g_object_set_data (G_OBJECT (box), "confab-item", item);
  g_object_set_data (g_object_get_data (G_OBJECT (box), "confab-menu-button"), "confab-item", item);
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               ConfabSidebar            *self)
{
  GtkWidget *box = gtk_list_item_get_child (list_item);

  g_binding_unbind (g_object_get_data (G_OBJECT (box), "confab-title-binding"));
  g_binding_unbind (g_object_get_data (G_OBJECT (box), "confab-pinned-binding"));
  g_object_set_data (G_OBJECT (box), "confab-item", NULL);
  g_object_set_data (g_object_get_data (G_OBJECT (box), "confab-menu-button"), "confab-item", NULL);
}

/* The row the keyboard is on: the focus is on a list item or inside it. */
static GtkWidget *
focused_row (ConfabSidebar *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *widget = root != NULL ? gtk_root_get_focus (root) : NULL;

  for (; widget != NULL && widget != GTK_WIDGET (self->list_view);
       widget = gtk_widget_get_parent (widget))
    {
      GtkWidget *child = gtk_widget_get_first_child (widget);

      if (g_object_get_data (G_OBJECT (widget), "confab-item") != NULL)
        return widget;
      if (child != NULL && g_object_get_data (G_OBJECT (child), "confab-item") != NULL)
        return child;
    }

  return NULL;
}

static gboolean
row_key_cb (GtkWidget *widget,
            GVariant  *args,
            gpointer   user_data)
{
  ConfabSidebar *self = CONFAB_SIDEBAR (widget);
  GtkWidget *row = focused_row (self);
  const char *what = g_variant_get_string (args, NULL);
  ConfabConversationItem *item;
  gint64 id;

  if (row == NULL)
    return FALSE;

  item = g_object_get_data (G_OBJECT (row), "confab-item");
  id = confab_conversation_item_get_id (item);
  if (g_str_equal (what, "menu"))
    gtk_menu_button_popup (g_object_get_data (G_OBJECT (row), "confab-menu-button"));
  else if (g_str_equal (what, "rename"))
    confab_sidebar_rename (self, id);
  else if (g_str_equal (what, "delete"))
    confab_sidebar_delete (self, id);

  return TRUE;
}

/* Rename */

typedef struct
{
  ConfabSidebar *self;
  gint64         id;
  char          *title;
} Call;

static Call *
call_new (ConfabSidebar *self,
          gint64         id)
{
  Call *call = g_new0 (Call, 1);

  call->self = g_object_ref (self);
  call->id = id;

  return call;
}

static void
call_free (Call *call)
{
  g_clear_object (&call->self);
  g_free (call->title);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, call_free)

static void
call_closure_free (gpointer  data,
                   GClosure *closure)
{
  call_free (data);
}

static void
renamed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  g_autoptr(GError) error = NULL;

  if (!confab_store_rename_conversation_finish (CONFAB_STORE (object), result, &error))
    {
      confab_toast_error (GTK_WIDGET (call->self), error,
                          /* Translators: %s says why */
                          _("The chat could not be renamed: %s"), error->message);
      return;
    }

  g_signal_emit (call->self, signals[CONVERSATION_RENAMED], 0, call->id, call->title);
  confab_sidebar_reload (call->self);
}

static void
rename_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    Call             *call)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  Call *renamed;
  g_autofree char *title = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  if (!g_str_equal (response, "rename") || *title == '\0' || call->self->store == NULL)
    return;

  renamed = call_new (call->self, call->id);
  renamed->title = g_strdup (title);
  confab_store_rename_conversation_async (call->self->store, call->id, title, NULL, renamed_cb,
                                          renamed);
}

static void
rename_entry_changed_cb (GtkEditable      *entry,
                         AdwMessageDialog *dialog)
{
  g_autofree char *title = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  adw_message_dialog_set_response_enabled (dialog, "rename", *title != '\0');
}

/**
 * confab_sidebar_rename:
 * @self: a #ConfabSidebar
 * @conversation_id: the conversation
 *
 * Asks for a new title in a dialog and saves it.
 */
void
confab_sidebar_rename (ConfabSidebar *self,
                       gint64         conversation_id)
{
  ConfabConversationItem *item = find_item (self, conversation_id, NULL);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog;
  GtkWidget *entry;

  g_return_if_fail (CONFAB_IS_SIDEBAR (self));

  if (item == NULL)
    return;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Rename Chat"), NULL);
  entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (entry), confab_conversation_item_get_title (item));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Title"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "rename", _("_Rename"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "rename",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "rename");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (entry, "changed", G_CALLBACK (rename_entry_changed_cb), dialog, 0);
  g_signal_connect_data (dialog, "response", G_CALLBACK (rename_response_cb),
                         call_new (self, conversation_id), call_closure_free, 0);
  confab_compat_fix_accessible_names (GTK_WIDGET (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

/* Pin */

static void
pinned_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  g_autoptr(GError) error = NULL;

  if (!confab_store_set_conversation_pinned_finish (CONFAB_STORE (object), result, &error))
    {
      confab_toast_error (GTK_WIDGET (call->self), error,
                          /* Translators: %s says why */
                          _("The chat could not be pinned: %s"), error->message);
      return;
    }

  confab_sidebar_reload (call->self);
}

void
confab_sidebar_set_pinned (ConfabSidebar *self,
                           gint64         conversation_id,
                           gboolean       pinned)
{
  g_return_if_fail (CONFAB_IS_SIDEBAR (self));

  if (self->store == NULL)
    return;

  confab_store_set_conversation_pinned_async (self->store, conversation_id, pinned, NULL,
                                              pinned_cb, call_new (self, conversation_id));
}

/* Delete, with Undo */

static void
toast_dismissed_cb (AdwToast *toast,
                    Call     *call)
{
  g_hash_table_remove (call->self->deleted, &call->id);
}

static void
deleted_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  g_autoptr(ConfabStoreSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  ConfabSidebar *self = call->self;
  const char *title;
  gint64 *key;
  AdwToast *toast;

  snapshot = confab_store_delete_conversation_finish (CONFAB_STORE (object), result, &error);
  if (snapshot == NULL)
    {
      confab_toast_error (GTK_WIDGET (self), error,
                          /* Translators: %s says why */
                          _("The chat could not be deleted: %s"), error->message);
      return;
    }

  confab_sidebar_reload (self);

  title = snapshot->conversation->title;
  if (title == NULL || *title == '\0')
    toast = adw_toast_new (_("Chat deleted"));
  else
    /* Translators: %s is the title of a chat */
    toast = adw_toast_new_format (_("“%s” deleted"), title);
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_set_timeout (toast, 10);
  adw_toast_set_button_label (toast, _("Undo"));
  adw_toast_set_action_name (toast, "chat.undo-delete");
  adw_toast_set_action_target_value (toast, g_variant_new_int64 (call->id));

  key = g_new (gint64, 1);
  *key = call->id;
  g_hash_table_replace (self->deleted, key, g_steal_pointer (&snapshot));
  g_signal_connect_data (toast, "dismissed", G_CALLBACK (toast_dismissed_cb),
                         g_steal_pointer (&call), call_closure_free, 0);
  show_toast (self, toast);
}

/**
 * confab_sidebar_delete:
 * @self: a #ConfabSidebar
 * @conversation_id: the conversation
 *
 * Deletes the conversation at once and offers to undo it in a toast.
 */
void
confab_sidebar_delete (ConfabSidebar *self,
                       gint64         conversation_id)
{
  g_return_if_fail (CONFAB_IS_SIDEBAR (self));

  if (self->store == NULL)
    return;

  /* First, so the window lets go of it and its last save is queued
   * before the delete. */
  g_signal_emit (self, signals[CONVERSATION_DELETED], 0, conversation_id);
  confab_store_delete_conversation_async (self->store, conversation_id, NULL, deleted_cb,
                                          call_new (self, conversation_id));
}

static void
restored_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  g_autoptr(GError) error = NULL;

  if (!confab_store_restore_conversation_finish (CONFAB_STORE (object), result, &error))
    {
      confab_toast_error (GTK_WIDGET (call->self), error,
                          /* Translators: %s says why */
                          _("The chat could not be brought back: %s"), error->message);
      return;
    }

  confab_sidebar_reload (call->self);
}

/**
 * confab_sidebar_undo_delete:
 * @self: a #ConfabSidebar
 * @conversation_id: a conversation deleted while its toast shows
 *
 * Brings the conversation back as it was.
 */
void
confab_sidebar_undo_delete (ConfabSidebar *self,
                            gint64         conversation_id)
{
  ConfabStoreSnapshot *snapshot;

  g_return_if_fail (CONFAB_IS_SIDEBAR (self));

  snapshot = g_hash_table_lookup (self->deleted, &conversation_id);
  if (snapshot == NULL || self->store == NULL)
    return;

  confab_store_restore_conversation_async (self->store, snapshot, NULL, restored_cb,
                                           call_new (self, conversation_id));
  g_hash_table_remove (self->deleted, &conversation_id);
}

static void
row_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  ConfabSidebar *self = CONFAB_SIDEBAR (widget);
  gint64 id = g_variant_get_int64 (parameter);

  if (g_str_equal (action_name, "sidebar.rename"))
    confab_sidebar_rename (self, id);
  else if (g_str_equal (action_name, "sidebar.delete"))
    confab_sidebar_delete (self, id);
  else if (g_str_equal (action_name, "sidebar.pin"))
    confab_sidebar_set_pinned (self, id, TRUE);
  else if (g_str_equal (action_name, "sidebar.unpin"))
    confab_sidebar_set_pinned (self, id, FALSE);
}

/* Search */

/* The snippet with its matches marked for the eye: bold, on a tint of the
 * accent colour of the current style. */
static GtkWidget *
snippet_label_new (ConfabSidebar *self,
                   const char    *snippet)
{
  GtkWidget *label = gtk_label_new (NULL);
  g_autoptr(GString) text = g_string_new (NULL);
  PangoAttrList *attributes = pango_attr_list_new ();
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  GtkStyleContext *context = gtk_widget_get_style_context (GTK_WIDGET (self));
  GdkRGBA accent = { 0.2, 0.5, 0.9, 1 };

  gtk_style_context_lookup_color (context, "accent_bg_color", &accent);
  G_GNUC_END_IGNORE_DEPRECATIONS

  for (const char *p = snippet; *p != '\0';)
    {
      const char *start = strstr (p, CONFAB_STORE_MATCH_START);
      const char *end;
      PangoAttribute *attribute;
      guint from;

      if (start == NULL)
        {
          g_string_append (text, p);
          break;
        }
      g_string_append_len (text, p, start - p);
      start += strlen (CONFAB_STORE_MATCH_START);
      end = strstr (start, CONFAB_STORE_MATCH_END);
      if (end == NULL)
        end = start + strlen (start);

      from = text->len;
      g_string_append_len (text, start, end - start);

      attribute = pango_attr_weight_new (PANGO_WEIGHT_BOLD);
      attribute->start_index = from;
      attribute->end_index = text->len;
      pango_attr_list_insert (attributes, attribute);
      attribute = pango_attr_background_new (accent.red * 65535, accent.green * 65535,
                                             accent.blue * 65535);
      attribute->start_index = from;
      attribute->end_index = text->len;
      pango_attr_list_insert (attributes, attribute);
      attribute = pango_attr_background_alpha_new (65535 * 0.3);
      attribute->start_index = from;
      attribute->end_index = text->len;
      pango_attr_list_insert (attributes, attribute);

      p = *end != '\0' ? end + strlen (CONFAB_STORE_MATCH_END) : end;
    }

  gtk_label_set_text (GTK_LABEL (label), text->str);
  gtk_label_set_attributes (GTK_LABEL (label), attributes);
  pango_attr_list_unref (attributes);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_lines (GTK_LABEL (label), 3);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "snippet");

  return label;
}

static GtkWidget *
result_row_new (ConfabSidebar              *self,
                const ConfabStoreSearchHit *hit)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (hit->title != NULL && *hit->title != '\0' ?
                                    hit->title : _("New Chat"));
  gint64 *ids = g_new (gint64, 2);

  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_widget_add_css_class (title, "caption-heading");
  gtk_widget_add_css_class (title, "dim-label");
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), snippet_label_new (self, hit->snippet));
  gtk_widget_add_css_class (box, "search-result");
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);

  ids[0] = hit->conversation_id;
  ids[1] = hit->message_id;
  g_object_set_data_full (G_OBJECT (row), "confab-ids", ids, g_free);

  return row;
}

static void
searched_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ConfabSidebar) self = user_data;
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *child;

  hits = confab_store_search_finish (CONFAB_STORE (object), result, &error);
  if (hits == NULL)
    {
      confab_toast_error (GTK_WIDGET (self), error,
                          /* Translators: %s says why */
                          _("The search failed: %s"), error->message);
      return;
    }

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->results_box))) != NULL)
    gtk_list_box_remove (self->results_box, child);
  for (guint i = 0; i < hits->len; i++)
    gtk_list_box_append (self->results_box, result_row_new (self, hits->pdata[i]));

  gtk_stack_set_visible_child_name (self->stack, hits->len > 0 ? "results" : "no-results");
}

static void
search_changed_cb (ConfabSidebar  *self,
                   GtkSearchEntry *entry)
{
  g_autofree char *query = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry))));

  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);

  if (*query == '\0' || self->store == NULL)
    {
      update_page (self);
      return;
    }

  self->search_cancellable = g_cancellable_new ();
  confab_store_search_async (self->store, query, SEARCH_LIMIT, self->search_cancellable,
                             searched_cb, g_object_ref (self));
}

static void
stop_search_cb (ConfabSidebar  *self,
                GtkSearchEntry *entry)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
  gtk_widget_grab_focus (GTK_WIDGET (self->list_view));
}

static void
search_activate_cb (ConfabSidebar  *self,
                    GtkSearchEntry *entry)
{
  GtkListBoxRow *first = gtk_list_box_get_row_at_index (self->results_box, 0);

  if (first != NULL && g_str_equal (gtk_stack_get_visible_child_name (self->stack), "results"))
    g_signal_emit_by_name (self->results_box, "row-activated", first);
}

static void
result_activated_cb (ConfabSidebar *self,
                     GtkListBoxRow *row,
                     GtkListBox    *box)
{
  const gint64 *ids = g_object_get_data (G_OBJECT (row), "confab-ids");

  g_signal_emit (self, signals[CONVERSATION_ACTIVATED], 0, ids[0], ids[1], TRUE);
}

static void
search_mode_cb (ConfabSidebar *self)
{
  if (!gtk_search_bar_get_search_mode (self->search_bar))
    {
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
      update_page (self);
    }
}

/**
 * confab_sidebar_start_search:
 * @self: a #ConfabSidebar
 *
 * Opens the search bar and puts the keyboard in it.
 */
void
confab_sidebar_start_search (ConfabSidebar *self)
{
  g_return_if_fail (CONFAB_IS_SIDEBAR (self));

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/* The rest */

void
confab_sidebar_set_store (ConfabSidebar *self,
                          ConfabStore   *store)
{
  g_return_if_fail (CONFAB_IS_SIDEBAR (self));
  g_return_if_fail (store == NULL || CONFAB_IS_STORE (store));

  if (!g_set_object (&self->store, store))
    return;

  g_list_store_remove_all (self->items);
  confab_sidebar_reload (self);
}

/**
 * confab_sidebar_set_current:
 * @self: a #ConfabSidebar
 * @conversation_id: the conversation shown, or 0 for one not stored yet
 *
 * Marks the row of the conversation shown.
 */
void
confab_sidebar_set_current (ConfabSidebar *self,
                            gint64         conversation_id)
{
  g_return_if_fail (CONFAB_IS_SIDEBAR (self));

  self->current_id = conversation_id;
  select_current (self);
}

/**
 * confab_sidebar_get_items:
 * @self: a #ConfabSidebar
 *
 * Returns: (transfer none): the #ConfabConversationItem list shown
 */
GListModel *
confab_sidebar_get_items (ConfabSidebar *self)
{
  g_return_val_if_fail (CONFAB_IS_SIDEBAR (self), NULL);

  return G_LIST_MODEL (self->items);
}

/* Folded, the content's header bar has the window buttons. */
void
confab_sidebar_set_show_start_buttons (ConfabSidebar *self,
                                       gboolean       show)
{
  g_return_if_fail (CONFAB_IS_SIDEBAR (self));

  adw_header_bar_set_show_start_title_buttons (self->header_bar, show);
}

static void
confab_sidebar_dispose (GObject *object)
{
  ConfabSidebar *self = (ConfabSidebar *)object;

  g_cancellable_cancel (self->load_cancellable);
  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->load_cancellable);
  g_clear_object (&self->search_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_SIDEBAR);
  g_clear_object (&self->selection);
  g_clear_object (&self->items);
  g_clear_object (&self->store);
  g_clear_pointer (&self->deleted, g_hash_table_unref);

  G_OBJECT_CLASS (confab_sidebar_parent_class)->dispose (object);
}

static void
confab_sidebar_class_init (ConfabSidebarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_sidebar_dispose;

  /**
   * ConfabSidebar::conversation-activated:
   * @self: the sidebar
   * @conversation_id: the conversation to show
   * @message_id: the message a search found in it, or 0
   * @done: whether the user is done choosing (Enter, a search result)
   *   rather than going through the list
   */
  signals[CONVERSATION_ACTIVATED] =
    g_signal_new ("conversation-activated",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_INT64, G_TYPE_INT64, G_TYPE_BOOLEAN);
  /**
   * ConfabSidebar::conversation-deleted:
   * @self: the sidebar
   * @conversation_id: the conversation about to be deleted
   */
  signals[CONVERSATION_DELETED] =
    g_signal_new ("conversation-deleted",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_INT64);
  /**
   * ConfabSidebar::conversation-renamed:
   * @self: the sidebar
   * @conversation_id: the conversation renamed
   * @title: its new title
   */
  signals[CONVERSATION_RENAMED] =
    g_signal_new ("conversation-renamed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/ui/confab-sidebar.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabSidebar, header_bar);
  gtk_widget_class_bind_template_child (widget_class, ConfabSidebar, search_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabSidebar, search_bar);
  gtk_widget_class_bind_template_child (widget_class, ConfabSidebar, search_entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabSidebar, stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabSidebar, list_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabSidebar, results_box);
  gtk_widget_class_bind_template_callback (widget_class, list_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, result_activated_cb);

  gtk_widget_class_install_action (widget_class, "sidebar.rename", "x", row_action);
  gtk_widget_class_install_action (widget_class, "sidebar.delete", "x", row_action);
  gtk_widget_class_install_action (widget_class, "sidebar.pin", "x", row_action);
  gtk_widget_class_install_action (widget_class, "sidebar.unpin", "x", row_action);

  gtk_widget_class_add_binding (widget_class, GDK_KEY_F2, 0, row_key_cb, "s", "rename");
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Delete, 0, row_key_cb, "s", "delete");
  gtk_widget_class_add_binding (widget_class, GDK_KEY_KP_Delete, 0, row_key_cb, "s", "delete");
  gtk_widget_class_add_binding (widget_class, GDK_KEY_F10, GDK_SHIFT_MASK, row_key_cb, "s",
                                "menu");
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Menu, 0, row_key_cb, "s", "menu");

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "confab-sidebar");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
confab_sidebar_init (ConfabSidebar *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkLayoutManager *layout;
  GtkGesture *click;

  gtk_widget_init_template (GTK_WIDGET (self));
  layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Chats"), -1);

  self->deleted = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                         (GDestroyNotify)confab_store_snapshot_free);
  self->items = g_list_store_new (CONFAB_TYPE_CONVERSATION_ITEM);
  self->selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->items)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row_cb), self);
  gtk_list_view_set_factory (self->list_view, factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_object (self->selection, "notify::selected", G_CALLBACK (selected_cb), self,
                           G_CONNECT_SWAPPED);
  click = gtk_gesture_click_new ();
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (click), GTK_PHASE_CAPTURE);
  g_signal_connect_object (click, "pressed", G_CALLBACK (list_pressed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (click, "released", G_CALLBACK (list_released_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->list_view), GTK_EVENT_CONTROLLER (click));

  g_object_bind_property (self->search_button, "active", self->search_bar, "search-mode-enabled",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_signal_connect_object (self->search_bar, "notify::search-mode-enabled",
                           G_CALLBACK (search_mode_cb), self, G_CONNECT_SWAPPED);
  update_page (self);
}

/**
 * confab_sidebar_new:
 *
 * Returns: (transfer full): a new sidebar listing no conversation until it
 *   gets a store
 */
GtkWidget *
confab_sidebar_new (void)
{
  return g_object_new (CONFAB_TYPE_SIDEBAR, NULL);
}

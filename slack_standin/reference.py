"""Facts copied from Slack's per-method reference (shared/slack-api/methods).

Only the methods the stand-in implements; tests compare this table with the
reference when it is present, so it cannot drift silently.
"""

REQUIRED_ARGS: dict[str, tuple[str, ...]] = {
    "assistant.threads.setStatus": ("channel_id", "thread_ts", "status"),
    "assistant.threads.setSuggestedPrompts": ("channel_id", "prompts"),
    "assistant.threads.setTitle": ("channel_id", "thread_ts", "title"),
    "apps.connections.open": (),
    "auth.test": (),
    "bookmarks.add": ("title", "type"),
    "bookmarks.list": (),
    "canvases.edit": ("canvas_id", "changes"),
    "canvases.sections.lookup": ("canvas_id", "criteria"),
    "chat.getPermalink": ("channel", "message_ts"),
    "chat.postEphemeral": ("user", "channel"),
    "chat.postMessage": ("channel",),
    "chat.unfurl": (),
    "chat.update": ("ts", "channel"),
    "conversations.archive": ("channel",),
    "conversations.canvases.create": ("channel_id",),
    "files.completeUploadExternal": ("files",),
    "files.getUploadURLExternal": ("length", "filename"),
    "functions.completeError": ("function_execution_id", "error"),
    "functions.completeSuccess": ("function_execution_id", "outputs"),
    "conversations.create": ("name",),
    "conversations.history": ("channel",),
    "conversations.info": ("channel",),
    "conversations.invite": ("channel", "users"),
    "conversations.join": ("channel",),
    "conversations.kick": ("channel",),
    "conversations.list": (),
    "conversations.members": ("channel",),
    "conversations.open": (),
    "conversations.setPurpose": ("channel", "purpose"),
    "conversations.setTopic": ("channel", "topic"),
    "conversations.unarchive": ("channel",),
    "pins.add": ("channel",),
    "users.info": ("user",),
    "users.lookupByEmail": ("email",),
    "usergroups.list": (),
    "views.open": ("view",),
    "views.publish": ("user_id", "view"),
    "views.push": ("view",),
    "views.update": ("view",),
}

# The error codes each method can answer with (a subset of Slack's list, all real).
ERRORS: dict[str, frozenset[str]] = {
    "assistant.threads.setStatus": frozenset({"channel_not_found", "invalid_thread_ts"}),
    "assistant.threads.setSuggestedPrompts": frozenset({"channel_not_found", "invalid_thread_ts"}),
    "assistant.threads.setTitle": frozenset({"channel_not_found", "invalid_thread_ts"}),
    "usergroups.list": frozenset({"plan_upgrade_required", "invalid_team"}),
    "bookmarks.add": frozenset({"channel_not_found", "invalid_link", "too_many_bookmarks"}),
    "bookmarks.list": frozenset({"channel_not_found"}),
    "canvases.edit": frozenset({"canvas_not_found", "canvas_editing_failed", "canvas_too_large"}),
    "canvases.sections.lookup": frozenset({"canvas_not_found"}),
    "conversations.canvases.create": frozenset(
        {"channel_canvas_already_exists", "team_tier_cannot_create_channel_canvases"}
    ),
    "chat.getPermalink": frozenset({"channel_not_found", "message_not_found"}),
    "chat.postEphemeral": frozenset(
        {
            "channel_not_found",
            "invalid_blocks",
            "is_archived",
            "no_text",
            "not_in_channel",
            "user_not_in_channel",
            "msg_too_long",
        }
    ),
    "chat.postMessage": frozenset(
        {
            "channel_not_found",
            "invalid_blocks",
            "invalid_metadata_format",
            "is_archived",
            "no_text",
            "not_in_channel",
            "msg_blocks_too_long",
        }
    ),
    "chat.unfurl": frozenset(
        {
            "cannot_find_channel",
            "cannot_find_message",
            "cannot_parse_attachment",
            "cannot_unfurl_url",
            "invalid_unfurls_format",
            "missing_channel",
            "missing_ts",
            "missing_unfurls",
        }
    ),
    "chat.update": frozenset(
        {
            "cant_update_message",
            "channel_not_found",
            "invalid_blocks",
            "is_inactive",
            "message_not_found",
            "no_text",
            "msg_too_long",
        }
    ),
    "conversations.archive": frozenset({"already_archived", "channel_not_found", "not_in_channel"}),
    "files.completeUploadExternal": frozenset({"channel_not_found", "file_not_found", "not_in_channel"}),
    "files.getUploadURLExternal": frozenset({"missing_argument"}),
    "functions.completeError": frozenset(
        {"function_execution_not_found", "access_denied", "execution_not_in_running_state"}
    ),
    "functions.completeSuccess": frozenset(
        {
            "function_execution_not_found",
            "access_denied",
            "execution_not_in_running_state",
            "parameter_validation_failed",
        }
    ),
    "conversations.create": frozenset(
        {
            "invalid_name",
            "invalid_name_maxlength",
            "invalid_name_required",
            "invalid_name_specials",
            "name_taken",
            "restricted_action",
        }
    ),
    "conversations.history": frozenset({"channel_not_found", "not_in_channel"}),
    "conversations.info": frozenset({"channel_not_found"}),
    "conversations.invite": frozenset(
        {
            "already_in_channel",
            "cant_invite",
            "cant_invite_self",
            "channel_not_found",
            "is_archived",
            "not_in_channel",
            "user_not_found",
        }
    ),
    "conversations.join": frozenset(
        {"channel_not_found", "is_archived", "method_not_supported_for_channel_type"}
    ),
    "conversations.kick": frozenset(
        {"cant_kick_self", "channel_not_found", "not_in_channel", "user_not_found"}
    ),
    "conversations.list": frozenset({"invalid_cursor", "invalid_limit"}),
    "conversations.members": frozenset({"channel_not_found", "invalid_cursor"}),
    "conversations.setPurpose": frozenset({"channel_not_found", "is_archived", "not_in_channel", "too_long"}),
    "conversations.setTopic": frozenset({"channel_not_found", "is_archived", "not_in_channel", "too_long"}),
    "conversations.unarchive": frozenset({"channel_not_found", "not_archived"}),
    "pins.add": frozenset({"already_pinned", "channel_not_found", "message_not_found", "not_in_channel"}),
    "users.info": frozenset({"user_not_found"}),
    "users.lookupByEmail": frozenset({"users_not_found"}),
    "views.open": frozenset({"exchanged_trigger_id", "expired_trigger_id", "invalid_trigger_id"}),
    "views.publish": frozenset({"hash_conflict"}),
    "views.push": frozenset({"expired_trigger_id", "invalid_trigger_id", "push_limit_reached"}),
    "views.update": frozenset({"hash_conflict", "not_found"}),
}

# Errors any method can answer with (Slack's common errors).
COMMON_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "invalid_arguments",
        "ratelimited",
        "internal_error",
        "fatal_error",
        "unknown_method",
        "missing_argument",
    }
)

_MANAGE = frozenset({"groups:write", "im:write", "mpim:write", "channels:write", "channels:manage"})
_TOPIC = frozenset(
    {
        "channels:write.topic",
        "groups:write.topic",
        "mpim:write.topic",
        "im:write.topic",
        "channels:manage",
        "groups:write",
        "im:write",
        "mpim:write",
    }
)
_READ = frozenset({"groups:read", "im:read", "mpim:read", "channels:read"})

# Scopes that change what a method does, not whether it may be called: without them Slack
# ignores the argument (username, icon_url) or leaves the field out (profile.email).
ARGUMENT_SCOPES: dict[str, str] = {
    "chat:write.customize": "chat.postMessage",
    "users:read.email": "users.info",
}

# Bot scopes that allow each method (any one suffices), from the reference.
# Methods absent here need no scope (auth.test, views.*).
BOT_SCOPES: dict[str, frozenset[str]] = {
    "assistant.threads.setStatus": frozenset({"chat:write"}),
    "assistant.threads.setSuggestedPrompts": frozenset({"assistant:write"}),
    "assistant.threads.setTitle": frozenset({"assistant:write"}),
    "bookmarks.add": frozenset({"bookmarks:write"}),
    "bookmarks.list": frozenset({"bookmarks:read"}),
    "canvases.edit": frozenset({"canvases:write"}),
    "canvases.sections.lookup": frozenset({"canvases:read"}),
    "conversations.canvases.create": frozenset({"canvases:write"}),
    "chat.postEphemeral": frozenset({"chat:write"}),
    "chat.postMessage": frozenset({"chat:write"}),
    "chat.unfurl": frozenset({"links:write"}),
    "chat.update": frozenset({"chat:write"}),
    "conversations.archive": _MANAGE,
    "files.completeUploadExternal": frozenset({"files:write"}),
    "files.getUploadURLExternal": frozenset({"files:write"}),
    "conversations.create": _MANAGE,
    "conversations.history": frozenset({"groups:history", "im:history", "mpim:history", "channels:history"}),
    "conversations.info": _READ,
    "conversations.invite": frozenset(
        {
            "channels:write.invites",
            "groups:write.invites",
            "channels:manage",
            "groups:write",
            "im:write",
            "mpim:write",
        }
    ),
    "conversations.join": frozenset({"channels:join"}),
    "conversations.kick": frozenset({"groups:write", "channels:manage"}),
    "conversations.list": _READ,
    "conversations.members": _READ,
    "conversations.open": frozenset({"channels:manage", "groups:write", "im:write", "mpim:write"}),
    "conversations.setPurpose": frozenset(
        {
            "channels:write.topic",
            "groups:write.topic",
            "mpim:write.topic",
            "im:write.topic",
            "channels:manage",
            "groups:write",
            "im:write",
            "mpim:write",
        }
    ),
    "conversations.setTopic": frozenset(
        {
            "channels:write.topic",
            "groups:write.topic",
            "mpim:write.topic",
            "im:write.topic",
            "channels:manage",
            "groups:write",
            "im:write",
            "mpim:write",
        }
    ),
    "conversations.unarchive": _MANAGE,
    "pins.add": frozenset({"pins:write"}),
    "users.info": frozenset({"users:read"}),
    "users.lookupByEmail": frozenset({"users:read.email"}),
    "usergroups.list": frozenset({"usergroups:read"}),
}

# Each method's rate-limit tier (t1-t4; t5 is Slack's "special" tier).
TIERS: dict[str, str] = {
    "assistant.threads.setStatus": "t5",
    "assistant.threads.setSuggestedPrompts": "t4",
    "assistant.threads.setTitle": "t4",
    "apps.connections.open": "t3",
    "auth.test": "t5",
    "bookmarks.add": "t2",
    "bookmarks.list": "t3",
    "canvases.edit": "t3",
    "canvases.sections.lookup": "t3",
    "conversations.canvases.create": "t2",
    "chat.getPermalink": "t5",
    "chat.postEphemeral": "t4",
    "chat.postMessage": "t5",
    "chat.unfurl": "t3",
    "chat.update": "t3",
    "conversations.archive": "t2",
    "files.completeUploadExternal": "t4",
    "files.getUploadURLExternal": "t4",
    "functions.completeError": "t3",
    "functions.completeSuccess": "t3",
    "conversations.create": "t2",
    "conversations.history": "t3",
    "conversations.info": "t3",
    "conversations.invite": "t3",
    "conversations.join": "t3",
    "conversations.kick": "t3",
    "conversations.list": "t2",
    "conversations.members": "t4",
    "conversations.open": "t3",
    "conversations.setPurpose": "t2",
    "conversations.setTopic": "t2",
    "conversations.unarchive": "t2",
    "pins.add": "t2",
    "users.info": "t4",
    "users.lookupByEmail": "t3",
    "usergroups.list": "t2",
    "views.open": "t4",
    "views.publish": "t4",
    "views.push": "t4",
    "views.update": "t4",
}

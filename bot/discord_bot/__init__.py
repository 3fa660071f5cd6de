"""The Discord adapter: slash commands, mentions, project threads and buttons over the conversation service.

No generation or database logic lives here: cogs parse the interaction, call ``ConversationService``
and render its answer. Text from people or the model is escaped and never pings anyone.
"""

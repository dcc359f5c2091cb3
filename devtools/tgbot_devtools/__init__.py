"""Development tools for the bot, kept out of the production install: the local Bot API
stand-in, the terminal front end (``tgbot chat``, ``ask``, ``eval``) and the evaluator."""

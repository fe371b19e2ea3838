"""The map as a Telegram Mini App: pages and a JSON API served by bot/server.py."""

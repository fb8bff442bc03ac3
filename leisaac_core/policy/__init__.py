"""Policies in the loop: the `policy` device (OpenPI websocket client) and the servers we ship.

Nothing here imports torch: the lerobot policy server (`lerobot_server`) runs in the user's
lerobot environment and imports lerobot only there.
"""

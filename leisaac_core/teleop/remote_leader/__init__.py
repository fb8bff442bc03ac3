"""A leader arm on the operator's machine, streamed to the server over a websocket.

`relay.py` runs beside the arm (`leisaac-dashboard leader relay`): it reads the arm and
sends calibrated joint positions. The server's route puts them in the arm's inbox
(`inbox.py`); the `RemoteLeader` device takes the newest each tick and holds the arm when
they stop coming.
"""

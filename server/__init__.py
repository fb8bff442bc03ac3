"""The web layer and the command line: FastAPI app, routes, websocket, auth, CLI.

May import leisaac_core; leisaac_core never imports this package.
"""

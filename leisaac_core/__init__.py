"""Domain core of the LeIsaac recording dashboard: tasks, sim backends, teleop devices,
the LeRobot v3 dataset writer and the session engine. Nothing in here imports the web layer."""

__version__ = "0.1.0"
